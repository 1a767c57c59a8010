"""Lanes: one chat's updates in order, different chats side by side, never more than the limit at once."""

from __future__ import annotations

import asyncio

from bot.channels.lanes import Lanes


async def test_order_within_a_lane_and_a_bound_overall() -> None:
    running, peak, done = 0, 0, []
    release = asyncio.Event()

    async def work(item: str) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await release.wait()
        done.append(item)
        running -= 1

    lanes: Lanes[str] = Lanes(2, work)
    for lane in "abc":
        for n in range(3):
            lanes.put(lane, f"{lane}{n}")
    assert lanes.queued == 9
    await asyncio.sleep(0)  # let the lanes start: two may run, the third waits for a slot
    assert running == 2
    release.set()
    await asyncio.wait_for(lanes.wait_idle(), 5)
    assert peak == 2 and lanes.queued == 0
    for lane in "abc":
        assert [item for item in done if item[0] == lane] == [f"{lane}0", f"{lane}1", f"{lane}2"]


async def test_a_failing_item_does_not_stop_its_lane() -> None:
    done: list[int] = []

    async def work(item: int) -> None:
        if item == 1:
            raise RuntimeError("boom")
        done.append(item)

    lanes: Lanes[int] = Lanes(4, work)
    for item in range(3):
        lanes.put("one", item)
    await asyncio.wait_for(lanes.wait_idle(), 5)
    assert done == [0, 2]


async def test_close_cancels_what_does_not_finish_in_time() -> None:
    cancelled = asyncio.Event()

    async def work(item: int) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    lanes: Lanes[int] = Lanes(1, work)
    lanes.put("x", 1)
    await asyncio.sleep(0)
    await lanes.close(grace=0.01)
    assert cancelled.is_set()
