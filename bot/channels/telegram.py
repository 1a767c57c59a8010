"""The Telegram channel (aiogram 3): long polling or webhook in, the engine's replies out as Telegram messages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetUpdates, SetMyCommands, SetWebhook, TelegramMethod
from aiogram.types import BotCommand, Update
from pydantic import ValidationError

from bot.channels.lanes import Lanes
from bot.channels.render import html_chunks
from bot.channels.telegram_calls import backoff, guard
from bot.channels.telegram_markup import reply_markup
from bot.channels.telegram_plain import Markup, PlainAnswerCallbackQuery, PlainEditMessageText, PlainSendMessage
from bot.channels.telegram_updates import (
    CHANNEL,
    blocked_chat,
    lane_of,
    pressed_message_id,
    to_inbound,
    update_key,
)
from bot.channels.telegram_webhook import SECRET_HEADER, Batched, webhook_router
from bot.engine.types import Inbound, Reply
from bot.i18n import LANGUAGES, command_descriptions
from ughi.logs import pseudonym

__all__ = ["SECRET_HEADER", "TelegramChannel", "to_inbound", "webhook_router"]

log = logging.getLogger(__name__)
T = TypeVar("T")

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
POLL_SECONDS = 25
MAX_ATTEMPTS = 5
ANSWERED_KEPT = 10_000  # button presses remembered as answered, so a redelivered one is not answered again
MAX_WAIT = 15.0  # a flood wait longer than this sends the reply through the outbox rather than hold its lane


class ConversationEngine(Protocol):
    async def handle(self, inbound: Inbound) -> list[Reply]: ...
    async def mark_blocked(self, channel: str, external_id: str) -> None: ...


class StaffUpdates(Protocol):
    """The counsellors' chat (bot.channels.telegram_staff.StaffDesk): its updates bypass the engine."""

    def accepts(self, update: Update) -> bool: ...
    async def handle(self, update: Update) -> None: ...


class UpdateInbox(Protocol):
    async def store(
        self, items: Sequence[tuple[str, dict[str, Any]]], *, order: Mapping[str, tuple[str, int]] | None = None
    ) -> int: ...
    async def pending(self, limit: int = 1000) -> list[tuple[str, dict[str, Any]]]: ...
    async def earlier(self, lane: str, seq: int) -> list[tuple[str, dict[str, Any]]]: ...


class ReplyOutbox(Protocol):
    """Replies Telegram would not take now, sent later in order (bot.channels.telegram_outbox.ReplyQueue)."""

    async def queue(self, chat_id: int, messages: Sequence[PlainSendMessage]) -> None: ...
    async def waiting(self, chat_id: int) -> bool: ...


class ChatBlocked(Exception):
    """Telegram refused to write to this chat (the person blocked the bot or deleted their account)."""


class _Unreachable(Exception):
    """Telegram did not take a call after every attempt (server errors, network trouble, a long flood wait)."""


class _Undelivered(Exception):
    """The messages of a reply still to send when Telegram became unreachable."""

    def __init__(self, rest: Sequence[PlainSendMessage]) -> None:
        super().__init__(f"{len(rest)} messages not sent")
        self.rest = list(rest)


class _RawGetUpdates(GetUpdates):
    """getUpdates returning the JSON as received, so one update aiogram cannot parse does not stall the rest."""

    __returning__ = list[dict[str, Any]]


class TelegramChannel:
    """Telegram in, engine in the middle, Telegram out. Updates are stored in the inbox before they are confirmed."""

    def __init__(
        self,
        bot: Bot,
        engine: ConversationEngine,
        inbox: UpdateInbox,
        concurrency: int = 64,
        *,
        default_language: str = "hy",
        retry_delay: float = 0.5,
        poll_seconds: int = POLL_SECONDS,
        staff: StaffUpdates | None = None,
        outbox: ReplyOutbox | None = None,
        max_wait: float = MAX_WAIT,
    ) -> None:
        self.bot = bot
        self.gate = guard(bot)  # Telegram's flood waits, shared with every other sender of this bot
        self.staff = staff
        self.outbox = outbox
        self.max_wait = max_wait
        self.engine = engine
        self.inbox = inbox
        self.default_language = default_language
        self.retry_delay = retry_delay
        self.poll_seconds = poll_seconds
        self.lanes = Lanes(concurrency, self.process_update)
        self._backlog = max(4 * concurrency, 100)  # updates waiting before we stop asking Telegram for more
        self._in_hand: set[int] = set()  # update ids queued or being handled here
        self._answered: OrderedDict[str, None] = OrderedDict()  # callback query ids, oldest first
        self._webhook_batches = Batched(self._accept_each)
        self._by_webhook = False  # then other replicas may hold a chat's earlier updates: see _handle_earlier

    # ---- receiving -------------------------------------------------------------------------------------------

    async def run_polling(self, stop: asyncio.Event) -> None:
        """Long-poll until `stop` is set; leftovers of a previous run are handled first."""
        await self._resume_pending()
        offset: int | None = None
        failures = 0
        while not stop.is_set():
            await _until(self.lanes.wait_below(self._backlog), stop)
            try:
                batch = await _until(self._get_updates(offset), stop)
                if batch is None:
                    break
                updates = await self._accept(batch)
            except Exception as err:  # the loop outlives Telegram, network and database trouble
                failures += 1
                delay = err.retry_after if isinstance(err, TelegramRetryAfter) else self._backoff(failures)
                log.warning("telegram polling failed (%s), retrying in %.1fs", err, delay)
                await _until(asyncio.sleep(delay), stop)
                continue
            failures = 0
            for update in updates:
                self._take(update)
            if batch:
                offset = max(int(raw["update_id"]) for raw in batch) + 1
        await self._confirm(offset)
        await self.close()

    async def accept_webhook(self, payload: dict[str, Any]) -> None:
        """Store one update received by webhook and handle it in the background; updates arriving together are
        stored in one transaction, and each request returns once its own update is stored."""
        self._by_webhook = True
        # back-pressure, as polling has: while too much waits here, Telegram waits for our answer (and sends
        # less meanwhile) rather than our memory growing; the update is stored once there is room
        await self.lanes.wait_below(self._backlog)
        update = await self._webhook_batches(payload)
        if update is not None:
            self._take(update)

    async def wait_idle(self) -> None:
        """Until every accepted update has been handled (for tests and graceful shutdown)."""
        await self.lanes.wait_idle()

    async def close(self, grace: float = 5.0) -> None:
        """Finish the updates in hand for up to `grace` seconds; the rest stay in the inbox for the next start."""
        await self.lanes.close(grace)

    async def _get_updates(self, offset: int | None) -> list[dict[str, Any]]:
        method = _RawGetUpdates(offset=offset, timeout=self.poll_seconds, allowed_updates=ALLOWED_UPDATES)
        result: Any = await self.bot(method, request_timeout=self.poll_seconds + 10)
        return [raw for raw in result if isinstance(raw, dict) and isinstance(raw.get("update_id"), int)]

    async def _accept(self, batch: Sequence[dict[str, Any]]) -> list[Update]:
        """Parse a batch and store what the engine will handle; returns the updates to process."""
        return [update for update in await self._accept_each(batch) if update is not None]

    async def _accept_each(self, batch: Sequence[dict[str, Any]]) -> list[Update | None]:
        """`_accept`, with a place for each item: None where it does not parse."""
        parsed = [self._parse(raw) for raw in batch]
        kept = {
            update_key(u.update_id): (u, raw)
            for u, raw in zip(parsed, batch, strict=True)
            if u is not None and (to_inbound(u) is not None or self._is_staff(u))
        }
        order = {key: (_lane_key(u), u.update_id) for key, (u, _raw) in kept.items()}
        await self.inbox.store([(key, raw) for key, (_u, raw) in kept.items()], order=order)
        return parsed

    def _take(self, update: Update) -> None:
        """Queue an update in its chat's lane, unless it is in hand already (Telegram resends when we are slow)."""
        if update.update_id in self._in_hand:
            return
        self._in_hand.add(update.update_id)
        self.lanes.put(lane_of(update), update)

    def _is_staff(self, update: Update) -> bool:
        return self.staff is not None and self.staff.accepts(update)

    def _parse(self, raw: dict[str, Any]) -> Update | None:
        try:
            return Update.model_validate(raw, context={"bot": self.bot})
        except ValidationError as err:
            log.warning("skipping telegram update %s that does not parse: %s", raw.get("update_id"), err)
            return None

    async def _resume_pending(self) -> None:
        try:
            pending = await self.inbox.pending()
        except Exception:
            log.exception("could not read the inbox; unhandled updates wait for the next start")
            return
        for key, raw in pending:
            update = self._parse(raw) if key.startswith("tg:") else None
            if update is not None:
                self._take(update)
        if pending:
            log.info("resuming %d stored telegram updates", len(pending))

    async def _confirm(self, offset: int | None) -> None:
        """Tell Telegram what we stored, so a restart is not sent the same updates again."""
        if offset is not None:
            with contextlib.suppress(Exception):
                await self.bot(_RawGetUpdates(offset=offset, timeout=0, limit=1), request_timeout=5)

    # ---- handling --------------------------------------------------------------------------------------------

    async def process_update(self, update: Update) -> None:
        """Handle one update end to end; never raises."""
        try:
            if self.staff is not None and self._is_staff(update):
                await self.staff.handle(update)  # the counsellors' chat; it answers its own buttons
                return
            if update.callback_query is not None:
                await self._answer(update.callback_query.id)
            blocked = blocked_chat(update)
            if blocked is not None:
                await self.engine.mark_blocked(CHANNEL, blocked)
                return
            inbound = to_inbound(update)
            if inbound is None:
                return
            if self._by_webhook:
                await self._handle_earlier(update)
            replies = await self.engine.handle(inbound)
            await self.send(int(inbound.external_id), replies, edit_message_id=pressed_message_id(update))
        except Exception:
            log.exception("telegram update %s failed", update.update_id)
        finally:
            self._in_hand.discard(update.update_id)

    async def _handle_earlier(self, update: Update) -> None:
        """Several replicas behind one webhook: an earlier update of this chat may have reached another replica
        and still wait there. Handle it first, so the chat's order holds; the engine handles each update once,
        whoever gets to it first, and the replica that comes second sends nothing."""
        for _key, raw in await self.inbox.earlier(_lane_key(update), update.update_id):
            earlier = self._parse(raw)
            inbound = to_inbound(earlier) if earlier is not None else None
            if earlier is None or inbound is None:
                continue
            replies = await self.engine.handle(inbound)
            await self.send(int(inbound.external_id), replies, edit_message_id=pressed_message_id(earlier))

    async def _answer(self, query_id: str) -> None:
        """Stop the button's spinner, once per press: a redelivered press is not answered again."""
        if query_id in self._answered:
            return
        self._answered[query_id] = None
        if len(self._answered) > ANSWERED_KEPT:
            self._answered.popitem(last=False)
        await self._call(PlainAnswerCallbackQuery(callback_query_id=query_id), quiet=True)

    async def send(self, chat_id: int, replies: Sequence[Reply], edit_message_id: int | None = None) -> None:
        """Show replies: a `replace` reply edits the pressed message, long texts go out in several messages.

        What Telegram will not take now waits in the outbox, and so does everything after it for this chat."""
        try:
            if self.outbox is not None and await self.outbox.waiting(chat_id):
                await self._later(chat_id, [m for reply in replies for m in _messages(chat_id, reply)])
                return
            for n, reply in enumerate(replies):
                edit, edit_message_id = (edit_message_id, None) if reply.replace else (None, edit_message_id)
                try:
                    await self._show(chat_id, reply, edit)
                except _Undelivered as err:
                    rest = [m for later in replies[n + 1 :] for m in _messages(chat_id, later)]
                    await self._later(chat_id, err.rest + rest)
                    return
        except ChatBlocked:
            await self.engine.mark_blocked(CHANNEL, str(chat_id))

    async def _later(self, chat_id: int, messages: Sequence[PlainSendMessage]) -> None:
        if self.outbox is None:
            log.error("%d messages to %s could not be sent and there is no outbox: dropped", len(messages), chat_id)
            return
        await self.outbox.queue(chat_id, messages)

    async def _show(self, chat_id: int, reply: Reply, edit_message_id: int | None) -> None:
        messages = _messages(chat_id, reply)
        if not messages:
            log.warning("not sending an empty reply to %s", chat_id)
            return
        markup = messages[-1].reply_markup
        inline = markup if markup is not None and "inline_keyboard" in markup else None
        can_edit = edit_message_id is not None and len(messages) == 1 and inline is markup  # only inline ones edit
        try:
            if can_edit and await self._edit(chat_id, edit_message_id or 0, messages[0].text, inline):
                return
        except _Unreachable:
            raise _Undelivered(messages) from None
        for i, message in enumerate(messages):
            try:
                await self._call(message, durable=True)
            except _Unreachable:
                raise _Undelivered(messages[i:]) from None

    async def _edit(self, chat_id: int, message_id: int, html: str, markup: Markup | None) -> bool:
        """Edit the pressed message in place; False when Telegram will not (too old, deleted), so we send anew."""
        method = PlainEditMessageText(chat_id=chat_id, message_id=message_id, text=html, reply_markup=markup)
        try:
            return await self._call(method, raise_bad_request=True, durable=True) is not None
        except TelegramBadRequest as err:
            return "message is not modified" in err.message

    async def _call(
        self, method: TelegramMethod[T], *, quiet: bool = False, raise_bad_request: bool = False, durable: bool = False
    ) -> T | None:
        """Call Telegram: flood waits are kept at the gate, server and network trouble is retried with backoff.

        None when Telegram refuses the call, or when every attempt failed; with `durable` that raises _Unreachable,
        so the caller can keep what it meant to send. A flood wait over `max_wait` counts as every attempt failed."""
        name = method.__api_method__
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if self.gate.remaining(name) > self.max_wait:
                break
            try:
                return await self.bot(method)
            except TelegramRetryAfter as err:
                log.info("%s: Telegram asks to wait %ss, attempt %d", name, err.retry_after, attempt)
                continue  # the gate holds every call of this method, from any task, until the wait is over
            except (TelegramNetworkError, TelegramServerError) as err:
                log.warning("%s failed (%s), attempt %d", name, err, attempt)
                if attempt < MAX_ATTEMPTS:
                    await asyncio.sleep(self._backoff(attempt))
            except TelegramForbiddenError as err:
                raise ChatBlocked(err.message) from err
            except TelegramBadRequest as err:
                if raise_bad_request:
                    raise
                (log.debug if quiet else log.warning)("%s refused: %s", name, err.message)
                return None
            except TelegramAPIError as err:
                log.warning("%s failed: %s", name, err.message)
                return None
        if durable:
            log.warning("%s not taken by Telegram: kept for later", name)
            raise _Unreachable(name)
        log.error("%s not taken by Telegram, giving up", name)
        return None

    def _backoff(self, attempt: int) -> float:
        return backoff(attempt, self.retry_delay)

    # ---- setting up ------------------------------------------------------------------------------------------

    async def set_commands(self) -> None:
        """The command menu in each language, and the default language's for everyone else."""
        for language in (*LANGUAGES, None):
            commands = [
                BotCommand(command=name, description=text)
                for name, text in command_descriptions(language or self.default_language)
            ]
            await self._call(SetMyCommands(commands=commands, language_code=language))

    async def set_webhook(self, url: str, secret: str) -> None:
        """Receive by webhook: Telegram POSTs updates to `url` with `secret` in the X-Telegram-Bot-Api-Secret-Token
        header. Updates stored but not handled before the last stop are handled now."""
        done = await self._call(SetWebhook(url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES))
        if not done:
            log.error("could not set the Telegram webhook to %s", url)
        await self._resume_pending()


def _messages(chat_id: int, reply: Reply) -> list[PlainSendMessage]:
    """The Telegram messages showing one reply: long texts in several, the buttons under the last."""
    chunks = html_chunks(reply.text)
    markup = reply_markup(reply)
    last = len(chunks) - 1
    return [
        PlainSendMessage(chat_id=chat_id, text=chunk, reply_markup=markup if i == last else None)
        for i, chunk in enumerate(chunks)
    ]


def _lane_key(update: Update) -> str:
    """The chat of an update as the inbox keeps it: a pseudonym, never the chat id itself."""
    return pseudonym(CHANNEL, lane_of(update))


async def _until(work: Awaitable[T], stop: asyncio.Event) -> T | None:
    """`work`'s result, or None as soon as `stop` is set (the work is then cancelled)."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return None if task.cancelled() else task.result()
