"""Channels: thin adapters between a messenger (Telegram, web chat, terminal) and the engine."""

from bot.channels.lean_aiogram import import_aiogram

import_aiogram()  # before any channel imports aiogram: its types are built when first used (see lean_aiogram)
