"""The conversation engine: no channel, web framework or bot library is imported here."""

from bot.engine.engine import Engine
from bot.engine.types import Button, Inbound, InboundKind, KeyButton, Reply

__all__ = ["Button", "Engine", "Inbound", "InboundKind", "KeyButton", "Reply"]
