"""An intake under way keeps the flow version it started with when staff change the flow file."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.engine import Engine
from bot.engine.flow_versions import FlowCatalog
from bot.flows.schema import FLOWS_DIR
from tests.engine.helpers import buttons, press, say
from ughi.services import Services


def _flows_dir(tmp: Path, name: str, *, version: int, drop_step: str | None = None) -> Path:
    folder = tmp / name
    folder.mkdir()
    data = yaml.safe_load((FLOWS_DIR / "job_seeker.yaml").read_text(encoding="utf-8"))
    data["version"] = version
    if drop_step:
        data["steps"] = [s for s in data["steps"] if s["id"] != drop_step]
        for rule in list(data.get("scoring", [])):
            if rule.get("when", {}).get("step") == drop_step:
                data["scoring"].remove(rule)
    (folder / "job_seeker.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


async def test_a_run_keeps_its_version_and_new_runs_get_the_new_one(services: Services, tmp_path: Path) -> None:
    old = Engine(
        sessions=services.sessions,
        knowledge=services.knowledge,
        default_language="en",
        flows=FlowCatalog(_flows_dir(tmp_path, "v1", version=1)),
    )
    await say(old, "v", "/start", hint="en")
    await press(old, "v", "flow:job_seeker")
    await press(old, "v", "consent:yes")
    for data in ("ans:sector:trade", "ans:region:yerevan"):
        await press(old, "v", data)
    await say(old, "v", "4")
    # staff ship version 2 without the "hours" question; the bot restarts with it
    new = Engine(
        sessions=services.sessions,
        knowledge=services.knowledge,
        default_language="en",
        flows=FlowCatalog(_flows_dir(tmp_path, "v2", version=2, drop_step="hours")),
    )
    replies = await press(new, "v", "ans:availability:now")
    assert "ans:hours:any" in buttons(replies), "the run started on version 1 still asks version 1's questions"
    await say(new, "w", "/start", hint="en")
    await press(new, "w", "flow:job_seeker")
    await press(new, "w", "consent:yes")
    for data in ("ans:sector:trade", "ans:region:yerevan"):
        await press(new, "w", data)
    await say(new, "w", "4")
    replies = await press(new, "w", "ans:availability:now")
    assert not any(d.startswith("ans:hours:") for d in buttons(replies))
