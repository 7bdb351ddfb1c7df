"""Comment themes from a taxonomy per language (:mod:`cxlib.taxonomy`), and what each theme
costs in NPS.

Tagging is vectorised: one compiled pattern per theme and language, run with pandas' string
methods over all rows of that language; rows are never looped over in Python.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cxlib import _stats
from cxlib._frames import aggregate, group_keys, prepare
from cxlib.errors import ParameterError, did_you_mean
from cxlib.langdetect import detect_languages
from cxlib.taxonomy import LANGUAGES, Taxonomy, load_taxonomy, workspace_taxonomies

#: Fewer comments than this in a group are flagged ``small_n``.
MIN_N = 30

__all__ = [
    "LANGUAGES",
    "Taxonomy",
    "example_verbatims",
    "load_taxonomy",
    "suggest_terms",
    "tag_themes",
    "theme_frequency",
    "theme_impact",
    "workspace_taxonomies",
]


def _languages(
    frame: pd.DataFrame, column: str, text: str, default: str, known: Sequence[str]
) -> pd.Series:
    """Each row's taxonomy language: the first two letters of ``column`` (``de-DE`` → ``de``);
    where that is missing or has no taxonomy, the language detected from the text
    (:func:`cxlib.langdetect.detect_languages`); where detection is unsure, ``default``."""
    if column in frame.columns:
        codes = frame[column].astype("string").str.strip().str.lower().str[:2]
        codes = codes.where(codes.isin(list(known)))
    else:
        codes = pd.Series(pd.NA, index=frame.index, dtype="string")
    unknown = codes.isna()
    if unknown.any():
        codes[unknown] = detect_languages(frame.loc[unknown, text], known)
    return codes.fillna(default).astype(str)


def tag_themes(
    frame: pd.DataFrame,
    *,
    text: str = "comment",
    language_column: str = "language",
    default_language: str = "en",
    taxonomies: Mapping[str, Taxonomy] | None = None,
) -> pd.DataFrame:
    """Tag each row's text with the themes of its language's taxonomy.

    Parameters
    ----------
    frame
        A pandas frame with a text column; it is not changed.
    text
        The text column (comments, ticket text, feedback text).
    language_column
        Each row's language (``en``, ``de``, ``da``; ``de-DE`` counts as ``de``). Where it is
        missing or unknown, or the frame lacks that column, the language is detected from the
        text (:mod:`cxlib.langdetect`); texts too short to tell use ``default_language``.
    taxonomies
        Language → :class:`Taxonomy`; the built-in ones by default (see also
        :func:`workspace_taxonomies`).

    Returns
    -------
    pandas.DataFrame
        One boolean column per theme (the union of all languages' themes, in order of first
        appearance), indexed like ``frame``; a theme absent from a language is False there.
    """
    tax = dict(taxonomies) if taxonomies is not None else {c: load_taxonomy(c) for c in LANGUAGES}
    if default_language not in tax:
        raise ParameterError(
            f"default_language must be one of {', '.join(tax)}; got {default_language!r}."
        )
    if text not in frame.columns:
        raise ParameterError(
            f"text column '{text}' is not a column of the data.{did_you_mean(text, frame.columns)}"
        )
    themes = list(dict.fromkeys(t for taxonomy in tax.values() for t in taxonomy.themes))
    out = pd.DataFrame(False, index=frame.index, columns=themes)
    languages = _languages(frame, language_column, text, default_language, list(tax))
    for language, taxonomy in tax.items():
        mask = (languages == language).to_numpy()
        if mask.any():
            tags = taxonomy.tag(frame.loc[mask, text])
            out.loc[mask, list(tags.columns)] = tags.to_numpy()
    return out.astype(bool)


def _has_text(frame: pd.DataFrame, text: str) -> pd.Series:
    return frame[text].astype("str").str.strip().fillna("").str.len().gt(0)


def theme_frequency(
    frame: pd.DataFrame,
    tags: pd.DataFrame,
    *,
    by: Sequence[str] = (),
    grain: str | None = None,
    text: str = "comment",
    timestamp: str = "submitted_at",
    timezone: str = "UTC",
    confidence: float = 0.95,
    min_n: int = MIN_N,
) -> pd.DataFrame:
    """Share of comments that mention each theme, by group and period.

    ``share`` = hits / n in percent, where n counts rows with a non-empty ``text`` and hits
    those tagged with the theme; ``ci_low``/``ci_high`` are the Wilson score interval
    (Wilson 1927) in percent; ``flags`` holds ``small_n`` when n < ``min_n``.

    Returns
    -------
    pandas.DataFrame
        Columns: the ``by`` keys, ``period`` (with a grain), ``theme``, ``n``, ``hits``,
        ``share``, ``ci_low``, ``ci_high``, ``flags``; sorted by keys, then share descending.
    """
    z = _stats.z_value(confidence)
    extra = [c for c in (*by, timestamp) if c in frame.columns]
    data = frame[extra].copy()
    data["_n"] = _has_text(frame, text).astype("int64")
    columns = {f"_t{i}": theme for i, theme in enumerate(tags.columns)}
    for column, theme in columns.items():
        data[column] = (tags[theme].to_numpy() & data["_n"].to_numpy().astype(bool)).astype("int64")
    import narwhals as nw

    prepared, keys = prepare(
        data, needed=["_n"], by=by, grain=grain, timestamp=timestamp, timezone=timezone
    )
    sums = {c: nw.col(c).sum() for c in ["_n", *columns]}
    counts = aggregate(prepared, keys, sums, grain=grain)
    out_keys = group_keys(by, grain)
    long = counts.melt(id_vars=[*out_keys, "_n"], var_name="theme", value_name="hits")
    long["theme"] = long["theme"].map(columns)
    long = long.rename(columns={"_n": "n"})
    low, high = _stats.wilson(long["hits"], long["n"], z)
    with np.errstate(divide="ignore", invalid="ignore"):
        long["share"] = 100 * long["hits"].to_numpy(float) / long["n"].to_numpy(float)
    long["ci_low"], long["ci_high"] = 100 * low, 100 * high
    long["flags"] = np.where(long["n"] < min_n, "small_n", "")
    order = [*out_keys, "share"]
    long = long.sort_values(order, ascending=[True] * len(out_keys) + [False], kind="stable")
    columns_out = [*out_keys, "theme", "n", "hits", "share", "ci_low", "ci_high", "flags"]
    return long[columns_out].reset_index(drop=True)


def theme_impact(
    frame: pd.DataFrame, tags: pd.DataFrame, *, score: str = "nps", text: str = "comment"
) -> pd.DataFrame:
    """Detractors per theme and the NPS points the total would gain without them.

    With N answers with a score, P promoters (9–10), D detractors (0–6), NPS = 100 (P − D) / N.
    For a theme t with ``d_t`` detractors whose comment mentions t:

    * ``detractor_share`` = 100 d_t / n_t, with n_t the scored comments that mention t;
    * ``nps_without`` = 100 (P − (D − d_t)) / (N − d_t): the NPS with those detractors left out;
    * ``points`` = ``nps_without`` − ``nps``.

    Returns
    -------
    pandas.DataFrame
        Columns ``theme``, ``n`` (n_t), ``detractors`` (d_t), ``detractor_share``, ``nps``,
        ``nps_without``, ``points``; sorted by points, largest first.
    """
    if score not in frame.columns:
        raise ParameterError(
            f"score column '{score}' is not a column of the data."
            + did_you_mean(score, frame.columns)
        )
    values = pd.to_numeric(frame[score], errors="coerce")
    scored = values.notna().to_numpy()
    detractor = (values <= 6).to_numpy() & scored
    total, promoters, detractors = scored.sum(), (values >= 9).sum(), detractor.sum()
    commented = _has_text(frame, text).to_numpy() & scored
    hits = tags.to_numpy(bool) & commented[:, None]
    n_t = hits.sum(axis=0).astype(float)
    d_t = (hits & detractor[:, None]).sum(axis=0).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        nps = 100 * (promoters - detractors) / total if total else np.nan
        without = 100 * (promoters - (detractors - d_t)) / (total - d_t)
        share = 100 * d_t / n_t
    out = pd.DataFrame(
        {
            "theme": list(tags.columns),
            "n": n_t.astype(int),
            "detractors": d_t.astype(int),
            "detractor_share": share,
            "nps": nps,
            "nps_without": without,
            "points": without - nps,
        }
    )
    return out.sort_values("points", ascending=False, kind="stable").reset_index(drop=True)


def example_verbatims(
    frame: pd.DataFrame,
    tags: pd.DataFrame,
    theme: str,
    *,
    k: int = 3,
    text: str = "comment",
    order: str = "shortest",
    timestamp: str = "submitted_at",
    min_words: int = 5,
    kinds: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Up to ``k`` comments mentioning ``theme``, redacted (:func:`cxlib.privacy.redact_series`).

    ``order="shortest"``: the shortest comments with at least ``min_words`` words (informative
    but quick to read; if fewer qualify, shorter ones fill up), ties in row order.
    ``order="recent"``: the newest by ``timestamp``. Identical texts are shown once.

    Returns
    -------
    pandas.DataFrame
        Columns ``row`` (the frame's index label), ``text`` (redacted) and ``timestamp`` when
        the frame has it.
    """
    from cxlib.privacy import redact_series

    if theme not in tags.columns:
        raise ParameterError(f"theme {theme!r} is not tagged.{did_you_mean(theme, tags.columns)}")
    if order not in ("shortest", "recent"):
        raise ParameterError(f"order must be 'shortest' or 'recent'; got {order!r}.")
    mask = tags[theme].to_numpy(bool) & _has_text(frame, text).to_numpy()
    chosen = frame.loc[mask, [c for c in (text, timestamp) if c in frame.columns]].copy()
    chosen["_text"] = chosen[text].astype("str").str.strip()
    chosen = chosen.drop_duplicates("_text")
    if order == "recent" and timestamp in chosen.columns:
        chosen = chosen.sort_values(timestamp, ascending=False, kind="stable")
    else:
        words = chosen["_text"].str.split().str.len()
        chosen = chosen.assign(_short=words < min_words, _len=chosen["_text"].str.len())
        chosen = chosen.sort_values(["_short", "_len"], kind="stable")
    chosen = chosen.head(k)
    redacted = (
        redact_series(chosen["_text"])
        if kinds is None
        else redact_series(chosen["_text"], kinds=kinds)
    )
    out = pd.DataFrame({"row": chosen.index, "text": redacted.to_numpy()})
    if timestamp in chosen.columns:
        out["timestamp"] = chosen[timestamp].to_numpy()
    return out


def suggest_terms(
    texts: pd.Series, taxonomy: Taxonomy, *, k: int = 20, topics: int = 5, seed: int = 0
) -> pd.DataFrame:
    """Frequent words that no theme of ``taxonomy`` covers yet: candidates for new terms.

    Words (2+ letters, not in the taxonomy's ``stopwords``, in ≥ 2 texts and ≤ 50 % of them) are
    weighted by TF-IDF; NMF (scikit-learn, ``init="nndsvda"``, ``random_state=seed``) splits
    the matrix W·H into ``topics`` groups. A word's score is Σ_topics (Σ_docs W[:, t]) · H[t, w]
    — its share of the whole reconstructed weight; words a theme already matches are dropped.

    Returns
    -------
    pandas.DataFrame
        ``term``, ``score``, ``topic`` (the topic where it weighs most), ``documents``; the
        ``k`` best, deterministic for a seed.
    """
    try:
        from sklearn.decomposition import NMF
        from sklearn.feature_extraction.text import TfidfVectorizer
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError("suggest_terms needs scikit-learn: pip install scikit-learn") from exc
    docs = texts.dropna().astype("str").str.lower()
    docs = docs[docs.str.strip().str.len() > 0]
    empty = pd.DataFrame({"term": [], "score": [], "topic": [], "documents": []})
    if len(docs) < 2:
        return empty
    vectorizer = TfidfVectorizer(
        token_pattern=r"(?u)\b[^\W\d_]{2,}\b",
        stop_words=list(taxonomy.stopwords) or None,
        min_df=2,
        max_df=0.5,
    )
    try:
        matrix = vectorizer.fit_transform(docs.tolist())
    except ValueError:  # no word survives min_df/max_df
        return empty
    vocabulary = pd.Series(vectorizer.get_feature_names_out())
    n_topics = max(1, min(topics, matrix.shape[0], matrix.shape[1]))
    model = NMF(n_components=n_topics, init="nndsvda", random_state=seed, max_iter=400)
    weights = model.fit_transform(matrix)
    components = model.components_
    score = (weights.sum(axis=0)[:, None] * components).sum(axis=0)
    covered = taxonomy.tag(vocabulary).any(axis=1).to_numpy()
    frame = pd.DataFrame(
        {
            "term": vocabulary,
            "score": score / score.sum() if score.sum() else score,
            "topic": components.argmax(axis=0),
            "documents": np.asarray((matrix > 0).sum(axis=0)).ravel(),
        }
    )
    frame = frame[~covered].sort_values(["score", "term"], ascending=[False, True])
    return frame.head(k).reset_index(drop=True)
