"""Benchmark: key drivers (relative weights + exact Shapley/LMG) on 1 million responses.

Synthetic responses × 14 touchpoint ratings (1–5, about 3 % "not applicable" → missing) and a
0–10 outcome. Times the point estimates of :func:`cxlib.drivers.key_drivers` (``resamples=0``;
target ≤ 2 s, listwise and pairwise) against a plain numpy baseline in the same run: one OLS
``lstsq`` of the outcome on the complete rows. Usage::

    .venv/bin/python bench/bench_drivers.py --rows 1000000
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from cxlib.drivers import key_drivers

DRIVERS = [f"rating_{i}" for i in range(14)]


def synthetic(rows: int, seed: int = 0) -> pd.DataFrame:
    """Correlated 1–5 ratings with missing answers and a 0–10 outcome driven by them."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(rows, 1)) + rng.normal(size=(rows, len(DRIVERS)))
    ratings = np.clip(np.round(3 + latent), 1, 5)
    outcome = np.clip(np.round(ratings @ rng.uniform(0, 0.3, len(DRIVERS)) - 2), 0, 10)
    ratings[rng.random(ratings.shape) < 0.03] = np.nan
    frame = pd.DataFrame(ratings, columns=DRIVERS).astype("Int64")
    frame["nps"] = pd.array(outcome.astype("int64"), dtype="Int64")
    return frame


def best_of(repeat: int, run: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def baseline(frame: pd.DataFrame) -> float:
    """Plain numpy: complete rows, one OLS fit with intercept, its R²."""
    values = frame[["nps", *DRIVERS]].to_numpy(dtype="float64", na_value=np.nan)
    values = values[~np.isnan(values).any(axis=1)]
    y, x = values[:, 0], np.column_stack([np.ones(len(values)), values[:, 1:]])
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    residual = y - x @ beta
    return float(1 - residual @ residual / ((y - y.mean()) @ (y - y.mean())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    frame = synthetic(args.rows)
    print(f"{args.rows:,} responses × {len(DRIVERS)} ratings (best of {args.repeat})")
    base = best_of(args.repeat, lambda: baseline(frame))
    print(f"  numpy baseline (one OLS lstsq)        {base:7.3f} s")
    for missing in ("listwise", "pairwise"):

        def run(missing: str = missing) -> Any:
            return key_drivers(frame, outcome="nps", drivers=DRIVERS, missing=missing, resamples=0)

        seconds = best_of(args.repeat, run)
        result = run()
        check = f"R² {result.r2:.4f}" + (
            f" vs lstsq {baseline(frame):.4f}" if missing == "listwise" else ""
        )
        print(
            f"  cxlib key_drivers, {missing:<9}        {seconds:7.3f} s  "
            f"ratio {seconds / base:4.2f}  {'ok' if seconds <= 2 else 'OVER 2 s'}  ({check})"
        )


if __name__ == "__main__":
    main()
