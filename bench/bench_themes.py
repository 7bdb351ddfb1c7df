"""Benchmark: theme tagging of 1 million synthetic comments against a plain regex pass.

Run ``python bench/bench_themes.py [n]``. The baseline is the least any tagger must do: the same
compiled theme patterns of each language run with ``Series.str.contains`` over the lower-cased
texts of that language, nothing else. ``tag_themes`` adds the language routing, ignore words,
lower-casing and the result frame. Target: ratio ≤ 1.5 (both timed in the same run).
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cxlib.demo_texts import LANGUAGES, SENTENCES
from cxlib.themes import load_taxonomy, tag_themes


def synthetic(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` comments of one or two demo template sentences each, in en/de/da."""
    rng = np.random.default_rng(seed)
    lang = rng.integers(0, len(LANGUAGES), n)
    texts = np.empty(n, dtype=object)
    for code, language in enumerate(LANGUAGES):
        pool = np.array(
            [s for pos, neg in SENTENCES[language].values() for s in (*pos, *neg)], dtype=object
        )
        mask = lang == code
        m = int(mask.sum())
        first, second = pool[rng.integers(0, len(pool), m)], pool[rng.integers(0, len(pool), m)]
        texts[mask] = np.where(rng.random(m) < 0.4, first + " " + second, first)
    return pd.DataFrame({"comment": texts, "language": np.array(LANGUAGES)[lang]})


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    frame = synthetic(n)
    frame["comment"] = frame["comment"].astype("str")
    taxonomies = {code: load_taxonomy(code) for code in LANGUAGES}
    patterns = {code: tax.patterns for code, tax in taxonomies.items()}  # built once
    start = time.perf_counter()
    for code in LANGUAGES:
        texts = pa.array(frame.loc[frame["language"] == code, "comment"].to_numpy(object))
        lowered = pc.utf8_lower(texts)
        for pattern in patterns[code].values():
            pc.match_substring_regex(lowered, pattern)
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    tags = tag_themes(frame, taxonomies=taxonomies)
    ours = time.perf_counter() - start
    print(f"{n:,} comments, {tags.shape[1]} themes")
    print(
        f"plain regex pass {baseline:.2f} s   tag_themes {ours:.2f} s   ratio {ours / baseline:.2f}"
    )


if __name__ == "__main__":
    main()
