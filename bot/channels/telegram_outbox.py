"""The outbox's Telegram side: lead cards, forum topics (or reply threads), relays, notices and delayed replies."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.methods import CloseForumTopic, CreateForumTopic, EditMessageText, SendMessage, TelegramMethod
from aiogram.types import InlineKeyboardMarkup, Message, ReplyParameters
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels import telegram_staff_cards as cards
from bot.channels.render import html_chunks
from bot.channels.telegram_calls import guard
from bot.channels.telegram_plain import PlainSendMessage
from bot.channels.telegram_updates import CHANNEL
from bot.i18n import gettext_for
from bot.models import Contact
from leads.models import Lead, OutboxMessage, StaffMember
from leads.outbox import SendError, enqueue, to_contact
from ughi.db import reading, transaction

log = logging.getLogger(__name__)
T = TypeVar("T")

REPLY = "reply"  # a reply of the bot Telegram would not take when it was made
PERSON_KINDS = ("to_contact", REPLY)  # what goes to people; the rest goes to the counsellors' chat


class ReplyQueue:
    """Replies Telegram would not take now, kept in the outbox; later replies of that chat queue behind them.

    The order holds within this process: it remembers the last message it queued for each chat until the worker
    has sent it (the worker sends one chat's replies oldest first, so the others are sent by then too)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, wake: Callable[[], None] = lambda: None) -> None:
        self.sessions = sessions
        self.wake = wake  # tells the outbox worker there is something to send
        self._behind: dict[int, int] = {}  # chat id -> the outbox id of the last reply queued for it here

    async def queue(self, chat_id: int, messages: Sequence[PlainSendMessage]) -> None:
        """Keep `messages` for the outbox worker, in this order, in one transaction."""
        async with transaction(self.sessions) as session:
            contact_id = await session.scalar(
                select(Contact.id).where(Contact.channel == CHANNEL, Contact.external_id == str(chat_id))
            )
            if contact_id is None:
                log.error("no contact for chat %s: %d replies dropped", chat_id, len(messages))
                return
            last = 0
            for message in messages:
                payload = {
                    "to": to_contact(contact_id),
                    "contact_id": contact_id,
                    "text": message.text,
                    "reply_markup": message.reply_markup,
                }
                last = (await enqueue(session, kind=REPLY, payload=payload)).id
        self._behind[chat_id] = last
        log.warning("%d replies to chat %s wait in the outbox", len(messages), chat_id)
        self.wake()

    async def waiting(self, chat_id: int) -> bool:
        """Whether replies queued for this chat are not sent yet (new ones then go behind them)."""
        last = self._behind.get(chat_id)
        if last is None:
            return False
        async with reading(self.sessions) as session:
            unsent = select(OutboxMessage.id).where(OutboxMessage.id == last, OutboxMessage.sent_at.is_(None))
            if await session.scalar(unsent) is not None:
                return True
        self._behind.pop(chat_id, None)
        return False


class TelegramSender:
    """Renders outbox messages into Bot API calls; staff texts in `language`, a person's in their own."""

    def __init__(self, bot: Bot, *, staff_chat_id: int | None, language: str) -> None:
        self.bot = bot
        self.gate = guard(bot)  # Telegram's flood waits, shared with the replies and the counsellors' desk
        self.staff_chat_id = staff_chat_id
        self.language = language
        self._forum: bool | None = None  # learnt from the first createForumTopic: topics on, or reply threads

    async def send(self, session: AsyncSession, message: OutboxMessage) -> None:
        """Deliver one outbox message (leads.outbox.Sender)."""
        wait = self.gate.remaining("sendMessage")
        if wait > 0:  # Telegram asked to wait: not worth holding this message's transaction open for
            raise SendError("Telegram asked to wait before sending more", retry_after=wait)
        payload = message.payload
        if message.kind == "to_contact":
            await self._to_contact(session, payload)
            return
        if message.kind == REPLY:
            await self._reply(session, payload)
            return
        lead = await session.get(Lead, int(payload.get("lead_id") or 0))
        if lead is None:
            raise SendError(f"lead {payload.get('lead_id')} no longer exists", permanent=True)
        if message.kind == "lead_card":
            await self._card(session, lead)
        elif message.kind == "lead_assigned":
            await self._assigned(session, lead, await self._staff_name(session, payload.get("staff_id")))
        elif message.kind == "lead_closed":
            await self._closed(session, lead, await self._staff_name(session, payload.get("staff_id")))
        elif message.kind == "to_staff":
            if await self._ensure_thread(session, lead):  # only when "lead_assigned" was given up on
                await self._intro(session, lead)
            for chunk in cards.relayed_to_staff(str(payload.get("text", ""))):
                await self._staff_call(SendMessage(text=chunk, parse_mode="HTML", **self._in_thread(lead)))
        else:
            raise SendError(f"unknown outbox message kind {message.kind!r}", permanent=True)

    # ---- the counsellors' chat -------------------------------------------------------------------------------

    async def _card(self, session: AsyncSession, lead: Lead) -> None:
        if lead.card_message_id is not None:
            return  # already shown (the card is also made on demand as a reply thread's root)
        sent = await self._staff_call(
            SendMessage(
                chat_id=self._chat(lead),
                text=cards.card_html(lead, lang=self.language, assignee=await self._assignee(session, lead)),
                parse_mode="HTML",
                reply_markup=cards.card_markup(lead, lang=self.language, chat_id=self._chat(lead)),
            )
        )
        lead.staff_chat_id, lead.card_message_id = sent.chat.id, sent.message_id

    async def _assigned(self, session: AsyncSession, lead: Lead, name: str) -> None:
        """Taken: the lead's thread (made now, or handed to another counsellor) opens with its card and buttons."""
        if lead.status == "closed":
            return  # closed before the thread was made: the closing message updates the card
        await self._ensure_thread(session, lead)
        await self._intro(session, lead, name)
        await self._refresh_card(session, lead)

    async def _intro(self, session: AsyncSession, lead: Lead, name: str | None = None) -> None:
        name = name or await self._assignee(session, lead) or "—"
        await self._staff_call(
            SendMessage(
                text=cards.thread_intro_html(lead, lang=self.language, assignee=name),
                parse_mode="HTML",
                reply_markup=cards.close_markup(lead.id, self.language),
                **self._in_thread(lead),
            )
        )

    async def _closed(self, session: AsyncSession, lead: Lead, name: str) -> None:
        await self._refresh_card(session, lead, closed_by=name)
        if lead.staff_thread_id is None:
            return
        _ = gettext_for(self.language)
        text = "🔒 " + _("{name} closed the case: {outcome}. The person has been told.").format(
            name=html.escape(name), outcome=cards.outcome_label(lead.outcome, self.language)
        )
        await self._staff_call(SendMessage(text=text, parse_mode="HTML", **self._in_thread(lead)))
        if not self._reply_thread(lead):
            await self._quietly(CloseForumTopic(chat_id=self._chat(lead), message_thread_id=lead.staff_thread_id))

    async def _ensure_thread(self, session: AsyncSession, lead: Lead) -> bool:
        """Make the lead's thread if it has none: a forum topic, else replies under its card. True if made now."""
        if lead.staff_thread_id is not None:
            return False
        chat = self._chat(lead)
        topic = await self._create_topic(chat, lead) if self._forum is not False else None
        if topic is None and lead.card_message_id is None:
            await self._card(session, lead)
        lead.staff_chat_id, lead.staff_thread_id = chat, topic if topic is not None else lead.card_message_id
        return True

    async def _create_topic(self, chat: int, lead: Lead) -> int | None:
        """A new forum topic's thread id; None when the chat has no topics (or the bot may not make them)."""
        try:
            topic = await self.bot(CreateForumTopic(chat_id=chat, name=cards.topic_name(lead)))
        except TelegramBadRequest as err:
            log.warning("no forum topic in the staff chat (%s): leads get reply threads", err.message)
            self._forum = False
            return None
        except TelegramAPIError as err:
            raise _send_error(err, permanent=False) from err
        self._forum = True
        return topic.message_thread_id

    async def _refresh_card(self, session: AsyncSession, lead: Lead, closed_by: str | None = None) -> None:
        if lead.card_message_id is None or lead.staff_chat_id is None:
            return
        markup = cards.card_markup(lead, lang=self.language, chat_id=lead.staff_chat_id)
        text = cards.card_html(
            lead, lang=self.language, assignee=await self._assignee(session, lead), closed_by=closed_by
        )
        edit = EditMessageText(
            chat_id=lead.staff_chat_id,
            message_id=lead.card_message_id,
            text=text,
            parse_mode="HTML",
            reply_markup=markup or InlineKeyboardMarkup(inline_keyboard=[]),
        )
        await self._quietly(edit)

    def _chat(self, lead: Lead) -> int:
        chat = lead.staff_chat_id or self.staff_chat_id
        if chat is None:
            raise SendError("UGHI_STAFF_CHAT_ID is not set: lead cards wait in the outbox")
        return chat

    def _reply_thread(self, lead: Lead) -> bool:
        return lead.staff_thread_id is not None and lead.staff_thread_id == lead.card_message_id

    def _in_thread(self, lead: Lead) -> dict[str, Any]:
        """Where a message of this lead goes: its forum topic, or a reply under its card."""
        where: dict[str, Any] = {"chat_id": self._chat(lead)}
        if self._reply_thread(lead):
            where["reply_parameters"] = ReplyParameters(
                message_id=lead.staff_thread_id or 0, allow_sending_without_reply=True
            )
        elif lead.staff_thread_id is not None:
            where["message_thread_id"] = lead.staff_thread_id
        return where

    async def _staff_call(self, method: TelegramMethod[Message]) -> Message:
        """Counsellors' chat: every refusal may be a setting to fix (bot not admin, wrong id), so none is final."""
        try:
            return await self.bot(method)
        except TelegramAPIError as err:
            raise _send_error(err, permanent=False) from err

    async def _quietly(self, method: TelegramMethod[T]) -> None:
        """A nicety (an edited card, a closed topic): its failure never holds back the message itself."""
        try:
            await self.bot(method)
        except TelegramAPIError as err:
            log.info("%s not done: %s", method.__api_method__, err.message)

    async def _assignee(self, session: AsyncSession, lead: Lead) -> str | None:
        return await self._staff_name(session, lead.assigned_to) if lead.assigned_to is not None else None

    async def _staff_name(self, session: AsyncSession, staff_id: object) -> str:
        staff = await session.get(StaffMember, staff_id) if isinstance(staff_id, int) else None
        return (staff.name or staff.email.split("@")[0]) if staff is not None else "—"

    # ---- the person ------------------------------------------------------------------------------------------

    async def _to_contact(self, session: AsyncSession, payload: dict[str, Any]) -> None:
        contact = await self._person(session, payload)
        lang = contact.language or self.language
        if "text" in payload:
            chunks = cards.relayed_to_person(str(payload["text"]), lang)
        else:
            lead = await session.get(Lead, int(payload.get("lead_id") or 0))
            notice = cards.notice_for_person(str(payload.get("notice")), lead, lang) if lead is not None else None
            if notice is None:
                raise SendError(f"nothing to say for {payload}", permanent=True)
            chunks = list(html_chunks(notice))
        for chunk in chunks:
            await self._to_person(contact, PlainSendMessage(chat_id=int(contact.external_id), text=chunk))

    async def _reply(self, session: AsyncSession, payload: dict[str, Any]) -> None:
        """A reply the bot made earlier, rendered then: sent as it was, buttons and all."""
        contact = await self._person(session, payload)
        markup = payload.get("reply_markup")
        message = PlainSendMessage(
            chat_id=int(contact.external_id),
            text=str(payload.get("text", "")),
            reply_markup=markup if isinstance(markup, dict) else None,
        )
        await self._to_person(contact, message)

    async def _person(self, session: AsyncSession, payload: dict[str, Any]) -> Contact:
        """The person a message is for, if Telegram may still be asked to write to them."""
        contact = await session.get(Contact, int(payload.get("contact_id") or 0))
        if contact is None:
            raise SendError("the person erased their data", permanent=True)
        if contact.channel != CHANNEL:
            raise SendError(f"the person is on {contact.channel}, not Telegram", permanent=True)
        if contact.blocked:  # until they write again; nothing is even tried
            raise SendError("the person blocked the bot", permanent=True)
        return contact

    async def _to_person(self, contact: Contact, method: PlainSendMessage) -> None:
        try:
            await self.bot(method)
        except TelegramForbiddenError as err:
            contact.blocked = True
            raise SendError(err.message, permanent=True) from err
        except TelegramAPIError as err:
            raise _send_error(err, permanent=isinstance(err, TelegramBadRequest)) from err


def _send_error(err: TelegramAPIError, *, permanent: bool) -> SendError:
    if isinstance(err, TelegramRetryAfter):
        return SendError(err.message, retry_after=float(err.retry_after))
    return SendError(f"{type(err).__name__}: {err.message}", permanent=permanent)
