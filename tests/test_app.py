"""The Voila command line that ``cx-workbook serve`` runs."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from cxlib.app import app_command
from cxlib.errors import WorkspaceError


def test_safe_defaults(demo_workspace: Path) -> None:
    command = app_command(demo_workspace)
    argv = " ".join(command.argv)
    assert "--Voila.ip=127.0.0.1" in argv
    assert "--VoilaConfiguration.strip_sources=True" in argv
    assert "--VoilaConfiguration.show_tracebacks=False" in argv
    assert "--VoilaConfiguration.template=cxworkbook" in argv
    assert len(command.token) >= 24
    assert command.token not in argv, "a command line is readable by other users"
    assert "--Voila.auto_token=True" in argv and command.env["JUPYTER_TOKEN"] == command.token
    assert command.env["CX_WORKSPACE"] == str(demo_workspace.resolve())
    assert command.url.endswith(f"/voila/render/00_overview.ipynb?token={command.token}")
    assert app_command(demo_workspace).token != command.token


def test_template_folder_is_private(demo_workspace: Path) -> None:
    command = app_command(demo_workspace)
    assert stat.S_IMODE(command.data_dir.stat().st_mode) == 0o700
    assert command.env["JUPYTER_PATH"].split(":")[0] == str(command.data_dir)
    template = command.data_dir / "voila" / "templates" / "cxworkbook"
    assert (template / "index.html.j2").is_file()
    assert app_command(demo_workspace).data_dir != command.data_dir


def test_no_token_is_explicit(demo_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_TOKEN", "inherited")
    command = app_command(demo_workspace, no_token=True, host="127.0.0.2", port=9000)
    assert "--Voila.token=" in command.argv and command.token == ""
    assert "JUPYTER_TOKEN" not in command.env
    assert command.url == "http://127.0.0.2:9000/voila/render/00_overview.ipynb"


def test_bad_workspace_fails_before_the_server_starts(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match=r"workspace.yaml' not found"):
        app_command(tmp_path)
