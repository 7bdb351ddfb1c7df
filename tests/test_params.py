"""Notebook parameters are validated before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxlib.errors import ParameterError, WorkspaceError
from cxlib.params import parse_segment, validate_parameters


def test_defaults_take_the_workspace_language(demo_workspace: Path) -> None:
    params = validate_parameters(workspace=str(demo_workspace))
    assert params.language == "en" and params.mode == "interactive"
    assert params.period.is_all and params.segment is None


def test_workspace_from_the_environment(
    demo_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CX_WORKSPACE", str(demo_workspace))
    assert validate_parameters().workspace.name == "Nordlys Home"


def test_no_workspace_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CX_WORKSPACE", raising=False)
    with pytest.raises(ParameterError, match=r"no workspace given: .* CX_WORKSPACE is not set"):
        validate_parameters()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"period": "2026-13"}, ParameterError, "period '2026-13' has month 13"),
        (
            {"mode": "reprot"},
            ParameterError,
            "'mode' is 'reprot'; allowed: report, interactive. Did you mean 'report'",
        ),
        ({"language": "fr"}, ParameterError, "'language' is 'fr'; allowed: en, de, da"),
        ({"period": 2026}, ParameterError, "parameter 'period' must be text; got int 2026"),
        (
            {"segment": "regon=Hamburg"},
            ParameterError,
            "dimension 'regon' is not a dimension .* Did you mean 'region'",
        ),
        (
            {"segment": "Hamburg"},
            ParameterError,
            "segment 'Hamburg' is not of the form dimension=value",
        ),
        (
            {"workspace": "/nonexistent/ws"},
            WorkspaceError,
            "workspace folder '/nonexistent/ws' does not exist",
        ),
    ],
)
def test_bad_values(
    demo_workspace: Path, kwargs: dict[str, object], error: type, message: str
) -> None:
    arguments: dict[str, object] = {"workspace": str(demo_workspace), **kwargs}
    with pytest.raises(error, match=message):
        validate_parameters(**arguments)  # type: ignore[arg-type]


def test_segment_parsing(demo_workspace: Path) -> None:
    params = validate_parameters(workspace=str(demo_workspace), segment=" region = Hamburg ")
    assert params.segment is not None and params.segment.label == "region=Hamburg"
    assert parse_segment("", params.workspace) is None
