"""Test doubles: a fake Telegram Bot API server and the pieces around it."""
