"""Real screens that echo what a person typed, through the engine and the Telegram channel to the fake Bot API:
whatever was typed, Telegram accepts every message and shows the text as typed (see tests/typed_text.py for the
few documented differences). The render level is tested on its own in tests/bot/test_escaping_property.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, event, example, given
from hypothesis import settings as hypothesis_settings

from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_updates import clean
from bot.engine.screens import LONG_TEXT
from bot.flows import load_flows
from bot.flows.forms import text_bounds
from bot.flows.schema import text_in
from bot.i18n import gettext_for
from tests.fakes.bot_api import FakeBotAPI
from tests.flow_walker import QUALIFY, Walker
from tests.telegram_chat import Chat, telegram_channel
from tests.typed_text import assert_quotes, shown, typed_texts
from ughi.services import Services

# One database and one person for all the examples of a test: each example is one more message in the chat.
E2E = hypothesis_settings(
    max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
UNANSWERED = (
    "Sorry, I don't know the answer to “{question}” yet. I have noted your question for our team. "
    "You can rephrase it, browse the topics, or talk to a counsellor."
)
SO_FAR = "Your answer so far: {answer}"
FLOW, STEP = "business_idea", "idea"  # a free-text question every way through the flow asks, 10 to 600 characters


@pytest.fixture
def kept() -> dict[str, str]:
    """The answer the intake keeps, from one example to the next."""
    return {}


@pytest.fixture
async def channel(api: FakeBotAPI, services: Services) -> AsyncIterator[TelegramChannel]:
    async with telegram_channel(api, services) as started:
        yield started


@given(typed=typed_texts(max_size=LONG_TEXT))
@example(typed="<b>&amp; **not bold** _x_ [x](https://x.am) \\ \x1b  \n- Բարև 👨‍👩‍👧")
@E2E
async def test_a_question_without_an_answer_is_quoted_as_typed(
    api: FakeBotAPI, channel: TelegramChannel, services: Services, typed: str
) -> None:
    chat = Chat(api, channel, 9101, "en")
    replies = await chat.say(typed)
    before, after = gettext_for("en")(UNANSWERED).split("{question}")
    quoted = [m.text for m in replies if m.text.startswith(before) and m.text.endswith(after)]
    asked = clean(typed).strip()
    if asked and not asked.startswith("/") and services.knowledge.search(asked, "en").decision == "none":
        assert len(quoted) == 1, f"no answer, so the question is quoted: {[m.text[:80] for m in replies]}"
    event("quoted" if quoted else "not quoted (an answer, a command)")
    for text in quoted:
        assert_quotes(text[len(before) : len(text) - len(after)], asked)


@given(typed=typed_texts(max_size=700))
@example(typed="A shop of <b>&amp;</b> **hand-made** _rugs_\r\n- with [links](https://x.am) \\ and 🇦🇲 \x07")
@E2E
async def test_an_answer_shows_as_typed_in_the_summary_and_when_changed(
    api: FakeBotAPI, channel: TelegramChannel, kept: dict[str, str], typed: str
) -> None:
    chat = Chat(api, channel, 9102, "hy")
    if not kept:
        kept[STEP] = await walk_to_the_summary(chat)
    step = load_flows()[FLOW].step(STEP)
    label = text_in(step.summary_label, chat.lang) or text_in(step.prompt, chat.lang)
    previous = kept[STEP]
    [question] = [m for m in await chat.press(f"fedit:{STEP}") if m.callback_data]
    so_far = shown(gettext_for(chat.lang)(SO_FAR).format(answer=previous)).strip()
    assert question.text.endswith(so_far), f"{so_far!r} not at the end of {question.text!r}"
    replies = await chat.say(typed)
    answer = clean(typed).strip()
    low, high = text_bounds(step)
    if answer.startswith("/"):
        event("a command, not an answer")
        return  # commands keep their meaning mid-intake: the answer kept is unchanged
    taken = low <= len(answer) <= high
    event("in the summary" if taken else "asked again (too short or too long)")
    if not taken:
        return  # the question is asked again: nothing was echoed
    kept[STEP] = answer
    summary = replies[-1]
    assert "fsend" in summary.callback_data, [m.text[:80] for m in replies]
    line = shown(f"- {label}: {answer}")
    assert line in summary.text, f"{line!r} not in the summary {summary.text!r}"


async def walk_to_the_summary(chat: Chat) -> str:
    """/start, the flow's button, consent, then an ordinary answer to each step; the answer to STEP."""
    await chat.say("/start")
    await chat.press(f"flow:{FLOW}")
    await chat.press("consent:yes")
    walker = Walker(load_flows()[FLOW], chat.lang, QUALIFY)
    while not walker.finished:
        answer = walker.answer()
        if answer.text is not None:
            await chat.say(answer.text)
        for data in answer.presses:
            await chat.press(data)
        walker.advance(answer)
    return str(walker.answers[STEP])
