"""Reading the conditions of a flow file (`when`, `next`, rules), checked against the steps they name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.flows.schema import OPS, Condition, FlowError, Step

Known = Mapping[str, Step]  # the steps a condition may refer to, by id


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _yes_no_value(value: Any, at: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("yes", "no"):
        return bool(value == "yes")
    raise FlowError(f"{at}: a yes_no answer is yes or no, not {value!r}")


def _condition_value(target: Step, op: str, value: Any, at: str) -> Any:
    if op == "answered":
        if not isinstance(value, bool):
            raise FlowError(f"{at}: answered takes true or false")
        return value
    if not target.asks:
        raise FlowError(f"{at}: step '{target.id}' takes no answer")
    if op in ("gte", "lte"):
        if target.type not in ("number", "year") or not is_number(value):
            raise FlowError(f"{at}: {op} compares the answer of a number or year step with a number")
        return value
    if op == "in" and (not isinstance(value, list) or not value):
        raise FlowError(f"{at}: in takes a list of values")
    values = list(value) if op == "in" else [value]
    if target.type == "yes_no":
        values = [_yes_no_value(v, at) for v in values]
    elif target.choices:
        ids = {c.id for c in target.choices}
        for v in values:
            if v not in ids:
                raise FlowError(f"{at}: {v!r} is not a choice of step '{target.id}'")
    return tuple(values) if op == "in" else values[0]


def _condition(item: Any, at: str, known: Known) -> Condition:
    if not isinstance(item, dict) or not isinstance(item.get("step"), str):
        raise FlowError(f"{at}: a condition is written {{step: <step id>, eq: <value>}}")
    ops = [key for key in item if key != "step"]
    if len(ops) != 1 or ops[0] not in OPS:
        raise FlowError(f"{at}: a condition needs exactly one of {', '.join(OPS)}")
    target = known.get(item["step"])
    if target is None:
        raise FlowError(f"{at}: refers to step '{item['step']}', which is unknown or not answered yet at this point")
    return Condition(target.id, ops[0], _condition_value(target, ops[0], item[ops[0]], at))


def conditions(raw: Any, at: str, known: Known) -> tuple[Condition, ...]:
    """A condition or a list of them, all to hold; `known` are the steps they may refer to."""
    if raw is None:
        return ()
    items = [raw] if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        raise FlowError(f"{at}: conditions are a list of {{step: <step id>, eq: <value>}}")
    return tuple(_condition(item, at, known) for item in items)


def branches(raw: Any, at: str, known: Known) -> tuple[tuple[tuple[Condition, ...], str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise FlowError(f"{at}: next is a list of {{if: <conditions>, goto: <step id>}}")
    branches = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or set(item) - {"if", "goto"} or not isinstance(item.get("goto"), str):
            raise FlowError(f"{at}: next is a list of {{if: <conditions>, goto: <step id>}}")
        when = conditions(item.get("if"), f"{at}: next", known)
        if not when and i < len(raw) - 1:
            raise FlowError(f"{at}: a branch without `if` must come last: the ones after it are never taken")
        branches.append((when, item["goto"]))
    return tuple(branches)
