"""Child processes of ``tests/test_store_reliability.py``, run as ``python store_workers.py …``.

``edit URL WORKER EDITS SEED RESULTS ID…``
    Open the store, print ``ready``, wait for a line on stdin (so that all workers start
    together), then EDITS times: get one of the goals, change it, save it with the version read.
    Writes ``[[goal id, edit number, saved version or null], …]`` as JSON to RESULTS.

``write URL RUN SLOW``
    Add, edit and delete entries in a loop until killed. Before each write it prints
    ``plan {…}`` (what it is about to do), when the entry row is written and its history line is
    not yet ``mid N`` (sleeping SLOW seconds there: a test-only slow write, made with an
    SQLAlchemy event listener, not a hook in the store), and ``ack {…}`` only after the write
    returned, i.e. was committed.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from cxlib.store import KINDS, Conflict, Store


def edit(url: str, worker: int, edits: int, seed: int, results: str, ids: list[str]) -> None:
    rng = random.Random(seed)
    outcomes: list[list[Any]] = []
    with Store.open(url) as store:
        print("ready", flush=True)
        sys.stdin.readline()
        for number in range(edits):
            goal = rng.choice(ids)
            record = store.get("goal", goal)
            data = {"title": record.data["title"], "by": worker, "edit": number}
            try:
                saved = store.save("goal", goal, data, version=record.version, who=f"w{worker}")
            except Conflict:
                outcomes.append([goal, number, None])
            else:
                outcomes.append([goal, number, saved.version])
    Path(results).write_text(json.dumps(outcomes), encoding="utf-8")


def write(url: str, run: int, slow: float) -> None:
    rng = random.Random(run)
    store = Store.open(url)
    current = {"n": 0}

    def before_execute(*args: Any) -> None:
        statement = str(args[2])
        if statement.lstrip().upper().startswith("INSERT INTO HISTORY"):
            print(f"mid {current['n']}", flush=True)
            if slow:
                time.sleep(slow)

    sa.event.listen(store._engine, "before_cursor_execute", before_execute)
    who = f"writer {run}"
    live: list[tuple[str, str, int]] = []
    print("ready", flush=True)
    for n in range(1, 1_000_000):
        current["n"] = n
        data = {"run": run, "n": n, "text": "x" * rng.choice((10, 500, 5000, 30_000))}
        choice = rng.random()
        if not live or choice < 0.3:
            kind = rng.choice(KINDS)
            say("plan", n=n, op="add", kind=kind)
            record = store.add(kind, data, who=who)
            live.append((kind, record.id, 1))
            say("ack", n=n, op="add", kind=kind, id=record.id, version=1, data=data)
        elif choice < 0.4:
            kind, id, version = live.pop(rng.randrange(len(live)))
            say("plan", n=n, op="delete", kind=kind, id=id, version=version + 1)
            store.delete(kind, id, version=version, who=who)
            say("ack", n=n, op="delete", kind=kind, id=id, version=version + 1, data=None)
        else:
            index = rng.randrange(len(live))
            kind, id, version = live[index]
            say("plan", n=n, op="edit", kind=kind, id=id, version=version + 1, data=data)
            record = store.save(kind, id, data, version=version, who=who)
            live[index] = (kind, id, record.version)
            say("ack", n=n, op="edit", kind=kind, id=id, version=record.version, data=data)


def say(what: str, **fields: Any) -> None:
    print(what, json.dumps(fields), flush=True)


if __name__ == "__main__":
    mode, url, *rest = sys.argv[1:]
    if mode == "edit":
        edit(url, int(rest[0]), int(rest[1]), int(rest[2]), rest[3], rest[4:])
    else:
        write(url, int(rest[0]), float(rest[1]))
