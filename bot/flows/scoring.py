"""What a finished intake means for a centre: score, region and centre, key answers, red flags (answers on the path)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.flows.answers import display
from bot.flows.schema import Flow, RedFlag, all_hold, is_answered, text_in

__all__ = ["RedFlag", "articles_for", "centre_of", "key_answers", "qualifies", "red_flags", "region_of", "score"]


def score(flow: Flow, answers: Mapping[str, Any]) -> tuple[float, list[str]]:
    """The sum of the points of the rules (and red flags) the answers meet, with a reason for each, for staff."""
    answers = flow.answers_on_path(answers)
    total, reasons = 0.0, []
    for rule in flow.scoring:
        if all_hold(rule.when, answers):
            total += rule.points
            reasons.append(f"{rule.reason} ({rule.points:+g})")
    for flag_rule in flow.red_flags:
        if flag_rule.points and all_hold(flag_rule.when, answers):
            total += flag_rule.points
            reasons.append(f"red flag: {flag_rule.flag.id} ({flag_rule.points:+g})")
    return total, reasons


def qualifies(flow: Flow, answers: Mapping[str, Any]) -> bool:
    """Whether the answers are worth a counsellor's call: the score reaches the flow's threshold."""
    return score(flow, answers)[0] >= flow.threshold


def region_of(flow: Flow, answers: Mapping[str, Any]) -> str | None:
    """The region id answered (the id of a centre in knowledge/content/centres.yaml), if the flow asks it."""
    step_id = flow.routing.region_step
    value = answers.get(step_id) if step_id else None
    if not isinstance(value, str) or not flow.step(step_id or "").choice(value):
        return None
    return value


def centre_of(flow: Flow, answers: Mapping[str, Any]) -> str | None:
    """The centre that should get the lead: the centre of the answered region, else the flow's fallback."""
    return flow.routing.centre_for(region_of(flow, answers))


def key_answers(flow: Flow, answers: Mapping[str, Any], lang: str) -> dict[str, str]:
    """Label -> answer as shown, in step order, for the summary and the lead card; skipped steps left out."""
    answers = flow.answers_on_path(answers)
    return {
        text_in(step.summary_label, lang): display(step, answers[step.id], lang)
        for step in flow.questions
        if is_answered(answers.get(step.id))
    }


def red_flags(flow: Flow, answers: Mapping[str, Any]) -> list[RedFlag]:
    """The warning signs in the answers, to be named back to the person with the articles that explain them."""
    answers = flow.answers_on_path(answers)
    return [rule.flag for rule in flow.red_flags if all_hold(rule.when, answers)]


def articles_for(flow: Flow, answers: Mapping[str, Any]) -> list[str]:
    """Article ids to offer at the end: the red flags' first, then the flow's own; each once."""
    answers = flow.answers_on_path(answers)
    ids = [article for flag in red_flags(flow, answers) for article in flag.article_ids]
    ids += [article for when, article in flow.conditional_articles if all_hold(when, answers)]
    ids += flow.related_articles
    return list(dict.fromkeys(ids))
