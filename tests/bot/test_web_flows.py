"""Every guided intake in every language through the web chat endpoint (ASGI, real database), to a request."""

from __future__ import annotations

import asyncio
import html
import itertools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.channels.render import rendered_text
from bot.flows import Flow, load_flows
from bot.flows.answers import parse_answer
from bot.flows.schema import text_in
from bot.flows.scoring import centre_of, key_answers, qualifies, region_of
from bot.i18n import gettext_for
from bot.models import Contact
from leads.models import Lead
from tests.engine.helpers import ARMENIAN, CYRILLIC
from tests.flow_walker import MINIMAL, MODES, QUALIFY, Answer, Mode, Walker, plan, store_flow_versions
from ughi.app import create_app
from ughi.services import Services
from ughi.settings import Settings

FLOWS = load_flows()
LANGS = ("hy", "ru", "en")
LATIN = re.compile(r"[A-Za-z]{3}")
_TAG = re.compile(r"<[^>]*>")
_message_ids = itertools.count(1)


def written_in(lang: str, text: str) -> bool:
    if lang == "hy":
        return bool(ARMENIAN.search(text))
    if lang == "ru":
        return bool(CYRILLIC.search(text)) and not ARMENIAN.search(text)
    return bool(LATIN.search(text)) and not ARMENIAN.search(text) and not CYRILLIC.search(text)


@dataclass
class Shown:
    """One reply of the web chat, as the page shows it."""

    text: str
    data: list[str] = field(default_factory=list)
    keyboard: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, reply: dict[str, Any]) -> Shown:
        return cls(
            text=html.unescape(_TAG.sub("", reply["html"])),
            data=[b["data"] for row in reply["buttons"] for b in row if b.get("data")],
            keyboard=[k for row in reply["keyboard"] for k in row],
        )


@dataclass
class Visitor:
    """Someone on the web chat page: one session, one language."""

    http: httpx.AsyncClient
    session: str
    lang: str

    async def post(self, **body: str) -> list[Shown]:
        payload = {"session": self.session, "message_id": f"m-{next(_message_ids)}", "language": self.lang, **body}
        res = await self.http.post("/chat/messages", json=payload)
        assert res.status_code == 200, res.text
        return [Shown.of(reply) for reply in res.json()["replies"]]

    async def say(self, text: str) -> list[Shown]:
        return await self.post(text=text)

    async def tap(self, shown: Shown, data: str) -> list[Shown]:
        assert data in shown.data, f"no {data!r} under {shown.text[:60]!r}: {shown.data}"
        return await self.post(data=data)


def screen_of(replies: list[Shown]) -> Shown:
    with_buttons = [r for r in replies if r.data]
    assert with_buttons, f"no buttons in {[r.text[:60] for r in replies]}"
    return with_buttons[-1]


@dataclass
class Web:
    """The app served over ASGI, and its services, to look in the database."""

    http: httpx.AsyncClient
    services: Services


@pytest.fixture
async def web(settings: Settings) -> AsyncIterator[Web]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ughi.test") as http:
            yield Web(http, app.state.services)


async def give(visitor: Visitor, screen: Shown, answer: Answer) -> list[Shown]:
    assert answer.location is None, "a web page cannot share a location: a flow asking one needs another way"
    if answer.text is not None:
        return await visitor.say(answer.text)
    replies: list[Shown] = []
    for data in answer.presses:
        replies = await visitor.tap(screen, data)
        screen = screen_of(replies)
    return replies


async def leads_of(web: Web, session: str) -> list[Lead]:
    async with web.services.sessions() as db:
        found = await db.scalars(
            select(Lead).join(Contact, Contact.id == Lead.contact_id).where(Contact.external_id == session)
        )
        return list(found)


async def walk(web: Web, flow: Flow, lang: str, mode: Mode) -> None:
    """One visitor through `flow`: consent, every step, summary, send; a request when the answers qualify."""
    _ = gettext_for(lang)
    visitor = Visitor(web.http, f"web-{flow.id}-{lang}-{mode}".replace("_", "-"), lang)
    [menu] = await visitor.say("/start")
    assert written_in(lang, menu.text)
    replies = await visitor.tap(menu, f"flow:{flow.id}")
    if flow.personal:
        replies = await visitor.tap(screen_of(replies), "consent:yes")
    walker = Walker(flow, lang, mode)
    screen = screen_of(replies)
    while not walker.finished:
        assert rendered_text(text_in(walker.step.prompt, lang)) in screen.text, (walker.step.id, screen.text)
        answer = walker.answer()
        replies = await give(visitor, screen, answer)
        walker.advance(answer)
        screen = screen_of(replies)
    assert "fsend" in screen.data and rendered_text(text_in(flow.title, lang)) in screen.text
    replies = await visitor.tap(screen, "fsend")
    last = screen_of(replies)
    if mode == QUALIFY:
        assert qualifies(flow, walker.answers) and last.data == ["share:yes", "share:no"]
        [done] = await visitor.tap(last, "share:yes")
        [lead] = await leads_of(web, visitor.session)
        assert _("Your request #{number} has been sent.").format(number=lead.id) in done.text
        assert written_in(lang, done.text)
        assert lead.flow_id == flow.id and lead.source == f"intake:{flow.id}" and lead.language == lang
        assert lead.region == region_of(flow, walker.answers) and lead.centre_id == centre_of(flow, walker.answers)
        assert lead.summary == key_answers(flow, walker.answers, web.services.settings.default_language)
        return
    if last.data == ["share:yes", "share:no"]:
        [last] = await visitor.tap(last, "share:no")
    else:
        assert not qualifies(flow, walker.answers)
        assert _("Thank you, your answers are saved. These articles may help you next:") in last.text
    assert written_in(lang, last.text) and await leads_of(web, visitor.session) == []


@pytest.mark.parametrize("lang", LANGS)
async def test_every_flow_through_the_web_chat(web: Web, lang: str) -> None:
    """All the flows side by side, answered to qualify (a request is made) and minimally (none is)."""
    await store_flow_versions(web.services)
    jobs = {f"{flow_id}/{mode}": walk(web, FLOWS[flow_id], lang, mode) for flow_id in FLOWS for mode in MODES}
    results = await asyncio.gather(*jobs.values(), return_exceptions=True)
    failures = {name: err for name, err in zip(jobs, results, strict=True) if isinstance(err, BaseException)}
    assert not failures, "\n\n".join(f"{name}: {type(err).__name__}: {err}" for name, err in failures.items())
    async with web.services.sessions() as db:
        assert sorted(lead.flow_id or "" for lead in (await db.scalars(select(Lead))).all()) == sorted(FLOWS)


# ---- the walker itself: what it types is what the product reads -------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("flow_id", sorted(FLOWS))
def test_the_walkers_answers_are_valid(flow_id: str, lang: str, mode: Mode) -> None:
    flow = FLOWS[flow_id]
    answers, kept = plan(flow, lang, mode)
    assert [a.step.id for a in answers] == [s.id for s in flow.path(kept) if s.asks]
    for answer in answers:
        if answer.text is not None:
            parsed = parse_answer(answer.step, lang=lang, text=answer.text)
            assert parsed.ok and parsed.value == answer.value, (answer, parsed)
            assert answer.step.type != "text" or written_in(lang, answer.text), answer
        elif answer.skipped:
            assert answer.step.optional and mode == MINIMAL
        else:
            assert all(d.startswith((f"ans:{answer.step.id}:", "fnav:done")) for d in answer.presses)
            choice = parse_answer(answer.step, lang=lang, choice=answer.presses[0].rsplit(":", 1)[1])
            assert choice.ok and (choice.value == answer.value or answer.step.type == "multi")
    if mode == QUALIFY:
        assert qualifies(flow, kept) and all(a.value is not None for a in answers)
    else:
        assert all(a.skipped for a in answers if a.step.optional)
