"""The workbook's content as YAML files: export, import, journey templates, new workspaces.

``cx-workbook export WS DIR`` writes four files a person can read, diff and keep in git:

``goals.yaml``
    ``{version: 1, goals: [{id, title, kpi, target, …}, …]}``
``journeys.yaml``
    ``{version: 1, journeys: [{id, name, persona, scenario, stages: [{id, name, phase,
    customer_goal, touchpoints: [{id, name, channel, owner, emotion, …}]}]}]}`` — stages and
    touchpoints nested in their journey and stage, in map order.
``actions.yaml``
    ``{version: 1, actions: [{id, title, owner, due, …}, …]}``
``history.yaml``
    every change (who, when, what, before/after), newest first — a record; import ignores it.

``cx-workbook import WS DIR`` reads the first three (a missing file contributes nothing), checks
every entry and every reference first and lists every problem with its file and line; only when
all are fine does it write them, in one transaction: an entry whose id is known is updated, one
with a new or no id is added, entries of the workbook absent from the files stay as they are.

A journey template (``templates/journeys/<industry>.yaml``) is ``journeys.yaml`` without ids,
plus the ``departments`` its owners name; :func:`init_workspace` starts a workspace from one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxlib.errors import CxError, FieldProblem, ValidationError, WorkspaceError, did_you_mean
from cxlib.i18n import Translator
from cxlib.journey import Journey
from cxlib.resources import templates_dir
from cxlib.workbook import MODELS, Workbook, to_data
from cxlib.yamlfile import dump_yaml, line_of, plain, read_yaml

FORMAT_VERSION = 1
FILES = ("goals.yaml", "journeys.yaml", "actions.yaml")
HISTORY_FILE = "history.yaml"


class ImportProblem(CxError):
    """Entries of an import (or a template) break rules; nothing was written."""


@dataclass(frozen=True)
class ImportResult:
    """What an import did: entries added and updated per kind, and entries left unchanged."""

    added: Mapping[str, int]
    updated: Mapping[str, int]
    unchanged: int


@dataclass(frozen=True)
class _Located:
    """An entry read from a file, with where it was (for messages)."""

    kind: str
    data: dict[str, Any]
    file: Path
    line: int | None


# export --------------------------------------------------------------------------------------


def export_workbook(workbook: Workbook, folder: str | Path) -> list[Path]:
    """Write the workbook's content to ``folder`` (created); return the files written."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    header = "CX Workbook export (cx-workbook export); read back with cx-workbook import."
    goals = [_id_first(entry.item.to_dict()) for entry in workbook.goals()]
    actions = [_id_first(entry.item.to_dict()) for entry in workbook.actions()]
    journeys = [_nested_journey(workbook, entry.item) for entry in workbook.journeys()]
    changes = [_change(change) for change in workbook.store.history()]
    written = []
    for name, key, items in (
        ("goals.yaml", "goals", goals),
        ("journeys.yaml", "journeys", journeys),
        ("actions.yaml", "actions", actions),
        (HISTORY_FILE, "changes", changes),
    ):
        path = out / name
        dump_yaml({"version": FORMAT_VERSION, key: items}, path, header=header)
        written.append(path)
    return written


def _nested_journey(workbook: Workbook, journey: Journey) -> dict[str, Any]:
    stages = []
    for stage_entry in workbook.stages(journey.id):
        stage = _id_first(stage_entry.item.to_dict())
        del stage["journey_id"], stage["position"]
        stage["touchpoints"] = []
        for touchpoint_entry in workbook.touchpoints(stage_entry.item.id):
            touchpoint = _id_first(touchpoint_entry.item.to_dict())
            del touchpoint["stage_id"]
            stage["touchpoints"].append(touchpoint)
        stages.append(stage)
    return {**_id_first(journey.to_dict()), "stages": stages}


def _id_first(data: dict[str, Any]) -> dict[str, Any]:
    """The entry with its id as the first key (easier to read and to diff)."""
    return {"id": data.pop("id"), **data}


def _change(change: Any) -> dict[str, Any]:
    return {
        "seq": change.seq,
        "at": change.at.isoformat(),
        "who": change.who,
        "kind": change.kind,
        "id": change.id,
        "action": change.action,
        "version_before": change.version_before,
        "version_after": change.version_after,
        "undoes": change.undoes,
        "before": change.before,
        "after": change.after,
    }


# import --------------------------------------------------------------------------------------


def import_workbook(workbook: Workbook, folder: str | Path, *, who: str) -> ImportResult:
    """Check and write the entries of an export folder (see the module docstring).

    Raises
    ------
    ImportProblem
        When a file is unreadable or any entry breaks a rule (every problem listed, with file
        and line); nothing is written then.
    """
    source = Path(folder)
    if not source.is_dir():
        raise ImportProblem(
            "is not a folder.", file=source, hint="Name the folder 'cx-workbook export' wrote."
        )
    present = [source / name for name in FILES if (source / name).exists()]
    if not present:
        raise ImportProblem(
            f"holds none of {', '.join(FILES)}.",
            file=source,
            hint="Name the folder 'cx-workbook export' wrote.",
        )
    located: list[_Located] = []
    for path in present:
        located += _read_export_file(path)
    return _write_checked(workbook, located, who=who)


def _read_export_file(path: Path) -> list[_Located]:
    key = path.stem
    document = read_yaml(
        path,
        error=ImportProblem,
        hint="Start from a file 'cx-workbook export' wrote.",
        keys=f"version, {key}",
    )
    _check_version(document, path)
    items = document.get(key, [])
    if not isinstance(items, list):
        raise ImportProblem(
            f"'{key}' must be a list of entries.", file=path, line=line_of(document, (key,))
        )
    if key == "journeys":
        return list(_flatten_journeys(document, items, path))
    kind = "goal" if key == "goals" else "action"
    return [
        _Located(kind, _mapping(item), path, line_of(document, (key, i)))
        for i, item in enumerate(items)
    ]


def _check_version(document: Any, path: Path) -> None:
    version = document.get("version")
    if version != FORMAT_VERSION:
        raise ImportProblem(
            f"has version {version!r}; this CX Workbook reads version {FORMAT_VERSION}.",
            file=path,
            line=line_of(document, ("version",)) or 1,
            hint="Export it again with this version, or upgrade CX Workbook.",
        )


def _mapping(node: Any) -> dict[str, Any]:
    value = plain(node)
    return value if isinstance(value, dict) else {"": value}


def _flatten_journeys(document: Any, items: list[Any], path: Path) -> Iterator[_Located]:
    """Journeys with nested stages and touchpoints → one entry each, ids given where missing."""
    for j, node in enumerate(items):
        data = _mapping(node)
        stages = data.pop("stages", [])
        journey_id = data.get("id") or _new_id()
        yield _Located(
            "journey", {**data, "id": journey_id}, path, line_of(document, ("journeys", j))
        )
        if not isinstance(stages, list):
            stages = []
        for s, stage_node in enumerate(stages):
            where = ("journeys", j, "stages", s)
            stage = stage_node if isinstance(stage_node, dict) else {"": stage_node}
            touchpoints = stage.pop("touchpoints", [])
            stage_id = stage.get("id") or _new_id()
            yield _Located(
                "stage",
                {**stage, "id": stage_id, "journey_id": journey_id, "position": s},
                path,
                line_of(document, where),
            )
            for t, touchpoint in enumerate(touchpoints if isinstance(touchpoints, list) else []):
                touchpoint = touchpoint if isinstance(touchpoint, dict) else {"": touchpoint}
                yield _Located(
                    "touchpoint",
                    {**touchpoint, "id": touchpoint.get("id") or _new_id(), "stage_id": stage_id},
                    path,
                    line_of(document, (*where, "touchpoints", t)),
                )


def _new_id() -> str:
    return uuid.uuid4().hex


def _write_checked(workbook: Workbook, located: Sequence[_Located], *, who: str) -> ImportResult:
    """Read every entry as its model, check rules and references, then write all or nothing."""
    tr = Translator("en")
    problems: list[str] = []
    items: list[tuple[_Located, Any]] = []
    for entry in located:
        data = {**entry.data}
        data.setdefault("id", _new_id())
        try:
            items.append((entry, MODELS[entry.kind].from_dict(data)))
        except ValidationError as error:
            problems += _describe(entry, error.problems, tr)
    known: dict[str, set[str]] = {kind: set() for kind in MODELS}
    for _, item in items:
        known[item.KIND].add(item.id)
    for entry, item in items:
        # an import restores what was: a date that has passed since is not refused
        found = workbook.problems(item, previous=item, known=known)
        problems += _describe(entry, found, tr)
    if problems:
        shown = "; ".join(problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        raise ImportProblem(
            f"nothing was imported: {shown}{more}.", hint="Fix these entries and import again."
        )
    records = [(item.KIND, item.id, to_data(item)) for _, item in items]
    counts = workbook.store.import_entries(records, who=who)
    return ImportResult(counts.added, counts.updated, counts.unchanged)


def _describe(entry: _Located, problems: Sequence[FieldProblem], tr: Translator) -> list[str]:
    where = f"{entry.file.name}:{entry.line}" if entry.line else entry.file.name
    name = entry.data.get("title") or entry.data.get("name") or ""
    label = f"{entry.kind} {name!r}" if isinstance(name, str) and name else entry.kind
    return [
        f"{where} {label}: {problem.field or entry.kind}: {tr(problem.msgid, **problem.values)}"
        for problem in problems
    ]


# templates and new workspaces ----------------------------------------------------------------


def journey_templates() -> list[str]:
    """Names of the journey templates shipped in ``templates/journeys/``."""
    return sorted(path.stem for path in (templates_dir() / "journeys").glob("*.yaml"))


def template_path(name: str) -> Path:
    """The file of journey template ``name`` (raises CxError naming the templates there are)."""
    names = journey_templates()
    if name not in names:
        raise CxError(
            f"unknown journey template {name!r}; there are: {', '.join(names)}."
            + did_you_mean(name, names)
        )
    return templates_dir() / "journeys" / f"{name}.yaml"


def read_template(name: str) -> tuple[list[str], Path]:
    """The departments a template's owners name, and its file (checked when it is applied)."""
    path = template_path(name)
    document = read_yaml(path, error=CxError, hint="Templates are YAML mappings.")
    _check_version(document, path)
    departments = plain(document).get("departments", [])
    return [str(d) for d in departments], path


def apply_template(workbook: Workbook, name: str, *, who: str) -> ImportResult:
    """Add the journeys of template ``name`` to the workbook (all checked first)."""
    _, path = read_template(name)
    document = read_yaml(path, error=CxError, hint="Templates are YAML mappings.")
    items = document.get("journeys", [])
    return _write_checked(workbook, list(_flatten_journeys(document, items, path)), who=who)


def seed_demo_workbook(root: str | Path, *, who: str = "demo") -> ImportResult:
    """Give a demo workspace its workshop's goals, journey map and actions.

    They are ``templates/demo/workbook/*.yaml``, with fixed ids, so seeding again changes
    nothing that is still as shipped.
    """
    from cxlib.workspace import load_workspace

    with Workbook.open(load_workspace(root)) as workbook:
        return import_workbook(workbook, templates_dir() / "demo" / "workbook", who=who)


WORKSPACE_TEMPLATE = """\
# CX Workbook workspace ({template} template). Describe your programme, map your exports under
# `sources`, then run `cx-workbook check .` — the full contract is in the README.
version: 1
name: {name}
language: {language}
currency: EUR
timezone: Europe/Berlin
mission: ""
vision: ""
values: []
departments: [{departments}]
dimensions: []
sources:
  responses:
    path: data/responses.csv     # put your survey export here (csv, xlsx, parquet, Qualtrics)
    columns:
      response_id: ResponseId
      submitted_at: RecordedDate
      nps: NPS
"""


def init_workspace(
    folder: str | Path, *, template: str, name: str = "", language: str = "en", who: str
) -> Path:
    """Start a workspace in ``folder`` (new or empty): workspace.yaml, data/, reports/, the journey.

    Raises
    ------
    CxError
        When ``folder`` already holds files, or the template is unknown.
    """
    from cxlib.workspace import load_workspace

    root = Path(folder)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise WorkspaceError(
            "already exists and is not an empty folder; nothing was changed.",
            file=root,
            hint="Choose a new folder for the workspace.",
        )
    departments, _ = read_template(template)
    root.mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir()
    (root / "reports").mkdir()
    config = root / "workspace.yaml"
    config.write_text(
        WORKSPACE_TEMPLATE.format(
            template=template,
            name=_yaml_text(name or root.resolve().name),
            language=language,
            departments=", ".join(_yaml_text(d) for d in departments),
        ),
        encoding="utf-8",
    )
    with Workbook.open(load_workspace(root, require_files=False)) as workbook:
        apply_template(workbook, template, who=who)
    return config


def _yaml_text(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
