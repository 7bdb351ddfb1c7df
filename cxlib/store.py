"""The workshop store: goals, journeys, stages, touchpoints and actions, with history and undo.

Entries are JSON dicts per kind (:data:`KINDS`), kept in SQLite (``<workspace>/workbook.db``)
or, for a shared server, any SQLAlchemy URL (PostgreSQL). The store knows nothing about the
models: it takes an optional ``validate(kind, data)`` hook, called before every write that puts
data (add, save, undo), which may raise :class:`cxlib.errors.ValidationError` to stop it.

What a workshop relies on:

- **No silent overwrite.** Every entry has a version; :meth:`Store.save` and :meth:`Store.delete`
  take the version the user's form was based on and are refused with :class:`Conflict` when
  someone saved in between. The check is the database's own: ``UPDATE … WHERE kind, id and
  version`` and its row count, under the row lock (PostgreSQL) or the write lock (SQLite).
- **Nothing half-written, nothing lost.** An entry and its history line are written in one
  transaction; entries are never hard-deleted (a deletion is a change that can be undone); the
  history keeps who, when (UTC) and the data before and after every change.
- **Unsaved input survives.** Drafts (:meth:`Store.save_draft`) keep form input that is not saved
  yet, so a culled kernel or a closed tab loses nothing.

SQLite runs in WAL mode with ``synchronous=FULL``, a 30 s busy timeout, foreign keys on, and
writes in ``BEGIN IMMEDIATE`` transactions (pysqlite's deferred BEGIN would make concurrent
read-then-write transactions fail with "database is locked" instead of waiting; SQLAlchemy's
documented recipe: emit BEGIN from a ``begin`` event listener).

Errors are :class:`StoreError` (a :class:`~cxlib.errors.CxError`) with an English one-line
message and, for forms, ``msgid`` and ``params``: the message ids live in ``store.po``; a form
fills ``kind`` with the message ``store.kind.<kind>`` and formats ``time`` (a UTC ``datetime``)
in the workspace's zone before it calls the translator.
"""

from __future__ import annotations

import builtins
import itertools
import json
import math
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Dialect, Engine

from cxlib.errors import CxError

KINDS = ("goal", "journey", "stage", "touchpoint", "action")
ACTIONS = ("add", "edit", "delete", "undo")
#: The schema this code writes; a store with a newer one is refused.
SCHEMA_VERSION = 1
MAX_DATA_BYTES = 64 * 1024
MAX_WHO = 100
MAX_ID = 64
MAX_DRAFT_KEY = 200
BUSY_TIMEOUT_S = 30

Validator = Callable[[str, Mapping[str, Any]], None]

#: English texts of the messages (the ``store.po`` catalogue is the source; a test compares).
_EN = {
    "store.kind.goal": "goal",
    "store.kind.journey": "journey",
    "store.kind.stage": "journey stage",
    "store.kind.touchpoint": "touchpoint",
    "store.kind.action": "action",
    "store.kind.draft": "draft",
    "store.conflict.saved": (
        "{who} saved this {kind} at {time} (version {version}); your version was {your_version}. "
        "Review both and save again."
    ),
    "store.conflict.deleted": (
        "{who} deleted this {kind} at {time}; your version was {your_version}. Your input is kept: "
        "review it and add it again if it is still needed."
    ),
    "store.conflict.changed_before_delete": (
        "{who} changed this {kind} at {time} (version {version}); you opened version "
        "{your_version}. Review the new version before deleting it."
    ),
    "store.conflict.already_deleted": "{who} already deleted this {kind} at {time}.",
    "store.undo.changed_since": (
        "This {kind} was changed again by {who} at {time} (now version {version}); undo the "
        "newer changes first or edit it by hand."
    ),
    "store.undo.already_undone": (
        "That change to this {kind} was already undone by {who} at {time}."
    ),
    "store.undo.nothing": "{who} has no change left to undo.",
    "store.not_found": "There is no {kind} with id {id}; reload the list.",
    "store.deleted": (
        "This {kind} was deleted by {who} at {time}; undo the deletion in the history to "
        "restore it."
    ),
    "store.change_not_found": (
        "There is no change number {seq} in the history; reload the history."
    ),
    "store.import_duplicate": "The import holds the {kind} with id {id} twice; keep one of them.",
    "store.id_invalid": "An entry id must be a text of 1 to {max} characters; got {id}.",
    "store.kind_unknown": "Unknown kind of entry '{kind}'; use one of {kinds}.",
    "store.who_missing": "Give your name before saving: every change is recorded with its author.",
    "store.who_too_long": "The name is {n} characters long; at most {max} are allowed.",
    "store.data_not_mapping": "The {kind} must be given as a dict of fields; got {type}.",
    "store.data_not_json": (
        "The {kind} field {path} holds a {type}, which cannot be stored; use text, numbers, "
        "true/false, lists or dicts with text keys."
    ),
    "store.data_too_large": (
        "The {kind} is {size} bytes long as JSON; at most {max} can be stored. Shorten the "
        "longest texts."
    ),
    "store.version_invalid": "The version must be a whole number from 1 up; got {version}.",
    "store.limit_invalid": "The history limit must be a whole number from 1 up; got {limit}.",
    "store.draft_key_invalid": ("A draft key must be a text of 1 to {max} characters; got {key}."),
    "store.schema_newer": (
        "This workbook store was written by a newer CX Workbook (store schema {found}; this "
        "version reads up to {supported}). Update cx-workbook: pip install -U cx-workbook"
    ),
    "store.schema_unreadable": (
        "The store's schema version {found} cannot be read: this database is not a CX Workbook "
        "store or it is damaged. Open another one or restore a backup."
    ),
    "store.unavailable": (
        "The workbook store cannot be reached or is busy ({reason}). Nothing was saved; try "
        "again in a moment."
    ),
    "store.url_invalid": (
        "The store address {url} is not a database URL; use e.g. "
        "postgresql+psycopg://user@host/db or sqlite:///path/workbook.db."
    ),
    "store.driver_missing": (
        "The database driver {module} is not installed; run pip install cx-workbook[postgres]."
    ),
    "store.folder_missing": (
        "The workspace folder {folder} does not exist; create it or choose another one."
    ),
}


class StoreError(CxError):
    """A store operation was refused; nothing was written.

    Parameters
    ----------
    msgid
        Message id of the explanation (``store.po``).
    **params
        Values for the message's ``{fields}``: ``kind`` is a :data:`KINDS` value (shown as the
        message ``store.kind.<kind>``), ``time`` a UTC ``datetime``, the rest plain values.
    """

    def __init__(self, msgid: str, **params: Any) -> None:
        self.msgid = msgid
        self.params: dict[str, Any] = params
        super().__init__(_english(msgid, params))


class NotFound(StoreError):
    """No such entry (or it is deleted), no such change, or nothing left to undo."""


class Conflict(StoreError):
    """A stale write: someone changed the entry since the user's form was loaded.

    Attributes
    ----------
    current
        What is stored now; None when the entry is deleted.
    yours
        What the user tried to write (None for a deletion), so a form can show both versions
        and nothing typed is lost.
    """

    def __init__(
        self, msgid: str, *, current: Record | None, yours: dict[str, Any] | None, **params: Any
    ) -> None:
        self.current = current
        self.yours = yours
        super().__init__(msgid, **params)


@dataclass(frozen=True)
class Record:
    """One entry as stored (times in UTC)."""

    kind: str
    id: str
    version: int
    data: dict[str, Any]
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class Change:
    """One line of the history.

    ``action`` is ``add``, ``edit``, ``delete`` or ``undo``; ``before``/``after`` are the entry's
    data around the change (None: absent or deleted); ``undoes`` is the ``seq`` an undo reverted.
    """

    seq: int
    at: datetime
    who: str
    kind: str
    id: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    version_before: int | None
    version_after: int | None
    undoes: int | None


@dataclass(frozen=True)
class ImportCounts:
    """What :meth:`Store.import_entries` did: entries added and updated per kind (every kind
    present, zeros included), and entries left unchanged."""

    added: dict[str, int]
    updated: dict[str, int]
    unchanged: int


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
_entries = sa.Table(
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
_history = sa.Table(
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
_drafts = sa.Table(
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


class Store:
    """The workshop's entries, their history and drafts, in one database.

    Open it with :meth:`open` (a URL) or :meth:`for_workspace` (a workspace folder); use it as a
    context manager or call :meth:`close`.
    """

    def __init__(self, engine: Engine, validate: Validator | None = None) -> None:
        self._engine = engine
        self._validate = validate
        self._sqlite = engine.dialect.name == "sqlite"

    @classmethod
    def open(cls, url: str | sa.URL, *, validate: Validator | None = None) -> Store:
        """Open (and create if missing) the store at an SQLAlchemy URL.

        Parameters
        ----------
        url
            ``sqlite:///path/workbook.db`` or ``postgresql+psycopg://user@host:port/db``.
        validate
            Called as ``validate(kind, data)`` before every write that puts data; may raise
            :class:`cxlib.errors.ValidationError`, and then nothing is written.

        Raises
        ------
        StoreError
            Bad URL, missing driver, unreachable database, or a store with a newer schema.
        """
        try:
            parsed = sa.make_url(url)
        except sa.exc.ArgumentError as error:
            raise StoreError("store.url_invalid", url=str(url)) from error
        try:
            engine = sa.create_engine(parsed, pool_pre_ping=parsed.get_backend_name() != "sqlite")
        except ModuleNotFoundError as error:
            raise StoreError("store.driver_missing", module=error.name or str(error)) from error
        if engine.dialect.name == "sqlite":
            _use_sqlite_transactions(engine)
        store = cls(engine, validate)
        try:
            store._prepare_schema()
        except BaseException:
            engine.dispose()
            raise
        return store

    @classmethod
    def for_workspace(
        cls,
        folder: str | os.PathLike[str],
        *,
        url: str | None = None,
        validate: Validator | None = None,
    ) -> Store:
        """Open a workspace's store: ``url``, else ``$CX_STORE_URL``, else ``<folder>/workbook.db``.

        Raises
        ------
        StoreError
            The folder does not exist (for the SQLite file), or as :meth:`open`.
        """
        chosen = url or os.environ.get("CX_STORE_URL") or None
        if chosen is not None:
            return cls.open(chosen, validate=validate)
        path = Path(folder)
        if not path.is_dir():
            raise StoreError("store.folder_missing", folder=str(path))
        database = str(path.resolve() / "workbook.db")
        return cls.open(sa.URL.create("sqlite", database=database), validate=validate)

    # -- entries -------------------------------------------------------------------------------

    def add(self, kind: str, data: Mapping[str, Any], *, who: str) -> Record:
        """Store a new entry (a new uuid4 hex id, version 1) and record it."""
        kind, who = _check_kind(kind), _check_who(who)
        text, value = self._checked_data(kind, data)
        entry_id = uuid.uuid4().hex
        with self._transaction(write=True) as conn:
            now = _now()
            _insert(conn, now, who, kind, entry_id, text)
        return Record(kind, entry_id, 1, value, now, who, now, who)

    def import_entries(
        self, records: Iterable[tuple[str, str, Mapping[str, Any]]], *, who: str
    ) -> ImportCounts:
        """Write many ``(kind, id, data)`` entries, keeping their ids, all in one transaction.

        An unknown id is added; a live entry with other data is updated (the files win: an
        import is a deliberate overwrite, not a form based on a version); a deleted one is
        restored (recorded as an edit from nothing); equal data is left alone. Every entry is
        checked (and validated) before anything is written.

        Raises
        ------
        StoreError
            A bad kind, id or data, or the same entry twice; nothing was written.
        """
        who = _check_who(who)
        checked: dict[tuple[str, str], str] = {}
        for kind, id, data in records:
            key = (_check_kind(kind), _check_id(id))
            if key in checked:
                raise StoreError("store.import_duplicate", kind=kind, id=id)
            checked[key] = self._checked_data(kind, data)[0]
        added, updated, unchanged = dict.fromkeys(KINDS, 0), dict.fromkeys(KINDS, 0), 0
        with self._transaction(write=True) as conn:
            now = _now()
            for (kind, id), text in checked.items():
                row = conn.execute(_entry_query(kind, id).with_for_update()).one_or_none()
                if row is None:
                    _insert(conn, now, who, kind, id, text)
                    added[kind] += 1
                elif not row.deleted and _json(row.data) == _json(text):
                    unchanged += 1
                elif _bump(conn, kind, id, row.version, now, who, text, deleted=False):
                    before = None if row.deleted else row.data
                    v = row.version
                    _record_change(conn, now, who, kind, id, "edit", before, text, v, v + 1)
                    (added if row.deleted else updated)[kind] += 1
                else:  # the row is locked: only a damaged database gets here
                    raise _conflict("store.conflict.saved", kind, row, row.version, _json(text))
        return ImportCounts(added, updated, unchanged)

    def get(self, kind: str, id: str) -> Record:
        """The live entry ``id`` of ``kind``.

        Raises
        ------
        NotFound
            No such entry, or it is deleted (the message says by whom and when).
        """
        kind, id = _check_kind(kind), _check_id(id)
        with self._transaction(write=False) as conn:
            row = conn.execute(_entry_query(kind, id)).one_or_none()
        if row is None:
            raise NotFound("store.not_found", kind=kind, id=id)
        if row.deleted:
            raise NotFound("store.deleted", kind=kind, who=row.updated_by, time=row.updated_at)
        return _record(row)

    def list(self, kind: str) -> list[Record]:
        """The live entries of ``kind``, oldest first (in the order they were added)."""
        kind = _check_kind(kind)
        query = (
            sa.select(_entries)
            .where(_entries.c.kind == kind, sa.not_(_entries.c.deleted))
            .order_by(_entries.c.pos)
        )
        with self._transaction(write=False) as conn:
            return [_record(row) for row in conn.execute(query)]

    def save(
        self, kind: str, id: str, data: Mapping[str, Any], *, version: int, who: str
    ) -> Record:
        """Replace the data of an entry, if ``version`` is still the stored one.

        Parameters
        ----------
        version
            The version the user's form was based on.

        Raises
        ------
        Conflict
            Someone saved or deleted the entry since; ``current`` and ``yours`` hold both sides.
        NotFound
            No such entry.
        """
        kind, id, who = _check_kind(kind), _check_id(id), _check_who(who)
        version = _check_version(version)
        text, value = self._checked_data(kind, data)
        with self._transaction(write=True) as conn:
            row = _locked_entry(conn, kind, id)
            now = _now()
            if not _bump(conn, kind, id, version, now, who, text, deleted=False, live_only=True):
                if row.deleted:
                    raise _conflict("store.conflict.deleted", kind, row, version, value)
                raise _conflict("store.conflict.saved", kind, row, version, value)
            _record_change(conn, now, who, kind, id, "edit", row.data, text, version, version + 1)
        return Record(kind, id, version + 1, value, row.created_at, row.created_by, now, who)

    def delete(self, kind: str, id: str, *, version: int, who: str) -> None:
        """Mark an entry deleted (it stays in the database and can be restored by undo).

        Raises
        ------
        Conflict
            Someone changed or deleted the entry since ``version``.
        NotFound
            No such entry.
        """
        kind, id, who = _check_kind(kind), _check_id(id), _check_who(who)
        version = _check_version(version)
        with self._transaction(write=True) as conn:
            row = _locked_entry(conn, kind, id)
            now = _now()
            if not _bump(
                conn, kind, id, version, now, who, data=None, deleted=True, live_only=True
            ):
                if row.deleted:
                    raise _conflict("store.conflict.already_deleted", kind, row, version, None)
                raise _conflict("store.conflict.changed_before_delete", kind, row, version, None)
            _record_change(conn, now, who, kind, id, "delete", row.data, None, version, version + 1)

    # -- history and undo ----------------------------------------------------------------------

    def history(
        self, *, kind: str | None = None, id: str | None = None, limit: int | None = None
    ) -> builtins.list[Change]:
        """Changes, newest first; optionally of one kind, one entry, and at most ``limit``."""
        query = sa.select(_history).order_by(_history.c.seq.desc())
        if kind is not None:
            query = query.where(_history.c.kind == _check_kind(kind))
        if id is not None:
            query = query.where(_history.c.id == _check_id(id))
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
                raise StoreError("store.limit_invalid", limit=limit)
            query = query.limit(limit)
        with self._transaction(write=False) as conn:
            return [_change(row) for row in conn.execute(query)]

    def undo(self, seq: int, *, who: str) -> Record | None:
        """Revert change ``seq``: the entry goes back to the change's ``before``.

        Undo of an add deletes the entry, of a delete restores it, of an edit puts the old data
        back, of an undo redoes; it is recorded as an ``undo`` change. It is allowed while the
        entry is still at the change's ``version_after``, or back at that state because every
        change since has been undone (so undoing step by step, newest first, works).

        Returns
        -------
        Record or None
            The entry as it is now; None when the undo deleted it.

        Raises
        ------
        Conflict
            The entry changed since (``current`` is what is stored, ``yours`` the data the undo
            would have put back).
        NotFound
            No such change.
        """
        who = _check_who(who)
        if isinstance(seq, bool) or not isinstance(seq, int):
            raise NotFound("store.change_not_found", seq=repr(seq))
        with self._transaction(write=False) as conn:
            found = conn.execute(sa.select(_history).where(_history.c.seq == seq)).one_or_none()
        if found is None:
            raise NotFound("store.change_not_found", seq=seq)
        change = _change(found)
        kind, id, target = change.kind, change.id, change.before
        text = None if target is None else _encode(kind, target)
        if text is not None:
            self._check_hook(kind, text)
        with self._transaction(write=True) as conn:
            row = _locked_entry(conn, kind, id)
            expected = _required(change.version_after)
            if row.version != expected and _undone_since(conn, change, row):
                expected = row.version
            now = _now()
            if not _bump(conn, kind, id, expected, now, who, text, deleted=text is None):
                first_undo = sa.select(_history).where(_history.c.undoes == seq)
                undone = conn.execute(first_undo.order_by(_history.c.seq)).first()
                if undone is None:
                    raise _conflict("store.undo.changed_since", kind, row, expected, target)
                current = None if row.deleted else _record(row)
                raise Conflict(
                    "store.undo.already_undone", current=current, yours=target, kind=kind,
                    who=undone.who, time=undone.at,
                )  # fmt: skip
            before = None if row.deleted else row.data
            _record_change(
                conn, now, who, kind, id, "undo", before, text, expected, expected + 1, seq
            )
        if target is None:
            return None
        return Record(kind, id, expected + 1, target, row.created_at, row.created_by, now, who)

    def undo_last(self, *, who: str) -> Record | None:
        """Undo the newest change by ``who`` that is not undone yet (undo changes are skipped).

        Raises
        ------
        NotFound
            ``who`` has nothing left to undo.
        Conflict
            As :meth:`undo`.
        """
        who = _check_who(who)
        undone = sa.select(_history.c.undoes).where(_history.c.undoes.is_not(None))
        query = (
            sa.select(_history.c.seq)
            .where(
                _history.c.who == who,
                _history.c.action != "undo",
                _history.c.seq.not_in(undone),
            )
            .order_by(_history.c.seq.desc())
            .limit(1)
        )
        with self._transaction(write=False) as conn:
            seq = conn.scalar(query)
        if seq is None:
            raise NotFound("store.undo.nothing", who=who)
        return self.undo(seq, who=who)

    # -- drafts --------------------------------------------------------------------------------

    def save_draft(self, who: str, key: str, data: Mapping[str, Any]) -> None:
        """Keep unsaved form input of ``who`` under ``key`` (replaces the previous draft).

        Drafts are not validated: they are half-typed input by nature.
        """
        who, key = _check_who(who), _check_draft_key(key)
        text = _encode_checked("draft", data)
        values = {"data": text, "updated_at": _now()}
        with self._transaction(write=True) as conn:
            if conn.dialect.name in _UPSERTS:
                insert = _UPSERTS[conn.dialect.name](_drafts).values(who=who, key=key, **values)
                conn.execute(
                    insert.on_conflict_do_update(index_elements=["who", "key"], set_=values)
                )
                return
            changed = conn.execute(
                sa.update(_drafts)
                .where(_drafts.c.who == who, _drafts.c.key == key)
                .values(**values)
            ).rowcount
            if not changed:
                conn.execute(_drafts.insert().values(who=who, key=key, **values))

    def draft(self, who: str, key: str) -> dict[str, Any] | None:
        """The draft of ``who`` under ``key``, or None."""
        who, key = _check_who(who), _check_draft_key(key)
        query = sa.select(_drafts.c.data).where(_drafts.c.who == who, _drafts.c.key == key)
        with self._transaction(write=False) as conn:
            text = conn.scalar(query)
        return None if text is None else dict(json.loads(text))

    def discard_draft(self, who: str, key: str) -> None:
        """Forget the draft of ``who`` under ``key`` (no error if there is none)."""
        who, key = _check_who(who), _check_draft_key(key)
        with self._transaction(write=True) as conn:
            conn.execute(sa.delete(_drafts).where(_drafts.c.who == who, _drafts.c.key == key))

    # -- integrity -----------------------------------------------------------------------------

    def check_integrity(self) -> builtins.list[str]:
        """Problems found in the database, as diagnostic lines; ``[]`` when all is well.

        Checked: SQLite's ``PRAGMA integrity_check`` and ``foreign_key_check``; the schema
        version; every entry's history chain (an ``add`` at version 1, then each change one
        version up from the last, its ``before`` equal to the last ``after``); every entry's
        version, deleted flag and data equal to its latest change.
        """
        problems: builtins.list[str] = []
        with self._transaction(write=False, snapshot=True) as conn:
            if self._sqlite:
                checked = [str(r) for r in conn.exec_driver_sql("PRAGMA integrity_check").scalars()]
                if checked != ["ok"]:
                    problems += [f"SQLite integrity check: {line}" for line in checked]
                for row in conn.exec_driver_sql("PRAGMA foreign_key_check"):
                    problems.append(f"SQLite foreign key check: {tuple(row)}")
            found = conn.scalar(sa.select(_meta.c.value).where(_meta.c.key == "schema_version"))
            if found != str(SCHEMA_VERSION):
                problems.append(f"schema version is {found!r}, expected '{SCHEMA_VERSION}'")
            entries = {(r.kind, r.id): r for r in conn.execute(sa.select(_entries))}
            changes = conn.execute(
                sa.select(_history).order_by(_history.c.kind, _history.c.id, _history.c.seq)
            ).all()
        chains: dict[tuple[str, str], builtins.list[Any]] = {}
        for row in changes:
            chains.setdefault((row.kind, row.id), []).append(row)
        for key in sorted(set(entries) | set(chains)):
            problems += _entry_problems(key, entries.get(key), chains.get(key, []))
        return problems

    # -- life cycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close every database connection of this store."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- private -------------------------------------------------------------------------------

    @contextmanager
    def _transaction(self, *, write: bool, snapshot: bool = False) -> Iterator[Connection]:
        """One transaction: ``BEGIN IMMEDIATE`` on SQLite for writes; a snapshot if asked."""
        try:
            with self._engine.connect() as conn:
                if write:
                    conn.execution_options(cx_write=True)
                if snapshot and not self._sqlite:
                    conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    yield conn
        except sa.exc.OperationalError as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise StoreError("store.unavailable", reason=reason) from error

    def _checked_data(self, kind: str, data: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """Encode ``data``, run the validation hook on it; return the text and a fresh copy."""
        text = _encode_checked(kind, data)
        self._check_hook(kind, text)
        return text, json.loads(text)

    def _check_hook(self, kind: str, text: str) -> None:
        """Run the validation hook on (a copy of) the data about to be written."""
        if self._validate is not None:
            self._validate(kind, json.loads(text))

    def _prepare_schema(self) -> None:
        """Create the tables if missing; refuse a schema newer than :data:`SCHEMA_VERSION`."""
        with self._transaction(write=True) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_SCHEMA_LOCK)))
            found = None
            if sa.inspect(conn).has_table("meta"):
                found = conn.scalar(sa.select(_meta.c.value).where(_meta.c.key == "schema_version"))
                if found is None or not found.isdigit():
                    raise StoreError("store.schema_unreadable", found=found)
                if int(found) > SCHEMA_VERSION:
                    raise StoreError(
                        "store.schema_newer", found=int(found), supported=SCHEMA_VERSION
                    )
            _metadata.create_all(conn)
            if found is None:
                conn.execute(_meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))


def _use_sqlite_transactions(engine: Engine) -> None:
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


def _entry_query(kind: str, id: str) -> sa.Select[Any]:
    return sa.select(_entries).where(_entries.c.kind == kind, _entries.c.id == id)


def _locked_entry(conn: Connection, kind: str, id: str) -> Any:
    """The entry's row, locked until the transaction ends (SQLite: the write lock is held)."""
    row = conn.execute(_entry_query(kind, id).with_for_update()).one_or_none()
    if row is None:
        raise NotFound("store.not_found", kind=kind, id=id)
    return row


def _insert(conn: Connection, now: datetime, who: str, kind: str, id: str, text: str) -> None:
    """A new entry at version 1 and its ``add`` change."""
    conn.execute(
        _entries.insert().values(
            kind=kind, id=id, version=1, deleted=False, data=text,
            created_at=now, created_by=who, updated_at=now, updated_by=who,
        )
    )  # fmt: skip
    _record_change(conn, now, who, kind, id, "add", None, text, None, 1)


def _bump(
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
    query = sa.update(_entries).where(
        _entries.c.kind == kind, _entries.c.id == id, _entries.c.version == version
    )
    if live_only:
        query = query.where(sa.not_(_entries.c.deleted))
    return conn.execute(query.values(**values)).rowcount == 1


def _undone_since(conn: Connection, change: Change, row: Any) -> bool:
    """Whether every change to the entry after ``change`` has been undone, leaving the entry
    exactly as ``change`` left it."""
    later = conn.execute(
        sa.select(_history.c.seq, _history.c.action, _history.c.undoes).where(
            _history.c.kind == change.kind,
            _history.c.id == change.id,
            _history.c.seq > change.seq,
        )
    ).all()
    undone = {r.undoes for r in later if r.action == "undo"}
    if any(r.action != "undo" and r.seq not in undone for r in later):
        return False
    return (None if row.deleted else json.loads(row.data)) == change.after


def _record_change(
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
    conn.execute(
        _history.insert().values(
            at=at, who=who, kind=kind, id=id, action=action, before=before, after=after,
            version_before=version_before, version_after=version_after, undoes=undoes,
        )
    )  # fmt: skip


def _conflict(
    msgid: str, kind: str, row: Any, yours_version: int, yours: dict[str, Any] | None
) -> Conflict:
    """A conflict with what is stored now (``row``, locked) and what the user tried."""
    return Conflict(
        msgid,
        current=None if row.deleted else _record(row),
        yours=yours,
        kind=kind,
        who=row.updated_by,
        time=row.updated_at,
        version=row.version,
        your_version=yours_version,
    )


def _record(row: Any) -> Record:
    return Record(
        kind=row.kind,
        id=row.id,
        version=row.version,
        data=json.loads(row.data),
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def _change(row: Any) -> Change:
    return Change(
        seq=row.seq,
        at=row.at,
        who=row.who,
        kind=row.kind,
        id=row.id,
        action=row.action,
        before=None if row.before is None else json.loads(row.before),
        after=None if row.after is None else json.loads(row.after),
        version_before=row.version_before,
        version_after=row.version_after,
        undoes=row.undoes,
    )


def _entry_problems(key: tuple[str, str], entry: Any, chain: list[Any]) -> list[str]:
    """What is wrong with one entry and its history chain (see :meth:`Store.check_integrity`)."""
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
        elif _json(change.before) != _json(previous.after):
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
            elif _json(change.after) != _json(undone.before):
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


def _json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _now() -> datetime:
    return datetime.now(UTC)


def _required(value: int | None) -> int:
    if value is None:  # the schema forbids it; a damaged database is reported, not guessed at
        raise StoreError("store.schema_unreadable", found="version_after NULL")
    return value


def _check_kind(kind: object) -> str:
    if not isinstance(kind, str) or kind not in KINDS:
        raise StoreError("store.kind_unknown", kind=kind, kinds=", ".join(KINDS))
    return kind


def _check_who(who: object) -> str:
    if not isinstance(who, str) or not who.strip():
        raise StoreError("store.who_missing")
    name = who.strip()
    if len(name) > MAX_WHO:
        raise StoreError("store.who_too_long", n=len(name), max=MAX_WHO)
    return name


def _check_version(version: object) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise StoreError("store.version_invalid", version=repr(version))
    return version


def _check_id(id: object) -> str:
    if not isinstance(id, str) or not id.strip() or len(id) > MAX_ID:
        raise StoreError("store.id_invalid", id=repr(id)[:80], max=MAX_ID)
    return id


def _check_draft_key(key: object) -> str:
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_DRAFT_KEY:
        raise StoreError("store.draft_key_invalid", key=repr(key)[:60], max=MAX_DRAFT_KEY)
    return key


def _encode_checked(kind: str, data: object) -> str:
    """Check that ``data`` is a JSON-able dict of at most :data:`MAX_DATA_BYTES`; encode it."""
    if not isinstance(data, Mapping):
        raise StoreError("store.data_not_mapping", kind=kind, type=type(data).__name__)
    return _encode(kind, _plain(kind, data, ""))


def _encode(kind: str, value: Mapping[str, Any]) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    size = len(text.encode("utf-8"))
    if size > MAX_DATA_BYTES:
        raise StoreError("store.data_too_large", kind=kind, size=size, max=MAX_DATA_BYTES)
    return text


def _plain(kind: str, value: Any, path: str) -> Any:
    """A JSON-able copy of ``value`` (tuples become lists); refuses anything else by path."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, Mapping):
        copied = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise StoreError(
                    "store.data_not_json", kind=kind, path=f"{path or 'key'}[{key!r}]",
                    type=f"key of type {type(key).__name__}",
                )  # fmt: skip
            copied[key] = _plain(kind, item, f"{path}.{key}" if path else key)
        return copied
    if isinstance(value, list | tuple):
        return [_plain(kind, item, f"{path}[{i}]") for i, item in enumerate(value)]
    shown = "non-finite float" if isinstance(value, float) else type(value).__name__
    raise StoreError("store.data_not_json", kind=kind, path=path or "(top)", type=shown)


def _english(msgid: str, params: Mapping[str, Any]) -> str:
    """The English one-line message (for logs and the CLI; forms translate ``msgid``)."""
    shown = dict(params)
    if isinstance(shown.get("kind"), str) and shown["kind"] in KINDS:
        shown["kind"] = _EN[f"store.kind.{shown['kind']}"]
    if isinstance(shown.get("time"), datetime):
        shown["time"] = shown["time"].astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return _EN[msgid].format(**shown)
