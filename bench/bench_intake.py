"""Loading and validating a survey CSV against a plain pandas.read_csv of the same file.

Run: ``.venv/bin/python bench/bench_intake.py [--rows 1000000]``. Writes a synthetic survey
export (ids, timestamps, NPS, CSAT, CES, eight ratings with 0 = not applicable, region,
channel, a free-text comment, quoted where it holds commas) to a temporary folder, then times,
in the same run and each in a fresh process (so peak memory is its own):

- baseline: ``pandas.read_csv`` with the dtypes the canonical table ends with (nullable
  integers, strings, timestamps parsed) — what a careful analyst would write by hand;
- cxlib: ``load_table`` of the same file through a workspace: encoding and delimiter detection,
  line numbers, mapping, validation of every value, the data-quality report.

Prints both times, their ratio (target ≤ 1.5) — of the best run of each, and the median of the
back-to-back pairs, which other load on the machine disturbs least — and peak memory relative to
the loaded frame (target ≤ 2).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

RATINGS = ["website", "range", "checkout", "delivery", "staff", "service", "returns", "assembly"]


def write_survey(path: Path, rows: int) -> None:
    rng = np.random.default_rng(7)
    stamps = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 730 * 86400, rows), "s")
    frame = pd.DataFrame({
        "Response ID": np.char.add("R_", np.arange(rows).astype(str)),
        "Submitted": stamps.strftime("%Y-%m-%d %H:%M:%S"),
        "Region": rng.choice(["Hovedstaden", "Midtjylland", "Hamburg", "Berlin", "Bayern"], rows),
        "Channel": rng.choice(["Web shop", "Store", "App", "Phone"], rows),
        "NPS": rng.integers(0, 11, rows),
        "CSAT": rng.integers(1, 6, rows),
        "CES": rng.integers(1, 8, rows),
        **{f"Rating {r}": rng.integers(0, 6, rows) for r in RATINGS},
        "Comment": rng.choice(["", "Fast delivery, friendly staff", "Too expensive", "ok"], rows),
    })  # fmt: skip
    frame.to_csv(path, index=False)


def workspace(folder: Path, data: Path) -> None:
    ratings = "\n".join(f"      {r}: Rating {r}" for r in RATINGS)
    (folder / "workspace.yaml").write_text(
        textwrap.dedent(f"""\
        version: 1
        name: Bench
        timezone: Europe/Copenhagen
        dimensions: [region, channel]
        sources:
          responses:
            path: {data}
            columns:
              response_id: Response ID
              submitted_at: Submitted
              region: Region
              channel: Channel
              nps: NPS
              csat: CSAT
              ces: CES
              comment: Comment
            ratings:
        """)
        + ratings
        + "\n    not_applicable: [0]\n",
        encoding="utf-8",
    )


PEAK = (
    "def peak_kib():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            return int(line.split()[1])\n"
)

BASELINE = (
    PEAK
    + """
import pandas as pd, sys, time, json
rows = ["NPS", "CSAT", "CES"] + [f"Rating {{r}}" for r in {ratings}]
start = time.perf_counter()
frame = pd.read_csv(sys.argv[1], dtype={{**{{c: "Int64" for c in rows}}, "Response ID": "string",
    "Region": "string", "Channel": "string", "Comment": "string"}}, keep_default_na=False,
    na_values=[""])
frame["Submitted"] = pd.to_datetime(frame["Submitted"], format="ISO8601").dt.tz_localize(
    "Europe/Copenhagen", ambiguous=False, nonexistent="shift_forward").dt.tz_convert("UTC")
seconds = time.perf_counter() - start
print(json.dumps({{"seconds": seconds, "peak_kib": peak_kib(),
    "frame_bytes": int(frame.memory_usage(deep=True).sum()), "rows": len(frame)}}))
"""
)

CXLIB = (
    PEAK
    + """
import sys, time, json
import pandas as pd
from cxlib.sources import load_table
from cxlib.workspace import load_workspace
workspace = load_workspace(sys.argv[1])
before = peak_kib()
start = time.perf_counter()
table = load_table(workspace, "responses")
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_kib": peak_kib(),
    "before_kib": before, "frame_bytes": int(table.frame.memory_usage(deep=True).sum()),
    "rows": len(table.frame), "kept": table.reports[0].rows_kept}))
"""
)


def run(code: str, argument: str) -> dict[str, float]:
    result = subprocess.run([sys.executable, "-c", code, argument], capture_output=True,
                            text=True, check=True)  # fmt: skip
    measured: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        data = folder / "survey.csv"
        write_survey(data, args.rows)
        workspace(folder, data)
        size = data.stat().st_size
        baselines, ours_runs = [], []
        for _ in range(args.repeat):  # alternate, so that noise falls on both alike
            baselines.append(run(BASELINE.format(ratings=RATINGS), str(data)))
            ours_runs.append(run(CXLIB, str(folder)))
    baseline = min(baselines, key=lambda r: r["seconds"])
    ours = min(ours_runs, key=lambda r: r["seconds"])
    base_peak, our_peak = baseline["peak_kib"] / 1024, ours["peak_kib"] / 1024
    print(f"rows: {args.rows:,}  file: {size / 2**20:.0f} MiB")
    print(
        f"pandas.read_csv:  {baseline['seconds']:.2f} s, peak {base_peak:.0f} MiB, "
        f"frame {baseline['frame_bytes'] / 2**20:.0f} MiB"
    )
    print(
        f"cxlib load_table: {ours['seconds']:.2f} s, peak {our_peak:.0f} MiB (process before "
        f"loading {ours['before_kib'] / 1024:.0f} MiB), frame {ours['frame_bytes'] / 2**20:.0f} MiB"
    )
    added = (ours["peak_kib"] - ours["before_kib"]) * 1024
    paired = sorted(o["seconds"] / b["seconds"] for o, b in zip(ours_runs, baselines, strict=True))
    print(
        f"time ratio cxlib / pandas: {ours['seconds'] / baseline['seconds']:.2f} best of each, "
        f"{paired[len(paired) // 2]:.2f} median of {len(paired)} back-to-back pairs "
        f"(range {paired[0]:.2f}–{paired[-1]:.2f}; target ≤ 1.5)"
    )
    print(
        f"peak memory added by loading / loaded frame: {added / ours['frame_bytes']:.2f} "
        "(target ≤ 2)"
    )


if __name__ == "__main__":
    main()
