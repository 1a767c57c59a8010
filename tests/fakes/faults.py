"""Scripted failures of the fake Bot API: what Telegram and the network do on a bad day, one call at a time.

`api.inject("sendMessage", too_many_requests(2), server_error(502), connection_reset())` makes the next three
calls of sendMessage fail in that order (with `chat_id=...`, only calls for that chat); later calls are answered
as usual. Every call is recorded with its arrival time and the status it got (`api.calls_of`), so a test can check
when calls came, e.g. that none came while Telegram had asked to wait.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tests.fakes.rules import BLOCKED, ApiError

CUT = 0  # the status recorded for a call whose connection was cut without an answer


@dataclass(frozen=True)
class Fault:
    """One answer given instead of the real one: a Bot API error, or the connection cut with no answer at all."""

    error: ApiError | None = None
    cut: Literal["reset", "close"] | None = None


def too_many_requests(retry_after: int = 1) -> Fault:
    """429 with parameters.retry_after, as Telegram answers a bot that sends too fast."""
    return Fault(ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after))


def server_error(code: int = 500) -> Fault:
    """A 5xx from Telegram's front (500 Internal Server Error, 502 Bad Gateway, ...)."""
    description = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}.get(code, "Error")
    return Fault(ApiError(code, description))


def blocked() -> Fault:
    """403: the person blocked the bot (without the my_chat_member update that usually says so)."""
    return Fault(ApiError(403, BLOCKED))


def refused(code: int, description: str) -> Fault:
    """Any other error answer."""
    return Fault(ApiError(code, description))


def connection_reset() -> Fault:
    """The connection is aborted as the request arrives: no answer, a reset."""
    return Fault(cut="reset")


def connection_closed() -> Fault:
    """The connection is closed as the request arrives, cleanly but without an answer."""
    return Fault(cut="close")


class FaultInjection:
    """The fake Bot API's part that scripts faults (FakeBotAPI inherits it)."""

    _faults: list[tuple[str, int | None, Fault]]  # (method in lower case, only for this chat, what happens)

    def inject(self, method: str, *faults: Fault, chat_id: int | None = None) -> None:
        """The next calls of `method` (for `chat_id` only, when given) get these answers, in this order."""
        self._faults.extend((method.lower(), chat_id, fault) for fault in faults)

    def take_fault(self, method: str, chat_id: object) -> Fault | None:
        """The fault the call of `method` for `chat_id` meets, if one is scripted (it is then used up)."""
        for i, (name, only_for, fault) in enumerate(self._faults):
            if name == method.lower() and (only_for is None or str(chat_id) == str(only_for)):
                del self._faults[i]
                return fault
        return None

    @property
    def faults_left(self) -> int:
        """Injected faults no call has met yet."""
        return len(self._faults)

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` fail with this error (429 gets retry_after=1 by default)."""
        if error_code == 429:
            fault = too_many_requests(1 if retry_after is None else retry_after)
        else:
            fault = refused(error_code, description or "Internal Server Error")
        self.inject(method, *[fault] * times)

    def drop_next(self, method: str, times: int = 1) -> None:
        """Make the next `times` calls of `method` fail as a network error: the connection is cut."""
        self.inject(method, *[connection_reset()] * times)


__all__ = [
    "CUT",
    "Fault",
    "FaultInjection",
    "blocked",
    "connection_closed",
    "connection_reset",
    "refused",
    "server_error",
    "too_many_requests",
]
