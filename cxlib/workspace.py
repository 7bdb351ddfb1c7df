"""Read and validate a workspace: the folder holding ``workspace.yaml``, data and reports.

``workspace.yaml`` is a public contract (``version: 1``), described by the JSON Schema
``cxlib/workspace.schema.json``. It is read with YAML 1.2 semantics (ruamel.yaml), so an unquoted
``Yes`` or ``No`` stays a string. Every problem is reported as a :class:`WorkspaceError` naming the
file, the line and the key, with the closest valid key where one was probably meant.
"""

from __future__ import annotations

import glob
import json
import os
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

from cxlib.errors import WorkspaceError, did_you_mean
from cxlib.yamlfile import dotted, line_of, read_yaml
from cxlib.yamlfile import plain as plain_yaml

CONFIG_NAME = "workspace.yaml"
SCHEMA_PATH = Path(__file__).resolve().parent / "workspace.schema.json"

#: Canonical columns of each table (DESIGN.md, "Canonical tables"); dimensions come on top.
CANONICAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "responses": (
        "response_id",
        "submitted_at",
        "customer_id",
        "nps",
        "csat",
        "ces",
        "satisfied",
        "comment",
        "language",
        "weight",
    ),
    "tickets": (
        "ticket_id",
        "created_at",
        "first_response_at",
        "resolved_at",
        "status",
        "channel",
        "category",
        "priority",
        "contacts",
        "reopened",
        "sla_met",
        "csat",
        "text",
        "customer_id",
    ),
    "orders": ("order_id", "customer_id", "ordered_at", "revenue", "channel"),
    "customers": (
        "customer_id",
        "churned",
        "started_at",
        "ended_at",
        "tenure_months",
        "revenue",
    ),
    "employees": ("submitted_at", "department", "enps"),
    "feedback": ("text", "feedback_id", "submitted_at", "channel", "rating", "language"),
}

#: Columns a table cannot do without: the mapping must name them; rows missing one are dropped.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "tickets": ("ticket_id", "created_at"),
    "orders": ("order_id", "customer_id", "ordered_at", "revenue"),
    "employees": ("enps",),
    "customers": ("customer_id",),
    "feedback": ("text",),
}
#: Survey answers that count as a score (besides touchpoint ratings).
SCORE_COLUMNS = ("nps", "csat", "ces", "satisfied")
#: Default answer scales (DESIGN.md): NPS 0–10, CSAT 1–5, CES 1–7.
DEFAULT_SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


@dataclass(frozen=True)
class Source:
    """One data source of a canonical table, as configured in ``workspace.yaml``.

    Attributes
    ----------
    table
        The canonical table it becomes (``responses``, ``tickets`` …).
    key
        Its key path in ``workspace.yaml`` (``sources.responses`` or ``sources.responses[1]``).
    path
        The configured path or glob, resolved against the workspace folder.
    files
        The files that path matched, sorted.
    columns
        Canonical column → column name in the file.
    ratings
        Touchpoint id → column name in the file.
    scales
        Canonical score column → (low, high), with defaults filled in.
    """

    table: str
    key: str
    path: Path
    files: tuple[Path, ...]
    columns: Mapping[str, str]
    ratings: Mapping[str, str] = field(default_factory=dict)
    scales: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    rating_scale: tuple[int, int] = (1, 5)
    not_applicable: tuple[int, ...] = ()
    encoding: str = "auto"
    format: str = "auto"
    sheet: str | int | None = None
    values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    extract: Mapping[str, str] = field(default_factory=dict)
    dedupe: Mapping[str, str] = field(default_factory=dict)
    na_values: tuple[str, ...] = ()
    date_format: Mapping[str, str] = field(default_factory=dict)
    max_dropped_share: float = 0.05


@dataclass(frozen=True)
class Workspace:
    """A loaded and validated workspace.

    Attributes
    ----------
    root
        The workspace folder.
    config_path
        Its ``workspace.yaml``.
    sources
        Canonical table → the sources feeding it (usually one).
    """

    root: Path
    config_path: Path
    name: str
    language: str
    currency: str
    timezone: str
    mission: str
    vision: str
    values: tuple[str, ...]
    departments: tuple[str, ...]
    dimensions: tuple[str, ...]
    sources: Mapping[str, tuple[Source, ...]]
    config: Mapping[str, Any]

    @property
    def reports_dir(self) -> Path:
        """Where ``cx-workbook report`` writes by default."""
        return self.root / "reports"


@cache
def _schema() -> dict[str, Any]:
    with SCHEMA_PATH.open(encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema


def load_workspace(path: str | os.PathLike[str], *, require_files: bool = True) -> Workspace:
    """Load ``workspace.yaml`` from a workspace folder (or the file itself) and validate it.

    Parameters
    ----------
    path
        The workspace folder, or its ``workspace.yaml``.
    require_files
        Refuse a source whose data files do not exist (default). The workshop's own work
        (goals, journeys) needs no data yet: without this, such a source has no files and
        loading its table fails.

    Returns
    -------
    Workspace
        The validated configuration, paths resolved against the folder.

    Raises
    ------
    WorkspaceError
        When the folder or file is missing, the YAML is malformed, a key or value is not
        allowed, or a configured data file does not exist.
    """
    given = Path(path).expanduser()
    config_path = given if given.suffix in {".yaml", ".yml"} else given / CONFIG_NAME
    if not config_path.parent.is_dir():
        raise WorkspaceError(
            f"workspace folder '{config_path.parent}' does not exist.",
            hint="Create one with 'cx-workbook demo DIR' or point to an existing workspace.",
        )
    if not config_path.is_file():
        raise WorkspaceError(
            f"'{config_path}' not found: a workspace folder needs a {CONFIG_NAME}.",
            hint="Create one with 'cx-workbook demo DIR' or copy templates/demo/workspace.yaml.",
        )
    document = _read_yaml(config_path)
    _validate_schema(document, config_path)
    root = config_path.parent.resolve()
    plain: dict[str, Any] = plain_yaml(document)
    dimensions = tuple(plain.get("dimensions", ()))
    timezone = plain.get("timezone", "UTC")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise WorkspaceError(
            f"timezone '{timezone}' is not a known IANA time zone.",
            file=config_path,
            key="timezone",
            line=line_of(document, ("timezone",)),
            hint="Use a name such as 'Europe/Berlin' or 'UTC'.",
        ) from None
    sources: dict[str, tuple[Source, ...]] = {}
    for table, blocks in plain["sources"].items():
        block_list = blocks if isinstance(blocks, list) else [blocks]
        built = []
        for index, block in enumerate(block_list):
            where: tuple[str | int, ...] = ("sources", table)
            if isinstance(blocks, list):
                where = (*where, index)
            built.append(
                _source(table, block, where, root, document, config_path, dimensions, require_files)
            )
        sources[table] = tuple(built)
    return Workspace(
        root=root,
        config_path=config_path.resolve(),
        name=plain["name"],
        language=plain.get("language", "en"),
        currency=plain.get("currency", "EUR"),
        timezone=timezone,
        mission=plain.get("mission", ""),
        vision=plain.get("vision", ""),
        values=tuple(plain.get("values", ())),
        departments=tuple(plain.get("departments", ())),
        dimensions=dimensions,
        sources=sources,
        config=plain,
    )


def _read_yaml(config_path: Path) -> Any:
    return read_yaml(
        config_path,
        error=WorkspaceError,
        hint="Start from templates/demo/workspace.yaml.",
        keys="version, name, sources …",
    )


def _validate_schema(document: Any, config_path: Path) -> None:
    validator = jsonschema.Draft202012Validator(_schema())
    errors = list(validator.iter_errors(document))
    if not errors:
        return
    # an unknown key is usually a misspelt one, which also explains a "missing" key: say it first
    typos = [e for e in errors if e.validator == "additionalProperties"]
    error = typos[0] if typos else best_match(errors)
    path = tuple(error.absolute_path)
    key = dotted(path) or "(top level)"
    hint = None
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unexpected = sorted(set(error.instance) - set(allowed))
        bad = unexpected[0] if unexpected else ""
        path = (*path, bad)
        message = f"unknown key '{dotted(path)}'.{did_you_mean(bad, allowed)}"
        hint = f"Allowed here: {', '.join(allowed)}."
    elif error.validator == "required":
        message = f"'{key}' is missing a required key: {error.message.split(' ')[0]}."
    elif error.validator in {"enum", "const"}:
        allowed_values = error.validator_value
        if error.validator == "const":
            allowed_values = [allowed_values]
        choices = ", ".join(str(v) for v in allowed_values)
        message = f"'{key}' is {error.instance!r}; allowed: {choices}."
    else:
        message = f"'{key}': {error.message}."
    raise WorkspaceError(
        message, file=config_path, key=dotted(path), line=line_of(document, path), hint=hint
    )


def _source(
    table: str,
    block: dict[str, Any],
    where: tuple[str | int, ...],
    root: Path,
    document: Any,
    config_path: Path,
    dimensions: tuple[str, ...],
    require_files: bool = True,
) -> Source:
    allowed = (*CANONICAL_COLUMNS[table], *dimensions)
    for canonical in block.get("columns", {}):
        if canonical not in allowed:
            key_path = (*where, "columns", canonical)
            raise _error(
                document,
                config_path,
                f"'{canonical}' is not a column of the {table} table."
                f"{did_you_mean(canonical, allowed)}",
                key_path,
                hint=f"Allowed: {', '.join(allowed)} (dimensions come from 'dimensions').",
            )
    if table == "responses" and not (
        set(SCORE_COLUMNS) & set(block.get("columns", {})) or block.get("ratings")
    ):
        key_path = (*where, "columns")
        raise _error(
            document,
            config_path,
            f"{dotted(where)} maps no score: map at least one of {', '.join(SCORE_COLUMNS)} "
            "or some ratings.",
            key_path,
            hint="For example 'nps: <column with the 0-10 answers>'.",
            near=where,
        )
    for canonical in REQUIRED_COLUMNS.get(table, ()):
        if canonical not in block.get("columns", {}):
            key_path = (*where, "columns")
            raise _error(
                document,
                config_path,
                f"{dotted(where)}.columns must map '{canonical}'.",
                key_path,
                hint=f"Add '{canonical}: <column in the file>' under columns.",
                near=where,
            )
    mapped = {*block.get("columns", {}), *(f"rating_{r}" for r in block.get("ratings", {}))}
    for key in ("values", "extract", "date_format", "scales"):
        for canonical in block.get(key, {}):
            if canonical not in mapped:
                raise _error(
                    document,
                    config_path,
                    f"{key} names '{canonical}', which this source does not map."
                    f"{did_you_mean(canonical, sorted(mapped))}",
                    (*where, key, canonical),
                    hint=f"Use one of: {', '.join(sorted(mapped))}.",
                )
    for canonical, pattern_text in block.get("extract", {}).items():
        try:
            groups = re.compile(pattern_text).groups
        except re.error as error:
            groups, problem = -1, str(error)
        if groups < 1:
            raise _error(
                document,
                config_path,
                f"extract pattern for '{canonical}' "
                + (
                    "has no group ( … ) to take the value from."
                    if groups == 0
                    else f"is not a valid regular expression: {problem}."
                ),
                (*where, "extract", canonical),
                hint='For example "__label__(\\d)".',
            )
    for key in ("by", "order_by"):
        name = block.get("dedupe", {}).get(key)
        if name is not None and name not in mapped:
            raise _error(
                document,
                config_path,
                f"dedupe.{key} names '{name}', which this source does not map.",
                (*where, "dedupe", key),
                hint=f"Use one of: {', '.join(sorted(mapped))}.",
            )
    pattern = Path(glob.escape(str(root))) / block["path"]
    files = tuple(sorted(Path(p).resolve() for p in glob.glob(str(pattern)) if Path(p).is_file()))
    if not files and require_files:
        key_path = (*where, "path")
        raise _error(
            document,
            config_path,
            f"data file '{block['path']}' of {dotted(where)} not found in '{root}'.",
            key_path,
            hint="Fix the path (relative to the workspace folder) or add the file.",
        )
    scales = dict(DEFAULT_SCALES)
    scales.update({k: (int(v[0]), int(v[1])) for k, v in block.get("scales", {}).items()})
    rating_scale = block.get("rating_scale", [1, 5])
    return Source(
        table=table,
        key=dotted(where),
        path=root / block["path"],
        files=files,
        columns=dict(block.get("columns", {})),
        ratings=dict(block.get("ratings", {})),
        scales=scales,
        rating_scale=(int(rating_scale[0]), int(rating_scale[1])),
        not_applicable=tuple(block.get("not_applicable", ())),
        na_values=tuple(block.get("na_values", ())),
        date_format=dict(block.get("date_format", {})),
        max_dropped_share=float(block.get("max_dropped_share", 0.05)),
        encoding=str(block.get("encoding", "auto")),
        format=str(block.get("format", "auto")),
        sheet=block.get("sheet"),
        values={k: dict(v) for k, v in block.get("values", {}).items()},
        extract=dict(block.get("extract", {})),
        dedupe=dict(block.get("dedupe", {})),
    )


def require_dimension(workspace: Workspace, name: str, *, what: str = "") -> None:
    """Raise a ParameterError unless ``name`` is one of the workspace's dimensions."""
    from cxlib.errors import ParameterError

    if name not in workspace.dimensions:
        allowed = ", ".join(workspace.dimensions) or "none (add 'dimensions' to workspace.yaml)"
        raise ParameterError(
            f"{what}'{name}' is not a dimension of this workspace."
            f"{did_you_mean(name, workspace.dimensions)}",
            hint=f"Dimensions: {allowed}.",
        )


def _error(
    document: Any,
    config_path: Path,
    message: str,
    key_path: tuple[Any, ...],
    *,
    hint: str,
    near: tuple[Any, ...] = (),
) -> WorkspaceError:
    """An error at ``key_path`` of workspace.yaml (or at ``near`` when that key is absent)."""
    line = line_of(document, key_path) or (line_of(document, near) if near else None)
    return WorkspaceError(message, file=config_path, key=dotted(key_path), line=line, hint=hint)
