"""People whose every message is written in advance: guided intakes walked answer by answer, and people browsing.

A script does not wait to read the bot's answers, so it can be sent at any pace, also while the bot is down. For
someone walking an intake each action carries where the conversation must stand once the bot has handled it,
so a test can compare the stored conversation with the script at any moment.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

from bot.flows import Flow
from knowledge.articles import ContentSet
from tests.flow_walker import LOCATION, MINIMAL, QUALIFY, Walker

Kind = Literal["text", "press", "location"]
NONSENSE = ("zqx wvut plonk", "ազբգդ ժժժ", "щюъ ёёё жжж", "<b>&amp; *_[x](y)")
HUMAN, AGREE = "human", "consent:yes"


@dataclass(frozen=True)
class Expect:
    """Where the conversation stands: its screen, and the intake step asked (intake, summary, resume)."""

    screen: str
    step: str | None = None


@dataclass(frozen=True)
class Action:
    kind: Kind
    value: str = ""  # the text typed or the button's callback_data
    expect: Expect | None = None  # known for people walking an intake

    @property
    def transcript(self) -> str:
        """What the bot's transcript keeps of this message ("in" row)."""
        return "[location]" if self.kind == "location" else self.value


@dataclass
class ScriptedPerson:
    user_id: int
    lang: str
    actions: list[Action]
    walks_intakes: bool
    update_ids: list[int] = field(default_factory=list)  # of the actions sent so far, in order

    @property
    def pending(self) -> bool:
        return len(self.update_ids) < len(self.actions)

    @property
    def next_action(self) -> Action:
        return self.actions[len(self.update_ids)]

    def expected_leads(self) -> int:
        """Requests for a centre the script makes: each intake shared, and one "talk to a counsellor"."""
        shared = sum(a.value == "share:yes" for a in self.actions)
        asked = any(a.value == AGREE and i and self.actions[i - 1].value == HUMAN for i, a in enumerate(self.actions))
        return shared + int(asked)


def _text(value: str, expect: Expect | None = None) -> Action:
    return Action("text", value, expect)


def _press(data: str, expect: Expect | None = None) -> Action:
    return Action("press", data, expect)


def intake_walker(rng: random.Random, flows: list[Flow], lang: str, budget: int) -> list[Action]:
    """/start, then intakes one after another (consent before the first), each sent and shared when it may be;
    now and then /start in the middle and "Continue". The last intake is usually cut off half-way."""
    actions = [_text("/start", Expect("menu"))]
    consented = False
    while len(actions) < budget:
        flow = rng.choice(flows)
        walker = Walker(flow, lang, QUALIFY if rng.random() < 0.75 else MINIMAL)
        first = Expect("intake", walker.step.id)
        if consented:
            actions.append(_press(f"flow:{flow.id}", first))
        else:
            actions += [_press(f"flow:{flow.id}", Expect("consent")), _press(AGREE, first)]
            consented = True
        while not walker.finished:
            asked = walker.step
            if walker.history and rng.random() < 0.08:
                actions += [
                    _text("/start", Expect("resume", asked.id)),
                    _press("fres:continue", Expect("intake", asked.id)),
                ]
            answer = walker.answer()
            following = walker.advance(answer)
            after = Expect("summary" if walker.finished else "intake", following.id)
            if answer.text is not None:
                actions.append(_text(answer.text, after))
            elif answer.location is not None:
                assert answer.location == LOCATION
                actions.append(Action("location", expect=after))
            else:
                *ticks, last = answer.presses
                actions += [_press(data, Expect("intake", asked.id)) for data in ticks]
                actions.append(_press(last, after))
        if walker.score >= flow.threshold:
            actions += [_press("fsend", Expect("share")), _press("share:yes", Expect("menu"))]
        else:
            actions.append(_press("fsend", Expect("menu")))
    return actions[:budget]


def browser(rng: random.Random, content: ContentSet, lang: str, budget: int) -> list[Action]:
    """/start, then questions (answered or not), topics, articles, feedback, privacy, and once or twice
    "talk to a counsellor" (agreeing to the consent asked the first time)."""
    articles = [a for a in content.published() if lang in a.translations]
    topics = [t.id for t in content.topics]
    actions = [_text("/start")]
    consented = False
    while len(actions) < budget:
        roll = rng.random()
        article = rng.choice(articles)
        if roll < 0.25:
            questions = article.translations[lang].questions
            actions.append(_text(rng.choice(questions) if questions else article.translations[lang].title))
        elif roll < 0.32:
            actions.append(_text(rng.choice(NONSENSE)))
        elif roll < 0.40:
            actions.append(_text(rng.choice(("/menu", "/help", "/my_requests", "/start"))))
        elif roll < 0.50:
            actions.append(_press(f"topic:{rng.choice(topics)}:0"))
        elif roll < 0.70:
            actions.append(_press(f"art:{article.id}"))
        elif roll < 0.78:
            actions.append(_press(f"fb:{article.id}:yes"))
        elif roll < 0.93:
            actions.append(_press(rng.choice(("menu", "privacy", "mydata", "ask"))))
        else:
            actions.append(_press(HUMAN))
            if not consented:
                actions.append(_press(AGREE))
                consented = True
    return actions[:budget]
