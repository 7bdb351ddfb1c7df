"""The workshop store, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import re
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC
from pathlib import Path
from typing import Any

import pg_server
import pytest
import sqlalchemy as sa
from pg_server import BACKENDS, store_url_for

from cxlib import store as store_module
from cxlib.errors import CxError, FieldProblem, ValidationError
from cxlib.i18n import catalogue
from cxlib.store import KINDS, Change, Conflict, NotFound, Store, StoreError


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store's URL: an SQLite file, or a fresh database on the test server."""
    return store_url_for(request.param, tmp_path, request)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store.open(store_url) as opened:
        yield opened


def actions(changes: list[Change]) -> list[tuple[str, int | None, int | None]]:
    return [(c.action, c.version_before, c.version_after) for c in changes]


def test_add_get_list_in_order_with_authors_and_utc_times(store: Store) -> None:
    first = store.add("goal", {"title": "NPS +10", "owners": ("Support", "Sales")}, who=" Ann ")
    second = store.add("goal", {"title": "Faster replies"}, who="Bo")
    store.add("action", {"title": "Call back"}, who="Bo")
    assert re.fullmatch(r"[0-9a-f]{32}", first.id) and first.id != second.id
    assert (first.kind, first.version) == ("goal", 1)
    assert first.created_by == first.updated_by == "Ann"  # names are trimmed
    assert first.data == {"title": "NPS +10", "owners": ["Support", "Sales"]}
    assert first.created_at.tzinfo == UTC and first.created_at == first.updated_at
    got = store.get("goal", first.id)
    assert got == first
    got.data["title"] = "changed by the caller"
    assert store.get("goal", first.id).data["title"] == "NPS +10"
    assert [r.id for r in store.list("goal")] == [first.id, second.id]
    assert [r.data["title"] for r in store.list("action")] == ["Call back"]
    assert store.list("touchpoint") == []


def test_save_bumps_the_version_and_records_before_and_after(store: Store) -> None:
    goal = store.add("goal", {"title": "A"}, who="Ann")
    saved = store.save("goal", goal.id, {"title": "B"}, version=1, who="Bo")
    assert (saved.version, saved.data, saved.updated_by, saved.created_by) == (
        2,
        {"title": "B"},
        "Bo",
        "Ann",
    )
    assert saved.updated_at >= saved.created_at and store.get("goal", goal.id) == saved
    again = store.save("goal", goal.id, {"title": "C"}, version=2, who="Ann")
    assert again.version == 3
    history = store.history(kind="goal", id=goal.id)
    assert actions(history) == [("edit", 2, 3), ("edit", 1, 2), ("add", None, 1)]
    assert [(c.before, c.after) for c in history] == [
        ({"title": "B"}, {"title": "C"}),
        ({"title": "A"}, {"title": "B"}),
        (None, {"title": "A"}),
    ]
    assert [c.who for c in history] == ["Ann", "Bo", "Ann"]
    assert history[0].seq > history[1].seq > history[2].seq
    assert all(c.at.tzinfo == UTC for c in history)
    assert store.history(limit=1) == history[:1]
    other = store.add("stage", {"name": "Buy"}, who="Cy")
    assert [c.id for c in store.history()] == [other.id, goal.id, goal.id, goal.id]
    assert [c.kind for c in store.history(kind="stage")] == ["stage"]
    assert store.check_integrity() == []


def test_a_stale_save_is_refused_and_keeps_both_versions(store: Store) -> None:
    goal = store.add("goal", {"title": "A"}, who="Ann")
    ann_form, bo_form = store.get("goal", goal.id), store.get("goal", goal.id)
    store.save("goal", goal.id, {"title": "Ann's"}, version=ann_form.version, who="Ann")
    before = store.history()
    message = (
        r"^Ann saved this goal at \d{4}-\d\d-\d\d \d\d:\d\d UTC \(version 2\); your version "
        r"was 1\. Review both and save again\.$"
    )
    with pytest.raises(Conflict, match=message) as refused:
        store.save("goal", goal.id, {"title": "Bo's"}, version=bo_form.version, who="Bo")
    conflict = refused.value
    assert isinstance(conflict, CxError)
    assert conflict.current is not None and conflict.current.data == {"title": "Ann's"}
    assert conflict.current.version == 2 and conflict.yours == {"title": "Bo's"}
    assert conflict.msgid == "store.conflict.saved"
    assert conflict.params["who"] == "Ann" and conflict.params["version"] == 2
    assert conflict.params["your_version"] == 1 and conflict.params["kind"] == "goal"
    assert conflict.params["time"] == conflict.current.updated_at
    assert store.history() == before
    assert store.get("goal", goal.id).data == {"title": "Ann's"}
    # Bo reviews both and saves on top of the current version
    merged = store.save("goal", goal.id, {"title": "Ann's and Bo's"}, version=2, who="Bo")
    assert merged.version == 3


def test_a_stale_or_repeated_delete_is_refused(store: Store) -> None:
    goal = store.add("goal", {"title": "A"}, who="Ann")
    store.save("goal", goal.id, {"title": "B"}, version=1, who="Ann")
    stale = (
        r"^Ann changed this goal at .* \(version 2\); you opened version 1\. Review the new "
        r"version before deleting it\.$"
    )
    with pytest.raises(Conflict, match=stale) as refused:
        store.delete("goal", goal.id, version=1, who="Bo")
    assert refused.value.current is not None and refused.value.current.version == 2
    assert refused.value.yours is None
    store.delete("goal", goal.id, version=2, who="Bo")
    assert store.list("goal") == []
    with pytest.raises(
        NotFound, match=r"^This goal was deleted by Bo at .* UTC; undo the deletion"
    ):
        store.get("goal", goal.id)
    with pytest.raises(Conflict, match=r"^Bo already deleted this goal at .*UTC\.$") as again:
        store.delete("goal", goal.id, version=2, who="Cy")
    assert again.value.current is None
    # a save on a deleted entry, even one claiming the deleted version, resurrects nothing
    for version in (2, 3):
        with pytest.raises(Conflict, match=r"Bo deleted this goal at .*Your input is kept") as gone:
            store.save("goal", goal.id, {"title": "C"}, version=version, who="Cy")
        assert gone.value.current is None and gone.value.yours == {"title": "C"}
    deletion = store.history(id=goal.id)[0]
    assert (deletion.action, deletion.before, deletion.after) == ("delete", {"title": "B"}, None)
    assert (deletion.version_before, deletion.version_after, deletion.who) == (2, 3, "Bo")
    assert store.check_integrity() == []


def test_unknown_entries_and_changes_are_not_found(store: Store) -> None:
    with pytest.raises(NotFound, match=r"^There is no goal with id abc; reload the list\.$"):
        store.get("goal", "abc")
    with pytest.raises(NotFound, match="There is no journey stage with id abc"):
        store.save("stage", "abc", {}, version=1, who="Ann")
    with pytest.raises(NotFound, match="There is no action with id abc"):
        store.delete("action", "abc", version=1, who="Ann")
    with pytest.raises(NotFound, match=r"There is no change number 99 in the history"):
        store.undo(99, who="Ann")
    with pytest.raises(NotFound, match=r"There is no change number '1' in the history"):
        store.undo("1", who="Ann")  # type: ignore[arg-type]
    goal = store.add("goal", {}, who="Ann")
    with pytest.raises(NotFound, match="There is no touchpoint with id"):
        store.get("touchpoint", goal.id)


def test_undo_reverts_an_edit_a_delete_and_an_add(store: Store) -> None:
    goal = store.add("goal", {"title": "A"}, who="Ann")
    store.save("goal", goal.id, {"title": "B"}, version=1, who="Ann")
    edit = store.history(id=goal.id)[0]
    restored = store.undo(edit.seq, who="Bo")
    assert restored is not None and restored.data == {"title": "A"} and restored.version == 3
    assert restored.updated_by == "Bo" and restored.created_by == "Ann"
    undo = store.history(id=goal.id)[0]
    assert (undo.action, undo.undoes, undo.before, undo.after) == (
        "undo", edit.seq, {"title": "B"}, {"title": "A"}
    )  # fmt: skip
    store.delete("goal", goal.id, version=3, who="Ann")
    deletion = store.history(id=goal.id)[0]
    back = store.undo(deletion.seq, who="Ann")
    assert (
        back is not None and back.version == 5 and store.get("goal", goal.id).data == {"title": "A"}
    )
    assert [r.id for r in store.list("goal")] == [goal.id]
    fresh = store.add("goal", {"title": "typo"}, who="Cy")
    assert store.undo(store.history(id=fresh.id)[0].seq, who="Cy") is None
    assert [r.id for r in store.list("goal")] == [goal.id]
    assert actions(store.history(id=fresh.id)) == [("undo", 1, 2), ("add", None, 1)]
    # everything since the first goal's add was undone: the add itself can be undone too
    assert store.undo(store.history(id=goal.id)[-1].seq, who="Ann") is None
    assert store.list("goal") == []
    assert actions(store.history(id=goal.id))[0] == ("undo", 5, 6)
    assert store.check_integrity() == []


def test_undo_refuses_when_the_entry_changed_since_or_was_undone(store: Store) -> None:
    goal = store.add("goal", {"title": "A"}, who="Ann")
    store.save("goal", goal.id, {"title": "Ann"}, version=1, who="Ann")
    ann_edit = store.history(id=goal.id)[0]
    store.save("goal", goal.id, {"title": "Bo"}, version=2, who="Bo")
    before = store.history()
    with pytest.raises(
        Conflict,
        match=r"^This goal was changed again by Bo at .* UTC \(now version 3\); undo the newer "
        r"changes first or edit it by hand\.$",
    ) as refused:
        store.undo(ann_edit.seq, who="Ann")
    assert refused.value.current is not None and refused.value.current.data == {"title": "Bo"}
    assert refused.value.yours == {"title": "A"}
    assert store.history() == before
    bo_edit = store.history(id=goal.id)[0]
    store.undo(bo_edit.seq, who="Bo")
    with pytest.raises(Conflict, match=r"^That change to this goal was already undone by Bo"):
        store.undo(bo_edit.seq, who="Ann")
    # an undo can itself be undone: a redo
    redo = store.undo(store.history(id=goal.id)[0].seq, who="Bo")
    assert redo is not None and redo.data == {"title": "Bo"} and redo.version == 5
    assert store.check_integrity() == []


def test_undo_last_steps_back_through_ones_own_changes(store: Store) -> None:
    goal = store.add("goal", {"title": "A"}, who="Ann")
    store.save("goal", goal.id, {"title": "B"}, version=1, who="Ann")
    other = store.add("goal", {"title": "Bo's"}, who="Bo")
    store.save("goal", goal.id, {"title": "C"}, version=2, who="Ann")
    assert store.undo_last(who="Ann") == store.get("goal", goal.id)
    assert store.get("goal", goal.id).data == {"title": "B"}
    assert store.undo_last(who="Ann") is not None  # not a redo of the undo: one step further
    assert store.get("goal", goal.id).data == {"title": "A"}
    assert store.undo_last(who="Ann") is None  # the add: the goal is gone
    assert [r.id for r in store.list("goal")] == [other.id]
    with pytest.raises(NotFound, match=r"^Ann has no change left to undo\.$"):
        store.undo_last(who="Ann")
    with pytest.raises(NotFound, match="Cy has no change left to undo"):
        store.undo_last(who="Cy")
    store.save("goal", other.id, {"title": "Cy's"}, version=1, who="Cy")
    with pytest.raises(Conflict, match=r"changed again by Cy .*\(now version 2\)"):
        store.undo_last(who="Bo")
    assert store.undo_last(who="Cy") is not None
    assert store.undo_last(who="Bo") is None and store.list("goal") == []
    assert store.check_integrity() == []


def test_drafts_are_kept_per_person_and_key(store: Store) -> None:
    assert store.draft("Ann", "goal:new") is None
    store.save_draft("Ann", "goal:new", {"title": "half"})
    store.save_draft("Ann", "goal:new", {"title": "half typed", "n": 1.5})
    store.save_draft("Bo", "goal:new", {"title": "Bo's"})
    assert store.draft("Ann", "goal:new") == {"title": "half typed", "n": 1.5}
    assert store.draft("Bo", "goal:new") == {"title": "Bo's"}
    store.discard_draft("Ann", "goal:new")
    store.discard_draft("Ann", "goal:new")
    assert store.draft("Ann", "goal:new") is None and store.draft("Bo", "goal:new") is not None
    assert store.history() == []
    with pytest.raises(StoreError, match="A draft key must be a text of 1 to 200 characters"):
        store.save_draft("Ann", "", {})
    with pytest.raises(StoreError, match="Give your name before saving"):
        store.draft("", "k")


def test_import_adds_updates_restores_and_leaves_equal_entries_alone(store: Store) -> None:
    kept = store.add("goal", {"title": "same"}, who="Ann")
    changed = store.add("goal", {"title": "old"}, who="Ann")
    gone = store.add("action", {"title": "dropped"}, who="Ann")
    store.delete("action", gone.id, version=1, who="Ann")
    untouched = store.add("stage", {"name": "not in the files"}, who="Ann")
    counts = store.import_entries(
        [
            ("goal", kept.id, {"title": "same"}),
            ("goal", changed.id, {"title": "new"}),
            ("action", gone.id, {"title": "back"}),
            ("touchpoint", "tp-1", {"name": "App"}),
        ],
        who="Importer",
    )
    assert counts.added == {"goal": 0, "journey": 0, "stage": 0, "touchpoint": 1, "action": 1}
    assert counts.updated == {"goal": 1, "journey": 0, "stage": 0, "touchpoint": 0, "action": 0}
    assert counts.unchanged == 1
    assert store.get("goal", kept.id).version == 1
    assert store.get("goal", changed.id).data == {"title": "new"}
    assert store.get("action", gone.id).data == {"title": "back"}
    assert store.get("touchpoint", "tp-1").version == 1
    assert store.get("stage", untouched.id).data == {"name": "not in the files"}
    restore = store.history(id=gone.id)[0]
    assert (restore.action, restore.before, restore.version_after) == ("edit", None, 3)
    assert {c.who for c in store.history(limit=3)} == {"Importer"}
    assert store.check_integrity() == []
    before = store.history()
    with pytest.raises(StoreError, match=r"^The import holds the goal with id x twice"):
        store.import_entries([("goal", "x", {}), ("goal", "x", {"a": 1})], who="Importer")
    with pytest.raises(StoreError, match=r"An entry id must be a text of 1 to 64 characters"):
        store.import_entries([("goal", "new", {}), ("goal", "", {})], who="Importer")
    with pytest.raises(StoreError, match="Unknown kind of entry 'goals'"):
        store.import_entries([("goal", "new", {}), ("goals", "y", {})], who="Importer")
    assert store.history() == before


def test_the_validation_hook_stops_a_write_and_nothing_is_written(store_url: str) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    def validate(kind: str, data: Mapping[str, Any]) -> None:
        calls.append((kind, dict(data)))
        if not data.get("title"):
            raise ValidationError(kind, [FieldProblem.of("title", "workshop.problem.required")])

    with Store.open(store_url, validate=validate) as store:
        goal = store.add("goal", {"title": "A", "when": (2026, 5)}, who="Ann")
        assert calls == [("goal", {"title": "A", "when": [2026, 5]})]
        store.delete("goal", goal.id, version=1, who="Ann")
        store.undo_last(who="Ann")
        before = store.history()
        with pytest.raises(ValidationError, match="the goal was not saved: title"):
            store.add("goal", {"title": ""}, who="Ann")
        with pytest.raises(ValidationError, match="the goal was not saved"):
            store.save("goal", goal.id, {"title": ""}, version=3, who="Ann")
        assert store.history() == before and len(store.list("goal")) == 1
        assert store.get("goal", goal.id).data == {"title": "A", "when": [2026, 5]}
        # an undo that would put data back which the rules now refuse is stopped the same way
        store.save("goal", goal.id, {"title": "B"}, version=3, who="Ann")
        edit = store.history()[0]

    def refuse_a(kind: str, data: Mapping[str, Any]) -> None:
        if data.get("title") == "A":
            raise ValidationError(kind, [FieldProblem.of("title", "workshop.problem.taken")])

    with Store.open(store_url, validate=refuse_a) as stricter:
        before = stricter.history()
        with pytest.raises(ValidationError, match=r"title: workshop\.problem\.taken"):
            stricter.undo(edit.seq, who="Ann")
        assert stricter.history() == before
        assert stricter.get("goal", goal.id).data == {"title": "B"}
        assert stricter.check_integrity() == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.add("gaol", {}, who="Ann"),
         r"^Unknown kind of entry 'gaol'; use one of goal, journey, stage, touchpoint, action\.$"),
        (lambda s: s.list(None), "Unknown kind of entry 'None'"),
        (lambda s: s.add("goal", {}, who=""), r"^Give your name before saving"),
        (lambda s: s.add("goal", {}, who="   "), "Give your name before saving"),
        (lambda s: s.add("goal", {}, who=None), "Give your name before saving"),
        (lambda s: s.add("goal", {}, who="x" * 101),
         r"^The name is 101 characters long; at most 100 are allowed\.$"),
        (lambda s: s.add("goal", ["title"], who="Ann"),
         r"^The goal must be given as a dict of fields; got list\.$"),
        (lambda s: s.add("goal", {"due": {1, 2}}, who="Ann"),
         r"^The goal field due holds a set, which cannot be stored"),
        (lambda s: s.add("action", {"a": [{"b": float("nan")}]}, who="Ann"),
         r"The action field a\[0\]\.b holds a non-finite float"),
        (lambda s: s.add("goal", {"a": {1: "x"}}, who="Ann"),
         r"The goal field a\[1\] holds a key of type int"),
        (lambda s: s.add("stage", {"text": "é" * 40_000}, who="Ann"),
         r"^The journey stage is 80011 bytes long as JSON; at most 65536 can be stored\."),
        (lambda s: s.save("goal", "x", {}, version=0, who="Ann"),
         r"^The version must be a whole number from 1 up; got 0\.$"),
        (lambda s: s.delete("goal", "x", version=True, who="Ann"), "got True"),
        (lambda s: s.save("goal", "x", {}, version="1", who="Ann"), "got '1'"),
        (lambda s: s.history(limit=0), r"^The history limit must be a whole number from 1 up"),
        (lambda s: s.history(kind="goals"), "Unknown kind of entry 'goals'"),
        (lambda s: s.get("goal", 5),
         r"^An entry id must be a text of 1 to 64 characters; got 5\.$"),
        (lambda s: s.save_draft("Ann", "goal:new", ["title"]),
         r"^The draft must be given as a dict of fields; got list\.$"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_a_clear_message(tmp_path: Path, call: Any, message: str) -> None:
    with Store.for_workspace(tmp_path) as store:
        with pytest.raises(StoreError, match=message) as refused:
            call(store)
        assert refused.value.msgid in catalogue("en")
        assert store.history() == [] and store.list("goal") == []


def test_data_up_to_the_size_limit_is_stored(tmp_path: Path) -> None:
    with Store.for_workspace(tmp_path) as store:
        overhead = len('{"t":""}')
        fits = store.add("goal", {"t": "x" * (store_module.MAX_DATA_BYTES - overhead)}, who="A")
        assert len(store.get("goal", fits.id).data["t"]) == store_module.MAX_DATA_BYTES - overhead
        with pytest.raises(StoreError, match="65537 bytes long"):
            store.add("goal", {"t": "x" * (store_module.MAX_DATA_BYTES - overhead + 1)}, who="A")


def test_reopening_keeps_entries_history_and_drafts(store_url: str) -> None:
    with Store.open(store_url) as store:
        goal = store.add("goal", {"title": "A"}, who="Ann")
        store.save("goal", goal.id, {"title": "B"}, version=1, who="Bo")
        store.add("touchpoint", {"name": "App"}, who="Bo")
        store.save_draft("Ann", "goal:" + goal.id, {"title": "B?"})
        history, goals, points = store.history(), store.list("goal"), store.list("touchpoint")
    with Store.open(store_url) as reopened:
        assert reopened.history() == history
        assert reopened.list("goal") == goals and reopened.list("touchpoint") == points
        assert reopened.draft("Ann", "goal:" + goal.id) == {"title": "B?"}
        assert reopened.save("goal", goal.id, {"title": "C"}, version=2, who="Ann").version == 3
        assert reopened.check_integrity() == []


def test_a_newer_schema_is_refused(store_url: str) -> None:
    Store.open(store_url).close()
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE meta SET value = '2' WHERE key = 'schema_version'"))
    engine.dispose()
    with pytest.raises(
        StoreError,
        match=r"^This workbook store was written by a newer CX Workbook \(store schema 2; this "
        r"version reads up to 1\)\. Update cx-workbook: pip install -U cx-workbook$",
    ):
        Store.open(store_url)


def test_check_integrity_finds_an_entry_that_disagrees_with_its_history(store: Store) -> None:
    goal = store.add("goal", {"title": "A"}, who="Ann")
    store.save("goal", goal.id, {"title": "B"}, version=1, who="Ann")
    other = store.add("goal", {"title": "X"}, who="Ann")
    assert store.check_integrity() == []
    entries = store_module._entries
    with store._engine.begin() as conn:  # a writer that bypasses the store
        conn.execute(sa.update(entries).where(entries.c.id == goal.id).values(version=7))
        conn.execute(sa.update(entries).where(entries.c.id == other.id).values(data='{"x":1}'))
    assert sorted(store.check_integrity()) == sorted(
        [
            f"goal {goal.id}: entry is at version 7, its history at 2",
            f"goal {other.id}: stored data differs from change 3",
        ]
    )


def test_for_workspace_uses_the_folder_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CX_STORE_URL", raising=False)
    with Store.for_workspace(tmp_path) as store:
        store.add("goal", {"title": "A"}, who="Ann")
    assert (tmp_path / "workbook.db").is_file()
    with pytest.raises(StoreError, match=r"The workspace folder .*missing does not exist"):
        Store.for_workspace(tmp_path / "missing")
    elsewhere = tmp_path / "elsewhere.db"
    monkeypatch.setenv("CX_STORE_URL", f"sqlite:///{elsewhere}")
    with Store.for_workspace(tmp_path) as store:
        assert store.list("goal") == []
    assert elsewhere.is_file()
    with Store.for_workspace(tmp_path, url=f"sqlite:///{tmp_path / 'workbook.db'}") as store:
        assert len(store.list("goal")) == 1
    with pytest.raises(StoreError, match="The store address nonsense is not a database URL"):
        Store.open("nonsense")


def test_an_unreachable_server_or_a_missing_driver_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as probe:  # a loopback port that nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(StoreError, match=r"^The workbook store cannot be reached or is busy \("):
        Store.open(f"postgresql+psycopg://cx@127.0.0.1:{port}/cx")

    def no_driver(*args: object, **kwargs: object) -> None:
        raise ModuleNotFoundError("No module named 'psycopg'", name="psycopg")

    monkeypatch.setattr(sa, "create_engine", no_driver)
    with pytest.raises(StoreError, match=r"driver psycopg is not installed; run pip install"):
        Store.open("postgresql+psycopg://cx@127.0.0.1/cx")


def test_sqlite_runs_in_wal_with_full_sync_a_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    with Store.for_workspace(tmp_path) as store, store._engine.connect() as conn:
        pragma = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
        }
    assert pragma == {
        "journal_mode": "wal",
        "synchronous": 2,
        "busy_timeout": 30000,
        "foreign_keys": 1,
    }


def test_sqlite_writers_wait_for_the_lock_instead_of_failing(tmp_path: Path) -> None:
    with Store.for_workspace(tmp_path) as store:
        goal = store.add("goal", {"title": "A"}, who="Ann")
        blocker = sqlite3.connect(tmp_path / "workbook.db", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        outcome: list[object] = []

        def save() -> None:
            try:
                outcome.append(store.save("goal", goal.id, {"title": "B"}, version=1, who="Bo"))
            except Exception as error:  # reported below
                outcome.append(error)

        writer = threading.Thread(target=save)
        writer.start()
        time.sleep(0.5)
        assert writer.is_alive() and outcome == []  # waiting, not failed with "locked"
        blocker.execute("COMMIT")
        blocker.close()
        writer.join(timeout=30)
        assert len(outcome) == 1 and getattr(outcome[0], "version", None) == 2, outcome


def test_english_messages_match_the_catalogue() -> None:
    english = catalogue("en")
    ours = {msgid: text for msgid, text in english.items() if msgid.startswith("store.")}
    assert ours == store_module._EN
    assert {f"store.kind.{kind}" for kind in KINDS} <= set(ours)
    folder = Path(store_module.__file__).parent
    used: set[str] = set()
    for name in ("store.py", "_store_tables.py", "_store_values.py"):
        source = (folder / name).read_text(encoding="utf-8")
        used |= set(re.findall(r'"(store\.[a-z_.]+)"', source))
    assert "store.concurrent_write" in used
    assert used <= set(ours), used - set(ours)


def test_the_postgres_fixture_skips_outside_ci_and_fails_in_ci_without_binaries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pg_server, "find_binaries", lambda: None)
    monkeypatch.delenv("CI", raising=False)
    with (
        pytest.raises(pytest.skip.Exception, match="no PostgreSQL server binaries"),
        pg_server.running_postgres(),
    ):
        pass
    monkeypatch.setenv("CI", "1")
    with (
        pytest.raises(pytest.fail.Exception, match=r"CI is set: run `make test`"),
        pg_server.running_postgres(),
    ):
        pass
