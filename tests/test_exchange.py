"""Export and import of the workbook as YAML, journey templates and `cx-workbook init`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from cxlib.cli import main
from cxlib.errors import CxError, WorkspaceError
from cxlib.exchange import (
    ImportProblem,
    export_workbook,
    import_workbook,
    init_workspace,
    journey_templates,
)
from cxlib.goals import Goal
from cxlib.workbook import Workbook
from cxlib.workspace import load_workspace

TODAY = dt.date(2026, 11, 22)


def _open(root: Path) -> Workbook:
    return Workbook.open(load_workspace(root, require_files=False), today=TODAY)


def _snapshot(workbook: Workbook) -> dict[str, list[dict[str, object]]]:
    kinds = ("goal", "journey", "stage", "touchpoint", "action")
    return {
        kind: sorted((e.item.to_dict() for e in workbook.entries(kind)), key=str) for kind in kinds
    }


@pytest.mark.parametrize("template", journey_templates())
def test_every_journey_template_starts_a_valid_workspace(tmp_path: Path, template: str) -> None:
    init_workspace(tmp_path / "ws", template=template, who="t")
    with _open(tmp_path / "ws") as workbook:
        assert len(workbook.journeys()) == 1
        stages = workbook.stages()
        assert {s.item.phase for s in stages} == {"before", "during", "after"}
        touchpoints = workbook.touchpoints()
        assert len(touchpoints) >= 6
        assert any(t.item.moment_of_truth for t in touchpoints)
        assert {t.item.owner for t in touchpoints} <= set(workbook.rules.departments)


def test_there_are_templates_for_at_least_four_industries() -> None:
    assert {"retail", "ecommerce", "saas", "banking", "airline"} <= set(journey_templates())


def test_export_then_import_into_a_new_workspace_gives_the_same_workbook(tmp_path: Path) -> None:
    init_workspace(tmp_path / "a", template="saas", who="t")
    with _open(tmp_path / "a") as workbook:
        stage = workbook.stages()[0].item
        workbook.add(
            Goal("Faster first answers", "first_response_hours", 8.0, "decrease",
                 dt.date(2027, 6, 30), "Support", baseline=21.0, baseline_n=640,
                 stages=(stage.id,), description="Zeilen\nmit Ümlauten: ø æ å"),
            who="t",
        )  # fmt: skip
        files = export_workbook(workbook, tmp_path / "out")
        expected = _snapshot(workbook)
    assert [f.name for f in files] == [
        "goals.yaml",
        "journeys.yaml",
        "actions.yaml",
        "history.yaml",
    ]
    journeys = YAML(typ="safe").load((tmp_path / "out" / "journeys.yaml").read_text("utf-8"))
    assert journeys["version"] == 1
    assert journeys["journeys"][0]["stages"][0]["touchpoints"][0]["name"]
    init_workspace(tmp_path / "b", template="saas", who="t")
    with _open(tmp_path / "b") as other:
        for kind in ("touchpoint", "stage", "journey"):  # start from an empty workbook
            for entry in reversed(other.entries(kind)):
                other.store.delete(kind, entry.item.id, version=entry.version, who="t")
        result = import_workbook(other, tmp_path / "out", who="importer")
        assert result.added == {"goal": 1, "journey": 1, "stage": 5, "touchpoint": 7, "action": 0}
        assert _snapshot(other) == expected
        again = import_workbook(other, tmp_path / "out", who="importer")
        assert sum(again.added.values()) == sum(again.updated.values()) == 0
        assert again.unchanged == 14


def test_a_bad_import_lists_every_problem_and_writes_nothing(tmp_path: Path) -> None:
    init_workspace(tmp_path / "ws", template="retail", who="t")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "goals.yaml").write_text(
        "version: 1\n"
        "goals:\n"
        "  - title: ''\n"
        "    kpi: nsp\n"
        "    target: 30\n"
        "    direction: increase\n"
        "    deadline: 2027-12-31\n"
        "    owner: Logistics\n"
        "  - title: <script>alert(1)</script>\n"
        "    kpi: nps\n"
        "    target: 30\n"
        "    direction: increase\n"
        "    deadline: 2027-12-31\n"
        "    owner: Logistik\n",
        encoding="utf-8",
    )
    with _open(tmp_path / "ws") as workbook:
        before = len(workbook.store.history())
        with pytest.raises(ImportProblem) as bad:
            import_workbook(workbook, folder, who="t")
        text = bad.value.one_line()
        assert "nothing was imported" in text
        assert "goals.yaml:3 goal: title:" in text
        assert "goals.yaml:3 goal: kpi:" in text and "nps" in text
        assert "goals.yaml:9 goal '<script>alert(1)</script>': title:" in text
        assert "goals.yaml:9" in text and "owner" in text and "Logistics" in text
        assert len(workbook.store.history()) == before


def test_import_refuses_other_versions_and_unknown_folders(tmp_path: Path) -> None:
    init_workspace(tmp_path / "ws", template="retail", who="t")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "actions.yaml").write_text("version: 2\nactions: []\n", encoding="utf-8")
    with _open(tmp_path / "ws") as workbook:
        with pytest.raises(ImportProblem, match=r"actions.yaml:1: has version 2"):
            import_workbook(workbook, tmp_path / "in", who="t")
        with pytest.raises(ImportProblem, match=r"holds none of goals\.yaml"):
            import_workbook(workbook, tmp_path, who="t")


def test_init_refuses_a_folder_in_use_and_unknown_templates(tmp_path: Path) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="not an empty folder; nothing was changed"):
        init_workspace(tmp_path / "used", template="retail", who="t")
    with pytest.raises(CxError, match=r"unknown journey template 'retial'.*Did you mean 'retail'"):
        init_workspace(tmp_path / "new", template="retial", who="t")
    assert not (tmp_path / "new").exists()


def test_the_command_line_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = str(tmp_path / "ws")
    assert main(["init", ws, "--template", "banking", "--name", 'Bank "Nord"', "--who", "t"]) == 0
    assert load_workspace(ws, require_files=False).name == 'Bank "Nord"'
    assert main(["export", ws, str(tmp_path / "out")]) == 0
    assert main(["import", ws, str(tmp_path / "out"), "--who", "t"]) == 0
    assert "Imported: added nothing; updated nothing; 13 unchanged." in capsys.readouterr().out
    (tmp_path / "out" / "goals.yaml").write_text("goals: [\n", encoding="utf-8")
    assert main(["import", ws, str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip()
    assert (
        err.startswith("cx-workbook: error: ") and "goals.yaml" in err and "not valid YAML" in err
    )
    assert "Traceback" not in err and "\n" not in err
    assert main(["check", ws]) == 1  # no data yet: the check says which file to add
    assert "data/responses.csv" in capsys.readouterr().err
