"""Checking and encoding what the user gives the workshop store, and its English messages.

Every value a :class:`cxlib.store.Store` method receives from a caller (kind, author, version,
entry id, draft key, entry data) is checked here before anything touches the database; entry
data is copied to plain JSON values and encoded in one canonical form (sorted keys, no spaces),
so that equal data is stored as equal text. A refusal is a :class:`StoreError` with a message id
from ``store.po`` and an English one-line message built from :data:`EN`.

:data:`KINDS`, the limits and :class:`StoreError` are part of (and re-exported by)
:mod:`cxlib.store`; the functions are the store's helpers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cxlib.errors import CxError

KINDS = ("goal", "journey", "stage", "touchpoint", "action")
MAX_DATA_BYTES = 64 * 1024
MAX_WHO = 100
MAX_ID = 64
MAX_DRAFT_KEY = 200

#: English texts of the messages (the ``store.po`` catalogue is the source; a test compares).
EN = {
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
    "store.concurrent_write": (
        "Someone else wrote the same entries at the same moment. Nothing was saved; reload and "
        "try again."
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

    __module__ = "cxlib.store"  # where it is imported from, documented and shown in tracebacks

    def __init__(self, msgid: str, **params: Any) -> None:
        self.msgid = msgid
        self.params: dict[str, Any] = params
        super().__init__(_english(msgid, params))


def _english(msgid: str, params: Mapping[str, Any]) -> str:
    """The English one-line message (for logs and the CLI; forms translate ``msgid``)."""
    shown = dict(params)
    if isinstance(shown.get("kind"), str) and shown["kind"] in KINDS:
        shown["kind"] = EN[f"store.kind.{shown['kind']}"]
    if isinstance(shown.get("time"), datetime):
        shown["time"] = shown["time"].astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return EN[msgid].format(**shown)


def check_kind(kind: object) -> str:
    """``kind`` if it is one of :data:`KINDS`."""
    if not isinstance(kind, str) or kind not in KINDS:
        raise StoreError("store.kind_unknown", kind=kind, kinds=", ".join(KINDS))
    return kind


def check_who(who: object) -> str:
    """The author's name, stripped: not empty, at most :data:`MAX_WHO` characters."""
    if not isinstance(who, str) or not who.strip():
        raise StoreError("store.who_missing")
    name = who.strip()
    if len(name) > MAX_WHO:
        raise StoreError("store.who_too_long", n=len(name), max=MAX_WHO)
    return name


def check_version(version: object) -> int:
    """``version`` if it is a whole number from 1 up (not a bool)."""
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise StoreError("store.version_invalid", version=repr(version))
    return version


def check_id(id: object) -> str:
    """``id`` (unchanged) if it is a text of 1 to :data:`MAX_ID` characters, not blank."""
    if not isinstance(id, str) or not id.strip() or len(id) > MAX_ID:
        raise StoreError("store.id_invalid", id=repr(id)[:80], max=MAX_ID)
    return id


def check_draft_key(key: object) -> str:
    """``key`` (unchanged) if it is a text of 1 to :data:`MAX_DRAFT_KEY` characters, not blank."""
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_DRAFT_KEY:
        raise StoreError("store.draft_key_invalid", key=repr(key)[:60], max=MAX_DRAFT_KEY)
    return key


def encode_checked(kind: str, data: object) -> str:
    """Check that ``data`` is a JSON-able dict of at most :data:`MAX_DATA_BYTES`; encode it."""
    if not isinstance(data, Mapping):
        raise StoreError("store.data_not_mapping", kind=kind, type=type(data).__name__)
    return encode(kind, _plain(kind, data, ""))


def encode(kind: str, value: Mapping[str, Any]) -> str:
    """``value`` (plain JSON values) as canonical JSON text, at most :data:`MAX_DATA_BYTES`."""
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


def decode(text: str | None) -> Any:
    """The value of stored JSON text; None for None (absent or deleted data)."""
    return None if text is None else json.loads(text)


# -- what the store returns ------------------------------------------------------------------


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


def record_of(row: Any) -> Record:
    """The :class:`Record` of an ``entries`` row."""
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


def change_of(row: Any) -> Change:
    """The :class:`Change` of a ``history`` row."""
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
