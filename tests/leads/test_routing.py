"""Routing a lead to a centre, and response targets counted in working days (Yerevan time)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leads.routing import CentreTarget, due_after, response_days, route

CENTRES = [
    CentreTarget("shirak-gyumri", "shirak", 2),
    CentreTarget("yerevan", "yerevan", None),
    CentreTarget("lori-vanadzor", "lori", 5),
]


def test_a_region_goes_to_its_centre_by_region_key_or_centre_id() -> None:
    assert route("shirak", CENTRES) == CENTRES[0]
    assert route("  Lori ", CENTRES) == CENTRES[2]
    assert route("shirak-gyumri", CENTRES) == CENTRES[0]


def test_an_unknown_region_goes_to_the_fallback_centre_or_nowhere() -> None:
    assert route("abroad", CENTRES, fallback="yerevan") == CENTRES[1]
    assert route(None, CENTRES, fallback="yerevan") == CENTRES[1]
    assert route("abroad", CENTRES) is None
    assert route("shirak", [], fallback="yerevan") is None


def test_a_centre_without_a_target_uses_the_default() -> None:
    assert response_days(CENTRES[0]) == 2
    assert response_days(CENTRES[1]) == response_days(None) == 3


@pytest.mark.parametrize(
    ("created", "days", "due"),
    [
        (datetime(2026, 11, 23, 8, 0, tzinfo=UTC), 1, datetime(2026, 11, 24, 20, 0, tzinfo=UTC)),  # Mon → end Tue
        (datetime(2026, 11, 27, 8, 0, tzinfo=UTC), 1, datetime(2026, 11, 30, 20, 0, tzinfo=UTC)),  # Fri → end Mon
        (datetime(2026, 11, 28, 8, 0, tzinfo=UTC), 1, datetime(2026, 11, 30, 20, 0, tzinfo=UTC)),  # Sat → end Mon
        (datetime(2026, 11, 27, 8, 0, tzinfo=UTC), 5, datetime(2026, 12, 4, 20, 0, tzinfo=UTC)),  # Fri → end Fri
        (datetime(2026, 11, 27, 21, 0, tzinfo=UTC), 1, datetime(2026, 11, 30, 20, 0, tzinfo=UTC)),  # Sat 01:00 local
        (datetime(2026, 11, 23, 8, 0, tzinfo=UTC), 0, datetime(2026, 11, 23, 20, 0, tzinfo=UTC)),  # end of today
    ],
)
def test_due_dates_skip_weekends(created: datetime, days: int, due: datetime) -> None:
    assert due_after(created, days) == due
