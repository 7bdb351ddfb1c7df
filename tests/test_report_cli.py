"""``cx-workbook report`` with --by, --pdf and bad selections: exit codes and one-line messages.

Exit status 2 for options that contradict each other, 1 for what depends on the workspace (a
dimension it lacks, a period or segment value without responses, a missing Chromium), checked
before any notebook runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cxlib.cli", "report", *args],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env=None if env is None else {**os.environ, **env},
    )


def one_line_error(result: subprocess.CompletedProcess[str], status: int, message: str) -> None:
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cx-workbook: error: "), lines[0]
    assert message in lines[0], lines[0]


def test_by_a_dimension_that_does_not_exist(demo_workspace: Path, tmp_path: Path) -> None:
    result = run(str(demo_workspace), "--by", "regoin", "--out", str(tmp_path / "out"))
    one_line_error(
        result,
        1,
        "--by 'regoin' is not a dimension of this workspace. Did you mean 'region'? "
        "--by takes one of: country, region, channel, segment, month.",
    )
    assert not (tmp_path / "out").exists()


def test_by_with_a_segment_on_the_same_dimension(demo_workspace: Path) -> None:
    result = run(str(demo_workspace), "--by", "region", "--segment", "region=Hamburg")
    one_line_error(result, 2, "--by region with --segment region=Hamburg: the segment already")


def test_by_two_dimensions(demo_workspace: Path) -> None:
    result = run(str(demo_workspace), "--by", "region", "--by", "channel")
    one_line_error(result, 2, "a report filters on one dimension at a time")


def test_jobs_below_one(demo_workspace: Path) -> None:
    one_line_error(run(str(demo_workspace), "--jobs", "0"), 2, "--jobs must be 1 or more; got 0")


def test_segment_value_that_does_not_exist(demo_workspace: Path, tmp_path: Path) -> None:
    result = run(str(demo_workspace), "--segment", "region=Atlantis", "--out", str(tmp_path / "o"))
    one_line_error(result, 1, "segment 'region=Atlantis': no responses have region 'Atlantis'.")
    assert "Values: Bayern, " in result.stderr
    assert not (tmp_path / "o").exists(), "nothing is started or written"


def test_period_without_data(demo_workspace: Path, tmp_path: Path) -> None:
    result = run(str(demo_workspace), "--period", "2019", "--by", "region", "--out", str(tmp_path))
    one_line_error(result, 1, "period '2019' has no responses; they run from 2")


def test_pdf_without_chromium(demo_workspace: Path, tmp_path: Path) -> None:
    result = run(
        str(demo_workspace), "--pdf", "--out", str(tmp_path), env={"CX_CHROMIUM": "no-such-chrome"}
    )
    one_line_error(result, 1, "CX_CHROMIUM names 'no-such-chrome', which is not an executable.")
    empty = tmp_path / "bin"
    empty.mkdir()
    result = run(str(demo_workspace), "--pdf", env={"CX_CHROMIUM": "", "PATH": str(empty)})
    one_line_error(result, 1, "Install it (Debian/Ubuntu: sudo apt-get install chromium)")


@pytest.mark.slow
def test_by_country_builds_a_set_per_value_an_index_and_pdfs(
    demo_workspace: Path, tmp_path: Path
) -> None:
    result = run(
        str(demo_workspace),
        "--by",
        "country",
        "--notebook",
        "00",
        "--period",
        "2025-Q4",
        "--lang",
        "de",
        "--pdf",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "WARNING" not in result.stderr
    progress = result.stderr.splitlines()
    assert len(progress) == 2, result.stderr
    line = re.compile(r"\[[12]/2\] 00_overview country=\w+ … ok \(\d+\.\d s\)")
    assert all(line.fullmatch(p) for p in progress), progress
    folders = [tmp_path / "2025-Q4" / f"country={c}" / "de" for c in ("Denmark", "Germany")]
    expected = [
        *(str(f / name) for f in folders for name in ("00_overview.html", "00_overview.pdf")),
        str(tmp_path / "index.html"),
    ]
    assert result.stdout.split() == [str(Path(p).resolve()) for p in expected]
    page = (folders[1] / "00_overview.html").read_text(encoding="utf-8")
    assert "Customer-Experience-Bericht" in page and "country=Germany" in page
    assert (folders[0] / "00_overview.pdf").read_bytes().startswith(b"%PDF")
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"<h2>([^<]*)</h2>", index) == ["country=Denmark", "country=Germany"]
    assert 'href="2025-Q4/country%3DGermany/de/00_overview.html"' in index
    assert 'href="2025-Q4/country%3DDenmark/de/00_overview.pdf"' in index
    assert "Überblick" in index and "Aufgeteilt nach" in index


@pytest.mark.slow
def test_by_month_gives_a_folder_per_month(demo_workspace: Path, tmp_path: Path) -> None:
    result = run(
        str(demo_workspace),
        "--by",
        "month",
        "--notebook",
        "04",
        "--period",
        "2025-Q4",
        "--segment",
        "country=Denmark",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    for month in ("2025-10", "2025-11", "2025-12"):
        page = tmp_path / month / "country=Denmark" / "en" / "04_kpi_tracking.html"
        text = page.read_text(encoding="utf-8")
        assert f"<dd>{month}</dd>" in text and "<dd>country=Denmark</dd>" in text
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"<h2>([^<]*)</h2>", index) == ["2025-10", "2025-11", "2025-12"]
