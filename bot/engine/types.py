"""What flows into the engine from a channel and what comes back out: no channel types here."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class InboundKind(StrEnum):
    TEXT = "text"  # a typed message (commands included: text starts with "/")
    BUTTON = "button"  # an inline button was pressed; `data` holds its payload
    CONTACT = "contact"  # the user shared a phone contact
    LOCATION = "location"  # the user shared a location
    VOICE = "voice"  # voice note, video note or audio
    MEDIA = "media"  # photo, video, document, sticker, animation, ...
    OTHER = "other"  # anything else the channel could not map


@dataclass(frozen=True)
class Inbound:
    """One event from one contact, already translated out of the channel's own types."""

    channel: str  # "telegram", "web", "console"
    external_id: str  # the contact's id within the channel (chat id, web session)
    kind: InboundKind
    text: str = ""
    data: str = ""  # button payload (<= 64 bytes)
    update_key: str | None = None  # unique per delivered update, for exactly-once handling
    language_hint: str | None = None  # the language the user's app is set to, if known
    display_name: str = ""
    phone: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Button:
    """An inline button: pressing it sends `data` back as an InboundKind.BUTTON."""

    text: str
    data: str = ""
    url: str | None = None


@dataclass(frozen=True)
class KeyButton:
    """A reply-keyboard button; may ask the app to share the phone number or the location."""

    text: str
    request_contact: bool = False
    request_location: bool = False


@dataclass(frozen=True)
class Reply:
    """One message to show. `text` is Markdown-lite (**bold**, _italic_, [link](url), "- " lists);
    anything a user typed has been passed through `markup.escape_md` before it got here."""

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    keyboard: list[list[KeyButton]] = field(default_factory=list)
    remove_keyboard: bool = False
    replace: bool = False  # replace the message whose button was pressed, where the channel can
