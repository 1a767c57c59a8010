"""Walking any guided intake from its definition: a valid answer for each step, steered to qualify or kept minimal."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from bot.flows.forms import date_bounds, whole, year_bounds
from bot.flows.schema import Flow, Step, text_in
from bot.flows.scoring import score
from ughi.services import Services

Mode = Literal["qualify", "minimal"]
QUALIFY: Mode = "qualify"  # every step answered, each time the answer that adds the most to the score
MINIMAL: Mode = "minimal"  # optional steps skipped, each time the answer that adds the least to the score
MODES: tuple[Mode, ...] = (QUALIFY, MINIMAL)

PHONE = "+374 91 234567"  # a valid Armenian mobile number, as a person types it
PHONE_E164 = "+37491234567"
EMAIL = "ani.petrosyan@example.com"
LOCATION = (40.1772, 44.50349)  # Yerevan
SAMPLE_TEXT = {
    "hy": "Փորձնական պատասխան մի քանի բառով",
    "ru": "Пробный ответ в нескольких словах",
    "en": "A sample answer in a few words",
}
SKIP_PRESS = "fnav:skip"
DONE_PRESS = "fnav:done"


@dataclass(frozen=True)
class Answer:
    """What a person does to answer one step, and the value the runner keeps for it (None when skipped)."""

    step: Step
    value: Any
    presses: tuple[str, ...] = ()  # button payloads, pressed in this order
    text: str | None = None  # or a message typed instead
    location: tuple[float, float] | None = None  # or a location shared

    @property
    def skipped(self) -> bool:
        return self.presses == (SKIP_PRESS,)

    def __str__(self) -> str:
        how = self.text if self.text is not None else self.location or " then ".join(self.presses)
        return f"{self.step.id}={self.value!r} ({how})"


def press(step: Step, choice_id: str) -> str:
    return f"ans:{step.id}:{choice_id}"


def skip(step: Step) -> Answer:
    assert step.optional, f"step {step.id!r} is not optional: it cannot be skipped"
    return Answer(step, None, presses=(SKIP_PRESS,))


def sample_text(step: Step, lang: str) -> str:
    """Text of a length the step takes, in `lang`: the flow's example when it fits, else a made-up answer."""
    low = max(1, int(step.min) if step.min is not None else 1)
    high = int(step.max) if step.max is not None else 1000
    example = text_in(step.example, lang) if step.example else ""
    if example and low <= len(example) <= high:
        return example
    base = SAMPLE_TEXT.get(lang, SAMPLE_TEXT["en"])
    text = base
    while len(text) < low:
        text += " " + base
    text = text[:high].rstrip()
    assert low <= len(text) <= high, f"no sample text of {low}..{high} characters for step {step.id!r}"
    return text


def _example_number(step: Step, lang: str) -> float | None:
    """The flow's own example number ("5 000 000", "5,000,000", "3"), when it is a plain whole number."""
    example = text_in(step.example, lang) if step.example else ""
    digits = re.sub(r"[\s,.\u00a0\u202f]", "", example)
    return float(digits) if digits.isdigit() else None


def _in_bounds(step: Step, value: float) -> bool:
    return (step.min is None or value >= step.min) and (step.max is None or value <= step.max)


def candidates(step: Step, lang: str, today: date | None = None) -> list[Answer]:
    """Valid answers to `step`, the most ordinary first; Skip is not among them."""
    today = today or date.today()
    kind = step.type
    if kind in ("single", "region"):
        return [Answer(step, c.id, presses=(press(step, c.id),)) for c in step.choices]
    if kind == "yes_no":
        return [Answer(step, c.id == "yes", presses=(press(step, c.id),)) for c in step.choices]
    if kind == "multi":
        return [Answer(step, [c.id], presses=(press(step, c.id), DONE_PRESS)) for c in step.choices]
    if kind == "text":
        return [Answer(step, sample_text(step, lang), text=sample_text(step, lang))]
    if kind == "number":
        found: list[Answer] = []
        example = _example_number(step, lang)
        if example is not None and _in_bounds(step, example):
            found.append(Answer(step, whole(example), text=text_in(step.example, lang)))
        low = step.min if step.min is not None else 0.0
        high = step.max if step.max is not None else low + 10
        for value in (low, high):
            if step.integer:
                value = float(int(value))
            if _in_bounds(step, value) and all(a.value != whole(value) for a in found):
                found.append(Answer(step, whole(value), text=str(whole(value))))
        return found
    if kind == "year":
        low, high = year_bounds(step, today)
        years = dict.fromkeys((max(low, min(high, today.year - 3)), low, high))
        return [Answer(step, year, text=str(year)) for year in years]
    if kind == "date":
        first, last = date_bounds(step, today)
        ordinary = today + timedelta(days=30)
        ordinary = min(ordinary, last) if last else ordinary
        ordinary = max(ordinary, first) if first else ordinary
        days = dict.fromkeys(d for d in (ordinary, first, last) if d is not None)
        return [Answer(step, day.isoformat(), text=day.strftime("%d.%m.%Y")) for day in days]
    if kind in ("phone", "contact"):
        return [Answer(step, PHONE_E164, text=PHONE)]
    if kind == "email":
        return [Answer(step, EMAIL, text=EMAIL)]
    if kind == "location":
        return [Answer(step, [round(LOCATION[0], 6), round(LOCATION[1], 6)], location=LOCATION)]
    raise AssertionError(f"step {step.id!r} of type {kind!r} takes no answer")


def choose(flow: Flow, step: Step, answers: Mapping[str, Any], lang: str, mode: Mode) -> Answer:
    """The answer to `step` for this mode: scoring looks only at the answers so far (greedy, no look-ahead)."""
    if mode == MINIMAL and step.optional:
        return skip(step)
    options = candidates(step, lang)
    points = [score(flow, {**answers, step.id: option.value})[0] for option in options]
    best = max(points) if mode == QUALIFY else min(points)
    return options[points.index(best)]  # ties: the first, the most ordinary


class Walker:
    """A person's way through `flow` as the runner sees it: the step waiting for an answer, the answers kept."""

    def __init__(self, flow: Flow, lang: str, mode: Mode = QUALIFY) -> None:
        self.flow, self.lang, self.mode = flow, lang, mode
        self.answers: dict[str, Any] = {}
        self.history: list[str] = []  # answered step ids, for Back
        self.step: Step = self._asked(flow.first({}))

    @property
    def finished(self) -> bool:
        """Whether the summary is reached."""
        return self.step.type == "summary"

    def answer(self) -> Answer:
        """The answer to give to the current step."""
        assert not self.finished, "the summary takes no answer"
        return choose(self.flow, self.step, self.answers, self.lang, self.mode)

    def advance(self, answer: Answer) -> Step:
        """The runner kept `answer`: the next step it asks (info steps pass by themselves)."""
        assert answer.step.id == self.step.id, f"answering {answer.step.id!r} while {self.step.id!r} is asked"
        self.answers[self.step.id] = answer.value
        if not self.history or self.history[-1] != self.step.id:
            self.history.append(self.step.id)
        following = self.flow.after(self.step.id, self.answers)
        assert following is not None, "a flow ends with its summary"
        self.step = self._asked(following)
        return self.step

    def back(self) -> Step:
        """Back, as the runner does it: to the step answered last; its answer is kept until answered again."""
        assert self.history, "Back is offered only after a first answer"
        self.step = self.flow.step(self.history.pop())
        return self.step

    def _asked(self, step: Step) -> Step:
        while step.type == "info":
            following = self.flow.after(step.id, self.answers)
            assert following is not None, "a flow ends with its summary"
            step = following
        return step

    @property
    def score(self) -> float:
        return score(self.flow, self.answers)[0]


def plan(flow: Flow, lang: str, mode: Mode) -> tuple[list[Answer], dict[str, Any]]:
    """Every answer from the first step to the summary, and the answers the runner then keeps."""
    walker = Walker(flow, lang, mode)
    answers = []
    while not walker.finished:
        answer = walker.answer()
        answers.append(answer)
        walker.advance(answer)
    return answers, walker.answers


async def store_flow_versions(services: Services) -> None:
    """Keep each flow's version in the database, as after its first start: people then start flows side by side
    without meeting the race of a version's first start (tests/e2e/test_flows.py shows that one on its own)."""
    catalog = services.engine.flows
    async with services.sessions() as session, session.begin():
        for flow in catalog.current.values():
            await catalog.remember(session, flow)


__all__ = [
    "EMAIL",
    "MINIMAL",
    "MODES",
    "PHONE",
    "PHONE_E164",
    "QUALIFY",
    "Answer",
    "Mode",
    "Walker",
    "candidates",
    "choose",
    "plan",
    "sample_text",
    "skip",
    "store_flow_versions",
]
