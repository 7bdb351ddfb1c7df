"""The fields of the workshop forms: one widget each, read back into a model's raw value.

A browser can send any value to the kernel, so a field never trusts its widget: :meth:`Field.read`
turns whatever the widget holds into the raw value a model's ``from_dict`` reads, and the model
and :class:`~cxlib.workbook.Workbook` check it again. A value that cannot be read (``"abc"`` as a
number) is passed on as it is, so the check names it; reading never raises.

Everything a person reads is a message id (``forms.po``, ``workshop.po``, ``store.po``); every
text put into an HTML widget is escaped.
"""

from __future__ import annotations

import datetime as dt
import html
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as w
from babel.numbers import NumberFormatError, format_decimal, parse_decimal

from cxlib.i18n import Translator
from cxlib.store import KINDS
from cxlib.workbook import Workbook

#: Left out of the data a model reads: its ``from_dict`` then reports a required field.
MISSING: Any = object()
Choices = Callable[[], list[tuple[str, str]]]

#: The forms' own styling (local: the app loads nothing from outside).
FORM_CSS = """
<style>
.cx-form { border-top: 1px solid #d0d7de; padding-top: 6px; margin-top: 10px; }
.cx-form-title h3 { margin: 4px 0 6px 0; }
.cx-form-label { font-weight: 600; font-size: 13px; }
.cx-form-problem { color: #b42318; font-size: 13px; }
.cx-form-message { font-size: 14px; }
.cx-form-message .ok { color: #1a7f37; }
.cx-form-message .bad { color: #b42318; font-weight: 600; }
.cx-form-message .note { color: #57606a; }
.cx-compare { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
.cx-compare th, .cx-compare td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left;
  vertical-align: top; white-space: pre-wrap; }
.cx-compare tr.differs td { background: #fff8c5; }
.cx-forms textarea { font-family: inherit; }
</style>
"""


@dataclass(frozen=True)
class FormContext:
    """What every form of a page shares.

    Attributes
    ----------
    workbook
        Where entries are read and written.
    tr
        The page's translator.
    timezone
        The workspace's time zone (times of other people's changes are shown in it).
    """

    workbook: Workbook
    tr: Translator
    timezone: str = "UTC"

    def local(self, moment: dt.datetime) -> dt.datetime:
        """A UTC time in the workspace's zone."""
        return moment.astimezone(zoneinfo.ZoneInfo(self.timezone))


def esc(text: object) -> str:
    """Escape any value for HTML."""
    return html.escape(str(text), quote=True)


def message(ctx: FormContext, msgid: str, params: Mapping[str, object] | None = None) -> str:
    """The text of ``msgid`` with its parameters shown the page's way (dates, numbers, kinds).

    ``kind`` (a store kind) becomes its name (``store.kind.<kind>``), times are shown in the
    workspace's zone. A message whose parameters do not fit is shown without them, never raised.
    """
    shown = {key: _param(ctx, key, value) for key, value in (params or {}).items()}
    try:
        return ctx.tr(msgid, **shown)
    except (KeyError, IndexError, ValueError):
        return ctx.tr(msgid)


def _param(ctx: FormContext, key: str, value: object) -> str:
    tr = ctx.tr
    if key == "kind" and isinstance(value, str) and value in KINDS:
        return tr(f"store.kind.{value}")
    if isinstance(value, dt.datetime):
        return tr.date(ctx.local(value) if value.tzinfo else value)
    if isinstance(value, dt.date):
        return tr.date(value)
    if isinstance(value, bool):
        return tr("forms.yes") if value else tr("forms.no")
    if isinstance(value, int):
        return str(value) if key in ("version", "your_version", "seq") else tr.number(value)
    if isinstance(value, float):
        return tr.number(value, digits=0 if value.is_integer() else 2)
    return str(value)


def label_html(text: str) -> str:
    """A field's label."""
    return f'<span class="cx-form-label">{esc(text)}</span>'


def problems_html(texts: Sequence[str]) -> str:
    """Problems of one field, one line each."""
    return "".join(f'<div class="cx-form-problem">{esc(t)}</div>' for t in texts)


def status_html(text: str, kind: str = "ok") -> str:
    """A form's message: ``ok``, ``bad`` or ``note``."""
    return f'<div class="cx-form-message"><span class="{kind}">{esc(text)}</span></div>'


@dataclass
class Field:
    """One field of a form: its widget, how it is read and shown, its label and its problems.

    Attributes
    ----------
    name
        The model's field name.
    widget
        The input widget.
    read
        Widget value → raw model value (or :data:`MISSING`); never raises.
    show
        Model value → widget value.
    text
        Model value → readable text (for comparing two versions).
    placeholder
        A well-formed stand-in used only to check the other fields when this one is malformed.
    """

    name: str
    widget: Any
    read: Callable[[Any], Any]
    show: Callable[[Any], Any]
    text: Callable[[Any], str]
    placeholder: Any
    options: Choices | None = None
    label: w.HTML = field(default_factory=w.HTML)
    problem: w.HTML = field(default_factory=w.HTML)
    box: w.VBox = field(default_factory=w.VBox)

    def reload_options(self) -> None:
        """Re-read the options of a choice field, keeping its value where it is still offered."""
        if self.options is None:
            return
        offered = self.options()
        current = self.widget.value
        values = [v for _, v in offered]
        self.widget.options = offered
        if isinstance(current, tuple):
            self.widget.value = tuple(v for v in current if v in values)
        elif current in values:
            self.widget.value = current

    def value(self) -> Any:
        """The raw model value the widget holds now."""
        return self.read(self.widget.value)

    def set(self, value: Any) -> None:
        """Show a model value in the widget (a value the widget refuses leaves it unchanged)."""
        try:
            self.widget.value = self.show(value)
        except Exception:  # a stored value that no longer fits (a KPI gone from the catalogue)
            return

    def snapshot(self) -> Any:
        """The widget's value as JSON (for drafts and to tell whether the form changed)."""
        value = self.widget.value
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, tuple | list):
            return [str(v) for v in value]
        if value is None or isinstance(value, bool | int | float | str):
            return value
        return str(value)

    def restore(self, value: Any) -> None:
        """Put a :meth:`snapshot` value back (ignored when the widget refuses it)."""
        try:
            if isinstance(self.widget, w.DatePicker):
                value = None if value is None else dt.date.fromisoformat(str(value))
            elif isinstance(value, list):
                value = tuple(value)
            self.widget.value = value
        except Exception:  # an option that is gone, a value of another type
            return


def _boxed(ctx: FormContext, made: Field, *, width: str = "calc(100% - 8px)") -> Field:
    made.label.value = label_html(ctx.tr(f"workshop.field.{made.name}"))
    made.widget.layout.width = width
    made.box.children = (made.label, made.widget, made.problem)
    made.box.add_class(f"cx-field-{made.name}")
    return made


def text_field(ctx: FormContext, name: str, *, long: bool = False) -> Field:
    """A text (``long``: several lines)."""
    widget = w.Textarea(rows=3) if long else w.Text()
    widget.continuous_update = False
    return _boxed(ctx, Field(name, widget, _same, _text_or_blank, _shown_text, ""))


def lines_field(ctx: FormContext, name: str) -> Field:
    """Short texts, one per line (pain points, opportunities)."""
    widget = w.Textarea(rows=3, placeholder=ctx.tr("forms.one_per_line"))
    widget.continuous_update = False

    def read(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return [line.strip() for line in value.splitlines() if line.strip()]

    def show(value: Any) -> str:
        return "\n".join(str(v) for v in value) if isinstance(value, list | tuple) else ""

    def text(value: Any) -> str:
        return (
            "\n".join(str(v) for v in value) if isinstance(value, list | tuple) and value else "–"
        )

    return _boxed(ctx, Field(name, widget, read, show, text, []))


def number_field(ctx: FormContext, name: str, *, whole: bool = False, required: bool) -> Field:
    """A number typed as text in the page's locale (``21,5`` or ``21.5``); empty: none."""
    tr = ctx.tr
    widget = w.Text(continuous_update=False)

    def read(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        typed = value.strip().replace("\u2212", "-").replace(" ", "")
        if not typed:
            return MISSING if required else None
        if whole:
            try:
                return int(typed)
            except ValueError:
                pass
        try:
            return float(parse_decimal(typed, locale=tr.locale, strict=True))
        except (NumberFormatError, ValueError):
            pass
        try:
            return float(typed)
        except ValueError:
            return typed  # "not a number", said by the model

    def show(value: Any) -> str:
        if value is None or isinstance(value, bool):
            return ""
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return format_decimal(value, format="0.######", locale=tr.locale)
        return str(value)

    def text(value: Any) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            digits = 0 if float(value).is_integer() else 2
            return tr.number(value, digits=digits)
        return "–"

    return _boxed(ctx, Field(name, widget, read, show, text, 0 if whole else 0.0))


def choice_field(
    ctx: FormContext, name: str, choices: Choices, *, blank: str | None = None
) -> Field:
    """One of a list of options; ``blank`` labels an empty first option (the value ``""``)."""
    widget = w.Dropdown()

    def options() -> list[tuple[str, str]]:
        listed = choices()
        return ([(blank, "")] if blank is not None else []) + listed

    def read(value: Any) -> Any:
        return "" if value is None else value

    def show(value: Any) -> Any:
        if value not in {v for _, v in widget.options}:
            # a stored value that is no longer offered stays visible, so the check can name it
            widget.options = [*options(), (ctx.tr("forms.not_offered", value=value), value)]
        return value

    def text(value: Any) -> str:
        labels = dict((v, label) for label, v in options())
        return labels.get(value, str(value) if value else "–")

    made = _boxed(ctx, Field(name, widget, read, show, text, "", options))
    made.widget.options = options()
    made.widget.value = "" if blank is not None else None
    return made


def multi_choice_field(ctx: FormContext, name: str, choices: Choices) -> Field:
    """Any number of a list of options (the stages a goal is about)."""
    widget = w.SelectMultiple(rows=5)

    def show(value: Any) -> tuple[str, ...]:
        offered = {v for _, v in widget.options}
        return tuple(v for v in value if v in offered) if isinstance(value, list | tuple) else ()

    def text(value: Any) -> str:
        labels = dict((v, label) for label, v in choices())
        listed = value if isinstance(value, list | tuple) else ()
        return "\n".join(labels.get(v, str(v)) for v in listed) or "–"

    made = _boxed(ctx, Field(name, widget, _listed, show, text, [], choices))
    made.widget.options = choices()
    return made


def date_field(ctx: FormContext, name: str, *, required: bool) -> Field:
    """A date; empty: none (or missing, when ``required``)."""
    widget = w.DatePicker()

    def read(value: Any) -> Any:
        if value is None:
            return MISSING if required else None
        return value

    def show(value: Any) -> Any:
        if isinstance(value, str):
            return dt.date.fromisoformat(value)
        return value if isinstance(value, dt.date) else None

    def text(value: Any) -> str:
        return ctx.tr.date(value) if isinstance(value, dt.date) else "–"

    placeholder = ctx.workbook.rules.today + dt.timedelta(days=366)
    return _boxed(ctx, Field(name, widget, read, show, text, placeholder), width="220px")


def emotion_field(ctx: FormContext, name: str) -> Field:
    """The emotion −2 … +2 as a slider."""
    widget = w.IntSlider(value=0, min=-2, max=2, step=1)

    def text(value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            return ctx.tr.number(value, signed=value != 0)
        return str(value)

    return _boxed(ctx, Field(name, widget, _same, _whole, text, 0), width="320px")


def flag_field(ctx: FormContext, name: str) -> Field:
    """Yes or no."""
    widget = w.Checkbox(value=False, indent=False)

    def text(value: Any) -> str:
        return ctx.tr("forms.yes") if value is True else ctx.tr("forms.no")

    return _boxed(ctx, Field(name, widget, _same, bool, text, False), width="auto")


def owner_field(ctx: FormContext, name: str) -> Field:
    """A department of the workspace (free text when the workspace lists none)."""
    departments = ctx.workbook.rules.departments
    if not departments:
        return text_field(ctx, name)
    return choice_field(
        ctx, name, lambda: [(d, d) for d in departments], blank=ctx.tr("forms.choose")
    )


def kpi_name(tr: Translator, kpi_id: str) -> str:
    """A KPI's name in the page's language (``kpi_name.<id>``; ratings name their touchpoint)."""
    if kpi_id.startswith("rating_"):
        touchpoint = tr.label("touchpoint", kpi_id.removeprefix("rating_"))
        return tr("forms.kpi_rating", touchpoint=touchpoint)
    return tr.label("kpi_name", kpi_id)


def kpi_choices(ctx: FormContext) -> Choices:
    """The KPI catalogue as options, by name."""

    def choices() -> list[tuple[str, str]]:
        kpis = ctx.workbook.rules.kpis
        return sorted(((kpi_name(ctx.tr, k), k) for k in kpis), key=lambda pair: pair[0].lower())

    return choices


def translated(ctx: FormContext, prefix: str, values: Sequence[str]) -> Choices:
    """Fixed options whose labels are ``<prefix>.<value>`` messages."""
    return lambda: [(ctx.tr(f"{prefix}.{v}"), v) for v in values]


def _listed(value: Any) -> Any:
    return list(value) if isinstance(value, tuple | list) else value


def _same(value: Any) -> Any:
    return value


def _whole(value: Any) -> Any:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _text_or_blank(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _shown_text(value: Any) -> str:
    return value if isinstance(value, str) and value.strip() else "–"
