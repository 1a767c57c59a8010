"""The four shipped flows: they load, speak hy/ru/en, link real articles, and every path reaches the summary."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.flows.answers import parse_answer
from bot.flows.loader import shipped_flows
from bot.flows.schema import Flow, Step, flow_from_dict
from bot.flows.scoring import articles_for, key_answers
from knowledge.centres import load_centres

CONTENT = Path(__file__).resolve().parents[2] / "knowledge" / "content"
ARTICLES = {path.stem for path in CONTENT.glob("*/*.yaml")}
TOPICS = {"documents", "work", "business", "money", "social", "safe-migration", "return", "centres"}
FLOWS = ["returnee_profile", "job_seeker", "business_idea", "pre_departure"]
ARMENIAN = re.compile(r"[\u0531-\u0587]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def _flow(flow_id: str) -> Flow:
    return shipped_flows()[flow_id]


def _steered_by(flow: Flow) -> set[str]:
    """Steps whose answers decide the path: only these need every value tried."""
    return {c.step for s in flow.steps for c in s.when} | {c.step for s in flow.steps for w, _t in s.next for c in w}


def _values(step: Step, steering: bool) -> list[Any]:
    """Answers to try: every choice for a step that steers the path, one typical answer otherwise."""
    if step.type == "yes_no":
        return [True, False] if steering else [True]
    if step.type in ("single", "region"):
        return [c.id for c in step.choices] if steering else [step.choices[0].id]
    if step.type == "multi":
        return [[c.id] for c in step.choices] if steering else [[step.choices[0].id]]
    typical = {"number": step.min or 0, "year": 2020, "text": "x" * int(step.min or 1), "phone": "+37491234567"}
    return [typical.get(step.type)] + ([None] if step.optional else [])


def _paths(flow: Flow) -> Iterator[list[str]]:
    steering = _steered_by(flow)

    def walk(step: Step | None, answers: dict[str, Any], seen: list[str]) -> Iterator[list[str]]:
        assert step is not None, f"{flow.id}: the path {seen} ended before the summary"
        assert step.id not in seen, f"{flow.id}: step {step.id} came twice"
        if step.type == "summary":
            assert flow.after(step.id, answers) is None
            yield [*seen, step.id]
            return
        for value in _values(step, step.id in steering) if step.asks else [None]:
            yield from walk(
                flow.after(step.id, answers | {step.id: value}), answers | {step.id: value}, [*seen, step.id]
            )

    yield from walk(flow.first({}), {}, [])


def test_the_four_flows_ship() -> None:
    assert sorted(shipped_flows()) == sorted(FLOWS)


@pytest.mark.parametrize("flow_id", FLOWS)
def test_every_path_reaches_the_summary(flow_id: str) -> None:
    flow = _flow(flow_id)
    paths = list(_paths(flow))
    assert paths and all(path[-1] == "summary" for path in paths)
    visited = {step_id for path in paths for step_id in path}
    assert visited == {s.id for s in flow.steps}, "some step can never be reached"


@pytest.mark.parametrize("flow_id", FLOWS)
def test_flow_shape(flow_id: str) -> None:
    flow = _flow(flow_id)
    assert flow.version == 1 and flow.emoji and flow.topic in TOPICS
    assert flow.steps[0].type == "info" and flow.steps[-1].type == "summary"
    phone = flow.step("phone")
    assert phone.type == "phone" and phone.optional and phone.personal
    assert flow.step(flow.routing.region_step or "").type == "region"
    assert [c.id for c in flow.step("region").choices] == [c.id for c in load_centres()]
    assert [s.id for s in flow.steps if s.personal] == ["phone"], "ask only what the centre needs"
    assert flow.threshold > 0 and flow.scoring


@pytest.mark.parametrize("flow_id", FLOWS)
def test_every_text_is_written_in_its_own_script(flow_id: str) -> None:
    flow = _flow(flow_id)
    texts = [flow.title, flow.description] + [s.prompt for s in flow.steps]
    texts += [c.label for s in flow.steps if s.type in ("single", "multi") for c in s.choices]
    texts += [rule.flag.text for rule in flow.red_flags]
    for text in texts:
        assert ARMENIAN.search(text["hy"]) and not CYRILLIC.search(text["hy"]), text["hy"]
        assert CYRILLIC.search(text["ru"]) and not ARMENIAN.search(text["ru"]), text["ru"]
        assert not ARMENIAN.search(text["en"]) and not CYRILLIC.search(text["en"]), text["en"]


@pytest.mark.parametrize("flow_id", FLOWS)
def test_the_definition_survives_json_as_a_flow_version_keeps_it(flow_id: str) -> None:
    flow = _flow(flow_id)
    assert flow_from_dict(json.loads(json.dumps(flow.definition)), "flow_versions") == replace(
        flow, source="flow_versions"
    )


@pytest.mark.parametrize("flow_id", FLOWS)
def test_linked_articles_exist(flow_id: str) -> None:
    flow = _flow(flow_id)
    linked = set(flow.related_articles) | {a for _w, a in flow.conditional_articles}
    linked |= {a for rule in flow.red_flags for a in rule.flag.article_ids}
    assert linked and linked <= ARTICLES, linked - ARTICLES


def test_money_answers_are_typed_numbers_in_drams_with_sensible_bounds() -> None:
    flow = _flow("business_idea")
    for step_id in ("budget", "own_money"):
        step = flow.step(step_id)
        assert step.type == "number" and step.unit["en"] == "AMD" and step.integer
        assert step.min is not None and step.min >= 0 and step.max == 2_000_000_000
    assert parse_answer(flow.step("budget"), lang="hy", text="5 000 000").value == 5_000_000
    assert parse_answer(flow.step("budget"), lang="en", text="500").error == (
        "The number should be between 10,000 and 2,000,000,000."
    )


def test_pre_departure_red_flags_link_the_safe_migration_articles() -> None:
    flow = _flow("pre_departure")
    assert len(flow.red_flags) >= 8
    assert {"trafficking-signs", "job-scams", "recruitment-agencies", "visas-work-permits"} <= {
        a for rule in flow.red_flags for a in rule.flag.article_ids
    }
    no_offer = {"destination": "russia", "has_offer": False}
    assert flow.after("has_offer", no_offer).id == "region"  # type: ignore[union-attr]
    assert articles_for(flow, no_offer) == ["working-in-russia", "check-job-offer", "what-to-take"]
    assert flow.after("duration", {"destination": "russia"}).id == "contract"  # type: ignore[union-attr]
    assert flow.after("duration", {"destination": "eu"}).id == "work_permit"  # type: ignore[union-attr]


def test_returnee_profile_lead_card() -> None:
    flow = _flow("returnee_profile")
    answers = {
        "sector": "construction",
        "occupation": "welder",
        "back_home": True,
        "return_year": 2025,
        "plans": ["job", "recognition"],
        "region": "aragatsotn-ashtarak",
        "phone": None,
    }
    assert key_answers(flow, answers, "en") == {
        "Field": "Construction and repair",
        "Job": "welder",
        "Back in Armenia": "Yes",
        "Year of return": "2025",
        "Plans": "Find a job in Armenia, Get my diploma or skills recognised",
        "Region": "Aragatsotn Province",
    }
