"""The workbook: typed, validated entries over the store (SQLite here; PostgreSQL in test_store)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from cxlib.errors import ValidationError
from cxlib.exchange import init_workspace
from cxlib.goals import Goal
from cxlib.journey import Touchpoint
from cxlib.store import Conflict
from cxlib.workbook import Workbook
from cxlib.workspace import load_workspace

TODAY = dt.date(2026, 11, 22)


@pytest.fixture
def workbook(tmp_path: Path) -> Iterator[Workbook]:
    root = tmp_path / "ws"
    init_workspace(root, template="retail", who="facilitator")
    with Workbook.open(load_workspace(root, require_files=False), today=TODAY) as opened:
        yield opened


def _goal(workbook: Workbook, **changes: object) -> Goal:
    stage = workbook.stages()[0].item
    values: dict[str, object] = {
        "title": "Delivery promises kept",
        "kpi": "csat",
        "target": 85.0,
        "direction": "increase",
        "deadline": dt.date(2027, 12, 31),
        "owner": "Logistics",
        "baseline": 78.0,
        "baseline_n": 412,
        "stages": (stage.id,),
    }
    values.update(changes)
    return Goal(**values)  # type: ignore[arg-type]


def test_a_template_journey_arrives_in_map_order(workbook: Workbook) -> None:
    (journey,) = workbook.journeys()
    stages = workbook.stages(journey.item.id)
    assert [s.item.name for s in stages][:2] == ["Discover", "Compare and decide"]
    assert [s.item.position for s in stages] == list(range(len(stages)))
    assert {s.item.phase for s in stages} == {"before", "during", "after"}
    assert len(workbook.touchpoints()) == 8
    assert all(e.updated_by == "facilitator" for e in workbook.touchpoints())


def test_add_edit_and_a_stale_save_is_refused_with_both_versions(workbook: Workbook) -> None:
    added = workbook.add(_goal(workbook), who="ana")
    assert added.version == 1 and added.item.id
    mine = workbook.save(
        _goal(workbook, target=88.0, id=added.item.id), version=added.version, who="ana"
    )
    assert mine.version == 2 and workbook.get("goal", added.item.id).item.target == 88.0
    stale = _goal(workbook, target=90.0, id=added.item.id)
    with pytest.raises(Conflict) as refused:
        workbook.save(stale, version=added.version, who="ben")
    assert refused.value.current is not None and refused.value.current.version == 2
    assert refused.value.yours is not None and refused.value.yours["target"] == 90.0
    assert workbook.get("goal", added.item.id).item.target == 88.0


def test_bad_entries_store_nothing(workbook: Workbook) -> None:
    before = len(workbook.store.history())
    stage = workbook.stages()[0].item
    with pytest.raises(ValidationError) as bad:
        workbook.add(
            Touchpoint(stage.id, "<script>alert(1)</script>", "web", "Marketing", emotion=5),
            who="ana",
        )
    fields = {p.field for p in bad.value.problems}
    assert {"name", "emotion"} <= fields
    with pytest.raises(ValidationError) as past:
        workbook.add(_goal(workbook, deadline=dt.date(2025, 1, 1)), who="ana")
    assert [p.field for p in past.value.problems] == ["deadline"]
    assert len(workbook.store.history()) == before


def test_references_must_exist_and_used_entries_cannot_be_deleted(workbook: Workbook) -> None:
    with pytest.raises(ValidationError) as missing:
        workbook.add(Touchpoint("no-such-stage", "Kiosk", "store", "Stores"), who="ana")
    (problem,) = missing.value.problems
    assert (problem.field, problem.msgid) == ("stage_id", "workbook.problem.missing_reference")
    stage = workbook.stages()[0]
    with pytest.raises(ValidationError) as used:
        workbook.delete("stage", stage.item.id, version=stage.version, who="ana")
    assert used.value.problems[0].msgid == "workbook.problem.in_use"
    assert workbook.get("stage", stage.item.id).version == stage.version


def test_undo_last_brings_the_previous_version_back(workbook: Workbook) -> None:
    added = workbook.add(_goal(workbook), who="ana")
    workbook.save(_goal(workbook, target=80.0, id=added.item.id), version=1, who="ana")
    restored = workbook.undo_last(who="ana")
    assert restored is not None and restored.item.target == 85.0
    assert restored.version == 3  # an undo is a change of its own


def test_saving_an_entry_someone_deleted_is_a_conflict_keeping_the_input(
    workbook: Workbook,
) -> None:
    added = workbook.add(_goal(workbook), who="ana")
    workbook.store.delete("goal", added.item.id, version=1, who="ben")
    with pytest.raises(Conflict, match="ben deleted this goal") as gone:
        workbook.save(_goal(workbook, target=90.0, id=added.item.id), version=1, who="ana")
    assert gone.value.current is None
    assert gone.value.yours is not None and gone.value.yours["target"] == 90.0


def test_reading_a_workspace_without_a_workbook_creates_nothing(tmp_path: Path) -> None:
    from cxlib.workbook import exists
    from cxlib.workshop_evidence import read_content

    root = tmp_path / "ws"
    init_workspace(root, template="retail", who="t")
    (root / "workbook.db").unlink()
    workspace = load_workspace(root, require_files=False)
    assert not exists(workspace)
    content = read_content(workspace, today=TODAY)
    assert content.goals == content.touchpoints == () and content.today == TODAY
    assert not (root / "workbook.db").exists()
