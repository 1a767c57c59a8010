"""Reading flow files: YAML into Flow objects, refusing at start anything the runner could trip over later."""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from bot.flows.conditions import Known, branches, conditions, is_number
from bot.flows.schema import (
    ANSWERLESS,
    BOUNDED,
    CHOICE_TYPES,
    FLOWS_DIR,
    PERSONAL_TYPES,
    REQUIRED_LANGUAGES,
    STEP_TYPES,
    Choice,
    Condition,
    Flow,
    FlowError,
    RedFlag,
    RedFlagRule,
    Routing,
    ScoreRule,
    Step,
)
from bot.i18n import available_languages, gettext_for
from knowledge.centres import load_centres

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
FLOW_KEYS = frozenset(
    {"id", "version", "title", "description", "emoji", "routing", "threshold", "scoring"}
    | {"related_articles", "red_flags", "steps"}
)
STEP_KEYS = frozenset(
    {"id", "type", "prompt", "choices", "optional", "min", "max", "when", "next", "error", "example"}
    | {"personal", "summary_label", "integer", "unit"}
)
ANSWER_ONLY_KEYS = ("optional", "min", "max", "error", "example", "summary_label", "integer", "unit")
YEARS = (1900, 2100)


def _texts(value: Any, at: str, what: str, *, required: bool = True) -> dict[str, str]:
    """Texts per language; hy, ru and en are all needed."""
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise FlowError(f"{at}: {what} maps languages ({', '.join(REQUIRED_LANGUAGES)}) to texts")
    texts = {str(lang): str(text).strip() for lang, text in value.items() if text is not None}
    missing = [lang for lang in REQUIRED_LANGUAGES if not texts.get(lang)]
    if missing:
        raise FlowError(f"{at}: {what} has no {', '.join(missing)} text")
    return texts


def _flag(data: Mapping[str, Any], key: str, at: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise FlowError(f"{at}: {key} is true or false")
    return value


def _slug(value: Any, at: str, what: str) -> str:
    if not isinstance(value, str) or not SLUG.match(value):
        hint = " (write it in quotes: YAML reads yes/no/on/off as true/false)" if isinstance(value, bool) else ""
        raise FlowError(f"{at}: {what} must be a-z, 0-9, '_' and '-'{hint}")
    return value


def yes_no_choices() -> tuple[Choice, ...]:
    """Yes and No, labelled from the UI catalogs, so a new language needs no change here."""
    yes: dict[str, str] = {}
    no: dict[str, str] = {}
    for lang in available_languages():
        _ = gettext_for(lang)
        yes[lang], no[lang] = _("Yes"), _("No")
    return (Choice("yes", yes), Choice("no", no))


@cache
def region_choices() -> tuple[Choice, ...]:
    """One choice per centre: the answer to a region step is the id of the centre of that region."""
    return tuple(
        Choice(centre.id, dict(centre.region), aliases=tuple(dict.fromkeys(centre.city.values())))
        for centre in load_centres()
    )


def _choice(item: Any, at: str, kind: str) -> Choice:
    if not isinstance(item, dict) or set(item) - {"id", "label", "exclusive", "aliases"}:
        raise FlowError(f"{at}: a choice is {{id: ..., label: {{hy: ..., ru: ..., en: ...}}}}")
    choice_id = _slug(item.get("id"), at, "a choice id")
    exclusive = _flag(item, "exclusive", f"{at}: choice '{choice_id}'", False)
    if exclusive and kind != "multi":
        raise FlowError(f"{at}: choice '{choice_id}': only choices of a multi step can be exclusive")
    aliases = item.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise FlowError(f"{at}: choice '{choice_id}': aliases is a list of texts")
    label = _texts(item.get("label"), f"{at}: choice '{choice_id}'", "label")
    return Choice(choice_id, label, exclusive, tuple(aliases))


def _choices(data: Mapping[str, Any], kind: str, at: str) -> tuple[Choice, ...]:
    raw = data.get("choices")
    if kind not in CHOICE_TYPES:
        if raw is not None:
            raise FlowError(f"{at}: only single and multi steps take choices, not a {kind} step")
        if kind == "region" and not region_choices():
            raise FlowError(f"{at}: there are no centres to choose a region from")
        return region_choices() if kind == "region" else yes_no_choices() if kind == "yes_no" else ()
    if not isinstance(raw, list) or len(raw) < 2:
        raise FlowError(f"{at}: a {kind} step needs a list of at least two choices")
    choices = tuple(_choice(item, at, kind) for item in raw)
    ids = [c.id for c in choices]
    if len(set(ids)) != len(ids):
        raise FlowError(f"{at}: duplicate choice id '{next(i for i in ids if ids.count(i) > 1)}'")
    return choices


def _bounds(data: Mapping[str, Any], kind: str, at: str) -> tuple[float | None, float | None]:
    low, high = data.get("min"), data.get("max")
    if low is None and high is None:
        return None, None
    if kind not in BOUNDED:
        raise FlowError(f"{at}: min and max apply only to {', '.join(BOUNDED)} steps, not a {kind} step")
    given = [v for v in (low, high) if v is not None]
    if not all(is_number(v) for v in given):
        raise FlowError(f"{at}: min and max must be numbers")
    if kind != "number" and not all(float(v).is_integer() for v in given):
        raise FlowError(f"{at}: min and max of a {kind} step are whole numbers")
    if low is not None and high is not None and low > high:
        raise FlowError(f"{at}: min ({low}) is greater than max ({high})")
    if kind == "text" and ((low is not None and low < 0) or (high is not None and high < 1)):
        raise FlowError(f"{at}: a text length is from 0 characters up")
    if kind == "year" and not all(YEARS[0] <= v <= YEARS[1] for v in given):
        raise FlowError(f"{at}: years are between {YEARS[0]} and {YEARS[1]}")
    return low, high


def _step(data: Any, where: str, earlier: Known) -> Step:
    number = len(earlier) + 1
    if not isinstance(data, dict):
        raise FlowError(f"{where}: step #{number} is not a mapping")
    at = f"{where}: step '{_slug(data.get('id'), f'{where}: step #{number}', 'a step id')}'"
    step_id = data["id"]
    if step_id in earlier:
        raise FlowError(f"{at}: duplicate step id")
    if unknown := sorted(set(data) - STEP_KEYS):
        raise FlowError(f"{at}: unknown keys {', '.join(map(str, unknown))}")
    kind = data.get("type")
    if kind not in STEP_TYPES:
        raise FlowError(f"{at}: type {kind!r} is not one of {', '.join(STEP_TYPES)}")
    if kind in ANSWERLESS and (extra := [k for k in ANSWER_ONLY_KEYS if k in data]):
        raise FlowError(f"{at}: a {kind} step takes no answer, so no {', '.join(extra)}")
    if kind != "number" and ("integer" in data or "unit" in data):
        raise FlowError(f"{at}: integer and unit apply only to number steps")
    low, high = _bounds(data, kind, at)
    step = Step(
        id=step_id,
        type=kind,
        prompt=_texts(data.get("prompt"), at, "prompt"),
        choices=_choices(data, kind, at),
        optional=_flag(data, "optional", at, False),
        min=low,
        max=high,
        error=_texts(data.get("error"), at, "error", required=False),
        example=_texts(data.get("example"), at, "example", required=False),
        personal=_flag(data, "personal", at, kind in PERSONAL_TYPES),
        summary_label=_texts(data.get("summary_label"), at, "summary_label", required=kind not in ANSWERLESS),
        integer=_flag(data, "integer", at, False),
        unit=_texts(data.get("unit"), at, "unit", required=False),
    )
    when = conditions(data.get("when"), f"{at}: when", earlier)
    return dataclasses.replace(step, when=when, next=branches(data.get("next"), at, {**earlier, step_id: step}))


def _check_order(steps: list[Step], where: str) -> None:
    """One summary, last and always shown; branches jump forward to steps that exist, so every path ends."""
    summaries = [s.id for s in steps if s.type == "summary"]
    if len(summaries) != 1 or steps[-1].type != "summary":
        raise FlowError(f"{where}: a flow has exactly one summary step, and it is the last step")
    if steps[-1].when or steps[-1].next:
        raise FlowError(f"{where}: step '{steps[-1].id}': the summary is always shown: no when or next")
    index = {s.id: i for i, s in enumerate(steps)}
    for i, step in enumerate(steps):
        for _when, target in step.next:
            if target not in index:
                raise FlowError(f"{where}: step '{step.id}': next goes to unknown step '{target}'")
            if index[target] <= i:
                raise FlowError(f"{where}: step '{step.id}': next goes back to step '{target}'; branches go forward")


def _steps(raw: Any, where: str) -> tuple[Step, ...]:
    if not isinstance(raw, list) or not raw:
        raise FlowError(f"{where}: steps is a list of steps")
    steps: list[Step] = []
    known: dict[str, Step] = {}
    for item in raw:
        step = _step(item, where, known)
        steps.append(step)
        known[step.id] = step
    _check_order(steps, where)
    return tuple(steps)


def _routing(raw: Any, where: str, known: Known) -> Routing:
    at = f"{where}: routing"
    if raw is None:
        return Routing()
    if not isinstance(raw, dict) or set(raw) - {"topic", "region_step", "centres", "fallback"}:
        raise FlowError(f"{at}: takes topic, region_step, centres and fallback")
    topic = _slug(raw["topic"], at, "topic") if raw.get("topic") is not None else None
    region_step = raw.get("region_step")
    if region_step is not None and (region_step not in known or known[region_step].type != "region"):
        raise FlowError(f"{at}: region_step '{region_step}' is not a region step of this flow")
    centres = raw.get("centres") or {}
    if not isinstance(centres, dict) or not all(isinstance(v, str) for v in centres.values()):
        raise FlowError(f"{at}: centres maps region ids to centre ids")
    fallback = _slug(raw["fallback"], at, "fallback") if raw.get("fallback") is not None else None
    return Routing(topic, region_step, {str(k): v for k, v in centres.items()}, fallback)


def _scoring(raw: Any, where: str, known: Known) -> tuple[ScoreRule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise FlowError(f"{where}: scoring is a list of {{when: <conditions>, points: <number>, reason: <text>}}")
    rules = []
    for n, item in enumerate(raw, 1):
        at = f"{where}: scoring rule #{n}"
        if not isinstance(item, dict) or set(item) - {"when", "points", "reason"}:
            raise FlowError(f"{at}: takes when, points and reason")
        if not is_number(item.get("points")) or not isinstance(item.get("reason"), str) or not item["reason"]:
            raise FlowError(f"{at}: needs points (a number) and a reason")
        rules.append(ScoreRule(conditions(item.get("when"), at, known), float(item["points"]), item["reason"]))
    return tuple(rules)


def _article_ids(raw: Any, at: str) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise FlowError(f"{at}: articles is a list of article ids")
    return tuple(_slug(a, at, "an article id") for a in raw)


def _related(
    raw: Any, where: str, known: Known
) -> tuple[tuple[str, ...], tuple[tuple[tuple[Condition, ...], str], ...]]:
    at = f"{where}: related_articles"
    always: list[str] = []
    sometimes: list[tuple[tuple[Condition, ...], str]] = []
    for item in raw or []:
        if isinstance(item, dict) and set(item) == {"id", "when"}:
            sometimes.append((conditions(item["when"], at, known), _slug(item["id"], at, "an article id")))
        else:
            always.append(_slug(item, at, "an article id (or {id: ..., when: ...})"))
    return tuple(always), tuple(sometimes)


def _red_flags(raw: Any, where: str, known: Known) -> tuple[RedFlagRule, ...]:
    rules: list[RedFlagRule] = []
    for item in raw or []:
        if not isinstance(item, dict) or set(item) - {"id", "when", "text", "articles", "points"}:
            raise FlowError(f"{where}: a red flag takes id, when, text, articles and points")
        at = f"{where}: red flag '{_slug(item.get('id'), f'{where}: red flag', 'an id')}'"
        if any(rule.flag.id == item["id"] for rule in rules):
            raise FlowError(f"{at}: duplicate red flag id")
        if not item.get("when"):
            raise FlowError(f"{at}: needs `when`: the answers that raise it")
        points = item.get("points", 1)
        if not is_number(points):
            raise FlowError(f"{at}: points is a number")
        flag = RedFlag(item["id"], _texts(item.get("text"), at, "text"), _article_ids(item.get("articles", []), at))
        rules.append(RedFlagRule(flag, conditions(item["when"], at, known), float(points)))
    return tuple(rules)


def build_flow(data: Any, where: str) -> Flow:
    """A validated Flow from the parsed YAML of one file; FlowError names the file and the step."""
    if not isinstance(data, dict):
        raise FlowError(f"{where}: a flow file is a mapping with id, version, title, description, emoji and steps")
    if unknown := sorted(set(map(str, data)) - FLOW_KEYS):
        raise FlowError(f"{where}: unknown keys {', '.join(unknown)}")
    flow_id = _slug(data.get("id"), where, "the flow id")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise FlowError(f"{where}: version is a whole number from 1 (raise it when the questions change)")
    emoji, threshold = data.get("emoji"), data.get("threshold", 0)
    if not isinstance(emoji, str) or not emoji.strip():
        raise FlowError(f"{where}: emoji is needed: it is shown on the menu button")
    if not is_number(threshold):
        raise FlowError(f"{where}: threshold is a number")
    steps = _steps(data.get("steps"), where)
    known = {s.id: s for s in steps}
    routing = _routing(data.get("routing"), where, known)
    related, conditional = _related(data.get("related_articles"), where, known)
    return Flow(
        id=flow_id,
        version=version,
        title=_texts(data.get("title"), where, "title"),
        description=_texts(data.get("description"), where, "description"),
        emoji=emoji.strip(),
        steps=steps,
        topic=routing.topic,
        threshold=float(threshold),
        scoring=_scoring(data.get("scoring"), where, known),
        routing=routing,
        related_articles=related,
        conditional_articles=conditional,
        red_flags=_red_flags(data.get("red_flags"), where, known),
        source=where,
        definition=copy.deepcopy(data),
    )


def load_directory(directory: Path = FLOWS_DIR) -> dict[str, Flow]:
    """Every flow file (*.yaml) of `directory`, validated, by flow id."""
    if not directory.is_dir():
        raise FlowError(f"{directory}: no such folder")
    flows: dict[str, Flow] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise FlowError(f"{path}: not valid YAML: {exc}") from exc
        flow = build_flow(data, str(path))
        if flow.id in flows:
            raise FlowError(f"{path}: flow id '{flow.id}' is already used by {flows[flow.id].source}")
        flows[flow.id] = flow
    return flows


@cache
def shipped_flows() -> Mapping[str, Flow]:
    """The flows shipped in bot/flows/, loaded once."""
    return MappingProxyType(load_directory(FLOWS_DIR))
