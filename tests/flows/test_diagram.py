"""The Mermaid diagram: one node per step, labelled edges for branches and for steps asked only sometimes."""

from __future__ import annotations

from bot.flows.diagram import describe, mermaid, node_id
from bot.flows.schema import Condition
from tests.flows.builders import build, demo, texts


def test_one_node_per_step_and_labelled_branch_and_skip_edges() -> None:
    flow = build()
    chart = mermaid(flow)
    lines = chart.splitlines()
    assert lines[0] == "flowchart TD"
    for step in flow.steps:
        assert (
            sum(
                line.strip().startswith(f"{node_id(step.id)}[")
                or line.strip().startswith(f"{node_id(step.id)}{{")
                or line.strip().startswith(f"{node_id(step.id)}([")
                for line in lines
            )
            == 1
        ), step.id
    assert '    s_kind -- "kind = other" --> s_region' in lines
    assert '    s_kind -- "otherwise" --> s_years' in lines
    assert '    s_fees -- "if fees = yes" --> s_fee_note' in lines
    assert '    s_fees -. "else" .-> s_region' in lines
    assert "    s_phone --> s_summary" in lines
    assert not any("s_summary -->" in line for line in lines)


def test_labels_are_in_the_chosen_language_and_escaped() -> None:
    data = demo()
    data["steps"][2]["summary_label"] = texts('Years "abroad"')
    chart = mermaid(build(data), "ru")
    assert "Years #quot;abroad#quot; ru" in chart and "(optional)" in chart
    assert 's_intro[/"intro: Hello ru"/]' in chart


def test_conditions_read_as_staff_read_them() -> None:
    assert describe(Condition("years", "gte", 2)) == "years ≥ 2"
    assert describe(Condition("kind", "in", ("a", "b"))) == "kind in [a, b]"
    assert describe(Condition("phone", "answered", False)) == "phone skipped"
    assert describe(Condition("fees", "ne", False)) == "fees ≠ no"
    assert node_id("end") == "s_end" and node_id("a-b") == "s_a_b"
