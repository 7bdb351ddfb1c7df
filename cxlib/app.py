"""Serve the workbook notebooks as a Voila app.

Defaults are the safe ones: bound to 127.0.0.1, a random token required, code cells stripped,
tracebacks hidden. Voila cannot pass notebook parameters, so the workspace reaches the notebooks
through the ``CX_WORKSPACE`` environment variable.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cxlib.params import WORKSPACE_ENV
from cxlib.resources import notebooks_dir, templates_dir
from cxlib.workspace import load_workspace

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8866
#: Name of the Voila template in ``templates/voila/``.
TEMPLATE = "cxworkbook"


@dataclass(frozen=True)
class AppCommand:
    """The Voila command line, its environment and the address users open."""

    argv: list[str]
    env: dict[str, str]
    url: str
    token: str


def app_command(
    workspace: str | os.PathLike[str],
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token: str | None = None,
    no_token: bool = False,
) -> AppCommand:
    """Build the Voila command serving the workbook for ``workspace``.

    Parameters
    ----------
    token
        The access token; a random one when ``None``. Ignored with ``no_token``.
    no_token
        Serve without a token (only behind another authenticating proxy).

    Raises
    ------
    WorkspaceError
        When the workspace cannot be loaded (checked before the server starts).
    """
    loaded = load_workspace(workspace)
    token = "" if no_token else (token or secrets.token_urlsafe(24))
    data_dir = _template_data_dir()
    argv = [
        sys.executable,
        "-m",
        "voila",
        str(notebooks_dir()),
        f"--Voila.ip={host}",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        "--Voila.open_browser=False",
        f"--Voila.token={token}",
        "--VoilaConfiguration.strip_sources=True",
        "--VoilaConfiguration.show_tracebacks=False",
        f"--VoilaConfiguration.template={TEMPLATE}",
        "--MappingKernelManager.cull_idle_timeout=3600",
        "--MappingKernelManager.cull_interval=300",
    ]
    jupyter_path = os.pathsep.join(p for p in (str(data_dir), os.environ.get("JUPYTER_PATH")) if p)
    env = {**os.environ, WORKSPACE_ENV: str(loaded.root), "JUPYTER_PATH": jupyter_path}
    query = f"?token={token}" if token else ""
    url = f"http://{host}:{port}/voila/render/00_overview.ipynb{query}"
    return AppCommand(argv, env, url, token)


def _template_data_dir() -> Path:
    """A Jupyter data folder in which ``voila/templates/cxworkbook`` is our Voila template.

    Voila finds templates only under ``<jupyter data dir>/voila/templates/<name>``; the
    repository keeps its template in ``templates/voila/``, so a link bridges the two.
    """
    folder = Path(tempfile.gettempdir()) / f"cx-workbook-{os.getuid()}" / "jupyter"
    link = folder / "voila" / "templates" / TEMPLATE
    target = templates_dir() / "voila"
    if not (link.is_symlink() and link.resolve() == target.resolve()):
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target, target_is_directory=True)
    return folder


def serve(command: AppCommand, *, cwd: Path | None = None) -> int:
    """Run Voila in the foreground until it stops; return its exit status."""
    return subprocess.call(command.argv, env=command.env, cwd=cwd)
