"""Serve the workbook notebooks as a Voila app.

Defaults are the safe ones: bound to 127.0.0.1, a random token required, code cells stripped,
tracebacks hidden. The token travels in the server's environment (``JUPYTER_TOKEN``), never on
its command line, where other users of the machine could read it. Voila cannot pass notebook
parameters, so the workspace reaches the notebooks through ``CX_WORKSPACE``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
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
#: Name under which Voila finds the template of ``templates/voila/``.
TEMPLATE = "cxworkbook"


@dataclass(frozen=True)
class AppCommand:
    """The Voila command line, its environment, the address users open and a private folder.

    ``data_dir`` is a folder only this user can enter, holding the link through which Voila
    finds the workbook template; :func:`serve` removes it when the server stops.
    """

    argv: list[str]
    env: dict[str, str]
    url: str
    token: str
    data_dir: Path


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
    data_dir = _private_data_dir()
    argv = [
        sys.executable, "-m", "voila", str(notebooks_dir()),
        f"--Voila.ip={host}",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        "--Voila.open_browser=False",
        "--VoilaConfiguration.strip_sources=True",
        "--VoilaConfiguration.show_tracebacks=False",
        f"--VoilaConfiguration.template={TEMPLATE}",
        "--MappingKernelManager.cull_idle_timeout=3600",
        "--MappingKernelManager.cull_interval=300",
    ]  # fmt: skip
    # with a token: Voila's identity provider reads it from JUPYTER_TOKEN; without: say so
    argv.append("--Voila.auto_token=True" if token else "--Voila.token=")
    jupyter_path = os.pathsep.join(p for p in (str(data_dir), os.environ.get("JUPYTER_PATH")) if p)
    env = {**os.environ, WORKSPACE_ENV: str(loaded.root), "JUPYTER_PATH": jupyter_path}
    env.pop("JUPYTER_TOKEN", None)
    if token:
        env["JUPYTER_TOKEN"] = token
    shown_host = socket.gethostname() if host in {"0.0.0.0", "::", ""} else host
    query = f"?token={token}" if token else ""
    url = f"http://{shown_host}:{port}/voila/render/00_overview.ipynb{query}"
    return AppCommand(argv, env, url, token, data_dir)


def _private_data_dir() -> Path:
    """A fresh folder (mode 0700) in which ``voila/templates/cxworkbook`` is our template.

    Voila finds templates only under ``<jupyter data dir>/voila/templates/<name>``; the
    repository keeps its template in ``templates/voila/``, so a link bridges the two. The folder
    is new and private, so no other user can plant kernels or templates in it.
    """
    folder = Path(tempfile.mkdtemp(prefix="cx-workbook-app-"))
    link = folder / "voila" / "templates" / TEMPLATE
    link.parent.mkdir(parents=True)
    link.symlink_to(templates_dir() / "voila", target_is_directory=True)
    return folder


def serve(command: AppCommand, *, cwd: Path | None = None) -> int:
    """Run Voila in the foreground until it stops; return its exit status.

    A SIGTERM or SIGINT sent to this process is passed on to Voila, so stopping ``cx-workbook
    serve`` never leaves a server (and its kernels) running.
    """
    process = subprocess.Popen(command.argv, env=command.env, cwd=cwd)

    def stop(signum: int, _frame: object) -> None:
        process.send_signal(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        status = process.wait()
        return 128 - status if status < 0 else status  # killed by a signal: shell convention
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(command.data_dir, ignore_errors=True)
