"""workspace.yaml: loading, and one clear error per kind of mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxlib.errors import WorkspaceError
from cxlib.workspace import load_workspace

MINIMAL = """\
version: 1
name: Test
language: de
sources:
  responses:
    path: data/answers.csv
    columns:
      nps: Q1
"""


def write(folder: Path, text: str) -> Path:
    (folder / "data").mkdir(exist_ok=True)
    (folder / "data" / "answers.csv").write_text("Q1\n9\n", encoding="utf-8")
    (folder / "workspace.yaml").write_text(text, encoding="utf-8")
    return folder


def test_demo_workspace_loads(demo_workspace: Path) -> None:
    ws = load_workspace(demo_workspace)
    assert ws.name == "Nordlys Home"
    assert ws.timezone == "Europe/Copenhagen"
    assert set(ws.sources) == {"responses", "tickets", "orders", "employees"}
    responses = ws.sources["responses"][0]
    assert responses.files == (demo_workspace.resolve() / "data" / "survey_responses.csv",)
    assert responses.scales["nps"] == (0, 10) and responses.scales["ces"] == (1, 7)
    assert "delivery" in responses.ratings
    assert ws.dimensions == ("country", "region", "channel", "segment")


def test_the_yaml_file_itself_may_be_given(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL)
    assert load_workspace(tmp_path / "workspace.yaml").language == "de"


def test_yes_and_no_stay_strings(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL + "values: [Yes, No, On, Off]\n")
    assert load_workspace(tmp_path).values == ("Yes", "No", "On", "Off")


def test_a_list_of_sources_and_globs(tmp_path: Path) -> None:
    write(
        tmp_path,
        MINIMAL.replace(
            "    path: data/answers.csv\n    columns:\n      nps: Q1\n",
            "    - path: data/*.csv\n      columns: {nps: Q1}\n",
        ),
    )
    (tmp_path / "data" / "more.csv").write_text("Q1\n3\n", encoding="utf-8")
    ws = load_workspace(tmp_path)
    assert [f.name for f in ws.sources["responses"][0].files] == ["answers.csv", "more.csv"]
    assert ws.sources["responses"][0].key == "sources.responses[0]"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            MINIMAL.replace("sources:", "sorces:"),
            r"workspace.yaml:4: unknown key 'sorces'. Did you mean 'sources'\?",
        ),
        (
            MINIMAL.replace("language: de", "language: fr"),
            r"workspace.yaml:3: 'language' is 'fr'; allowed: en, de, da.",
        ),
        (
            MINIMAL.replace("version: 1", "version: 2"),
            r"workspace.yaml:1: 'version' is 2; allowed: 1.",
        ),
        (MINIMAL.replace("name: Test\n", ""), r"'\(top level\)' is missing a required key: 'name'"),
        (
            MINIMAL.replace("      nps: Q1", "      nsp: Q1"),
            r"workspace.yaml:8: 'nsp' is not a column of the responses table. Did you mean 'nps'\?",
        ),
        (
            MINIMAL.replace("    columns:", "    colums:"),
            r"workspace.yaml:7: unknown key 'sources.responses.colums'. Did you mean 'columns'\?",
        ),
        (
            MINIMAL.replace("data/answers.csv", "data/missing.csv"),
            r"workspace.yaml:6: data file 'data/missing.csv' of sources.responses not found",
        ),
        (
            MINIMAL + "timezone: Mars/Olympus\n",
            r"workspace.yaml:9: timezone 'Mars/Olympus' is not a known IANA time zone",
        ),
        (MINIMAL + "  tickets: [1, 2\n", r"workspace.yaml:\d+: is not valid YAML"),
        ("- just\n- a list\n", r"workspace.yaml:1: must be a mapping of keys"),
        ("", r"must be a mapping of keys .* found an empty file"),
        (
            MINIMAL + "    dedupe: {by: response_id}\n",
            r"workspace.yaml:9: dedupe.by names 'response_id', which this source does not map. "
            r"Use one of: nps.",
        ),
        (
            MINIMAL + "    format: spss\n",
            r"workspace.yaml:9: 'sources.responses.format' is 'spss'; allowed: auto, csv, excel",
        ),
        (
            MINIMAL.replace("nps: Q1", "comment: Q1"),
            r"workspace.yaml:7: sources.responses maps no score: map at least one of nps, csat",
        ),
        (
            MINIMAL + "  tickets: {path: data/answers.csv, columns: {ticket_id: Q1}}\n",
            r"workspace.yaml:9: sources.tickets.columns must map 'created_at'",
        ),
        (
            MINIMAL + "dimensions: [region, value]\n",
            r"workspace.yaml:9: 'dimensions\[1\]': 'value' should not be valid under",
        ),
    ],
)
def test_mistakes_name_the_line_and_key(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, text)
    with pytest.raises(WorkspaceError, match=message):
        load_workspace(tmp_path)


def test_missing_folder_and_file(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match=r"workspace folder '.*nowhere/deeper' does not exist"):
        load_workspace(tmp_path / "nowhere" / "deeper")
    with pytest.raises(
        WorkspaceError, match=r"workspace.yaml' not found: a workspace folder needs"
    ):
        load_workspace(tmp_path)


def test_non_utf8_yaml(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL)
    (tmp_path / "workspace.yaml").write_bytes(
        MINIMAL.replace("Test", "Kunde\xe4").encode("latin-1")
    )
    with pytest.raises(WorkspaceError, match=r"is not UTF-8 text"):
        load_workspace(tmp_path)


def test_folder_names_with_glob_characters(tmp_path: Path) -> None:
    folder = tmp_path / "team [DK] *"
    folder.mkdir()
    write(folder, MINIMAL)
    assert load_workspace(folder).sources["responses"][0].files[0].name == "answers.csv"


def test_dates_as_keys_do_not_break_loading(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL + "service:\n  sla:\n    first_response_hours: {2025-01-01: 4}\n")
    config = load_workspace(tmp_path).config
    assert config["service"]["sla"]["first_response_hours"] == {"2025-01-01": 4}


def test_survey_weight_is_mapped(tmp_path: Path) -> None:
    ws = load_workspace(write(tmp_path, MINIMAL + "      weight: W\n"))
    assert ws.sources["responses"][0].columns == {"nps": "Q1", "weight": "W"}
