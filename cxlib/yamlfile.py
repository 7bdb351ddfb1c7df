"""Hand-written YAML files (workspace.yaml, the workbook export, journey templates).

Read with YAML 1.2 semantics (ruamel.yaml), so unquoted ``Yes``, ``No``, ``On`` and ``Off`` stay
text, and in round-trip mode, so an error can name the line of the key at fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from cxlib.errors import CxError


def read_yaml(path: Path, *, error: type[CxError], hint: str, keys: str = "") -> Any:
    """Read ``path`` as a ruamel round-trip document that must be a mapping.

    Parameters
    ----------
    path
        The file.
    error
        The :class:`CxError` subclass raised for an unreadable file.
    hint
        How to fix a file that is not a mapping (e.g. which template to start from).
    keys
        The top-level keys expected, named when the file is not a mapping.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            f"is not UTF-8 text (byte {exc.start}).", file=path, hint=f"Save {path.name} as UTF-8."
        ) from None
    try:
        document = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "malformed YAML"
        raise error(
            f"is not valid YAML: {problem}.",
            file=path,
            line=line,
            hint="Check indentation and quoting around that line.",
        ) from None
    if not isinstance(document, Mapping):
        found = type(document).__name__ if document is not None else "an empty file"
        expected = f" ({keys})" if keys else ""
        raise error(
            f"must be a mapping of keys{expected}; found {found}.", file=path, line=1, hint=hint
        )
    return document


def plain(node: Any) -> Any:
    """Turn a ruamel document into plain dicts, lists and scalars; mapping keys become text."""
    if isinstance(node, Mapping):
        return {str(key): plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [plain(item) for item in node]
    for kind in (bool, int, float, str):  # ruamel's scalar subclasses become plain values
        if isinstance(node, kind):
            return kind(node)
    return None if node is None else str(node)


def dotted(path: tuple[Any, ...]) -> str:
    """``("sources", "responses", 0, "path")`` → ``sources.responses[0].path``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def line_of(document: Any, path: tuple[Any, ...]) -> int | None:
    """Return the 1-based line of ``path`` in a ruamel round-trip document, if known."""
    node = document
    line: int | None = None
    for part in path:
        try:
            if isinstance(part, int):
                line = node.lc.item(part)[0] + 1
            elif part in node:
                line = node.lc.key(part)[0] + 1
            else:
                break
            node = node[part]
        except (AttributeError, KeyError, IndexError, TypeError):
            break
    return line


def dump_yaml(document: Any, path: Path, *, header: str = "") -> None:
    """Write plain data as block-style YAML (UTF-8), with ``header`` as leading comment lines."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    yaml.width = 4096  # long texts stay on one line (no folding with trailing spaces)
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    with path.open("w", encoding="utf-8") as handle:
        for line in header.splitlines():
            handle.write(f"# {line}\n".replace("# \n", "#\n"))
        yaml.dump(document, handle)
