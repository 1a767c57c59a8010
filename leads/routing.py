"""Which centre answers a lead, and by when: the response target in working days (Mon–Fri, Yerevan time)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

DEFAULT_RESPONSE_DAYS = 3  # until a centre has set its own target in knowledge/content/centres.yaml
# Armenia keeps UTC+4 all year (no daylight saving since 2012): a fixed offset needs no tz database.
YEREVAN = timezone(timedelta(hours=4), "AMT")


@dataclass(frozen=True)
class CentreTarget:
    """A centre as routing needs it: built by the caller from knowledge.centres, so leads/ stays independent."""

    id: str
    region: str  # the region key a lead carries, e.g. "shirak"
    response_days: int | None = None  # working days to answer; None: DEFAULT_RESPONSE_DAYS


def route(region: str | None, centres: Iterable[CentreTarget], *, fallback: str | None = None) -> CentreTarget | None:
    """The centre for `region` (matched on its region key or its id, any case), else the `fallback` centre id."""
    options = list(centres)
    wanted = (region or "").strip().casefold()
    if wanted:
        for centre in options:
            if wanted in (centre.region.casefold(), centre.id.casefold()):
                return centre
    return next((centre for centre in options if centre.id == fallback), None)


def response_days(centre: CentreTarget | None) -> int:
    """The centre's own target, or the default while it has none."""
    if centre is not None and centre.response_days is not None and centre.response_days >= 0:
        return centre.response_days
    return DEFAULT_RESPONSE_DAYS


def due_after(start: datetime, working_days: int) -> datetime:
    """The end (midnight, Yerevan time) of the `working_days`-th working day after the day of `start`.

    A request of Friday with 1 working day is due at the end of Monday; one of Saturday too. Public holidays
    are not known here, so they count as working days."""
    day = start.astimezone(YEREVAN).date()
    left = max(working_days, 0)
    while left:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return datetime.combine(day + timedelta(days=1), time(0), YEREVAN).astimezone(UTC)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5
