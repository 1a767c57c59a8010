"""The Bot API methods the fake server answers, each checking its parameters the way Telegram does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fakes import updates as u
from tests.fakes.records import Params, SentMessage
from tests.fakes.rules import (
    CHAT_ACTIONS,
    NOT_MODIFIED,
    ApiError,
    bad,
    check_commands,
    check_reply_markup,
    check_webhook,
)

if TYPE_CHECKING:
    from tests.fakes.bot_api import FakeBotAPI


def register(api: FakeBotAPI) -> None:
    """Bind every method to `api`, keyed by its lower-case name (Telegram's names are case-insensitive)."""
    methods = _Methods(api)
    for name in dir(methods):
        if name.startswith("m_"):
            api.methods[name[2:].replace("_", "")] = getattr(methods, name)


class _Methods:
    def __init__(self, api: FakeBotAPI) -> None:
        self.api = api

    async def m_get_me(self, p: Params) -> dict[str, Any]:
        return self.api.bot

    async def m_get_updates(self, p: Params) -> list[dict[str, Any]]:
        if self.api.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
                "delete the webhook first",
            )
        limit = min(max(p.get_int("limit") or 100, 1), 100)
        return await self.api.poll(p.get_int("offset"), limit, float(p.get_int("timeout") or 0))

    async def m_send_message(self, p: Params) -> dict[str, Any]:
        chat_id = p.get_int("chat_id", required=True)
        chat = self.api.writable_chat(chat_id)
        assert chat_id is not None
        plain, entities, source, parse_mode = self.api.render(p)
        markup = p.get_json("reply_markup")
        if markup is not None:
            check_reply_markup(markup)
        thread = self._thread(chat_id, p.get_int("message_thread_id"))
        sent = self.api.store_sent(
            SentMessage(
                self.api.next_message_id(chat_id),
                chat_id,
                plain,
                parse_mode,
                source,
                entities,
                markup,
                thread_id=thread,
            )
        )
        message = sent.as_message(self.api.bot, chat)
        self.api.remember(chat_id, message)
        return message

    def _thread(self, chat_id: int, thread_id: int | None) -> int | None:
        if thread_id is None:
            return None
        state = self.api.topic(chat_id, thread_id)
        if state is None:
            raise bad("message thread not found")
        if not state:
            raise bad("TOPIC_CLOSED")
        return thread_id

    async def m_edit_message_text(self, p: Params) -> dict[str, Any]:
        chat_id, message_id = p.get_int("chat_id"), p.get_int("message_id")
        chat = self.api.writable_chat(chat_id)
        sent = self.api.sent(chat_id, message_id)
        plain, entities, source, parse_mode = self.api.render(p)
        markup = p.get_json("reply_markup")
        if markup is not None:
            check_reply_markup(markup, inline_only=True)
        if plain == sent.text and entities == sent.entities and markup == sent.reply_markup:
            raise ApiError(400, NOT_MODIFIED, benign=True)
        sent.history.append(sent.text)
        sent.text, sent.entities, sent.source, sent.parse_mode = plain, entities, source, parse_mode
        sent.reply_markup = markup
        self.api.edited(sent)
        return sent.as_message(self.api.bot, chat)

    async def m_edit_message_reply_markup(self, p: Params) -> dict[str, Any]:
        chat_id, message_id = p.get_int("chat_id"), p.get_int("message_id")
        chat = self.api.writable_chat(chat_id)
        sent = self.api.sent(chat_id, message_id)
        markup = p.get_json("reply_markup")
        if markup is not None:
            check_reply_markup(markup, inline_only=True)
        if markup == sent.reply_markup or (not markup and not sent.reply_markup):
            raise ApiError(400, NOT_MODIFIED, benign=True)
        sent.history.append(sent.text)
        sent.reply_markup = markup
        self.api.edited(sent)
        return sent.as_message(self.api.bot, chat)

    async def m_answer_callback_query(self, p: Params) -> bool:
        text = p.get_str("text") or ""
        if len(text) > 200:
            raise bad("MESSAGE_TOO_LONG")
        self.api.answer_query(p.get_str("callback_query_id"))
        return True

    async def m_send_chat_action(self, p: Params) -> bool:
        self.api.writable_chat(p.get_int("chat_id", required=True))
        if p.get_str("action") not in CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        return True

    async def m_set_my_commands(self, p: Params) -> bool:
        language = p.get_str("language_code") or ""
        commands = check_commands(p.get_json("commands"), language)
        self.api.commands[(_scope(p), language)] = commands
        return True

    async def m_delete_my_commands(self, p: Params) -> bool:
        self.api.commands.pop((_scope(p), p.get_str("language_code") or ""), None)
        return True

    async def m_get_my_commands(self, p: Params) -> list[dict[str, str]]:
        scope, language = _scope(p), p.get_str("language_code") or ""
        return self.api.commands.get((scope, language), [])

    async def m_set_webhook(self, p: Params) -> bool:
        url = p.get_str("url") or ""
        if not url:
            self.api.webhook = None
            return True
        secret = p.get_str("secret_token")
        check_webhook(url, secret)
        self.api.webhook = {"url": url, "secret_token": secret, "allowed_updates": p.get_json("allowed_updates")}
        if p.get_bool("drop_pending_updates"):
            self.api.drop_pending()
        return True

    async def m_delete_webhook(self, p: Params) -> bool:
        self.api.webhook = None
        if p.get_bool("drop_pending_updates"):
            self.api.drop_pending()
        return True

    async def m_get_webhook_info(self, p: Params) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": (self.api.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.api.pending_updates),
        }
        allowed = (self.api.webhook or {}).get("allowed_updates")
        if allowed:
            info["allowed_updates"] = allowed
        return info

    async def m_forward_message(self, p: Params) -> dict[str, Any]:
        chat_id = p.get_int("chat_id", required=True)
        assert chat_id is not None
        chat = self.api.writable_chat(chat_id)
        source = self._source(p)
        content = {k: v for k, v in source.items() if k not in ("message_id", "chat", "date", "from")}
        message = {
            "message_id": self.api.next_message_id(chat_id),
            "from": self.api.bot,
            "chat": chat,
            "date": u.now(),
            "forward_origin": _origin(source),
            **content,
        }
        thread = self._thread(chat_id, p.get_int("message_thread_id"))
        if thread is not None:
            message["message_thread_id"] = thread
        self._keep(chat_id, message, thread)
        return message

    async def m_copy_message(self, p: Params) -> dict[str, Any]:
        chat_id = p.get_int("chat_id", required=True)
        assert chat_id is not None
        chat = self.api.writable_chat(chat_id)
        source = self._source(p)
        content = {k: v for k, v in source.items() if k not in ("message_id", "chat", "date", "from")}
        message = {
            "message_id": self.api.next_message_id(chat_id),
            "from": self.api.bot,
            "chat": chat,
            "date": u.now(),
            **content,
        }
        self._keep(chat_id, message, self._thread(chat_id, p.get_int("message_thread_id")))
        return {"message_id": message["message_id"]}

    def _source(self, p: Params) -> dict[str, Any]:
        from_chat, message_id = p.get_int("from_chat_id", required=True), p.get_int("message_id", required=True)
        self.api.chat(from_chat)
        found = self.api.seen(from_chat or 0, message_id or 0)
        if found is None:
            raise bad("message to copy not found")
        return found

    def _keep(self, chat_id: int, message: dict[str, Any], thread: int | None) -> None:
        self.api.remember(chat_id, message)
        text = message.get("text") or message.get("caption") or ""
        self.api.store_sent(
            SentMessage(
                message["message_id"],
                chat_id,
                text,
                None,
                text,
                list(message.get("entities", [])),
                None,
                thread_id=thread,
            )
        )

    async def m_create_forum_topic(self, p: Params) -> dict[str, Any]:
        chat_id = p.get_int("chat_id", required=True)
        chat = self.api.writable_chat(chat_id)
        name = p.get_str("name") or ""
        if not chat.get("is_forum"):
            raise bad("the chat is not a forum")
        if not 1 <= len(name) <= 128:
            raise bad("TOPIC_TITLE_EMPTY" if not name else "TOPIC_TITLE_TOO_LONG")
        assert chat_id is not None
        thread_id = self.api.next_message_id(chat_id)
        self.api.set_topic(chat_id, thread_id, True)
        return {"message_thread_id": thread_id, "name": name, "icon_color": 7322096}

    async def m_close_forum_topic(self, p: Params) -> bool:
        chat_id, thread_id = p.get_int("chat_id", required=True), p.get_int("message_thread_id", required=True)
        self.api.writable_chat(chat_id)
        assert chat_id is not None and thread_id is not None
        state = self.api.topic(chat_id, thread_id)
        if state is None:
            raise bad("message thread not found")
        if not state:
            raise bad("TOPIC_NOT_MODIFIED")
        self.api.set_topic(chat_id, thread_id, False)
        return True


def _scope(p: Params) -> str:
    scope = p.get_json("scope") or {"type": "default"}
    if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
        raise bad("can't parse BotCommandScope")
    chat = scope.get("chat_id")
    return f"{scope['type']}:{chat}" if chat is not None else scope["type"]


def _origin(source: dict[str, Any]) -> dict[str, Any]:
    sender = source.get("from")
    if sender:
        return {"type": "user", "sender_user": sender, "date": source.get("date", u.now())}
    return {"type": "hidden_user", "sender_user_name": "Hidden", "date": source.get("date", u.now())}
