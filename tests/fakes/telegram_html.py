"""Telegram's HTML parse mode, as strictly as the Bot API applies it: text plus entities, or the error it gives."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT = 4096

# tag -> entity type (None: the tag needs its attributes to decide)
TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot)|#(\d{1,8})|#[xX]([0-9a-fA-F]{1,8}));")
_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTR = re.compile(r"\s+([a-zA-Z][a-zA-Z0-9_-]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'<>=`]+)))?")
_UNSENDABLE = re.compile(r"[\ud800-\udfff]")
_SPECIAL = re.compile(r"[<&]")


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; `str(err)` is what follows "can't parse entities: "."""


@dataclass
class _Open:
    tag: str
    start: int  # UTF-16 offset in the output text
    attrs: dict[str, str]


@dataclass
class _Parser:
    src: str
    out: list[str] = field(default_factory=list)
    units: int = 0
    stack: list[_Open] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.units += utf16_len(text)

    def at(self, i: int) -> int:
        """Byte offset of character `i`, the way Telegram reports positions."""
        return len(self.src[:i].encode("utf-8", "surrogatepass"))

    def entity(self, i: int) -> int:
        match = _ENTITY.match(self.src, i)
        if match is None:
            raise EntityParseError(f"Character '&' must be escaped as &amp; at byte offset {self.at(i)}")
        if match.group(1):
            self.emit(_NAMED[match.group(1)])
        else:
            code = int(match.group(2)) if match.group(2) else int(match.group(3), 16)
            if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise EntityParseError(f"Invalid character reference at byte offset {self.at(i)}")
            self.emit(chr(code))
        return match.end()

    def end_tag(self, i: int) -> int:
        match = _NAME.match(self.src, i + 2)
        close = self.src.find(">", i)
        if match is None or close == -1 or self.src[match.end() : close].strip():
            raise EntityParseError(f"Unclosed end tag at byte offset {self.at(i)}")
        name = match.group().lower()
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {self.at(i)}")
        top = self.stack.pop()
        if top.tag != name:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {self.at(i)}, expected "</{top.tag}>", found "</{name}>"'
            )
        self.close(top)
        return close + 1

    def start_tag(self, i: int) -> int:
        match = _NAME.match(self.src, i + 1)
        name = match.group().lower() if match else ""
        if name not in TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {self.at(i)}')
        assert match is not None
        attrs: dict[str, str] = {}
        j = match.end()
        while True:
            attr = _ATTR.match(self.src, j)
            if attr is None:
                break
            attrs[attr.group(1).lower()] = next((g for g in attr.groups()[1:] if g is not None), "")
            j = attr.end()
        rest = self.src[j:]
        stripped = rest.lstrip()
        if not stripped.startswith(">"):
            raise EntityParseError(f"Unclosed start tag at byte offset {self.at(i)}")
        _check_attributes(name, attrs)
        self.stack.append(_Open(name, self.units, {k: _unescape(v) for k, v in attrs.items()}))
        return j + (len(rest) - len(stripped)) + 1

    def close(self, tag: _Open) -> None:
        length = self.units - tag.start
        if length <= 0:
            return
        entity: dict[str, Any] = {"type": TAGS[tag.tag], "offset": tag.start, "length": length}
        if tag.tag == "a":
            entity["url"] = tag.attrs["href"]
        elif tag.tag == "tg-emoji":
            entity["custom_emoji_id"] = tag.attrs["emoji-id"]
        elif tag.tag == "pre" and "language" in tag.attrs:
            entity["language"] = tag.attrs["language"]
        elif tag.tag == "blockquote" and "expandable" in tag.attrs:
            entity["type"] = "expandable_blockquote"
        self.entities.append(entity)

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        i, src = 0, self.src
        while i < len(src):
            special = _SPECIAL.search(src, i)
            nxt = special.start() if special else len(src)
            if nxt > i:
                self.emit(src[i:nxt])
                i = nxt
                continue
            if src[i] == "&":
                i = self.entity(i)
            elif src.startswith("</", i):
                i = self.end_tag(i)
            else:
                i = self.start_tag(i)
        if self.stack:
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"')
        return "".join(self.out), sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))


def _check_attributes(name: str, attrs: dict[str, str]) -> None:
    if name == "a" and not attrs.get("href"):
        raise EntityParseError('Tag "a" must have attribute "href"')
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise EntityParseError('Tag "span" must have class "tg-spoiler"')
    if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
        raise EntityParseError('Tag "tg-emoji" must have attribute "emoji-id"')


def _unescape(value: str) -> str:
    return _ENTITY.sub(lambda m: _Parser(m.group()).run()[0], value)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """The plain text and the entities Telegram makes of HTML `text`; raises EntityParseError."""
    return _Parser(text).run()


def html_error(text: str) -> str | None:
    """None when Telegram accepts `text` as HTML, else the description of its 400 error."""
    try:
        parse_html(text)
    except EntityParseError as err:
        return f"Bad Request: can't parse entities: {err}"
    return None


def message_text(text: str | None, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """Text and entities as Telegram stores them (whitespace trimmed), or ValueError with the 400 description."""
    if _UNSENDABLE.search(text or ""):
        raise ValueError("Bad Request: text must be encoded in UTF-8")
    plain, entities = text or "", list[dict[str, Any]]()
    if parse_mode is not None and parse_mode.lower() == "html":
        try:
            plain, entities = parse_html(plain)
        except EntityParseError as err:
            raise ValueError(f"Bad Request: can't parse entities: {err}") from None
    stripped = plain.strip()
    if not stripped:
        raise ValueError("Bad Request: message text is empty")
    if utf16_len(stripped) > MAX_TEXT:
        raise ValueError("Bad Request: message is too long")
    return stripped, _shift(entities, utf16_len(plain[: len(plain) - len(plain.lstrip())]), utf16_len(stripped))


def _shift(entities: list[dict[str, Any]], lead: int, size: int) -> list[dict[str, Any]]:
    shifted = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > start:
            shifted.append({**entity, "offset": start, "length": end - start})
    return shifted
