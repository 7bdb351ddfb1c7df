"""The Voila command line that ``cx-workbook serve`` runs."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cxlib.app import (
    APP_ENV,
    BUNDLE,
    app_command,
    kernel_pools,
    landing,
    page_config_hook,
    vega_bundle,
)
from cxlib.app import _served_texts as served_texts
from cxlib.errors import ParameterError, WorkspaceError
from cxlib.resources import notebooks_dir
from cxlib.workspace import load_workspace


@pytest.fixture(autouse=True)
def _remove_data_dirs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """app_command makes a private folder that only serve() removes: remove it here."""
    import cxlib.app

    made: list[Path] = []
    original = cxlib.app._private_data_dir

    def recorded() -> Path:
        made.append(original())
        return made[-1]

    monkeypatch.setattr(cxlib.app, "_private_data_dir", recorded)
    yield
    for folder in made:
        shutil.rmtree(folder, ignore_errors=True)


def test_safe_defaults(demo_workspace: Path) -> None:
    command = app_command(demo_workspace)
    argv = " ".join(command.argv)
    assert "--Voila.ip=127.0.0.1" in argv
    assert "--VoilaConfiguration.strip_sources=True" in argv
    assert "--VoilaConfiguration.show_tracebacks=False" in argv
    assert "--VoilaConfiguration.template=cxworkbook" in argv
    assert "--VoilaConfiguration.allow_template_override=NO" in argv, "no CDN template via URL"
    assert "--VoilaConfiguration.allow_theme_override=NO" in argv
    assert "--VoilaConfiguration.preheat_kernel=True" in argv
    assert command.argv[1:3] == ["-m", "cxlib.app"]
    assert command.env[APP_ENV] == "1"
    assert len(command.token) >= 24
    assert command.token not in argv, "a command line is readable by other users"
    assert "--Voila.auto_token=True" in argv and command.env["JUPYTER_TOKEN"] == command.token
    assert command.env["CX_WORKSPACE"] == str(demo_workspace.resolve())
    assert command.url == f"http://127.0.0.1:8866/?token={command.token}", "the landing page"
    assert app_command(demo_workspace).token != command.token


def test_template_folder_is_private(demo_workspace: Path) -> None:
    command = app_command(demo_workspace)
    assert stat.S_IMODE(command.data_dir.stat().st_mode) == 0o700
    assert command.env["JUPYTER_PATH"].split(":")[0] == str(command.data_dir)
    template = command.data_dir / "voila" / "templates" / "cxworkbook"
    assert (template / "index.html.j2").is_file() and (template / "tree.html").is_file()
    static = template / "static"
    for name in ("workbook.css", "app.css", BUNDLE):
        assert (static / name).is_file() and not (static / name).is_symlink(), name
    assert "vegaEmbed" in (static / BUNDLE).read_text(encoding="utf-8")
    assert app_command(demo_workspace).data_dir != command.data_dir


def test_no_token_is_explicit(demo_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_TOKEN", "inherited")
    command = app_command(demo_workspace, no_token=True, host="127.0.0.2", port=9000)
    assert "--Voila.token=" in command.argv and command.token == ""
    assert "JUPYTER_TOKEN" not in command.env
    assert command.url == "http://127.0.0.2:9000/"


def test_bad_workspace_fails_before_the_server_starts(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match=r"workspace.yaml' not found"):
        app_command(tmp_path)


def test_pool_size_zero_serves_without_preheated_kernels(demo_workspace: Path) -> None:
    command = app_command(demo_workspace, pool_size=0)
    assert "--VoilaConfiguration.preheat_kernel=False" in command.argv
    with pytest.raises(ParameterError, match="pool_size must be an integer 0 or more; got -1"):
        app_command(demo_workspace, pool_size=-1)


def test_only_the_overview_is_preheated() -> None:
    assert kernel_pools(2) == {"default": {"pool_size": 0}, "00_overview.ipynb": {"pool_size": 2}}


@pytest.mark.parametrize(
    ("language", "intro", "step"),
    [
        ("en", "Five steps", "Step 1"),
        ("de", "Fünf Schritte", "Schritt 1"),
        ("da", "Fem trin", "Trin 1"),
    ],
)
def test_landing_lists_the_five_steps_in_the_language(
    demo_workspace: Path, language: str, intro: str, step: str
) -> None:
    texts = landing(load_workspace(demo_workspace), language)
    assert texts["language"] == language and texts["intro"].startswith(intro)
    names = [s["name"] for s in texts["steps"]]
    assert names == [
        "00_overview",
        "01_goals",
        "02_current_state",
        "03_journey_map",
        "04_kpi_tracking",
    ]
    assert texts["steps"][1]["number"] == step
    assert all(s["title"] and s["text"] for s in texts["steps"])


def test_landing_lists_only_the_workbook_notebooks(
    demo_workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("00_overview", "02_current_state"):
        shutil.copy(notebooks_dir() / f"{name}.ipynb", tmp_path / f"{name}.ipynb")
    (tmp_path / "scratch.ipynb").write_text("{}", encoding="utf-8")
    monkeypatch.setattr("cxlib.resources.notebooks_dir", lambda: tmp_path)
    steps = landing(load_workspace(demo_workspace))["steps"]
    assert [s["name"] for s in steps] == ["00_overview", "02_current_state"]


def test_the_hook_gives_the_templates_the_texts(
    demo_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CX_WORKSPACE", str(demo_workspace))
    served_texts.cache_clear()
    config: dict[str, object] = {"baseUrl": "/"}
    assert page_config_hook(config, notebook_path="") is config, "changed in place"
    assert config["cxWorkbook"]["workspace"] == "Nordlys Home"  # type: ignore[index]
    served_texts.cache_clear()


def test_bundle_is_plain_javascript() -> None:
    bundle = vega_bundle()
    assert not bundle.startswith("<script") and not bundle.endswith("</script>")
    assert "</script" not in bundle


@pytest.mark.parametrize("in_kernel", [True, False])
def test_kernels_skip_the_iri_grammar_import(in_kernel: bool) -> None:
    # jsonschema compiles rfc3987_syntax's grammars at import (~1.1 s per kernel); inside a
    # kernel cxlib makes that optional module unimportable, elsewhere it changes nothing
    code = (
        ("import ipykernel.kernelbase\n" if in_kernel else "")
        + "import sys, cxlib.page, cxlib.workspace\n"
        + "grammar = sys.modules.get('rfc3987_syntax', 'absent')\n"
        + "print('jsonschema' in sys.modules, 'blocked' if grammar is None else 'imported')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    loaded, grammar = done.stdout.split()
    assert loaded == "True"
    assert grammar == ("blocked" if in_kernel else "imported")
