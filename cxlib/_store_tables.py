"""How the workshop store keeps its data: tables, SQLite set-up, the SQL of writes and checks.

The tables of a :class:`cxlib.store.Store` (``meta``, ``entries``, ``history``, ``drafts``) are
declared once here with SQLAlchemy Core, so the same code runs on SQLite and PostgreSQL. Times
are stored in UTC without zone and come back zone-aware; entry data is canonical JSON text
(:func:`cxlib._store_values.encode`).

The helpers take an open connection inside the caller's transaction and never commit: the
store decides what belongs in one transaction (an entry and its history line, always).
:data:`ACTIONS`, :data:`SCHEMA_VERSION` and :data:`BUSY_TIMEOUT_S` are part of (and re-exported
by) :mod:`cxlib.store`.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Dialect, Engine

from cxlib._store_values import MAX_DRAFT_KEY, MAX_ID, MAX_WHO, StoreError, decode

ACTIONS = ("add", "edit", "delete", "undo")
#: The schema this code writes; a store with a newer one is refused.
SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 30


class _UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A UTC timestamp stored without zone (portable), returned zone-aware."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


_metadata = sa.MetaData()
_meta = sa.Table(
    "meta",
    _metadata,
    sa.Column("key", sa.String(50), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)
entries = sa.Table(
    "entries",
    _metadata,
    sa.Column("pos", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("id", sa.String(MAX_ID), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("created_at", _UtcDateTime, nullable=False),
    sa.Column("created_by", sa.String(MAX_WHO), nullable=False),
    sa.Column("updated_at", _UtcDateTime, nullable=False),
    sa.Column("updated_by", sa.String(MAX_WHO), nullable=False),
    sa.UniqueConstraint("kind", "id", name="uq_entries_kind_id"),
    sqlite_autoincrement=True,
)
history = sa.Table(
    "history",
    _metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", _UtcDateTime, nullable=False),
    sa.Column("who", sa.String(MAX_WHO), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("id", sa.String(MAX_ID), nullable=False),
    sa.Column("action", sa.String(10), nullable=False),
    sa.Column("before", sa.Text, nullable=True),
    sa.Column("after", sa.Text, nullable=True),
    sa.Column("version_before", sa.Integer, nullable=True),
    sa.Column("version_after", sa.Integer, nullable=False),
    sa.Column("undoes", sa.Integer, sa.ForeignKey("history.seq"), nullable=True),
    sa.ForeignKeyConstraint(
        ["kind", "id"], ["entries.kind", "entries.id"], name="fk_history_entry"
    ),
    sa.CheckConstraint(f"action IN {ACTIONS!r}", name="ck_history_action"),
    sa.Index("ix_history_entry", "kind", "id", "seq"),
    sa.Index("ix_history_who", "who", "seq"),
    sa.Index("ix_history_undoes", "undoes"),
    sqlite_autoincrement=True,
)
drafts = sa.Table(
    "drafts",
    _metadata,
    sa.Column("who", sa.String(MAX_WHO), primary_key=True),
    sa.Column("key", sa.String(MAX_DRAFT_KEY), primary_key=True),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("updated_at", _UtcDateTime, nullable=False),
)
#: Insert-or-update statements of the dialects that have one (others: update, then insert).
_UPSERTS: dict[str, Callable[[sa.Table], Any]] = {"sqlite": sqlite_insert, "postgresql": pg_insert}
#: PostgreSQL advisory lock taken while the schema is checked and created.
_SCHEMA_LOCK = 0x6378_7374  # "cxst"


def use_sqlite_transactions(engine: Engine) -> None:
    """WAL, ``synchronous=FULL``, busy timeout, foreign keys; BEGIN IMMEDIATE for writes."""

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN (below), not pysqlite
        cursor = dbapi_connection.cursor()
        for pragma in (
            f"busy_timeout = {BUSY_TIMEOUT_S * 1000}",
            "journal_mode = WAL",
            "synchronous = FULL",
            "foreign_keys = ON",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("cx_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def prepare_schema(conn: Connection) -> None:
    """Create the tables if missing; refuse a schema newer than :data:`SCHEMA_VERSION`."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_SCHEMA_LOCK)))
    found = None
    if sa.inspect(conn).has_table("meta"):
        found = conn.scalar(sa.select(_meta.c.value).where(_meta.c.key == "schema_version"))
        if found is None or not found.isdecimal():
            raise StoreError("store.schema_unreadable", found=found)
        if int(found) > SCHEMA_VERSION:
            raise StoreError("store.schema_newer", found=int(found), supported=SCHEMA_VERSION)
    _metadata.create_all(conn)
    if found is None:
        conn.execute(_meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))


def entry_query(kind: str, id: str) -> sa.Select[Any]:
    """The query of one entry's row (live or deleted)."""
    return sa.select(entries).where(entries.c.kind == kind, entries.c.id == id)


def insert_entry(conn: Connection, now: datetime, who: str, kind: str, id: str, text: str) -> None:
    """A new entry at version 1 and its ``add`` change."""
    conn.execute(
        entries.insert().values(
            kind=kind, id=id, version=1, deleted=False, data=text,
            created_at=now, created_by=who, updated_at=now, updated_by=who,
        )
    )  # fmt: skip
    record_change(conn, now, who, kind, id, "add", None, text, None, 1)


def bump(
    conn: Connection,
    kind: str,
    id: str,
    version: int,
    now: datetime,
    who: str,
    data: str | None,
    *,
    deleted: bool,
    live_only: bool = False,
) -> bool:
    """Move the entry from ``version`` to the next; False if it is stale.

    The version check is the ``WHERE`` of the one ``UPDATE`` (and its row count), so no other
    write can slip in between a check and the write. ``data`` None keeps the stored data;
    ``live_only`` refuses a deleted entry.
    """
    values: dict[str, Any] = {"version": version + 1, "deleted": deleted}
    values.update(updated_at=now, updated_by=who, **({} if data is None else {"data": data}))
    query = sa.update(entries).where(
        entries.c.kind == kind, entries.c.id == id, entries.c.version == version
    )
    if live_only:
        query = query.where(sa.not_(entries.c.deleted))
    return conn.execute(query.values(**values)).rowcount == 1


def put_draft(conn: Connection, who: str, key: str, text: str, now: datetime) -> None:
    """Insert the draft of ``who`` under ``key``, or replace it (upsert where the dialect has one,
    else update, then insert)."""
    values = {"data": text, "updated_at": now}
    if conn.dialect.name in _UPSERTS:
        insert = _UPSERTS[conn.dialect.name](drafts).values(who=who, key=key, **values)
        conn.execute(insert.on_conflict_do_update(index_elements=["who", "key"], set_=values))
        return
    changed = conn.execute(
        sa.update(drafts).where(drafts.c.who == who, drafts.c.key == key).values(**values)
    ).rowcount
    if not changed:
        conn.execute(drafts.insert().values(who=who, key=key, **values))


def undone_since(
    conn: Connection, kind: str, id: str, row: Any, *, seq: int, after: dict[str, Any] | None
) -> bool:
    """Whether every change to the entry after change ``seq`` has been undone, leaving the entry
    (its locked ``row``) exactly as that change left it (``after``)."""
    later = conn.execute(
        sa.select(history.c.seq, history.c.action, history.c.undoes).where(
            history.c.kind == kind,
            history.c.id == id,
            history.c.seq > seq,
        )
    ).all()
    undone = {r.undoes for r in later if r.action == "undo"}
    if any(r.action != "undo" and r.seq not in undone for r in later):
        return False
    return (None if row.deleted else json.loads(row.data)) == after


def record_change(
    conn: Connection,
    at: datetime,
    who: str,
    kind: str,
    id: str,
    action: str,
    before: str | None,
    after: str | None,
    version_before: int | None,
    version_after: int,
    undoes: int | None = None,
) -> None:
    """One line of the history."""
    conn.execute(
        history.insert().values(
            at=at, who=who, kind=kind, id=id, action=action, before=before, after=after,
            version_before=version_before, version_after=version_after, undoes=undoes,
        )
    )  # fmt: skip


def integrity_problems(conn: Connection) -> list[str]:
    """Problems found in the database (see :meth:`cxlib.store.Store.check_integrity`)."""
    problems: list[str] = []
    if conn.dialect.name == "sqlite":
        checked = [str(r) for r in conn.exec_driver_sql("PRAGMA integrity_check").scalars()]
        if checked != ["ok"]:
            problems += [f"SQLite integrity check: {line}" for line in checked]
        for row in conn.exec_driver_sql("PRAGMA foreign_key_check"):
            problems.append(f"SQLite foreign key check: {tuple(row)}")
    found = conn.scalar(sa.select(_meta.c.value).where(_meta.c.key == "schema_version"))
    if found != str(SCHEMA_VERSION):
        problems.append(f"schema version is {found!r}, expected '{SCHEMA_VERSION}'")
    stored = {(r.kind, r.id): r for r in conn.execute(sa.select(entries))}
    changes = conn.execute(
        sa.select(history).order_by(history.c.kind, history.c.id, history.c.seq)
    ).all()
    chains: dict[tuple[str, str], list[Any]] = {}
    for row in changes:
        chains.setdefault((row.kind, row.id), []).append(row)
    for key in sorted(set(stored) | set(chains)):
        problems += _entry_problems(key, stored.get(key), chains.get(key, []))
    return problems


def _entry_problems(key: tuple[str, str], entry: Any, chain: list[Any]) -> list[str]:
    """What is wrong with one entry and its history chain (see :func:`integrity_problems`)."""
    name = f"{key[0]} {key[1]}"
    if entry is None:
        return [f"{name}: history without an entry"]
    if not chain:
        return [f"{name}: entry without history"]
    problems = []
    first = chain[0]
    if (first.action, first.version_before, first.version_after) != ("add", None, 1):
        problems.append(f"{name}: history starts with change {first.seq}, not an add at version 1")
    for previous, change in itertools.pairwise(chain):
        if change.action == "add" or change.version_before != previous.version_after:
            problems.append(
                f"{name}: change {change.seq} starts at version {change.version_before}, "
                f"the change before it ended at {previous.version_after}"
            )
        elif decode(change.before) != decode(previous.after):
            problems.append(
                f"{name}: change {change.seq} does not start where {previous.seq} ended"
            )
    by_seq = {change.seq: change for change in chain}
    for change in chain:
        if change.version_before is not None and change.version_after != change.version_before + 1:
            problems.append(f"{name}: change {change.seq} skips versions")
        if change.action in ("add", "edit") and change.after is None:
            problems.append(f"{name}: change {change.seq} ({change.action}) has no data")
        if change.action == "delete" and change.after is not None:
            problems.append(f"{name}: change {change.seq} (delete) has data after it")
        if change.action == "undo":
            undone = by_seq.get(change.undoes)
            if undone is None or undone.seq >= change.seq:
                problems.append(f"{name}: undo {change.seq} reverts {change.undoes}, not before it")
            elif decode(change.after) != decode(undone.before):
                problems.append(f"{name}: undo {change.seq} does not restore {undone.seq}")
    last = chain[-1]
    if entry.version != last.version_after:
        problems.append(
            f"{name}: entry is at version {entry.version}, its history at {last.version_after}"
        )
    if bool(entry.deleted) != (last.after is None):
        problems.append(f"{name}: deleted flag disagrees with change {last.seq}")
    elif last.after is not None and json.loads(entry.data) != json.loads(last.after):
        problems.append(f"{name}: stored data differs from change {last.seq}")
    return problems
