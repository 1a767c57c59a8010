"""Flow definitions: the dataclasses of a guided intake and the walk from one step to the next."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

FLOWS_DIR = Path(__file__).parent
REQUIRED_LANGUAGES = ("hy", "ru", "en")
STEP_TYPES = (
    "single",
    "multi",
    "text",
    "number",
    "year",
    "date",
    "phone",
    "email",
    "region",
    "yes_no",
    "contact",
    "location",
    "info",
    "summary",
)
CHOICE_TYPES = ("single", "multi")  # choices written in the flow file
BUILT_IN_CHOICES = ("region", "yes_no")  # choices made by the loader: the centres' regions, yes and no
ANSWERLESS = ("info", "summary")
BOUNDED = ("text", "number", "year", "date")  # text: length; number, year: value; date: days from today
PERSONAL_TYPES = frozenset({"phone", "email", "contact", "location"})  # `personal:` in the file overrides
OPS = ("eq", "ne", "in", "gte", "lte", "answered")


class FlowError(ValueError):
    """A flow file that cannot be used: the message names the file and, where there is one, the step."""


def text_in(texts: Mapping[str, str], lang: str) -> str:
    """The text in `lang`, else English, else any language there is."""
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")


def is_answered(value: Any) -> bool:
    """Whether an answer carries something: skipped steps and empty selections do not."""
    return value is not None and value != "" and value != []


@dataclass(frozen=True)
class Choice:
    id: str
    label: Mapping[str, str]  # per language
    exclusive: bool = False  # in a multi step: choosing it clears the others ("none of these")
    aliases: tuple[str, ...] = ()  # other words a person may type for it (a region's town, "ayo" for yes)


@dataclass(frozen=True)
class Condition:
    step: str
    op: str  # one of OPS
    value: Any  # a choice id, a list of them, a number, True/False (yes_no answers and `answered`)

    def holds(self, answers: Mapping[str, Any]) -> bool:
        """Whether the answers meet it; a multi answer meets `eq` when it contains the value."""
        answer = answers.get(self.step)
        if self.op == "answered":
            return is_answered(answer) == bool(self.value)
        if answer is None:
            return self.op == "ne"
        if self.op in ("gte", "lte"):
            if isinstance(answer, bool) or not isinstance(answer, int | float):
                return False
            return bool(answer >= self.value if self.op == "gte" else answer <= self.value)
        given = answer if isinstance(answer, list) else [answer]
        if self.op == "eq":
            return any(_same(item, self.value) for item in given)
        if self.op == "ne":
            return not any(_same(item, self.value) for item in given)
        return any(_same(item, wanted) for item in given for wanted in self.value)


def _same(answer: Any, wanted: Any) -> bool:
    if isinstance(answer, bool) or isinstance(wanted, bool):  # True == 1 in Python: keep yes/no apart from numbers
        return answer is wanted
    return bool(answer == wanted)


def all_hold(conditions: tuple[Condition, ...], answers: Mapping[str, Any]) -> bool:
    return all(condition.holds(answers) for condition in conditions)


@dataclass(frozen=True)
class Step:
    id: str
    type: str  # one of STEP_TYPES
    prompt: Mapping[str, str]
    choices: tuple[Choice, ...] = ()
    optional: bool = False
    min: float | None = None  # text: length; number, year: value; date: days from today (0 = today)
    max: float | None = None
    when: tuple[Condition, ...] = ()  # all must hold, else the step is skipped
    next: tuple[tuple[tuple[Condition, ...], str], ...] = ()  # first branch whose conditions hold; else the next step
    error: Mapping[str, str] = field(default_factory=dict)  # custom "that is not right" text per language
    example: Mapping[str, str] = field(default_factory=dict)  # an example answer per language
    personal: bool = False  # whether the answer is personal data; the loader defaults it from the type
    summary_label: Mapping[str, str] = field(default_factory=dict)  # short label for the summary and lead card
    integer: bool = False  # number steps: whole numbers only
    unit: Mapping[str, str] = field(default_factory=dict)  # number steps: shown after the value ("AMD")

    @property
    def asks(self) -> bool:
        """Whether the step takes an answer (info and summary only show text)."""
        return self.type not in ANSWERLESS

    def applies(self, answers: Mapping[str, Any]) -> bool:
        return all_hold(self.when, answers)

    def choice(self, choice_id: str) -> Choice | None:
        return next((c for c in self.choices if c.id == choice_id), None)


@dataclass(frozen=True)
class ScoreRule:
    when: tuple[Condition, ...]
    points: float
    reason: str  # for staff, in English


@dataclass(frozen=True)
class RedFlag:
    id: str
    text: Mapping[str, str]  # said back to the person, per language
    article_ids: tuple[str, ...]


@dataclass(frozen=True)
class RedFlagRule:
    flag: RedFlag
    when: tuple[Condition, ...]
    points: float = 1.0  # added to the score, so a risky answer reaches a counsellor


@dataclass(frozen=True)
class Routing:
    """Which centre gets the lead: the region answer names a centre (region choices are centre ids)."""

    topic: str | None = None
    region_step: str | None = None
    centres: Mapping[str, str] = field(default_factory=dict)  # region id -> centre id, where they differ
    fallback: str | None = None  # the centre when the region is not known

    def centre_for(self, region: str | None) -> str | None:
        if region is None:
            return self.fallback
        return self.centres.get(region, region)


@dataclass(frozen=True)
class Flow:
    id: str
    version: int
    title: Mapping[str, str]
    description: Mapping[str, str]
    emoji: str
    steps: tuple[Step, ...]
    topic: str | None = None
    threshold: float = 0.0
    scoring: tuple[ScoreRule, ...] = ()
    routing: Routing = field(default_factory=Routing)
    related_articles: tuple[str, ...] = ()  # always offered at the end
    conditional_articles: tuple[tuple[tuple[Condition, ...], str], ...] = ()  # offered when the answers fit
    red_flags: tuple[RedFlagRule, ...] = ()
    source: str = ""  # the file it came from
    # the parsed file, to keep in FlowVersion.definition: flow_from_dict(definition, ...) gives this flow back
    definition: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def step(self, step_id: str) -> Step:
        return self.steps[self._index(step_id)]

    def has_step(self, step_id: str) -> bool:
        return step_id in self._positions

    def first(self, answers: Mapping[str, Any]) -> Step:
        found = self._applicable_from(0, answers)
        if found is None:  # the loader makes sure the summary, which always applies, is last
            raise FlowError(f"{self.source or self.id}: no step applies")
        return found

    def after(self, step_id: str, answers: Mapping[str, Any]) -> Step | None:
        """The next step to show after `step_id`: a branch that holds, else the following one; skipping
        steps whose `when` does not hold. None after the summary."""
        index = self._index(step_id)
        target = next((to for conditions, to in self.steps[index].next if all_hold(conditions, answers)), None)
        return self._applicable_from(self._index(target) if target else index + 1, answers)

    def path(self, answers: Mapping[str, Any]) -> tuple[Step, ...]:
        """The steps walked with these answers, first to summary; unanswered steps count as skipped."""
        return self._walk(answers)[0]

    def answers_on_path(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """Only the answers of steps on the path: one left behind by going back and taking another branch
        (the agency question after "found through friends") no longer counts."""
        return self._walk(answers)[1]

    def _walk(self, answers: Mapping[str, Any]) -> tuple[tuple[Step, ...], dict[str, Any]]:
        kept: dict[str, Any] = {}
        steps: list[Step] = []
        step: Step | None = self.first(kept)
        while step is not None:
            steps.append(step)
            if step.id in answers:
                kept[step.id] = answers[step.id]
            step = self.after(step.id, kept)
        return tuple(steps), kept

    @property
    def personal(self) -> bool:
        return any(s.personal for s in self.steps)

    @property
    def questions(self) -> tuple[Step, ...]:
        """The steps that take an answer, in order."""
        return tuple(s for s in self.steps if s.asks)

    @cached_property
    def _positions(self) -> dict[str, int]:
        """Each step's place (every step of every update looks its step up by id)."""
        return {step.id: i for i, step in enumerate(self.steps)}

    def _index(self, step_id: str) -> int:
        try:
            return self._positions[step_id]
        except KeyError:
            raise KeyError(f"flow {self.id!r} has no step {step_id!r}") from None

    def _applicable_from(self, index: int, answers: Mapping[str, Any]) -> Step | None:
        return next((s for s in self.steps[index:] if s.applies(answers)), None)


def flow_from_dict(data: Any, where: str) -> Flow:
    """A validated Flow from the parsed YAML of one file; FlowError names the file and the step."""
    from bot.flows.loader import build_flow

    return build_flow(data, where)


def load_flows(directory: Path = FLOWS_DIR) -> dict[str, Flow]:
    """Every flow file (*.yaml) of `directory`, validated, by flow id."""
    from bot.flows.loader import load_directory

    return load_directory(directory)
