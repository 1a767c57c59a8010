"""A person's requests to a centre: submitting an intake, "talk to a counsellor", /my_requests, relay."""

from __future__ import annotations

from bot.engine import callbacks as cb
from bot.engine import intake, privacy, screens
from bot.engine.turn import Run, Turn
from bot.engine.types import Button, Reply
from bot.flows import Flow
from bot.flows.schema import text_in
from bot.flows.scoring import articles_for, centre_of, key_answers, red_flags, region_of, score
from bot.i18n import format_when
from bot.models import ConsentRecord
from knowledge.centres import Centre, load_centres
from leads import service as leads
from leads.models import Lead
from leads.routing import CentreTarget
from ughi.db import utcnow

SHARE_PURPOSE = "share_with_centre"
SHARE_VERSION = "2026-11-v1"
STATUS_NAMES = ("new", "assigned", "in_progress", "closed")


def _centre(centre_id: str | None) -> Centre | None:
    return next((c for c in load_centres() if c.id == centre_id), None)


def _target(centre: Centre | None) -> CentreTarget | None:
    return CentreTarget(id=centre.id, region=centre.id, response_days=centre.response_days) if centre else None


def _what_happens_next(t: Turn, lead: Lead, centre: Centre | None) -> str:
    _ = t._
    city = (centre.city.get(t.lang) or centre.city.get("en")) if centre else None
    if city and centre is not None and centre.response_days is not None:
        text = _("A counsellor from the {city} centre will write to you here within {days} working days.")
        return text.format(city=city, days=centre.response_days)
    if city:
        return _("A counsellor from the {city} centre will write to you here as soon as possible.").format(city=city)
    return _("A counsellor will write to you here as soon as possible.")


def _request_sent(t: Turn, lead: Lead, centre: Centre | None) -> None:
    _ = t._
    sent = _("Your request #{number} has been sent.").format(number=lead.id)
    follow = _("You can follow it with /my_requests.")
    screens.show_menu(t, intro=f"{sent} {_what_happens_next(t, lead, centre)} {follow}")


async def submit(t: Turn, run: Run, flow: Flow) -> None:
    """The person sent the summary: name red flags back, then ask before passing the profile on."""
    _ = t._
    run.status, run.finished_at = "submitted", utcnow()
    flags = red_flags(flow, run.answers)
    if flags:
        lines = [_("**Please be careful.** Some of your answers are warning signs:"), ""]
        lines += [f"- {text_in(flag.text, t.lang)}" for flag in flags]
        ids = list(dict.fromkeys(a for flag in flags for a in flag.article_ids))
        t.say(Reply("\n".join(lines), buttons=_article_rows(t, ids)))
    total, _reasons = score(flow, run.answers)
    if total >= flow.threshold:
        t.set_screen("share", run=run.id)
        centre = _centre(centre_of(flow, run.answers))
        where = (centre.city.get(t.lang) or centre.city.get("en", "")) if centre else ""
        question = (
            _(
                "Thank you! May I pass your answers to a counsellor of the {city} Migration Resource Centre, "
                "so they can contact you?"
            ).format(city=where)
            if where
            else _(
                "Thank you! May I pass your answers to a counsellor of a Migration Resource Centre, "
                "so they can contact you?"
            )
        )
        t.say(
            Reply(
                question,
                buttons=[
                    [Button(_("✅ Yes, pass them on"), cb.encode("share", "yes"))],
                    [Button(_("No, keep them to myself"), cb.encode("share", "no"))],
                ],
            )
        )
        return
    rows = _article_rows(t, articles_for(flow, run.answers)[:4])
    rows.append([Button(_("🧑‍💼 Talk to a counsellor"), cb.encode("human"))])
    rows.append([Button(_("⬅ Main menu"), cb.encode("menu"))])
    t.set_screen("menu")
    t.say(Reply(_("Thank you, your answers are saved. These articles may help you next:"), buttons=rows))


def _article_rows(t: Turn, article_ids: list[str]) -> list[list[Button]]:
    rows = []
    for article_id in article_ids:
        article = t.kb.article(article_id)
        if article is not None:
            rows.append([Button(article.translation(t.lang).title, cb.encode("art", article.id))])
    return rows


async def answer_share(t: Turn, answer: str) -> None:
    _ = t._
    run = await intake.run_by_id(t, t.data.get("run")) if t.state.screen == "share" else None
    if run is None or answer not in ("yes", "no"):
        screens.stale_button(t)
        return
    t.session.add(
        ConsentRecord(
            contact_id=t.contact.id,
            purpose=SHARE_PURPOSE,
            version=SHARE_VERSION,
            language=t.lang,
            accepted=answer == "yes",
        )
    )
    flow = await t.flows.version(t.session, run.flow_id, run.flow_version)
    if answer == "no" or flow is None:
        screens.show_menu(t, intro=_("All right: your answers stay with you and nothing was sent to a centre."))
        return
    total, reasons = score(flow, run.answers)
    centre = _centre(centre_of(flow, run.answers))
    lead = await leads.create_lead(
        t.session,
        contact_id=t.contact.id,
        source=f"intake:{flow.id}",
        flow_id=flow.id,
        language=t.lang,
        region=region_of(flow, run.answers),
        topic=flow.routing.topic or flow.topic,
        summary=key_answers(flow, run.answers, t.default_language),
        score=total,
        reason="; ".join(reasons),
        centre=_target(centre),
        flow_run_id=run.id,
    )
    _request_sent(t, lead, centre)


async def counsellor(t: Turn) -> None:
    """Talk to a counsellor, at any moment: creates a request (once) with what we already know."""
    _ = t._
    if t.contact.consent_version is None:
        privacy.ask_consent(t, then="human")
        return
    open_leads = await leads.open_leads_for_contact(t.session, contact_id=t.contact.id)
    if open_leads:
        lead = open_leads[0]
        screens.show_menu(
            t,
            intro=_(
                "You already have an open request #{number}; a counsellor will write to you "
                "here. You can follow it with /my_requests."
            ).format(number=lead.id),
        )
        return
    summary: dict[str, str] = {}
    region = None
    from bot.engine.intake import active_run, flow_of  # intake submits through this module

    run = await active_run(t)
    flow = await flow_of(t, run) if run is not None else None
    if run is not None and flow is not None:
        summary, region = key_answers(flow, run.answers, t.default_language), region_of(flow, run.answers)
    centre = _centre(region)
    lead = await leads.create_lead(
        t.session,
        contact_id=t.contact.id,
        source="counsellor",
        flow_id=run.flow_id if run else None,
        language=t.lang,
        region=region,
        topic=None,
        summary=summary,
        score=0.0,
        reason="asked to talk to a counsellor",
        centre=_target(centre),
        flow_run_id=run.id if run is not None else None,
    )
    _request_sent(t, lead, centre)


async def my_requests(t: Turn) -> None:
    _ = t._
    names = {
        "new": _("received"),
        "assigned": _("a counsellor has taken it"),
        "in_progress": _("a counsellor is working on it"),
        "closed": _("closed"),
    }
    open_leads = await leads.open_leads_for_contact(t.session, contact_id=t.contact.id)
    if not open_leads:
        screens.show_menu(t, intro=_("You have no open requests. You can ask to talk to a counsellor at any time."))
        return
    lines = [_("**Your requests**"), ""]
    for lead in open_leads:
        lines.append(
            _("- #{number} of {date}: {status}").format(
                number=lead.id, date=format_when(lead.created_at, t.lang), status=names.get(lead.status, lead.status)
            )
        )
    t.say(Reply("\n".join(lines), buttons=[[Button(_("⬅ Main menu"), cb.encode("menu"))]]))


async def relay(t: Turn, text: str) -> bool:
    """While a counsellor handles the person's request, what they type goes to the counsellor."""
    if not t.relaying:
        return False
    lead = await leads.relay_lead_for_contact(t.session, contact_id=t.contact.id)
    if lead is None:
        return False
    await leads.relay_from_contact(t.session, lead=lead, text=text)
    t.say(Reply(t._("✓ Sent to your counsellor.")))
    return True
