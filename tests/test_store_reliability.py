"""The store's reliability promise, on SQLite and on a real PostgreSQL server.

1. Concurrent edits: 8 processes × 200 get → change → save cycles on 3 goals. Every edit is
   committed or refused as a Conflict, never lost or applied twice, and the versions of each goal
   form one unbroken chain.
2. Crashes: a writer is killed with SIGKILL at random moments, many of them inside an open
   transaction (a test-only slow write sleeps between the entry row and its history line). The
   database stays intact, every acknowledged change is there, nothing is half-written, and the
   store takes writes again.

The child processes are in ``store_workers.py``. The figures are printed (``pytest -s``).
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pg_server import BACKENDS, store_url_for

from cxlib.store import KINDS, Change, NotFound, Store

pytestmark = pytest.mark.slow

WORKERS = Path(__file__).with_name("store_workers.py")
PROCESSES, EDITS, GOALS = 8, 200, 3
KILLS = 20
WAIT = 120  # seconds a child may take to answer before the test gives up on it


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store's URL: an SQLite file, or a fresh database on the test server."""
    return store_url_for(request.param, tmp_path, request)


def backend(url: str) -> str:
    return sa.make_url(url).get_backend_name()


def child(*args: str, log: Path) -> subprocess.Popen[str]:
    with log.open("a", encoding="utf-8") as errors:
        return subprocess.Popen(
            [sys.executable, str(WORKERS), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )


def close(process: subprocess.Popen[str]) -> None:
    """Kill the child if it still runs; close its pipes."""
    if process.poll() is None:
        process.kill()
    process.wait()
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            pipe.close()


# 1. concurrent edits -------------------------------------------------------------------------


def test_concurrent_edits_are_committed_or_refused_never_lost(
    store_url: str, tmp_path: Path
) -> None:
    with Store.open(store_url) as store:
        goals = [store.add("goal", {"title": f"goal {g}"}, who="lead").id for g in range(GOALS)]
    log = tmp_path / "workers.log"
    workers = [
        child("edit", store_url, str(w), str(EDITS), str(w), str(tmp_path / f"w{w}.json"), *goals,
              log=log)
        for w in range(PROCESSES)
    ]  # fmt: skip
    try:
        for worker in workers:  # every worker has opened the store: start them together
            assert worker.stdout is not None and worker.stdout.readline() == "ready\n", (
                log.read_text()
            )
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        codes = [worker.wait(timeout=WAIT * 3) for worker in workers]
    finally:
        for worker in workers:
            close(worker)
    assert codes == [0] * PROCESSES, log.read_text()

    outcomes = {
        (w, number): (goal, version)
        for w in range(PROCESSES)
        for goal, number, version in json.loads((tmp_path / f"w{w}.json").read_text())
    }
    committed = {key: value for key, value in outcomes.items() if value[1] is not None}
    refused = set(outcomes) - set(committed)
    print(
        f"\n[store reliability] {backend(store_url)}: {len(outcomes)} edits, "
        f"{len(committed)} committed, {len(refused)} refused as conflicts"
    )
    assert len(committed) + len(refused) == len(outcomes) == PROCESSES * EDITS
    assert committed and refused  # the goals really were contended

    with Store.open(store_url) as store:
        assert store.check_integrity() == []
        edits = [c for c in store.history(kind="goal") if c.action == "edit"]
        assert len(edits) == len(committed)
        seen = Counter((c.after["by"], c.after["edit"]) for c in edits if c.after)
        assert set(seen) == set(committed) and set(seen.values()) == {1}
        for change in edits:
            assert change.after is not None
            key = (change.after["by"], change.after["edit"])
            assert committed[key] == (change.id, change.version_after)
            assert change.who == f"w{change.after['by']}"
        for goal in goals:
            chain = sorted(store.history(id=goal), key=lambda c: c.seq)
            assert [c.version_after for c in chain] == list(range(1, len(chain) + 1))
            assert [c.version_before for c in chain] == [None, *range(1, len(chain))]
            assert all(b.before == a.after for a, b in itertools.pairwise(chain))
            record = store.get("goal", goal)
            assert record.version == len(chain) and record.data == chain[-1].after
            versions = sorted(v for g, v in committed.values() if g == goal)
            assert versions == list(range(2, len(chain) + 1))


# 2. killed writers ---------------------------------------------------------------------------


class Lines:
    """A child's stdout, read by a thread so that the test can wait with a timeout."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.all: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.endswith("\n"):  # a line cut short by the kill was never fully said
                self.queue.put(line.rstrip("\n"))
        self.queue.put(None)

    def wait_for(self, prefix: str, count: int, log: Path) -> None:
        """Read lines until ``count`` lines starting with ``prefix`` have come."""
        while count:
            line = self.queue.get(timeout=WAIT)
            assert line is not None, f"the writer stopped early:\n{log.read_text()}"
            self.all.append(line)
            count -= line.startswith(prefix)

    def rest(self) -> list[str]:
        self.thread.join(timeout=WAIT)
        while (line := self.queue.get(timeout=WAIT)) is not None:
            self.all.append(line)
        return self.all


def parse(lines: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any] | None, bool]:
    """Acknowledged writes, the write in flight (planned, not acknowledged) and whether it had
    written its entry row (``mid``) when the child died."""
    acks, plan, mid = [], None, False
    for line in lines:
        what, _, rest = line.partition(" ")
        if what == "plan":
            plan, mid = json.loads(rest), False
        elif what == "mid":
            mid = True
        elif what == "ack":
            acks.append(json.loads(rest))
            plan = None
    return acks, plan, mid


def committed(changes: dict[tuple[str, str, int], Change], write: dict[str, Any]) -> bool:
    """Whether the history holds ``write`` (an ack or a plan)."""
    if write["op"] == "add":
        wanted = {"run": write["run"], "n": write["n"]}
        return any(
            c.action == "add" and c.kind == write["kind"] and c.after is not None
            and {"run": c.after.get("run"), "n": c.after.get("n")} == wanted
            for c in changes.values()
        )  # fmt: skip
    change = changes.get((write["kind"], write["id"], write["version"]))
    if change is None:
        return False
    if write["op"] == "delete":
        return change.action == "delete" and change.after is None
    return change.action == "edit" and change.after == write["data"]


def test_killed_writers_leave_an_intact_store_with_every_acknowledged_change(
    store_url: str, tmp_path: Path
) -> None:
    rng = random.Random(6)
    log = tmp_path / "writer.log"
    acknowledged: list[dict[str, Any]] = []
    outcome: Counter[str] = Counter()
    Store.open(store_url).close()
    for run in range(KILLS):
        slow = 0.2 if run % 2 == 0 else 0.0
        process = child("write", store_url, str(run), str(slow), log=log)
        lines = Lines(process)
        try:
            lines.wait_for("ready", 1, log)
            if slow:  # kill while the slow write holds its transaction open
                lines.wait_for("mid", rng.randint(1, 3), log)
                threading.Event().wait(rng.uniform(0.0, slow * 0.8))
            else:  # kill at a random moment of a fast writer
                lines.wait_for("ack", rng.randint(1, 25), log)
                threading.Event().wait(rng.uniform(0.0, 0.02))
        finally:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        try:
            assert process.returncode == -signal.SIGKILL
            acks, plan, mid = parse(lines.rest())
        finally:
            close(process)
        for ack in acks:
            ack["run"] = run
        acknowledged += acks

        if backend(store_url) == "sqlite":  # SQLite's own check, before the store opens it
            path = sa.make_url(store_url).database
            with closing(sqlite3.connect(str(path))) as raw:
                assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        with Store.open(store_url) as store:
            assert store.check_integrity() == []
            history = store.history()
            changes = {(c.kind, c.id, c.version_after or 0): c for c in history}
            missing = [ack for ack in acknowledged if not committed(changes, ack)]
            assert not missing, missing[:3]
            latest: dict[tuple[str, str], Change] = {}
            for change in reversed(history):  # oldest first: the last one stays
                latest[(change.kind, change.id)] = change
            for kind in KINDS:  # entries and their history agree
                for record in store.list(kind):
                    last = latest[(kind, record.id)]
                    assert (record.version, record.data) == (last.version_after, last.after)
            if plan is None:
                outcome["between writes"] += 1
            elif committed(changes, {**plan, "run": run}):
                outcome["after the commit, before the acknowledgement"] += 1
            elif mid:
                outcome["inside a transaction (entry row written, history not)"] += 1
                if plan["op"] != "add":
                    # the entry is still at the version before the write that was cut off
                    assert latest[(plan["kind"], plan["id"])].version_after == plan["version"] - 1
            else:
                outcome["before the write's first row"] += 1
            # the store takes writes again, also on the entry the writer was changing
            fresh = store.add("goal", {"title": f"after kill {run}"}, who="lead")
            store.save("goal", fresh.id, {"title": "edited"}, version=1, who="lead")
            if plan is not None and plan["op"] != "add":
                try:
                    record = store.get(plan["kind"], plan["id"])
                except NotFound:  # deleted: restore it through the history
                    store.undo(store.history(id=plan["id"], limit=1)[0].seq, who="lead")
                else:
                    store.save(
                        record.kind, record.id, {"x": run}, version=record.version, who="lead"
                    )
            assert store.check_integrity() == []
    inside = outcome["inside a transaction (entry row written, history not)"]
    print(
        f"\n[store reliability] {backend(store_url)}: {KILLS} kills, "
        f"{len(acknowledged)} acknowledged writes all present; killed: {dict(outcome)}"
    )
    assert sum(outcome.values()) == KILLS
    assert inside >= KILLS // 4  # a good share of the kills hit an open transaction
