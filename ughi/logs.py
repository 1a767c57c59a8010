"""Logs: every `logging` call as one JSON object per line, phone numbers masked, contacts named by pseudonym."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import sys
from typing import TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from ughi.settings import Settings, get_settings

# "+" and 7 to 15 digits, with up to two spaces, dots, dashes or brackets between them: +374 (91) 23-45-67
PHONE = re.compile(r"(?<![\w+])\+\d(?:[ .()-]{0,2}\d){6,14}(?!\d)")
PHONE_MASK = "[phone]"
# a Bot API token, as it appears in the URLs of the Bot API: bot123456789:AA...
BOT_TOKEN = re.compile(r"(?<!\d)\d{5,}:[A-Za-z0-9_-]{30,}")
TOKEN_MASK = "[bot-token]"
# libraries that log every HTTP request with its full URL (the Bot API's carries the token) at INFO
CHATTY_LOGGERS = ("httpx", "httpcore", "aiohttp.access")
COPIES = ("message", "asctime", "color_message")

_pseudonym_key: bytes | None = None


def pseudonym(channel: str, external_id: str) -> str:
    """A stable id for a contact in logs: HMAC-SHA256 of "channel:external_id" by the secret key, 16 hex digits."""
    key = _pseudonym_key
    if key is None:  # logging not configured (a test, a script): the settings of the environment
        key = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(key, f"{channel}:{external_id}".encode(), hashlib.sha256).hexdigest()[:16]


def redact(text: str) -> str:
    """`text` with phone numbers and Bot API tokens masked."""
    return BOT_TOKEN.sub(TOKEN_MASK, PHONE.sub(PHONE_MASK, text))


class RedactingJSONRenderer:
    """The last processor: the event as one line of JSON, then masked by `redact` (tracebacks included)."""

    def __init__(self) -> None:
        self._json = structlog.processors.JSONRenderer(ensure_ascii=False, default=str)

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> str:
        return redact(str(self._json(logger, method_name, event_dict)))


class ConsoleHandler(logging.Handler):
    """Writes each record as a line to `stream`, or to whatever sys.stderr is at that moment (a test may swap it)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self._stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            out = self._stream or sys.stderr
            out.write(self.format(record) + "\n")
            out.flush()
        except Exception:
            self.handleError(record)


def json_formatter() -> structlog.stdlib.ProcessorFormatter:
    """Renders standard-library records (and structlog's) as JSON: timestamp, level, logger, event, extras."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.ExtraAdder(), _drop_copies, *_common_processors()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            RedactingJSONRenderer(),
        ],
    )


def configure_logging(
    settings: Settings | None,
    *,
    level: int | str | None = None,
    stream: TextIO | None = None,
) -> None:
    """Send every log record of the process, as JSON lines, to `stream` (default: sys.stderr).

    `level` defaults to the setting UGHI_LOG_LEVEL; the settings' secret key keys `pseudonym`."""
    global _pseudonym_key
    if settings is not None:
        _pseudonym_key = settings.secret_key.get_secret_value().encode()
    handler = ConsoleHandler(stream)
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    for old in root.handlers[:]:
        # console handlers (ours from before, basicConfig's) make way; others (a file, a test's capture) stay
        if type(old) in (ConsoleHandler, logging.StreamHandler):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level if level is not None else settings.log_level if settings is not None else logging.WARNING)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_common_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def _drop_copies(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Record attributes that only repeat the event: set by another handler's formatter, or uvicorn's coloured copy."""
    for key in COPIES:
        event_dict.pop(key, None)
    return event_dict


def _common_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
