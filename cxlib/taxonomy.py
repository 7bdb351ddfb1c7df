"""Theme taxonomies: theme ids and the terms that find them, per language.

A taxonomy (``templates/themes/{en,de,da}.yaml``) maps theme ids — English and the same in every
language — to terms. Terms are lower-case word patterns:

=============  ======================================================  =====================
term           matches                                                 example
=============  ======================================================  =====================
``word``       the whole word                                          ``app``
``stem*``      a word starting with ``stem`` (inflection, compounds)   ``liefer*``
``*end``       a word ending with ``end`` (compound heads)             ``*preis``: Fahrpreis
``*part*``     ``part`` anywhere inside a word                         ``*verspät*``
``a b``        a phrase, any white space between the words             ``on hold``
=============  ======================================================  =====================

Matching ignores case and treats ä/ae, ö/oe, ü/ue, ß/ss, æ/ae, ø/oe (and ö), å/aa and é/e as
equal: the variants are written into the pattern, so the text itself is only lower-cased. A word
starts after the start of the text or a character that is not a letter or digit (the class is
spelled out rather than ``\\b``, which is ASCII-only in RE2, the engine of pyarrow strings). The
optional ``ignore`` list holds word patterns blanked out before matching: false friends such as
``Preisverleihung`` (an award ceremony, not a price) — so "Preisverleihung" is *not* ``price``,
while "Preiserhöhung" and "Fahrpreis" are. A workspace file may start with ``extends: default``
to add themes and terms to the built-in taxonomy instead of replacing it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from cxlib.errors import ParameterError, WorkspaceError, did_you_mean

#: Languages with a built-in taxonomy.
LANGUAGES = ("en", "de", "da")
_WORD = "0-9a-z_äöüßæøåéèêáàâíìîóòôúùûçñ"
_START = f"(?:^|[^{_WORD}])"
_END = f"(?:$|[^{_WORD}])"
_FOLD = {
    "ä": "(?:ä|ae)",
    "ö": "(?:ö|oe)",
    "ü": "(?:ü|ue)",
    "ß": "(?:ß|ss)",
    "æ": "(?:æ|ae|ä)",
    "ø": "(?:ø|oe|ö)",
    "å": "(?:å|aa)",
    "é": "(?:é|e)",
}
_TERM = re.compile(r"^\*?[^\s*]+(?: [^\s*]+)*\*?$")
_THEME_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_TOP_KEYS = ("version", "language", "extends", "ignore", "stopwords", "themes")


def _term_pattern(term: str) -> str:
    """The regex of one term (see the module docstring); it never captures."""
    inside, open_end = term.startswith("*"), term.endswith("*")
    core = term.strip("*")
    body = r"\s+".join("".join(_FOLD.get(c, re.escape(c)) for c in w) for w in core.split())
    head = "" if inside else _START
    tail = f"[{_WORD}]*" if open_end else _END
    return head + body + ("" if open_end else tail)


def _alternation(terms: Sequence[str]) -> str:
    return "|".join(f"(?:{_term_pattern(t)})" for t in terms)


@dataclass(frozen=True)
class Taxonomy:
    """The themes of one language: theme id → terms, plus ``ignore`` and ``stopwords``.

    Attributes
    ----------
    language
        ``en``, ``de`` or ``da`` (any code works for a custom taxonomy).
    themes
        Theme id → its terms, in file order.
    ignore
        Word patterns blanked out before matching.
    stopwords
        Words :func:`suggest_terms` never proposes.
    sources
        The files it was read from.
    """

    language: str
    themes: Mapping[str, tuple[str, ...]]
    ignore: tuple[str, ...] = ()
    stopwords: tuple[str, ...] = ()
    sources: tuple[str, ...] = field(default=())

    @cached_property
    def patterns(self) -> dict[str, str]:
        """One regular expression per theme (applied to lower-cased text by RE2, in pyarrow;
        the terms are checked when read, so each is a valid pattern)."""
        return {theme: _alternation(terms) for theme, terms in self.themes.items()}

    @cached_property
    def ignore_pattern(self) -> str | None:
        """The regular expression of all ``ignore`` words, or ``None``."""
        return _alternation(self.ignore) if self.ignore else None

    def tag(self, texts: pd.Series) -> pd.DataFrame:
        """Booleans per theme for ``texts`` (any language routing is the caller's).

        The patterns run in pyarrow's compute kernels (RE2), one pass per theme.
        """
        import pyarrow as pa
        import pyarrow.compute as pc

        values = pa.array(texts.astype("str"), type=pa.large_string(), from_pandas=True)
        lowered = pc.utf8_lower(values.fill_null(""))
        if self.ignore_pattern is not None:
            lowered = pc.replace_substring_regex(lowered, self.ignore_pattern, " ")
        columns = {
            theme: pc.match_substring_regex(lowered, pattern).to_numpy(zero_copy_only=False)
            for theme, pattern in self.patterns.items()
        }
        return pd.DataFrame(columns, index=texts.index, dtype=bool)


def load_taxonomy(
    language: str,
    *,
    extend: str | Path | None = None,
    replace: str | Path | None = None,
) -> Taxonomy:
    """Load the built-in taxonomy of ``language``, extended or replaced by a workspace file.

    Parameters
    ----------
    language
        ``en``, ``de`` or ``da``; any code is allowed with ``replace``.
    extend
        A taxonomy file whose themes and terms are added to the built-in ones (new themes are
        appended; terms of an existing theme are added after its own).
    replace
        A taxonomy file used instead of the built-in one.

    Raises
    ------
    WorkspaceError
        A file is missing, is not valid YAML, or has an unknown key, a bad theme id or a bad
        term; the error names the file, the line and the key.
    ParameterError
        ``language`` has no built-in taxonomy and no ``replace`` is given, or both ``extend``
        and ``replace`` are given.
    """
    if extend is not None and replace is not None:
        raise ParameterError("give extend or replace, not both.")
    if replace is not None:
        own = _read(Path(replace))
        return _merge(load_taxonomy(language), own.taxonomy) if own.extends else own.taxonomy
    if language not in LANGUAGES:
        raise ParameterError(
            f"language must be one of {', '.join(LANGUAGES)}; got {language!r}."
            + did_you_mean(language, LANGUAGES)
        )
    from cxlib.resources import templates_dir

    base = _read(templates_dir() / "themes" / f"{language}.yaml").taxonomy
    return base if extend is None else _merge(base, _read(Path(extend)).taxonomy)


def workspace_taxonomies(workspace: Any) -> dict[str, Taxonomy]:
    """The taxonomies of a :class:`cxlib.workspace.Workspace` (its ``themes`` key).

    A file listed under ``themes`` replaces the built-in taxonomy of its language, or extends
    it when the file says ``extends: default``; languages not listed use the built-in one. A
    path is read relative to the workspace; ``templates/themes/<lang>.yaml`` that the workspace
    does not hold names the built-in file.
    """
    from cxlib.resources import templates_dir

    configured = dict(workspace.config.get("themes") or {})
    result = {language: load_taxonomy(language) for language in LANGUAGES}
    for language, path in configured.items():
        own_path = Path(workspace.root) / str(path)
        shipped = templates_dir().parent / str(path)
        if not own_path.exists() and shipped.exists():
            continue  # the built-in taxonomy, already loaded
        own = _read(own_path)
        result[language] = _merge(result[language], own.taxonomy) if own.extends else own.taxonomy
    return result


@dataclass(frozen=True)
class _Read:
    taxonomy: Taxonomy
    extends: bool


def _read(path: Path) -> _Read:
    """Read and validate a taxonomy file (once per process while the file stays the same)."""
    try:
        stat = path.stat()
    except OSError:
        return _read_file(path)  # raises the clear error
    if time.time_ns() - max(stat.st_mtime_ns, stat.st_ctime_ns) < 2_000_000_000:
        return _read_file(path)  # just written: its times may not tell the next change
    identity = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    return _read_cached(path.resolve(), identity)


@lru_cache(maxsize=32)
def _read_cached(path: Path, identity: tuple[int, ...]) -> _Read:
    """:func:`_read_file`, cached by the file's identity (as :func:`cxlib.sources.load_file`
    keeps data files: device, inode, size, modification and change times)."""
    return _read_file(path)


def _read_file(path: Path) -> _Read:
    """Read and validate a taxonomy file.

    The file is parsed first with ruamel's safe loader (its C parser: 2.6–3.1 ms for a
    built-in taxonomy, against 18–23 ms in round-trip mode); that keeps no line numbers, so a
    file with a problem is parsed again in round-trip mode, whose error names the line.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WorkspaceError(
            "theme taxonomy file not found.", file=path, hint="Check the path under 'themes'."
        ) from None
    try:
        return _validated(YAML(typ="safe").load(text), path)
    except (MarkedYAMLError, WorkspaceError):
        pass  # read again below, keeping line numbers, to name the line at fault
    try:
        document = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise WorkspaceError(
            f"is not valid YAML: {exc.problem or exc.context or 'malformed YAML'}.",
            file=path,
            line=None if mark is None else mark.line + 1,
            hint="Check indentation and quoting (quote terms that start with '*').",
        ) from None
    return _validated(document, path)


def _validated(document: Any, path: Path) -> _Read:
    """The taxonomy of a parsed file; a WorkspaceError naming the line when ``document`` is a
    round-trip one."""

    def fail(message: str, key: str, node: Any, part: Any, hint: str) -> WorkspaceError:
        line = None
        try:
            line = (node.lc.item(part) if isinstance(part, int) else node.lc.key(part))[0] + 1
        except (AttributeError, KeyError, IndexError, TypeError):
            line = None
        return WorkspaceError(message, file=path, key=key, line=line, hint=hint)

    if not isinstance(document, Mapping) or not isinstance(document.get("themes"), Mapping):
        raise WorkspaceError(
            "a theme taxonomy must be a mapping with a 'themes' mapping (theme id → terms).",
            file=path,
            line=1,
            key="themes",
            hint="Start from templates/themes/en.yaml.",
        )
    for key in document:
        if key not in _TOP_KEYS:
            raise fail(
                f"unknown key {key!r}.{did_you_mean(str(key), _TOP_KEYS)}",
                str(key),
                document,
                key,
                f"Allowed keys: {', '.join(_TOP_KEYS)}.",
            )
    lists: dict[str, tuple[str, ...]] = {}
    for name in ("ignore", "stopwords"):
        lists[name] = _terms(document.get(name, []), name, document, name, fail, empty=True)
    themes: dict[str, tuple[str, ...]] = {}
    for theme, terms in document["themes"].items():
        if not isinstance(theme, str) or not _THEME_ID.match(theme):
            raise fail(
                f"theme id {theme!r} must be lower-case letters, digits and '_'.",
                f"themes.{theme}",
                document["themes"],
                theme,
                "Theme ids are English and the same in every language (delivery, price…).",
            )
        themes[theme] = _terms(terms, f"themes.{theme}", document["themes"], theme, fail)
    taxonomy = Taxonomy(
        language=str(document.get("language", path.stem)),
        themes=themes,
        ignore=lists["ignore"],
        stopwords=lists["stopwords"],
        sources=(str(path),),
    )
    if "extends" in document and document["extends"] != "default":
        raise fail(
            f"extends must be 'default'; got {document['extends']!r}.",
            "extends",
            document,
            "extends",
            "Remove the key to replace the built-in taxonomy.",
        )
    return _Read(taxonomy, "extends" in document)


def _terms(
    value: Any, key: str, parent: Any, part: Any, fail: Any, *, empty: bool = False
) -> tuple[str, ...]:
    hint = "Terms are lists of lower-case words: word, stem*, *end, *part* or 'two words'."
    if not isinstance(value, list) or not (value or empty):
        raise fail(f"{key} must be a non-empty list of terms.", key, parent, part, hint)
    out = []
    for i, term in enumerate(value):
        text = str(term).strip().lower() if isinstance(term, str) else None
        if text is None or not _TERM.match(text):
            raise fail(f"{key}[{i}]: bad term {term!r}.", f"{key}[{i}]", value, i, hint)
        out.append(text)
    return tuple(out)


def _merge(base: Taxonomy, own: Taxonomy) -> Taxonomy:
    themes = {theme: tuple(terms) for theme, terms in base.themes.items()}
    for theme, terms in own.themes.items():
        known = themes.get(theme, ())
        themes[theme] = known + tuple(t for t in terms if t not in known)
    return Taxonomy(
        language=base.language,
        themes=themes,
        ignore=base.ignore + own.ignore,
        stopwords=base.stopwords + own.stopwords,
        sources=base.sources + own.sources,
    )
