"""The wheel carries the notebooks, templates and catalogues that report and serve need."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--wheel-dir",
            str(target),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = target.glob("cx_workbook-*.whl")
    return built


def test_wheel_holds_package_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for notebook in (
        "00_overview",
        "01_goals",
        "02_current_state",
        "03_journey_map",
        "04_kpi_tracking",
    ):
        assert f"cxlib/_data/notebooks/{notebook}.ipynb" in names
    for path in (
        "cxlib/_data/templates/report/index.html.j2",
        "cxlib/_data/templates/report/static/workbook.css",
        "cxlib/_data/templates/voila/index.html.j2",
        "cxlib/_data/templates/demo/workspace.yaml",
        "cxlib/workspace.schema.json",
        "cxlib/py.typed",
        "cxlib/locale/de/LC_MESSAGES/cxlib.po",
    ):
        assert path in names, path
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "cx-workbook = cxlib.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_layout_finds_its_notebooks(wheel: Path, tmp_path: Path) -> None:
    zipfile.ZipFile(wheel).extractall(tmp_path)
    probe = (
        "import cxlib.resources as r; print(r.notebooks_dir()); print(r.templates_dir()); "
        "print(','.join(r.notebook_names()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    notebooks, templates, names = result.stdout.split()
    assert Path(notebooks) == tmp_path / "cxlib" / "_data" / "notebooks"
    assert Path(templates) == tmp_path / "cxlib" / "_data" / "templates"
    assert names.split(",")[0] == "00_overview" and len(names.split(",")) == 5
