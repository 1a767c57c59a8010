"""Realistic Telegram objects for the fake Bot API: users, chats, message contents of every kind."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

_files = itertools.count(1)


@dataclass(frozen=True)
class FakeUser:
    """A person using Telegram; their private chat with the bot has the same id."""

    id: int
    first_name: str = "Ani"
    language_code: str | None = "hy"
    last_name: str | None = None
    username: str | None = None
    phone: str = "+37491000000"

    def as_dict(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                user[key] = getattr(self, key)
        return user

    def chat(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat


def now() -> int:
    return int(time.time())


def _file(prefix: str) -> dict[str, Any]:
    n = next(_files)
    return {"file_id": f"{prefix}{n:06d}AgADBAADr6cxG", "file_unique_id": f"AQAD{n:06d}", "file_size": 1000 + n}


def text(value: str) -> dict[str, Any]:
    content: dict[str, Any] = {"text": value}
    if value.startswith("/") and len(value) > 1 and not value[1].isspace():
        command = value.split()[0]
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command.encode("utf-16-le")) // 2}]
    return content


def sticker(emoji: str = "😀") -> dict[str, Any]:
    return {
        "sticker": {
            **_file("CAACAg"),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "HotCherry",
        }
    }


def voice(duration: int = 3) -> dict[str, Any]:
    return {"voice": {**_file("AwACAg"), "duration": duration, "mime_type": "audio/ogg"}}


def video_note(duration: int = 5) -> dict[str, Any]:
    return {"video_note": {**_file("DQACAg"), "length": 240, "duration": duration}}


def audio(title: str = "Song") -> dict[str, Any]:
    return {
        "audio": {**_file("CQACAg"), "duration": 200, "title": title, "performer": "Aram", "mime_type": "audio/mpeg"}
    }


def photo(caption: str | None = None) -> dict[str, Any]:
    sizes = [{**_file("AgACAg"), "width": side, "height": side} for side in (90, 320, 1280)]
    return _captioned({"photo": sizes}, caption)


def video(caption: str | None = None) -> dict[str, Any]:
    return _captioned(
        {"video": {**_file("BAACAg"), "width": 640, "height": 360, "duration": 12, "mime_type": "video/mp4"}}, caption
    )


def document(file_name: str = "passport.pdf", caption: str | None = None) -> dict[str, Any]:
    return _captioned(
        {"document": {**_file("BQACAg"), "file_name": file_name, "mime_type": "application/pdf"}}, caption
    )


def animation() -> dict[str, Any]:
    anim = {
        **_file("CgACAg"),
        "width": 320,
        "height": 240,
        "duration": 2,
        "file_name": "a.mp4",
        "mime_type": "video/mp4",
    }
    return {
        "animation": anim,
        "document": {k: anim[k] for k in ("file_id", "file_unique_id", "file_name", "mime_type", "file_size")},
    }


def contact(user: FakeUser, phone: str | None = None, own: bool = True) -> dict[str, Any]:
    card: dict[str, Any] = {"phone_number": phone or user.phone, "first_name": user.first_name}
    if own:
        card["user_id"] = user.id
    return {"contact": card}


def location(latitude: float = 40.1772, longitude: float = 44.50349) -> dict[str, Any]:
    return {"location": {"latitude": latitude, "longitude": longitude}}


def dice() -> dict[str, Any]:
    return {"dice": {"emoji": "🎲", "value": 4}}


def _captioned(content: dict[str, Any], caption: str | None) -> dict[str, Any]:
    if caption:
        content["caption"] = caption
    return content


def message(user: FakeUser, message_id: int, content: dict[str, Any]) -> dict[str, Any]:
    return {"message_id": message_id, "from": user.as_dict(), "chat": user.chat(), "date": now(), **content}


def kicked(user: FakeUser, bot: dict[str, Any], blocked: bool = True) -> dict[str, Any]:
    """The my_chat_member update Telegram sends when a person blocks (or unblocks) the bot."""
    member = {"user": bot, "status": "member"}
    banned = {"user": bot, "status": "kicked", "until_date": 0}
    old, new = (member, banned) if blocked else (banned, member)
    return {"chat": user.chat(), "from": user.as_dict(), "date": now(), "old_chat_member": old, "new_chat_member": new}
