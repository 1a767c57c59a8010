"""Channels: thin adapters between a messenger (Telegram, web chat, terminal) and the engine."""
