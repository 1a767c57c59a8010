"""Flood control: one person typing faster than anyone reads gets a polite "slow down", not fifty answers.

A token bucket per contact, in this process: `capacity` messages at once, then `rate` per second. The first
message over the limit is answered with a notice; the next ones over it are recorded but not answered (those the
trickle of new tokens lets through are answered as usual). Once the bucket is full again the flood is over, and
a new one is told again. Other contacts are not affected: their buckets are their own, and the Telegram channel
works each chat in its own lane.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

CAPACITY = 30  # messages in a burst: an album of photos, a quick walk through a guided intake
RATE = 3.0  # messages per second, sustained
MAX_TRACKED = 10_000  # contacts remembered; idle ones (full buckets) are forgotten first


class Verdict(Enum):
    OK = "ok"  # handle as usual
    SLOW_DOWN = "slow_down"  # over the limit: tell the person, once
    QUIET = "quiet"  # over the limit and told already: record, do not answer


@dataclass
class _Bucket:
    tokens: float
    at: float
    told: bool = False


class FloodGuard:
    def __init__(
        self, capacity: int = CAPACITY, rate: float = RATE, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if capacity < 1 or rate <= 0:
            raise ValueError("capacity must be at least 1 and rate positive")
        self.capacity = capacity
        self.rate = rate
        self.clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    def check(self, key: tuple[str, str]) -> Verdict:
        """Take one message from `key`'s bucket."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_TRACKED:
                self._forget_idle(now)
            bucket = self._buckets[key] = _Bucket(tokens=float(self.capacity), at=now)
        else:
            bucket.tokens = min(float(self.capacity), bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            if bucket.tokens >= self.capacity:
                bucket.told = False  # the flood is over: a new one is told again
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return Verdict.OK
        if bucket.told:
            return Verdict.QUIET
        bucket.told = True
        return Verdict.SLOW_DOWN

    def _forget_idle(self, now: float) -> None:
        full_after = self.capacity / self.rate
        idle = [key for key, b in self._buckets.items() if now - b.at >= full_after]
        for key in idle or list(self._buckets)[: len(self._buckets) // 2]:
            del self._buckets[key]
