"""Benchmark: survey metrics with intervals by segment × month, cxlib against hand-written code.

NPS + CSAT (top-2-box) + CES (share agreeing and mean) with their intervals, by segment and
month, on synthetic responses:

* cxlib on pandas      vs a hand-written pandas groupby computing the same;
* cxlib on DuckDB      vs hand-written DuckDB SQL computing the same.

Each variant runs in a forked child (the data is shared copy-on-write), best of ``--repeat``
runs; the table shows seconds, the ratio cxlib / hand-written (target ≤ 1.3) and the peak
memory the child added on top of the data. Usage::

    .venv/bin/python bench/bench_metrics.py --rows 10000000
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from cxlib import _stats
from cxlib.metrics import Metric, compute

TZ = "Europe/Berlin"
SPECS = {
    "nps": Metric("nps", "nps"),
    "csat": Metric("share", "csat", at_least=4),
    "ces": Metric("share", "ces", at_least=5),
    "ces_mean": Metric("mean", "ces"),
}
Z = _stats.z_value(0.95)


def synthetic(rows: int, seed: int = 1) -> pd.DataFrame:
    """Responses like the canonical table: nullable integer scores, UTC timestamps."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01T00:00:00", "s").astype("int64")
    seconds = rng.integers(0, 3 * 365 * 86400, rows) + start

    def score(low: int, high: int, missing: float) -> pd.arrays.IntegerArray:
        values = rng.integers(low, high + 1, rows)
        return pd.arrays.IntegerArray(values, rng.random(rows) < missing)

    return pd.DataFrame(
        {
            "nps": score(0, 10, 0.05),
            "csat": score(1, 5, 0.2),
            "ces": score(1, 7, 0.3),
            "segment": pd.Categorical.from_codes(
                rng.integers(0, 6, rows), ["a", "b", "c", "d", "e", "f"]
            ).astype(str),
            "submitted_at": pd.to_datetime(seconds, unit="s", utc=True),
        }
    )


def intervals(counts: pd.DataFrame) -> pd.DataFrame:
    """The same intervals cxlib computes, from hand-made counts (numpy)."""
    out = counts.copy()
    n = out["n_nps"].to_numpy(float)
    out["nps"] = 100 * (out["p"] - out["d"]) / n
    out["nps_low"], out["nps_high"] = _stats.nps_interval(out["p"], out["d"], n, Z)
    for name in ("csat", "ces"):
        out[f"{name}_low"], out[f"{name}_high"] = _stats.wilson(
            out[f"h_{name}"], out[f"n_{name}"], Z
        )
    mean, sd = _stats.mean_sd(out["s"], out["q"], out["n_ces"])
    out["ces_mean"], out["ces_mean_low"] = mean, mean - Z * sd / np.sqrt(out["n_ces"])
    return out


def hand_pandas(frame: pd.DataFrame) -> pd.DataFrame:
    local = frame["submitted_at"].dt.tz_convert(TZ)
    nps, csat, ces = frame["nps"], frame["csat"], frame["ces"]
    ces_float = ces.astype("Float64")
    parts = pd.DataFrame(
        {
            "segment": frame["segment"],
            "month": local.dt.year * 100 + local.dt.month,
            "n_nps": nps.notna().astype("int64"),
            "p": (nps >= 9).astype("Int64"),
            "d": (nps <= 6).astype("Int64"),
            "n_csat": csat.notna().astype("int64"),
            "h_csat": (csat >= 4).astype("Int64"),
            "n_ces": ces.notna().astype("int64"),
            "h_ces": (ces >= 5).astype("Int64"),
            "s": ces_float,
            "q": ces_float * ces_float,
        }
    )
    counts = parts.groupby(["segment", "month"], sort=True, as_index=False).sum()
    return intervals(counts.astype({c: "float64" for c in counts.columns[2:]}))


SQL = f"""
SELECT segment,
       year(timezone('{TZ}', submitted_at)) * 100 + month(timezone('{TZ}', submitted_at)) AS month,
       count(nps) AS n_nps, sum((nps >= 9)::INT) AS p, sum((nps <= 6)::INT) AS d,
       count(csat) AS n_csat, sum((csat >= 4)::INT) AS h_csat,
       count(ces) AS n_ces, sum((ces >= 5)::INT) AS h_ces,
       sum(ces::DOUBLE) AS s, sum((ces * ces)::DOUBLE) AS q
FROM responses GROUP BY ALL ORDER BY segment, month
"""


def hand_duckdb(con: Any) -> pd.DataFrame:
    counts = con.sql(SQL).arrow().read_all().to_pandas()
    return intervals(counts.astype({c: "float64" for c in counts.columns[2:]}))


def cxlib_on(frame: Any) -> dict[str, pd.DataFrame]:
    return compute(frame, SPECS, by=["segment"], grain="month", timezone=TZ)


def _rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def _child(task: Callable[[], Any], repeat: int, queue: Any) -> None:
    before = _rss_mib()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        task()
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((min(times), peak - before))


def measure(task: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Best time (s) and added peak memory (MiB) of ``task`` in a forked child."""
    context = mp.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_child, args=(task, repeat, queue))
    process.start()
    result: tuple[float, float] = queue.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="responses (default 10M)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per variant (best counts)")
    args = parser.parse_args()
    import duckdb

    start = time.perf_counter()
    frame = synthetic(args.rows)
    con = duckdb.connect()
    con.register("source", frame)
    con.execute("CREATE TABLE responses AS SELECT * FROM source")
    con.unregister("source")
    relation = con.table("responses")
    print(f"{args.rows:,} responses, data ready in {time.perf_counter() - start:.1f} s")

    # the engines agree with the hand-written code before anything is timed
    ours, hand = cxlib_on(frame), hand_pandas(frame)
    assert np.allclose(ours["nps"]["value"], hand["nps"], atol=1e-9)
    assert np.allclose(ours["csat"]["ci_low"] / 100, hand["csat_low"], atol=1e-9)
    assert np.allclose(cxlib_on(relation)["ces_mean"]["value"], hand_duckdb(con)["ces_mean"])

    variants = {
        "pandas": (lambda: cxlib_on(frame), lambda: hand_pandas(frame)),
        "duckdb": (lambda: cxlib_on(relation), lambda: hand_duckdb(con)),
    }
    print(
        f"{'engine':8} {'cxlib s':>8} {'hand s':>8} {'ratio':>6} {'cxlib MiB':>10} {'hand MiB':>9}"
    )
    for name, (ours_task, hand_task) in variants.items():
        ours_time, ours_mem = measure(ours_task, args.repeat)
        hand_time, hand_mem = measure(hand_task, args.repeat)
        print(
            f"{name:8} {ours_time:8.3f} {hand_time:8.3f} {ours_time / hand_time:6.2f} "
            f"{ours_mem:10.0f} {hand_mem:9.0f}"
        )
    print(f"data in pandas: {frame.memory_usage(deep=True).sum() / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
