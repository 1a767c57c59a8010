"""The counsellors' chat: "Take" and close buttons, and counsellors' messages in a lead's thread sent to the person."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from typing import TypeVar

from aiogram import Bot
from aiogram.enums import ContentType
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import AnswerCallbackQuery, EditMessageReplyMarkup, SendMessage, TelegramMethod
from aiogram.types import CallbackQuery, InaccessibleMessage, Message, ReplyParameters, Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.telegram_staff_cards import StaffAction, parse_action
from bot.channels.telegram_updates import CHANNEL, MEDIA, VOICE, clean, update_key
from bot.i18n import gettext_for
from bot.inbox import claim
from bot.models import Contact, TranscriptEntry
from leads import service
from leads.errors import ContactGone, LeadError
from leads.models import Lead, StaffMember
from ughi.db import transaction

log = logging.getLogger(__name__)
T = TypeVar("T")
TRANSCRIPT_LIMIT = 4000


class StaffDesk:
    """Handles updates of the counsellors' chat; everything it changes goes out through the outbox."""

    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        *,
        staff_chat_id: int,
        language: str,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        self.staff_chat_id = staff_chat_id
        self.language = language
        self.wake = wake  # tells the outbox worker there is something to send

    def accepts(self, update: Update) -> bool:
        """Whether the update comes from the counsellors' chat (a message, or a button under a message there)."""
        if update.message is not None:
            return update.message.chat.id == self.staff_chat_id
        query = update.callback_query
        return query is not None and query.message is not None and query.message.chat.id == self.staff_chat_id

    async def handle(self, update: Update) -> None:
        """Handle one update of the counsellors' chat, exactly once (by its update id)."""
        if update.callback_query is not None:
            await self._on_button(update.update_id, update.callback_query)
        elif update.message is not None:
            await self._on_message(update.update_id, update.message)

    # ---- buttons ---------------------------------------------------------------------------------------------

    async def _on_button(self, update_id: int, query: CallbackQuery) -> None:
        _ = gettext_for(self.language)
        action = parse_action(query.data)
        changed = False
        async with transaction(self.sessions) as session:
            if not await claim(session, update_key(update_id)):
                return
            staff = await service.staff_by_telegram(session, telegram_user_id=query.from_user.id)
            if staff is None or staff.role not in service.STAFF_WHO_TAKE_LEADS:
                answer = _("Only counsellors with a linked Ughi account can do this.")
            elif action is None:
                answer = _("This button is out of date.")
            else:
                answer, changed = await self._act(session, staff, action)
        await self._quietly(AnswerCallbackQuery(callback_query_id=query.id, text=answer[:200]))
        if changed:
            self.wake()
            if action is not None and action.name == "close":
                await self._drop_buttons(query)

    async def _act(self, session: AsyncSession, staff: StaffMember, action: StaffAction) -> tuple[str, bool]:
        """What a staff member's button does; returns the answer to show them and whether anything changed."""
        _ = gettext_for(self.language)
        lead = await service.lead_for_update(session, lead_id=action.lead_id)
        if lead is None:
            return _("This request no longer exists."), False
        if lead.status == "closed":
            return _("Request #{number} is already closed.").format(number=lead.id), False
        if action.name == "take":
            if lead.assigned_to == staff.id:
                return _("Request #{number} is already yours.").format(number=lead.id), False
            if lead.assigned_to is not None:
                owner = await session.get(StaffMember, lead.assigned_to)
                name = owner.name if owner is not None and owner.name else "—"
                return _("{name} has already taken request #{number}.").format(name=name, number=lead.id), False
            await service.assign(session, lead=lead, staff=staff, actor=staff)
            return _("Request #{number} is yours. Write to the person in its thread.").format(number=lead.id), True
        try:
            await service.change_status(session, lead=lead, status="closed", actor=staff, outcome=action.outcome)
        except LeadError as err:
            log.info("staff %s could not close lead %s: %s", staff.id, lead.id, err.detail)
            return _("This request cannot be closed now."), False
        return _("Request #{number} is closed.").format(number=lead.id), True

    async def _drop_buttons(self, query: CallbackQuery) -> None:
        message = query.message
        if message is not None and not isinstance(message, InaccessibleMessage):
            await self._quietly(
                EditMessageReplyMarkup(chat_id=message.chat.id, message_id=message.message_id, reply_markup=None)
            )

    # ---- messages in a lead's thread -------------------------------------------------------------------------

    async def _on_message(self, update_id: int, message: Message) -> None:
        sender, root = message.from_user, thread_root(message)
        notice: str | None = None
        async with transaction(self.sessions) as session:
            if not await claim(session, update_key(update_id)):  # also drops the stored text of what is ignored
                return
            if sender is None or sender.is_bot or root is None or not _written(message):
                return  # chatter outside a lead's thread, service messages, other bots
            staff = await service.staff_by_telegram(session, telegram_user_id=sender.id)
            lead = await service.lead_in_thread(session, chat_id=message.chat.id, thread_id=root)
            if staff is None or lead is None:
                return
            notice = await self._relay(session, lead, staff, message)
        if notice is None:
            self.wake()
        elif notice:
            await self._reply(message, notice)

    async def _relay(self, session: AsyncSession, lead: Lead, staff: StaffMember, message: Message) -> str | None:
        """Pass a counsellor's text on to the person (None); else a short note for the counsellor ("": no note)."""
        _ = gettext_for(self.language)
        text = clean(message.text or "")
        if lead.status not in service.RELAYING:
            if lead.staff_thread_id != lead.card_message_id:
                return ""  # a closed forum topic: Telegram shows it closed, and a note could not go there anyway
            return _("This case is closed: the person no longer gets messages from this thread.")
        if message.content_type != ContentType.TEXT or not text.strip():
            return _("Only text messages reach the person for now.")
        if text.startswith("/"):
            return _("Commands are not passed on to the person.")
        contact = await session.get(Contact, lead.contact_id) if lead.contact_id is not None else None
        if contact is not None and contact.channel != CHANNEL:
            return _("This person writes from the web chat: replies cannot reach them there yet.")
        try:
            await service.relay_to_contact(session, lead=lead, actor=staff, text=text)
        except ContactGone:
            return _("The person has erased their data and can no longer be reached.")
        assert lead.contact_id is not None
        session.add(
            TranscriptEntry(
                contact_id=lead.contact_id, direction="out", kind="counsellor", text=text[:TRANSCRIPT_LIMIT]
            )
        )
        return None

    async def _reply(self, message: Message, text: str) -> None:
        """A short note to the counsellor, in the same thread as their message."""
        await self._quietly(
            SendMessage(
                chat_id=message.chat.id,
                text="ℹ️ " + html.escape(text),
                parse_mode="HTML",
                message_thread_id=message.message_thread_id if message.is_topic_message else None,
                reply_parameters=ReplyParameters(message_id=message.message_id, allow_sending_without_reply=True),
            )
        )

    async def _quietly(self, method: TelegramMethod[T]) -> None:
        try:
            await self.bot(method)
        except TelegramAPIError as err:
            log.info("%s not done: %s", method.__api_method__, err.message)


def thread_root(message: Message) -> int | None:
    """The thread a message of the counsellors' chat belongs to: its forum topic, or the root of its replies."""
    if message.message_thread_id is not None:
        return message.message_thread_id
    reply = message.reply_to_message
    if reply is None:
        return None
    return reply.message_thread_id or reply.message_id


def _written(message: Message) -> bool:
    """A message a person wrote (text or media), not a service message like a pin or a new topic."""
    return message.content_type == ContentType.TEXT or message.content_type in MEDIA | VOICE
