"""The journey map: journeys, their stages, and the touchpoints where customers are won or lost.

A workshop maps a :class:`Journey` (one persona's scenario) into :class:`Stage` s before, during
and after the purchase, and each stage into :class:`Touchpoint` s: a channel, the department
that owns it, the emotion the team believes customers feel there (−2 … +2), pain points,
opportunities, whether it is a moment of truth, how well that belief is backed by evidence, and
optionally the measured KPI (``rating_delivery``, ``csat`` …) to set the belief against.

``validate_journey``, ``validate_stage`` and ``validate_touchpoint`` return every problem as a
:class:`~cxlib.errors.FieldProblem` (message ids ``workshop.problem.*`` in ``workshop.po``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from cxlib.errors import FieldProblem
from cxlib.rules import (
    ID_MAX,
    TEXT_MAX,
    TITLE_MAX,
    Reader,
    Rules,
    check_choice,
    check_kpi,
    check_owner,
    check_text,
    check_texts,
    check_whole,
    plain,
    read_entry,
    read_text,
    read_texts,
    read_whole,
    read_yes_no,
)

#: The kinds under which the store keeps the journey map's entries.
KINDS = ("journey", "stage", "touchpoint")
PHASES = ("before", "during", "after")
CHANNELS = (
    "web",
    "social",
    "store",
    "service",
    "app",
    "email",
    "phone",
    "chat",
    "delivery",
    "other",
)
#: How well a belief about a touchpoint is backed.
EVIDENCE = ("assumption", "some_data", "research")
#: The emotion scale: −2 (very negative) … +2 (very positive).
EMOTIONS = range(-2, 3)
#: At most this many pain points, and as many opportunities, per touchpoint.
ITEMS_MAX = 20
#: Longest pain point or opportunity, in characters.
ITEM_MAX = 500

_PROBLEM = "workshop.problem."


@dataclass(frozen=True)
class Journey:
    """One customer journey: whose it is and what they set out to do.

    Attributes
    ----------
    name
        The journey's name ("Buying a sofa online").
    persona
        Who travels it.
    scenario
        What they want to get done.
    id
        Given by the store.
    """

    KIND: ClassVar[str] = "journey"

    name: str
    persona: str = ""
    scenario: str = ""
    id: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The journey as a JSON- and YAML-safe dict."""
        return plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Journey:
        """Read a journey; :class:`~cxlib.errors.ValidationError` lists every shape problem."""
        return read_entry(cls.KIND, cls, data, _JOURNEY)


@dataclass(frozen=True)
class Stage:
    """One stage of a journey ("Choose", "Pay", "Receive").

    Attributes
    ----------
    journey_id
        The journey it belongs to.
    name
        The stage's name.
    phase
        ``before``, ``during`` or ``after`` the purchase.
    customer_goal
        What the customer wants at this stage.
    position
        Its place in the journey (0, 1, 2 …; the map sorts by it).
    id
        Given by the store.
    """

    KIND: ClassVar[str] = "stage"

    journey_id: str
    name: str
    phase: str
    customer_goal: str = ""
    position: int = 0
    id: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The stage as a JSON- and YAML-safe dict."""
        return plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Stage:
        """Read a stage; :class:`~cxlib.errors.ValidationError` lists every shape problem."""
        return read_entry(cls.KIND, cls, data, _STAGE)


@dataclass(frozen=True)
class Touchpoint:
    """One touchpoint of a stage, with what the workshop believes about it.

    Attributes
    ----------
    stage_id
        The stage it belongs to.
    name
        The touchpoint's name ("Delivery slot e-mail").
    channel
        One of :data:`CHANNELS`.
    owner
        The department that owns it.
    emotion
        What customers are believed to feel: a whole number in :data:`EMOTIONS` (−2 … +2).
    pain_points, opportunities
        Short texts, at most :data:`ITEMS_MAX` of each.
    moment_of_truth
        Whether customers are won or lost here.
    evidence
        How well the belief is backed: one of :data:`EVIDENCE`.
    measure
        Empty, or the id of the catalogue KPI that measures this touchpoint (``rating_delivery``,
        ``csat`` …): the measured rating set beside the believed emotion.
    id
        Given by the store.
    """

    KIND: ClassVar[str] = "touchpoint"

    stage_id: str
    name: str
    channel: str
    owner: str
    emotion: int = 0
    pain_points: tuple[str, ...] = ()
    opportunities: tuple[str, ...] = ()
    moment_of_truth: bool = False
    evidence: str = "assumption"
    measure: str = ""
    id: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The touchpoint as a JSON- and YAML-safe dict (lists for the tuples)."""
        return plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Touchpoint:
        """Read a touchpoint; :class:`~cxlib.errors.ValidationError` lists every shape problem."""
        return read_entry(cls.KIND, cls, data, _TOUCHPOINT)


_JOURNEY: Mapping[str, Reader] = {
    "name": read_text,
    "persona": read_text,
    "scenario": read_text,
    "id": read_text,
}
_STAGE: Mapping[str, Reader] = {
    "journey_id": read_text,
    "name": read_text,
    "phase": read_text,
    "customer_goal": read_text,
    "position": read_whole,
    "id": read_text,
}
_TOUCHPOINT: Mapping[str, Reader] = {
    "stage_id": read_text,
    "name": read_text,
    "channel": read_text,
    "owner": read_text,
    "emotion": read_whole,
    "pain_points": read_texts,
    "opportunities": read_texts,
    "moment_of_truth": read_yes_no,
    "evidence": read_text,
    "measure": read_text,
    "id": read_text,
}


def validate_journey(journey: Journey, rules: Rules) -> list[FieldProblem]:
    """Every problem of a journey: name (required), persona and scenario (free texts)."""
    problems = check_text("name", journey.name, required=True, max_length=TITLE_MAX)
    problems += check_text("persona", journey.persona, required=False, max_length=TEXT_MAX)
    problems += check_text("scenario", journey.scenario, required=False, max_length=TEXT_MAX)
    problems += check_text("id", journey.id, required=False, max_length=ID_MAX)
    return problems


def validate_stage(stage: Stage, rules: Rules) -> list[FieldProblem]:
    """Every problem of a stage: its journey, name, phase, customer goal and position (≥ 0)."""
    problems = check_text("journey_id", stage.journey_id, required=True, max_length=ID_MAX)
    problems += check_text("name", stage.name, required=True, max_length=TITLE_MAX)
    problems += check_choice("phase", stage.phase, PHASES)
    problems += check_text(
        "customer_goal", stage.customer_goal, required=False, max_length=TEXT_MAX
    )
    problems += check_whole("position", stage.position)
    problems += check_text("id", stage.id, required=False, max_length=ID_MAX)
    return problems


def validate_touchpoint(touchpoint: Touchpoint, rules: Rules) -> list[FieldProblem]:
    """Every problem of a touchpoint.

    Checked: its stage, name, channel (one of :data:`CHANNELS`), owner (a workspace department
    when there are any), emotion (a whole number −2 … +2; ``True`` is not a number), pain points
    and opportunities (each a required text of at most :data:`ITEM_MAX` characters, at most
    :data:`ITEMS_MAX` of them), moment of truth (yes or no), evidence (one of :data:`EVIDENCE`)
    and measure (empty or a KPI of the catalogue).
    """
    t = touchpoint
    problems = check_text("stage_id", t.stage_id, required=True, max_length=ID_MAX)
    problems += check_text("name", t.name, required=True, max_length=TITLE_MAX)
    problems += check_choice("channel", t.channel, CHANNELS)
    problems += check_owner("owner", t.owner, rules)
    if not isinstance(t.emotion, int) or isinstance(t.emotion, bool) or t.emotion not in EMOTIONS:
        problems.append(
            FieldProblem.of("emotion", _PROBLEM + "emotion", low=EMOTIONS[0], high=EMOTIONS[-1])
        )
    for name in ("pain_points", "opportunities"):
        problems += check_texts(name, getattr(t, name), max_items=ITEMS_MAX, max_length=ITEM_MAX)
    if not isinstance(t.moment_of_truth, bool):
        problems.append(FieldProblem.of("moment_of_truth", _PROBLEM + "not_yes_no"))
    problems += check_choice("evidence", t.evidence, EVIDENCE)
    problems += check_kpi("measure", t.measure, rules, required=False)
    problems += check_text("id", t.id, required=False, max_length=ID_MAX)
    return problems
