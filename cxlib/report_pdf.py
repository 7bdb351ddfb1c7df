"""Print report pages to PDF with headless Chromium (no Playwright needed at run time).

Chromium is found through ``$CX_CHROMIUM`` or on the ``PATH`` (``chromium``,
``chromium-browser``, ``google-chrome``). It prints the page's own print stylesheet (A4) after
letting the page's scripts run for a while of virtual time, so the charts — drawn by the inlined
Vega bundle — are on the page before it is printed. Nothing is fetched from the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from cxlib.errors import CxError

#: Environment variable naming the Chromium executable to use.
CHROMIUM_ENV = "CX_CHROMIUM"
#: Executables tried, in order, on the PATH.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
#: Milliseconds of virtual time the page's scripts get before printing (charts draw in ~1 s).
VIRTUAL_TIME_MS = 20_000
#: Seconds one print may take.
PRINT_TIMEOUT = 180
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--run-all-compositor-stages-before-draw",
    "--no-pdf-header-footer",
)


class PdfError(CxError):
    """A report could not be printed to PDF."""


def find_chromium() -> str:
    """Return the Chromium executable: ``$CX_CHROMIUM``, else the first one on the PATH.

    Raises
    ------
    PdfError
        When none is found, with how to install one.
    """
    named = os.environ.get(CHROMIUM_ENV, "").strip()
    if named:
        found = shutil.which(named)
        if found is None:
            raise PdfError(
                f"{CHROMIUM_ENV} names '{named}', which is not an executable.",
                hint=f"Point {CHROMIUM_ENV} at Chromium or Chrome, or unset it.",
            )
        return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    raise PdfError(
        "--pdf needs Chromium or Chrome, and none was found "
        f"(looked for {', '.join(CHROMIUM_NAMES)} on the PATH and ${CHROMIUM_ENV}).",
        hint="Install it (Debian/Ubuntu: sudo apt-get install chromium) "
        f"or set {CHROMIUM_ENV} to its path.",
    )


def pdf_command(chromium: str, html: Path, pdf: Path, profile: Path) -> list[str]:
    """The command line that prints ``html`` to ``pdf`` with a throw-away ``profile`` folder."""
    return [
        chromium,
        *_FLAGS,
        f"--user-data-dir={profile}",
        f"--virtual-time-budget={VIRTUAL_TIME_MS}",
        f"--print-to-pdf={pdf}",
        html.resolve().as_uri(),
    ]


def print_pdf(html: Path, pdf: Path, *, chromium: str | None = None) -> Path:
    """Print the report page ``html`` to ``pdf`` (A4, as the page's print stylesheet says).

    Raises
    ------
    PdfError
        When Chromium is missing, fails or writes no PDF.
    """
    executable = chromium or find_chromium()
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="cx-chromium-") as profile:
        try:
            result = subprocess.run(
                pdf_command(executable, html, pdf, Path(profile)),
                capture_output=True,
                text=True,
                timeout=PRINT_TIMEOUT,
                check=False,
                env={**os.environ, "HOME": profile},  # Chromium writes its caches under HOME
            )
        except subprocess.TimeoutExpired:
            raise PdfError(
                f"Chromium took longer than {PRINT_TIMEOUT} s to print {html.name}.",
                hint="Try again; report it if it keeps happening.",
            ) from None
        except OSError as error:
            raise PdfError(
                f"cannot run Chromium '{executable}': {error.strerror or error}."
            ) from None
    if not pdf.is_file() or pdf.stat().st_size == 0 or not pdf.read_bytes().startswith(b"%PDF"):
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise PdfError(
            f"Chromium did not print {html.name} to PDF (exit {result.returncode}: {last}).",
            hint=f"Check that '{executable}' runs headless on this machine.",
        )
    return pdf
