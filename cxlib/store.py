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
import json
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cxlib._store_tables import ACTIONS as ACTIONS
from cxlib._store_tables import BUSY_TIMEOUT_S as BUSY_TIMEOUT_S
from cxlib._store_tables import SCHEMA_VERSION as SCHEMA_VERSION
from cxlib._store_tables import (
    bump,
    entry_query,
    insert_entry,
    integrity_problems,
    prepare_schema,
    put_draft,
    record_change,
    undone_since,
    use_sqlite_transactions,
)
from cxlib._store_tables import drafts as _drafts
from cxlib._store_tables import entries as _entries
from cxlib._store_tables import history as _history
from cxlib._store_values import EN as _EN  # noqa: F401  (tests compare it with store.po)
from cxlib._store_values import (
    KINDS,
    StoreError,
    change_of,
    check_draft_key,
    check_id,
    check_kind,
    check_version,
    check_who,
    decode,
    encode,
    encode_checked,
    record_of,
)
from cxlib._store_values import MAX_DATA_BYTES as MAX_DATA_BYTES
from cxlib._store_values import MAX_DRAFT_KEY as MAX_DRAFT_KEY
from cxlib._store_values import MAX_ID as MAX_ID
from cxlib._store_values import MAX_WHO as MAX_WHO
from cxlib._store_values import Change as Change
from cxlib._store_values import ImportCounts as ImportCounts
from cxlib._store_values import Record as Record

# The ``X as X`` imports, KINDS and StoreError are this module's API, defined in the private
# ``_store_values`` (what users give, the messages) and ``_store_tables`` (how it is stored).

Validator = Callable[[str, Mapping[str, Any]], None]


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
            use_sqlite_transactions(engine)
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
        kind, who = check_kind(kind), check_who(who)
        text, value = self._checked_data(kind, data)
        entry_id = uuid.uuid4().hex
        with self._transaction(write=True) as conn:
            now = _now()
            insert_entry(conn, now, who, kind, entry_id, text)
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
        who = check_who(who)
        checked: dict[tuple[str, str], str] = {}
        for kind, id, data in records:
            key = (check_kind(kind), check_id(id))
            if key in checked:
                raise StoreError("store.import_duplicate", kind=kind, id=id)
            checked[key] = self._checked_data(kind, data)[0]
        added, updated, unchanged = dict.fromkeys(KINDS, 0), dict.fromkeys(KINDS, 0), 0
        with self._transaction(write=True) as conn:
            now = _now()
            for (kind, id), text in checked.items():
                row = conn.execute(entry_query(kind, id).with_for_update()).one_or_none()
                if row is None:
                    insert_entry(conn, now, who, kind, id, text)
                    added[kind] += 1
                elif not row.deleted and decode(row.data) == decode(text):
                    unchanged += 1
                elif bump(conn, kind, id, row.version, now, who, text, deleted=False):
                    before = None if row.deleted else row.data
                    v = row.version
                    record_change(conn, now, who, kind, id, "edit", before, text, v, v + 1)
                    (added if row.deleted else updated)[kind] += 1
                else:  # the row is locked: only a damaged database gets here
                    raise _conflict("store.conflict.saved", kind, row, row.version, decode(text))
        return ImportCounts(added, updated, unchanged)

    def get(self, kind: str, id: str) -> Record:
        """The live entry ``id`` of ``kind``.

        Raises
        ------
        NotFound
            No such entry, or it is deleted (the message says by whom and when).
        """
        kind, id = check_kind(kind), check_id(id)
        with self._transaction(write=False) as conn:
            row = conn.execute(entry_query(kind, id)).one_or_none()
        if row is None:
            raise NotFound("store.not_found", kind=kind, id=id)
        if row.deleted:
            raise NotFound("store.deleted", kind=kind, who=row.updated_by, time=row.updated_at)
        return record_of(row)

    def list(self, kind: str) -> list[Record]:
        """The live entries of ``kind``, oldest first (in the order they were added)."""
        kind = check_kind(kind)
        query = (
            sa.select(_entries)
            .where(_entries.c.kind == kind, sa.not_(_entries.c.deleted))
            .order_by(_entries.c.pos)
        )
        with self._transaction(write=False) as conn:
            return [record_of(row) for row in conn.execute(query)]

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
        kind, id, who = check_kind(kind), check_id(id), check_who(who)
        version = check_version(version)
        text, value = self._checked_data(kind, data)
        with self._transaction(write=True) as conn:
            row = _locked_entry(conn, kind, id)
            now = _now()
            if not bump(conn, kind, id, version, now, who, text, deleted=False, live_only=True):
                if row.deleted:
                    raise _conflict("store.conflict.deleted", kind, row, version, value)
                raise _conflict("store.conflict.saved", kind, row, version, value)
            record_change(conn, now, who, kind, id, "edit", row.data, text, version, version + 1)
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
        kind, id, who = check_kind(kind), check_id(id), check_who(who)
        version = check_version(version)
        with self._transaction(write=True) as conn:
            row = _locked_entry(conn, kind, id)
            now = _now()
            if not bump(conn, kind, id, version, now, who, data=None, deleted=True, live_only=True):
                if row.deleted:
                    raise _conflict("store.conflict.already_deleted", kind, row, version, None)
                raise _conflict("store.conflict.changed_before_delete", kind, row, version, None)
            record_change(conn, now, who, kind, id, "delete", row.data, None, version, version + 1)

    # -- history and undo ----------------------------------------------------------------------

    def history(
        self, *, kind: str | None = None, id: str | None = None, limit: int | None = None
    ) -> builtins.list[Change]:
        """Changes, newest first; optionally of one kind, one entry, and at most ``limit``."""
        query = sa.select(_history).order_by(_history.c.seq.desc())
        if kind is not None:
            query = query.where(_history.c.kind == check_kind(kind))
        if id is not None:
            query = query.where(_history.c.id == check_id(id))
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
                raise StoreError("store.limit_invalid", limit=limit)
            query = query.limit(limit)
        with self._transaction(write=False) as conn:
            return [change_of(row) for row in conn.execute(query)]

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
        who = check_who(who)
        if isinstance(seq, bool) or not isinstance(seq, int):
            raise NotFound("store.change_not_found", seq=repr(seq))
        with self._transaction(write=False) as conn:
            found = conn.execute(sa.select(_history).where(_history.c.seq == seq)).one_or_none()
        if found is None:
            raise NotFound("store.change_not_found", seq=seq)
        change = change_of(found)
        kind, id, target = change.kind, change.id, change.before
        text = None if target is None else encode(kind, target)
        if text is not None:
            self._check_hook(kind, text)
        with self._transaction(write=True) as conn:
            row = _locked_entry(conn, kind, id)
            expected = _required(change.version_after)
            if row.version != expected and undone_since(
                conn, kind, id, row, seq=change.seq, after=change.after
            ):
                expected = row.version
            now = _now()
            if not bump(conn, kind, id, expected, now, who, text, deleted=text is None):
                first_undo = sa.select(_history).where(_history.c.undoes == seq)
                undone = conn.execute(first_undo.order_by(_history.c.seq)).first()
                if undone is None:
                    raise _conflict("store.undo.changed_since", kind, row, expected, target)
                current = None if row.deleted else record_of(row)
                raise Conflict(
                    "store.undo.already_undone", current=current, yours=target, kind=kind,
                    who=undone.who, time=undone.at,
                )  # fmt: skip
            before = None if row.deleted else row.data
            record_change(
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
        who = check_who(who)
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
        who, key = check_who(who), check_draft_key(key)
        text = encode_checked("draft", data)
        now = _now()
        with self._transaction(write=True) as conn:
            put_draft(conn, who, key, text, now)

    def draft(self, who: str, key: str) -> dict[str, Any] | None:
        """The draft of ``who`` under ``key``, or None."""
        who, key = check_who(who), check_draft_key(key)
        query = sa.select(_drafts.c.data).where(_drafts.c.who == who, _drafts.c.key == key)
        with self._transaction(write=False) as conn:
            text = conn.scalar(query)
        return None if text is None else dict(json.loads(text))

    def discard_draft(self, who: str, key: str) -> None:
        """Forget the draft of ``who`` under ``key`` (no error if there is none)."""
        who, key = check_who(who), check_draft_key(key)
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
        with self._transaction(write=False, snapshot=True) as conn:
            return integrity_problems(conn)

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
            lines = str(error.orig or error).strip().splitlines()
            reason = lines[0] if lines else type(error.orig or error).__name__
            raise StoreError("store.unavailable", reason=reason) from error
        except sa.exc.IntegrityError as error:  # e.g. two imports adding the same new id at once
            raise StoreError("store.concurrent_write") from error

    def _checked_data(self, kind: str, data: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """Encode ``data``, run the validation hook on it; return the text and a fresh copy."""
        text = encode_checked(kind, data)
        self._check_hook(kind, text)
        return text, json.loads(text)

    def _check_hook(self, kind: str, text: str) -> None:
        """Run the validation hook on (a copy of) the data about to be written."""
        if self._validate is not None:
            self._validate(kind, json.loads(text))

    def _prepare_schema(self) -> None:
        """Create the tables if missing; refuse a schema newer than :data:`SCHEMA_VERSION`."""
        with self._transaction(write=True) as conn:
            prepare_schema(conn)


def _locked_entry(conn: Connection, kind: str, id: str) -> Any:
    """The entry's row, locked until the transaction ends (SQLite: the write lock is held)."""
    row = conn.execute(entry_query(kind, id).with_for_update()).one_or_none()
    if row is None:
        raise NotFound("store.not_found", kind=kind, id=id)
    return row


def _conflict(
    msgid: str, kind: str, row: Any, yours_version: int, yours: dict[str, Any] | None
) -> Conflict:
    """A conflict with what is stored now (``row``, locked) and what the user tried."""
    return Conflict(
        msgid,
        current=None if row.deleted else record_of(row),
        yours=yours,
        kind=kind,
        who=row.updated_by,
        time=row.updated_at,
        version=row.version,
        your_version=yours_version,
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _required(value: int | None) -> int:
    if value is None:  # the schema forbids it; a damaged database is reported, not guessed at
        raise StoreError("store.schema_unreadable", found="version_after NULL")
    return value
