"""Small flow definitions for tests, built as the parsed YAML of a file would be."""

from __future__ import annotations

import copy
from typing import Any

from bot.flows.schema import Flow, Step, flow_from_dict

WHERE = "flows/demo.yaml"


def texts(word: str = "Text") -> dict[str, str]:
    return {"hy": f"{word} hy", "ru": f"{word} ru", "en": word}


def question(step_id: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"id": step_id, "type": kind, "prompt": texts(step_id), "summary_label": texts(step_id.title()), **extra}


def options(*ids: str, exclusive: str | None = None) -> list[dict[str, Any]]:
    return [{"id": i, "label": texts(i.title()), **({"exclusive": True} if i == exclusive else {})} for i in ids]


def demo() -> dict[str, Any]:
    """A valid flow with a branch, a skipped step, scoring, a red flag and routing."""
    return {
        "id": "demo",
        "version": 1,
        "emoji": "🧪",
        "title": texts("Demo"),
        "description": texts("A demo flow"),
        "routing": {"topic": "work", "region_step": "region", "fallback": "yerevan"},
        "threshold": 2,
        "scoring": [
            {"when": {"step": "years", "gte": 2}, "points": 1, "reason": "two years or more"},
            {"when": [{"step": "kind", "eq": "job"}, {"step": "phone", "answered": True}], "points": 1, "reason": "x"},
        ],
        "related_articles": ["check-job-offer", {"id": "job-scams", "when": {"step": "kind", "eq": "job"}}],
        "red_flags": [
            {
                "id": "paid",
                "when": {"step": "fees", "eq": True},
                "points": 2,
                "articles": ["job-scams"],
                "text": texts("Paid"),
            }
        ],
        "steps": [
            {"id": "intro", "type": "info", "prompt": texts("Hello")},
            question(
                "kind",
                "single",
                choices=options("job", "study", "other"),
                next=[
                    {"if": {"step": "kind", "eq": "other"}, "goto": "region"},
                ],
            ),
            question("years", "number", min=0, max=60),
            question("fees", "yes_no"),
            question("fee_note", "text", optional=True, when={"step": "fees", "eq": "yes"}),
            question("region", "region"),
            question("phone", "phone", optional=True),
            {"id": "summary", "type": "summary", "prompt": texts("Summary")},
        ],
    }


def build(data: dict[str, Any] | None = None) -> Flow:
    return flow_from_dict(copy.deepcopy(data if data is not None else demo()), WHERE)


def lone(kind: str, **extra: Any) -> Step:
    """One step of `kind`, validated the way the loader validates it."""
    data = demo()
    data["steps"] = [question("q", kind, **extra), {"id": "summary", "type": "summary", "prompt": texts()}]
    data.pop("scoring"), data.pop("red_flags"), data.pop("related_articles")
    data["routing"] = {"topic": "work"}
    return build(data).step("q")
