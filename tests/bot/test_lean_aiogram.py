"""aiogram imported lean (bot/channels/lean_aiogram.py): every type still builds and validates, memory is saved.

Each check runs in a fresh interpreter, since aiogram is imported once per process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BUILD_ALL = """
import json
import bot.channels  # the lean import, as every Ughi process does it
import aiogram.methods as methods
import aiogram.types as types
from pydantic import BaseModel

models = [getattr(module, name) for module in (types, methods) for name in module.__all__]
models = [m for m in models if isinstance(m, type) and issubclass(m, BaseModel)]
built = [m.__name__ for m in models if m.__pydantic_complete__]
failed = [m.__name__ for m in models if m.model_rebuild(raise_errors=True) is False or not m.__pydantic_complete__]
print(json.dumps({"models": len(models), "built": built, "failed": failed}))
"""

USE = """
import json
import bot.channels
from aiogram.methods import SendMessage
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

update = Update.model_validate({
    "update_id": 7,
    "callback_query": {
        "id": "q1", "chat_instance": "c", "data": "menu", "from": {"id": 5, "is_bot": False, "first_name": "Ani"},
        "message": {"message_id": 3, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "Menu",
                    "reply_markup": {"inline_keyboard": [[{"text": "Back", "callback_data": "menu"}]]}},
    },
})
assert isinstance(update.callback_query, CallbackQuery)
assert isinstance(update.callback_query.message, Message)
markup = update.callback_query.message.reply_markup
assert isinstance(markup, InlineKeyboardMarkup) and markup.inline_keyboard[0][0].callback_data == "menu"
sent = SendMessage(
    chat_id=5, text="<b>Hi</b>",
    reply_markup=InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Ok", callback_data="ok")]]),
)
dumped = sent.model_dump(exclude_none=True)
print(json.dumps({"kind": update.event_type, "markup": dumped["reply_markup"]}))
"""

RSS = """
import json, sys
{imports}
statm = open("/proc/self/statm").read().split()
print(json.dumps({{"rss_mb": int(statm[1]) * 4096 / 1e6}}))
"""


def _run(code: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_every_telegram_type_and_method_builds_after_a_lean_import() -> None:
    result = _run(BUILD_ALL)
    assert isinstance(result["models"], int) and result["models"] > 400  # aiogram's types and methods
    # at import, only the bases declared before the change (aiogram's method base and its request/response)
    built = result["built"]
    assert isinstance(built, list) and set(built) <= {"TelegramMethod", "Request", "Response"}
    assert result["failed"] == []


def test_types_validate_and_serialize_as_usual() -> None:
    result = _run(USE)
    assert result["kind"] == "callback_query"
    assert result["markup"] == {"inline_keyboard": [[{"text": "Ok", "callback_data": "ok"}]]}


def test_lean_import_saves_memory() -> None:
    eager = _run(RSS.format(imports="import aiogram"))["rss_mb"]
    lean = _run(RSS.format(imports="import bot.channels\nimport aiogram"))["rss_mb"]
    assert isinstance(eager, float) and isinstance(lean, float)
    assert lean < eager - 40, (lean, eager)
