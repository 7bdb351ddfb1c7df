"""The package's public API: what __all__ promises exists, and importing cxlib stays cheap."""

from __future__ import annotations

import subprocess
import sys

import cxlib


def test_every_exported_name_exists() -> None:
    for name in cxlib.__all__:
        assert getattr(cxlib, name) is not None, name


def test_import_is_light() -> None:
    heavy = "('pandas', 'pyarrow', 'altair')"
    probe = f"import sys, cxlib; print(sorted(m for m in {heavy} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
