"""Serve the workbook notebooks as a Voila app.

Defaults are the safe ones: bound to 127.0.0.1, a random token required, code cells stripped,
tracebacks hidden, no template or theme chosen by the URL. The token travels in the server's
environment (``JUPYTER_TOKEN``), never on its command line, where other users of the machine
could read it. Voila cannot pass notebook parameters, so the workspace reaches the notebooks
through ``CX_WORKSPACE``.

The app opens on a landing page listing the five workbook steps in the workspace's language
(``templates/voila/tree.html``). The overview runs in preheated kernels: Voila starts a pool of
kernels that have already run ``00_overview.ipynb``, so a visitor gets a finished page. The Vega
bundle the charts need is served once by the app (``static/vega-bundle.js``) instead of being
sent by every kernel, which also saves each kernel the 1.4 s it takes to build the bundle.

:func:`main` is the server process itself (``python -m cxlib.app``): Voila with the settings
that cannot be given on a command line (the landing page's texts, the kernel pools).
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
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cxlib.errors import CxError
from cxlib.params import WORKSPACE_ENV
from cxlib.resources import notebook_names, notebooks_dir, templates_dir
from cxlib.workspace import Workspace, load_workspace

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8866
#: Name under which Voila finds the template of ``templates/voila/``.
TEMPLATE = "cxworkbook"
#: Set in the kernels' environment when the app serves the Vega bundle itself (see page.py).
APP_ENV = "CX_WORKBOOK_APP"
#: Environment variable carrying the overview's kernel pool size to the server process.
POOL_ENV = "CX_WORKBOOK_POOL"
#: Preheated kernels kept ready for the overview (each holds the workspace's data in memory).
POOL_SIZE = 1
BUNDLE = "vega-bundle.js"
OVERVIEW = "00_overview"
#: The workbook steps in order: notebook name → message id of its title.
STEPS: dict[str, str] = {
    "00_overview": "page.overview.title",
    "01_goals": "page.goals.title",
    "02_current_state": "page.current.title",
    "03_journey_map": "page.journey.title",
    "04_kpi_tracking": "page.kpi.title",
}


@dataclass(frozen=True)
class AppCommand:
    """The server's command line, its environment, the address users open and a private folder.

    ``url`` is the landing page (with the token). ``data_dir`` is a folder only this user can
    enter, holding the workbook template and the Vega bundle; :func:`serve` removes it when the
    server stops.
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
    pool_size: int = POOL_SIZE,
) -> AppCommand:
    """Build the command serving the workbook for ``workspace``.

    Parameters
    ----------
    token
        The access token; a random one when ``None``. Ignored with ``no_token``.
    no_token
        Serve without a token (only behind another authenticating proxy).
    pool_size
        Preheated kernels kept ready for the overview; 0 starts a kernel per visit.

    Raises
    ------
    WorkspaceError
        When the workspace cannot be loaded (checked before the server starts).
    ParameterError
        When ``pool_size`` is negative.
    """
    from cxlib.errors import ParameterError

    if not isinstance(pool_size, int) or pool_size < 0:
        raise ParameterError(f"pool_size must be an integer 0 or more; got {pool_size!r}.")
    loaded = load_workspace(workspace)
    token = "" if no_token else (token or secrets.token_urlsafe(24))
    data_dir = _private_data_dir()
    argv = [
        sys.executable, "-m", "cxlib.app", str(notebooks_dir()),
        f"--Voila.ip={host}",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        "--Voila.open_browser=False",
        "--VoilaConfiguration.strip_sources=True",
        "--VoilaConfiguration.show_tracebacks=False",
        f"--VoilaConfiguration.template={TEMPLATE}",
        "--VoilaConfiguration.allow_template_override=NO",
        "--VoilaConfiguration.allow_theme_override=NO",
        "--VoilaConfiguration.classic_tree=True",
        f"--VoilaConfiguration.preheat_kernel={pool_size > 0}",
        # a kernel nobody is connected to any more is stopped after 10 idle minutes (each
        # holds the workspace's data: ~0.23 GB for the demo); an open tab keeps its kernel
        "--MappingKernelManager.cull_idle_timeout=600",
        "--MappingKernelManager.cull_interval=60",
    ]  # fmt: skip
    # with a token: Voila's identity provider reads it from JUPYTER_TOKEN; without: say so
    argv.append("--Voila.auto_token=True" if token else "--Voila.token=")
    jupyter_path = os.pathsep.join(p for p in (str(data_dir), os.environ.get("JUPYTER_PATH")) if p)
    env = {
        **os.environ,
        WORKSPACE_ENV: str(loaded.root),
        "JUPYTER_PATH": jupyter_path,
        APP_ENV: "1",
        POOL_ENV: str(pool_size),
    }
    env.pop("JUPYTER_TOKEN", None)
    if token:
        env["JUPYTER_TOKEN"] = token
    shown_host = socket.gethostname() if host in {"0.0.0.0", "::", ""} else host
    query = f"?token={token}" if token else ""
    url = f"http://{shown_host}:{port}/{query}"
    return AppCommand(argv, env, url, token, data_dir)


def _private_data_dir() -> Path:
    """A fresh folder (mode 0700) in which ``voila/templates/cxworkbook`` is our template.

    Voila finds templates only under ``<jupyter data dir>/voila/templates/<name>``. The folder
    links each template of the repository's ``templates/voila/``; its ``static/`` holds copies
    of the app's and the reports' stylesheets and the Vega bundle, which Voila then serves.
    The folder is new and private, so no other user can plant kernels or templates in it.
    """
    folder = Path(tempfile.mkdtemp(prefix="cx-workbook-app-"))
    template = folder / "voila" / "templates" / TEMPLATE
    static = template / "static"
    static.mkdir(parents=True)
    source = templates_dir() / "voila"
    for entry in source.iterdir():
        if entry.name != "static":
            (template / entry.name).symlink_to(entry)
    # copies, not links: Voila's static file handler refuses files that resolve elsewhere
    for entry in (source / "static").glob("*.css"):
        shutil.copyfile(entry, static / entry.name)
    shutil.copyfile(templates_dir() / "report" / "static" / "workbook.css", static / "workbook.css")
    (static / BUNDLE).write_text(vega_bundle(), encoding="utf-8")
    return folder


def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script file (what :func:`charts.bundle_html` wraps).

    The bundle defines ``window.vegaEmbed`` with no network access.
    """
    from cxlib.charts import bundle_html

    wrapped = bundle_html()
    return wrapped.removeprefix("<script>").removesuffix("</script>")


def landing(workspace: Workspace, language: str | None = None) -> dict[str, Any]:
    """The texts of the landing page and of the app's header, in the workspace's language.

    The template escapes every value. Only the workbook's own notebooks are listed, in order.

    Returns
    -------
    dict
        ``language``, ``workspace`` (its name), ``title``, ``intro``, ``home``, ``loading``,
        ``steps`` (``name``, ``number``, ``title``, ``text`` per notebook).
    """
    from cxlib.i18n import Translator

    tr = Translator(language or workspace.language)
    present = set(notebook_names())
    steps = [
        {
            "name": name,
            "number": tr("app.step_number", number=index) if index else tr("app.dashboard"),
            "title": tr(title),
            "text": tr(f"app.step.{name}"),
        }
        for index, (name, title) in enumerate(STEPS.items())
        if name in present
    ]
    return {
        "language": tr.language,
        "workspace": workspace.name,
        "title": tr("app.title"),
        "intro": tr("app.intro"),
        "home": tr("app.home"),
        "loading": tr("app.loading"),
        "steps": steps,
    }


@cache
def _served_texts() -> dict[str, Any]:
    """The landing texts of the served workspace (read once per server process)."""
    try:
        return landing(load_workspace(os.environ[WORKSPACE_ENV]))
    except (CxError, KeyError) as error:  # the notebooks say the same, in their pages
        from cxlib.i18n import Translator

        tr = Translator("en")
        problem = error.one_line() if isinstance(error, CxError) else "CX_WORKSPACE is not set."
        return {
            "language": "en",
            "workspace": "",
            "title": tr("app.title"),
            "intro": tr("note.page_error", problem=problem),
            "home": tr("app.home"),
            "loading": tr("app.loading"),
            "steps": [],
        }


def page_config_hook(page_config: dict[str, Any], **_context: Any) -> dict[str, Any]:
    """Voila hook: give the templates the app's texts as ``page_config["cxWorkbook"]``.

    Voila's tree page ignores the hook's result and its notebook pages use it, so the mapping
    is changed in place and returned.
    """
    page_config["cxWorkbook"] = _served_texts()
    return page_config


def kernel_pools(pool_size: int) -> dict[str, dict[str, int]]:
    """Voila's ``kernel_pools_config``: ``pool_size`` preheated kernels for the overview only."""
    return {"default": {"pool_size": 0}, f"{OVERVIEW}.ipynb": {"pool_size": pool_size}}


def main(argv: Sequence[str] | None = None) -> None:
    """Run Voila with the app's hook and kernel pools (the server process of :func:`serve`)."""
    from traitlets.config import Config
    from voila.app import Voila

    from cxlib.kernel_channels import bound_channel_waits

    bound_channel_waits()  # else a preheated overview can hang (see cxlib.kernel_channels)
    config = Config()
    config.VoilaConfiguration.page_config_hook = page_config_hook
    config.VoilaKernelManager.kernel_pools_config = kernel_pools(
        int(os.environ.get(POOL_ENV, str(POOL_SIZE)))
    )
    Voila.launch_instance(argv=list(sys.argv[1:] if argv is None else argv), config=config)


def serve(command: AppCommand, *, cwd: Path | None = None) -> int:
    """Run the server in the foreground until it stops; return its exit status.

    A SIGTERM or SIGINT sent to this process is passed on to the server, so stopping
    ``cx-workbook serve`` never leaves a server (and its kernels) running.
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


if __name__ == "__main__":
    main()
