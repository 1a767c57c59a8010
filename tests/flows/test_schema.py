"""Flow files are refused at start with a message naming the file and the step; walking follows branches."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.flows.schema import Condition, FlowError, load_flows
from tests.flows.builders import WHERE, build, demo, options, question, texts

Change = Callable[[dict[str, Any]], None]


def _step(data: dict[str, Any], step_id: str) -> dict[str, Any]:
    return next(s for s in data["steps"] if s["id"] == step_id)


BROKEN: list[tuple[str, Change, str, str | None]] = [
    ("duplicate id", lambda d: d["steps"].insert(2, question("kind", "text")), "duplicate step id", "kind"),
    (
        "unknown step in when",
        lambda d: _step(d, "years").update(when={"step": "nope", "eq": 1}),
        "refers to step 'nope'",
        "years",
    ),
    (
        "when on a later step",
        lambda d: _step(d, "years").update(when={"step": "fees", "eq": True}),
        "refers to step 'fees'",
        "years",
    ),
    (
        "next to an unknown step",
        lambda d: _step(d, "kind").update(next=[{"goto": "nowhere"}]),
        "unknown step 'nowhere'",
        "kind",
    ),
    ("next going back", lambda d: _step(d, "fees").update(next=[{"goto": "kind"}]), "goes back", "fees"),
    ("missing ru prompt", lambda d: _step(d, "years")["prompt"].pop("ru"), "prompt has no ru text", "years"),
    ("missing hy label", lambda d: _step(d, "kind")["choices"][1]["label"].pop("hy"), "no hy text", "kind"),
    ("choices on a number step", lambda d: _step(d, "years").update(choices=options("a", "b")), "choices", "years"),
    ("one choice only", lambda d: _step(d, "kind").update(choices=options("a")), "at least two choices", "kind"),
    ("min above max", lambda d: _step(d, "years").update(min=10, max=5), "min (10) is greater than max (5)", "years"),
    ("bounds on a phone step", lambda d: _step(d, "phone").update(min=1), "min and max apply only", "phone"),
    ("year out of range", lambda d: d["steps"].insert(2, question("y", "year", min=1200)), "years are between", "y"),
    ("unknown type", lambda d: _step(d, "years").update(type="slider"), "type 'slider'", "years"),
    ("unknown key", lambda d: _step(d, "years").update(promt={}), "unknown keys promt", "years"),
    ("no summary label", lambda d: _step(d, "years").pop("summary_label"), "summary_label", "years"),
    ("yes read as true", lambda d: _step(d, "kind")["choices"][0].update(id=True), "in quotes", "kind"),
    ("unknown op", lambda d: _step(d, "fee_note").update(when={"step": "fees", "is": True}), "exactly one", "fee_note"),
    (
        "value that is not a choice",
        lambda d: _step(d, "kind").update(next=[{"if": {"step": "kind", "eq": "sport"}, "goto": "region"}]),
        "'sport' is not a choice of step 'kind'",
        "kind",
    ),
    (
        "gte on a choice step",
        lambda d: _step(d, "fee_note").update(when={"step": "kind", "gte": 1}),
        "number or year step",
        "fee_note",
    ),
    (
        "branch without if before another",
        lambda d: _step(d, "kind").update(next=[{"goto": "fees"}, {"goto": "region"}]),
        "must come last",
        "kind",
    ),
    ("summary not last", lambda d: d["steps"].append(question("late", "text")), "summary step", None),
    ("summary with when", lambda d: d["steps"][-1].update(when={"step": "fees", "eq": True}), "always shown", None),
    ("exclusive on single", lambda d: _step(d, "kind")["choices"][0].update(exclusive=True), "exclusive", "kind"),
]


@pytest.mark.parametrize(("change", "expected", "step"), [case[1:] for case in BROKEN], ids=[c[0] for c in BROKEN])
def test_a_broken_flow_is_refused_naming_the_file_and_the_step(change: Change, expected: str, step: str | None) -> None:
    data = demo()
    change(data)
    with pytest.raises(FlowError) as caught:
        build(data)
    message = str(caught.value)
    assert message.startswith(WHERE) and expected in message
    if step is not None:
        assert f"step '{step}'" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.pop("version"), "version"),
        (lambda d: d.update(version=0), "version"),
        (lambda d: d["title"].pop("en"), "title has no en text"),
        (lambda d: d.update(routing={"region_step": "years"}), "region_step 'years' is not a region step"),
        (lambda d: d["scoring"][0].pop("reason"), "scoring rule #1"),
        (lambda d: d["scoring"][0].update(when={"step": "ghost", "eq": 1}), "scoring rule #1: refers to step 'ghost'"),
        (lambda d: d["red_flags"][0].pop("when"), "red flag 'paid'"),
        (lambda d: d.update(emoji=""), "emoji"),
        (lambda d: d.update(steps=[]), "steps"),
    ],
)
def test_flow_level_errors_name_the_file(change: Change, expected: str) -> None:
    data = demo()
    change(data)
    with pytest.raises(FlowError, match=expected) as caught:
        build(data)
    assert str(caught.value).startswith(WHERE)


def test_load_flows_names_the_file_of_bad_yaml_or_a_bad_flow(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(FlowError, match=r"broken\.yaml: not valid YAML"):
        load_flows(tmp_path)
    (tmp_path / "broken.yaml").write_text("id: half\nversion: 1\n", encoding="utf-8")
    with pytest.raises(FlowError, match=r"broken\.yaml: emoji is needed"):
        load_flows(tmp_path)
    with pytest.raises(FlowError, match="no such folder"):
        load_flows(tmp_path / "missing")


def test_load_flows_reads_every_file_by_id(tmp_path: Path) -> None:
    import yaml

    for flow_id in ("one", "two"):
        data = demo() | {"id": flow_id}
        (tmp_path / f"{flow_id}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    flows = load_flows(tmp_path)
    assert sorted(flows) == ["one", "two"] and flows["one"].source.endswith("one.yaml")
    (tmp_path / "copy.yaml").write_text((tmp_path / "one.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(FlowError, match="flow id 'one' is already used"):
        load_flows(tmp_path)


def test_built_in_choices_and_personal_defaults() -> None:
    flow = build()
    assert [c.id for c in flow.step("fees").choices] == ["yes", "no"]
    assert flow.step("fees").choices[0].label["ru"] == "Да"
    region = [c.id for c in flow.step("region").choices]
    assert region[:3] == ["shirak-gyumri", "aragatsotn-ashtarak", "yerevan"] and len(region) == 11
    assert flow.step("phone").personal and not flow.step("years").personal and flow.personal
    assert flow.step("fee_note").when == (Condition("fees", "eq", True),)  # "yes" in a condition means True


def test_the_walk_follows_branches_and_skips_steps_whose_when_fails() -> None:
    flow = build()
    assert flow.first({}).id == "intro"
    assert flow.after("intro", {}).id == "kind"  # type: ignore[union-attr]
    assert flow.after("kind", {"kind": "other"}).id == "region"  # type: ignore[union-attr]
    assert flow.after("kind", {"kind": "job"}).id == "years"  # type: ignore[union-attr]
    assert flow.after("fees", {"fees": False}).id == "region"  # type: ignore[union-attr]
    assert flow.after("fees", {"fees": True}).id == "fee_note"  # type: ignore[union-attr]
    assert flow.after("phone", {}).id == "summary"  # type: ignore[union-attr]
    assert flow.after("summary", {}) is None
    with pytest.raises(KeyError):
        flow.after("ghost", {})


@pytest.mark.parametrize(
    ("condition", "answers", "holds"),
    [
        (Condition("a", "eq", "x"), {"a": "x"}, True),
        (Condition("a", "eq", "x"), {"a": ["y", "x"]}, True),
        (Condition("a", "eq", "x"), {}, False),
        (Condition("a", "ne", "x"), {}, True),
        (Condition("a", "ne", "x"), {"a": ["x"]}, False),
        (Condition("a", "in", ("x", "y")), {"a": "y"}, True),
        (Condition("a", "in", ("x", "y")), {"a": ["z"]}, False),
        (Condition("a", "gte", 2), {"a": 2}, True),
        (Condition("a", "gte", 2), {"a": 1.5}, False),
        (Condition("a", "lte", 0), {"a": 0}, True),
        (Condition("a", "gte", 1), {"a": True}, False),  # a yes is not the number 1
        (Condition("a", "eq", True), {"a": 1}, False),
        (Condition("a", "eq", True), {"a": True}, True),
        (Condition("a", "answered", True), {"a": ""}, False),
        (Condition("a", "answered", True), {"a": []}, False),
        (Condition("a", "answered", False), {"a": None}, True),
        (Condition("a", "answered", True), {"a": 0}, True),
    ],
)
def test_conditions(condition: Condition, answers: dict[str, Any], holds: bool) -> None:
    assert condition.holds(answers) is holds


def test_texts_in_other_languages_are_kept() -> None:
    data = demo()
    data["title"] = texts("Demo") | {"de": "Demo de"}
    assert build(data).title["de"] == "Demo de"


def test_answers_left_behind_on_another_branch_do_not_count() -> None:
    flow = build()
    answers = {"kind": "other", "years": 5, "fees": True, "fee_note": "paid 500", "region": "yerevan"}
    assert [s.id for s in flow.path(answers)] == ["intro", "kind", "region", "phone", "summary"]
    assert flow.answers_on_path(answers) == {"kind": "other", "region": "yerevan"}
    assert flow.answers_on_path(answers | {"kind": "job", "fees": False}) == {
        "kind": "job",
        "years": 5,
        "fees": False,
        "region": "yerevan",
    }


def test_the_definition_is_kept_to_store_and_rebuild_the_same_flow() -> None:
    import json

    flow = build()
    stored = json.loads(json.dumps(flow.definition))  # as FlowVersion.definition keeps it
    again = build(stored)
    assert again == flow and again.definition == flow.definition
