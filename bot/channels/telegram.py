"""The Telegram channel (aiogram 3): long polling or webhook in, the engine's replies out as Telegram messages."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence
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
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    GetUpdates,
    SendMessage,
    SetMyCommands,
    SetWebhook,
    TelegramMethod,
)
from aiogram.types import BotCommand, InlineKeyboardMarkup, Update
from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from bot.channels.lanes import Lanes
from bot.channels.render import split_message, to_html
from bot.channels.telegram_markup import reply_markup
from bot.channels.telegram_updates import (
    CHANNEL,
    blocked_chat,
    lane_of,
    pressed_message_id,
    to_inbound,
    update_key,
)
from bot.engine.types import Inbound, Reply
from bot.i18n import LANGUAGES, command_descriptions

__all__ = ["TelegramChannel", "to_inbound", "webhook_router"]

log = logging.getLogger(__name__)
T = TypeVar("T")

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
POLL_SECONDS = 25
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_ATTEMPTS = 5


class ConversationEngine(Protocol):
    async def handle(self, inbound: Inbound) -> list[Reply]: ...
    async def mark_blocked(self, channel: str, external_id: str) -> None: ...


class StaffUpdates(Protocol):
    """The counsellors' chat (bot.channels.telegram_staff.StaffDesk): its updates bypass the engine."""

    def accepts(self, update: Update) -> bool: ...
    async def handle(self, update: Update) -> None: ...


class UpdateInbox(Protocol):
    async def store(self, items: Sequence[tuple[str, dict[str, Any]]]) -> int: ...
    async def pending(self, limit: int = 1000) -> list[tuple[str, dict[str, Any]]]: ...


class ChatBlocked(Exception):
    """Telegram refused to write to this chat (the person blocked the bot or deleted their account)."""


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
    ) -> None:
        self.bot = bot
        self.staff = staff
        self.engine = engine
        self.inbox = inbox
        self.default_language = default_language
        self.retry_delay = retry_delay
        self.poll_seconds = poll_seconds
        self.lanes = Lanes(concurrency, self.process_update)
        self._backlog = max(4 * concurrency, 100)  # updates waiting before we stop asking Telegram for more

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
                self.lanes.put(lane_of(update), update)
            if batch:
                offset = max(int(raw["update_id"]) for raw in batch) + 1
        await self._confirm(offset)
        await self.close()

    async def accept_webhook(self, payload: dict[str, Any]) -> None:
        """Store one update received by webhook and handle it in the background."""
        for update in await self._accept([payload]):
            self.lanes.put(lane_of(update), update)

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
        parsed = [(update, raw) for raw in batch if (update := self._parse(raw)) is not None]
        kept = [(update_key(u.update_id), raw) for u, raw in parsed if to_inbound(u) is not None or self._is_staff(u)]
        await self.inbox.store(kept)
        return [update for update, _ in parsed]

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
                self.lanes.put(lane_of(update), update)
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
                await self._call(AnswerCallbackQuery(callback_query_id=update.callback_query.id), quiet=True)
            blocked = blocked_chat(update)
            if blocked is not None:
                await self.engine.mark_blocked(CHANNEL, blocked)
                return
            inbound = to_inbound(update)
            if inbound is None:
                return
            replies = await self.engine.handle(inbound)
            await self.send(int(inbound.external_id), replies, edit_message_id=pressed_message_id(update))
        except Exception:
            log.exception("telegram update %s failed", update.update_id)

    async def send(self, chat_id: int, replies: Sequence[Reply], edit_message_id: int | None = None) -> None:
        """Show replies: a `replace` reply edits the pressed message, long texts go out in several messages."""
        try:
            for reply in replies:
                edit, edit_message_id = (edit_message_id, None) if reply.replace else (None, edit_message_id)
                await self._show(chat_id, reply, edit)
        except ChatBlocked:
            await self.engine.mark_blocked(CHANNEL, str(chat_id))

    async def _show(self, chat_id: int, reply: Reply, edit_message_id: int | None) -> None:
        chunks = split_message(reply.text)
        if not chunks:
            log.warning("not sending an empty reply to %s", chat_id)
            return
        markup = reply_markup(reply)
        inline = markup if isinstance(markup, InlineKeyboardMarkup) or markup is None else None
        can_edit = edit_message_id is not None and len(chunks) == 1 and inline is markup
        if can_edit and await self._edit(chat_id, edit_message_id or 0, chunks[0], inline):
            return
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            await self._call(
                SendMessage(
                    chat_id=chat_id, text=to_html(chunk), parse_mode="HTML", reply_markup=markup if last else None
                )
            )

    async def _edit(self, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None) -> bool:
        """Edit the pressed message in place; False when Telegram will not (too old, deleted), so we send anew."""
        method = EditMessageText(
            chat_id=chat_id, message_id=message_id, text=to_html(text), parse_mode="HTML", reply_markup=markup
        )
        try:
            return await self._call(method, raise_bad_request=True) is not None
        except TelegramBadRequest as err:
            return "message is not modified" in err.message

    async def _call(
        self, method: TelegramMethod[T], *, quiet: bool = False, raise_bad_request: bool = False
    ) -> T | None:
        """Call Telegram, waiting out rate limits and retrying network trouble; None when it finally fails."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return await self.bot(method)
            except TelegramRetryAfter as err:
                delay: float = err.retry_after
            except (TelegramNetworkError, TelegramServerError) as err:
                delay = self._backoff(attempt)
                log.warning("%s failed (%s), attempt %d", method.__api_method__, err, attempt)
            except TelegramForbiddenError as err:
                raise ChatBlocked(err.message) from err
            except TelegramBadRequest as err:
                if raise_bad_request:
                    raise
                (log.debug if quiet else log.warning)("%s refused: %s", method.__api_method__, err.message)
                return None
            except TelegramAPIError as err:
                log.warning("%s failed: %s", method.__api_method__, err.message)
                return None
            await asyncio.sleep(delay)
        log.error("%s failed %d times, giving up", method.__api_method__, MAX_ATTEMPTS)
        return None

    def _backoff(self, attempt: int) -> float:
        return float(min(self.retry_delay * 2 ** (attempt - 1), 30.0))

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


def webhook_router(channel: TelegramChannel | Callable[[], TelegramChannel | None], secret: str) -> APIRouter:
    """POST /telegram/webhook: checks Telegram's secret header, stores the update, answers at once."""
    router = APIRouter()
    expected = secret.encode()

    @router.post("/telegram/webhook", include_in_schema=False)
    async def telegram_webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return Response(status_code=401)
        if not hmac.compare_digest(given.encode(), expected):
            return Response(status_code=403)
        target = channel if isinstance(channel, TelegramChannel) else channel()
        if target is None:
            return Response(status_code=503)  # still starting: Telegram delivers again later
        try:
            payload = await request.json()
        except ValueError:
            return Response(status_code=400)
        if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
            return Response(status_code=400)
        try:
            await target.accept_webhook(payload)
        except Exception:
            log.exception("could not store telegram update %s", payload.get("update_id"))
            return Response(status_code=500)  # not stored: let Telegram deliver it again
        return Response(status_code=200)

    return router


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
