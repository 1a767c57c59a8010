"""The process runtime: the garbage collector settled once a server has started."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import httpx
import pytest

from ughi import runtime
from ughi.app import create_app
from ughi.settings import Settings


@pytest.fixture
def restored_gc() -> Iterator[None]:
    """settle() changes the whole process: this test process gets its collector back as it was."""
    thresholds = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_settle_freezes_what_started_and_collects_young_objects_less_often(restored_gc: None) -> None:
    started = [object() for _ in range(10)]  # stands for the content and index loaded at start
    cycle: list[object] = []
    cycle.append(cycle)
    del cycle  # garbage from start-up: collected, not frozen
    runtime.settle()
    assert gc.get_freeze_count() > len(started)
    assert gc.get_threshold()[0] == runtime.YOUNG_COLLECTION_THRESHOLD
    later = _Node()
    later.me = later  # a reference cycle made after start-up is still collected
    gone = weakref.ref(later)
    del later
    gc.collect()
    assert gone() is None


class _Node:
    me: object = None


async def test_the_app_calls_on_started_once_everything_runs(settings: Settings) -> None:
    started: list[bool] = []
    app = create_app(settings, on_started=lambda: started.append(hasattr(app.state, "services")))
    async with app.router.lifespan_context(app):
        assert started == [True]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ughi.test") as http:
            assert (await http.get("/healthz")).status_code == 200
    assert started == [True]
