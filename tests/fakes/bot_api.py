"""A fake Telegram Bot API server on 127.0.0.1: real HTTP, long polling, and Telegram's refusals."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.fakes import updates as u
from tests.fakes.bot_api_methods import register
from tests.fakes.faults import CUT, Fault, FaultInjection
from tests.fakes.records import Call, Params, Rejection, SentMessage, read_params
from tests.fakes.rules import BLOCKED, OLD_QUERY, ApiError, bad
from tests.fakes.telegram_html import html_error, message_text, parse_html
from tests.fakes.updates import FakeUser

__all__ = [
    "ApiError",
    "Call",
    "FakeBotAPI",
    "FakeUser",
    "Fault",
    "Rejection",
    "SentMessage",
    "html_error",
    "parse_html",
]

Handler = Callable[[Params], Awaitable[Any]]


class FakeBotAPI(FaultInjection):
    """`async with FakeBotAPI() as api:` a Bot API at `api.base_url` for the bot `api.token`."""

    def __init__(self, token: str = "123456789:AAFakeTokenForUghiTests-0123456789ab") -> None:
        self.token = token
        self.bot = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "Ughi",
            "username": "ughi_test_bot",
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.base_url = ""
        self.calls: list[Call] = []
        self.rejected: list[Rejection] = []
        self.errors: list[Rejection] = []
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.webhook: dict[str, Any] | None = None
        self.blocked: set[int] = set()
        self.confirmed = 0  # every update_id below this was confirmed by the bot
        self.outgoing: list[SentMessage] = []  # each message the bot sent or edited, once per send or edit
        self.listeners: list[Callable[[SentMessage], None]] = []  # called on each send or edit
        self._queue: list[dict[str, Any]] = []
        self._stream: list[dict[str, Any]] = []  # scripted deliveries, served in this order (see `stream`)
        self._served = 0  # how many of them the last getUpdates returned, not confirmed yet
        self._update_ids = itertools.count(700_000_001)
        self._query_ids = itertools.count(4_200_000_000_000_001)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._users: dict[int, FakeUser] = {}
        self._sent: dict[tuple[int, int], SentMessage] = {}
        self._seen: dict[tuple[int, int], dict[str, Any]] = {}
        self._queries: dict[str, bool] = {}  # callback query id -> answered
        self._topics: dict[tuple[int, int], bool] = {}  # (chat, thread) -> open
        self._faults: list[tuple[str, int | None, Fault]] = []  # (method, only for this chat, what happens)
        self._poll_generation = 0
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.methods: dict[str, Handler] = {}
        register(self)

    # ---- lifecycle -------------------------------------------------------------------------------------------

    async def __aenter__(self) -> FakeBotAPI:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._closing = True
        self.notify()
        if self._runner is not None:
            await self._runner.cleanup()

    def notify(self) -> None:
        """Wake every waiter: something changed (an update queued, a message sent, a poll superseded)."""
        self._changed.set()
        self._changed = asyncio.Event()

    # A `timeout` argument is the point of these test helpers: a test states how long it is willing to wait.
    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:  # noqa: ASYNC109
        """Wait until `predicate()` is truthy and return its value; TimeoutError after `timeout` seconds."""
        async with asyncio.timeout(timeout):
            while True:
                changed = self._changed
                value = predicate()
                if value:
                    return value
                await changed.wait()

    # ---- HTTP ------------------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").as_json(), status=401)
        try:
            params = Params(await read_params(request))
        except ApiError as err:
            return self._error(method, {}, err)
        call = Call(method, params.values)
        self.calls.append(call)
        response = await self._answer(request, call, params)
        call.status = response.status if call.status is None else call.status
        return response

    async def _answer(self, request: web.Request, call: Call, params: Params) -> web.Response:
        handler = self.methods.get(call.method.lower())
        try:
            fault = self.take_fault(call.method, params.values.get("chat_id"))
            if fault is not None and fault.cut is not None:
                return self._cut(request, call, fault.cut)
            if fault is not None and fault.error is not None:
                raise fault.error
            if handler is None:
                raise ApiError(404, "Not Found")
            result = await handler(params)
        except ApiError as err:
            return self._error(call.method, params.values, err)
        self.notify()
        return web.json_response({"ok": True, "result": result})

    def _cut(self, request: web.Request, call: Call, how: str) -> web.Response:
        """No answer: the connection is aborted (reset) or closed; the response returned is never written."""
        call.status = CUT
        if request.transport is not None:
            if how == "reset":
                request.transport.abort()
            else:
                request.transport.close()
        self.notify()
        return web.Response(status=502)

    def _error(self, method: str, params: dict[str, Any], err: ApiError) -> web.Response:
        record = Rejection(method, params, err.code, err.description)
        self.errors.append(record)
        if not (err.benign or err.code in (403, 429) or err.code >= 500):
            self.rejected.append(record)
        self.notify()
        return web.json_response(err.as_json(), status=err.code)

    def calls_of(self, method: str, chat_id: int | None = None) -> list[Call]:
        """The calls of `method` (for `chat_id` only, when given), as they arrived."""
        return [
            call
            for call in self.calls
            if call.method.lower() == method.lower()
            and (chat_id is None or str(call.params.get("chat_id")) == str(chat_id))
        ]

    # ---- state used by the methods ---------------------------------------------------------------------------

    def next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def chat(self, chat_id: int | None) -> dict[str, Any]:
        if chat_id is None or chat_id not in self._chats:
            raise bad("chat not found")
        return self._chats[chat_id]

    def writable_chat(self, chat_id: int | None) -> dict[str, Any]:
        chat = self.chat(chat_id)
        if chat["id"] in self.blocked:
            raise ApiError(403, BLOCKED)
        return chat

    def sent(self, chat_id: int | None, message_id: int | None) -> SentMessage:
        found = self._sent.get((chat_id or 0, message_id or 0))
        if found is None:  # benign: the person may have deleted it
            raise ApiError(400, "Bad Request: message to edit not found", benign=True)
        return found

    def render(self, params: Params, *, text_key: str = "text") -> tuple[str, list[dict[str, Any]], str, str | None]:
        source = params.get_str(text_key) or ""
        parse_mode = params.get_str("parse_mode")
        try:
            plain, entities = message_text(source, parse_mode)
        except ValueError as err:
            raise ApiError(400, str(err)) from None
        return plain, entities, source, parse_mode

    def store_sent(self, message: SentMessage) -> SentMessage:
        self._sent[(message.chat_id, message.message_id)] = message
        self.edited(message)
        return message

    def edited(self, message: SentMessage) -> None:
        self.outgoing.append(message)
        for listener in self.listeners:
            listener(message)

    # ---- what tests drive ------------------------------------------------------------------------------------

    def user(self, id: int, language_code: str | None = "hy", first_name: str = "Ani", **extra: Any) -> FakeUser:
        """A Telegram user who has opened a private chat with the bot."""
        person = FakeUser(id=id, language_code=language_code, first_name=first_name, **extra)
        self._users[id] = person
        self._chats[id] = person.chat()
        return person

    def group(self, chat_id: int, title: str = "MRC counsellors", forum: bool = True) -> dict[str, Any]:
        """A supergroup the bot is in (the counsellors' forum, for relay work)."""
        chat = {"id": chat_id, "type": "supergroup", "title": title, "is_forum": forum}
        self._chats[chat_id] = chat
        return chat

    def topic(self, chat_id: int, thread_id: int) -> bool | None:
        """None when the forum topic does not exist, else whether it is open."""
        return self._topics.get((chat_id, thread_id))

    def set_topic(self, chat_id: int, thread_id: int, is_open: bool) -> None:
        self._topics[(chat_id, thread_id)] = is_open

    def seen(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        return self._seen.get((chat_id, message_id))

    def remember(self, chat_id: int, message: dict[str, Any]) -> None:
        self._seen[(chat_id, message["message_id"])] = message

    async def raw_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue any update as is (a fresh update_id is added when missing); returns it."""
        update = dict(update)
        update.setdefault("update_id", next(self._update_ids))
        query = update.get("callback_query")
        if isinstance(query, dict) and isinstance(query.get("id"), str):
            self._queries.setdefault(query["id"], False)
        self._queue.append(update)
        self._queue.sort(key=lambda item: item["update_id"] if isinstance(item.get("update_id"), int) else 0)
        self.notify()
        return update

    async def redeliver(self, update: dict[str, Any]) -> dict[str, Any]:
        """Deliver an update again with the same update_id, as Telegram does after a missed confirmation."""
        self.confirmed = min(self.confirmed, int(update["update_id"]))
        return await self.raw_update(update)

    async def _send_content(self, user: FakeUser, content: dict[str, Any]) -> dict[str, Any]:
        msg = u.message(user, self.next_message_id(user.id), content)
        self.remember(user.id, msg)
        return await self.raw_update({"message": msg})

    async def send_text(self, user: FakeUser, text: str) -> dict[str, Any]:
        return await self._send_content(user, u.text(text))

    async def send_sticker(self, user: FakeUser) -> dict[str, Any]:
        return await self._send_content(user, u.sticker())

    async def send_voice(self, user: FakeUser) -> dict[str, Any]:
        return await self._send_content(user, u.voice())

    async def send_video_note(self, user: FakeUser) -> dict[str, Any]:
        return await self._send_content(user, u.video_note())

    async def send_audio(self, user: FakeUser) -> dict[str, Any]:
        return await self._send_content(user, u.audio())

    async def send_photo(self, user: FakeUser, caption: str | None = None) -> dict[str, Any]:
        return await self._send_content(user, u.photo(caption))

    async def send_video(self, user: FakeUser, caption: str | None = None) -> dict[str, Any]:
        return await self._send_content(user, u.video(caption))

    async def send_document(
        self, user: FakeUser, file_name: str = "passport.pdf", caption: str | None = None
    ) -> dict[str, Any]:
        return await self._send_content(user, u.document(file_name, caption))

    async def send_animation(self, user: FakeUser) -> dict[str, Any]:
        return await self._send_content(user, u.animation())

    async def send_contact(self, user: FakeUser, phone: str | None = None, own: bool = True) -> dict[str, Any]:
        """Share a phone contact: the person's own (as the request_contact button does) or someone else's."""
        return await self._send_content(user, u.contact(user, phone, own))

    async def send_location(
        self, user: FakeUser, latitude: float = 40.1772, longitude: float = 44.50349
    ) -> dict[str, Any]:
        return await self._send_content(user, u.location(latitude, longitude))

    async def send_dice(self, user: FakeUser) -> dict[str, Any]:
        return await self._send_content(user, u.dice())

    async def edit_text(self, user: FakeUser, update: dict[str, Any], text: str) -> dict[str, Any]:
        """The person edits a message they sent earlier."""
        edited = {**update["message"], **u.text(text), "edit_date": u.now()}
        return await self.raw_update({"edited_message": edited})

    async def press(
        self, user: FakeUser, message: SentMessage | int, callback_data: str, *, strict: bool = True
    ) -> dict[str, Any]:
        """Press an inline button under one of the bot's messages (strict: the button must be there)."""
        sent = message if isinstance(message, SentMessage) else self.sent(user.id, message)  # may be deleted since
        if strict and callback_data not in sent.callback_data:
            raise LookupError(f"no button with {callback_data!r} under message {sent.message_id}: {sent.callback_data}")
        query_id = str(next(self._query_ids))
        query = {
            "id": query_id,
            "from": user.as_dict(),
            "chat_instance": f"-{user.id}77",
            "message": sent.as_message(self.bot, self.chat(sent.chat_id)),
            "data": callback_data,
        }
        return await self.raw_update({"callback_query": query})

    async def block(self, user: FakeUser | int) -> dict[str, Any]:
        """The person blocks the bot: sends fail with 403 and a my_chat_member update arrives."""
        person = user if isinstance(user, FakeUser) else self._users[user]
        self.blocked.add(person.id)
        return await self.raw_update({"my_chat_member": u.kicked(person, self.bot)})

    async def unblock(self, user: FakeUser | int) -> dict[str, Any]:
        person = user if isinstance(user, FakeUser) else self._users[user]
        self.blocked.discard(person.id)
        return await self.raw_update({"my_chat_member": u.kicked(person, self.bot, blocked=False)})

    def delete_message(self, chat_id: int, message_id: int) -> None:
        """The person deletes one of the bot's messages in their app."""
        self._sent.pop((chat_id, message_id), None)
        self._seen.pop((chat_id, message_id), None)

    def messages(self, chat_id: int) -> list[SentMessage]:
        """The bot's messages in this chat, oldest first."""
        return [m for (chat, _), m in sorted(self._sent.items()) if chat == chat_id]

    async def wait_for_messages(self, chat_id: int, n: int, timeout: float = 5.0) -> list[SentMessage]:  # noqa: ASYNC109
        """Wait until the bot has sent at least `n` messages to this chat; returns them all."""
        found: list[SentMessage] = await self.wait_until(
            lambda: (lambda msgs: msgs if len(msgs) >= n else None)(self.messages(chat_id)), timeout
        )
        return found

    async def wait_confirmed(self, update: dict[str, Any], timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot confirmed receiving `update` (a getUpdates with a higher offset)."""
        await self.wait_until(lambda: self.confirmed > update["update_id"], timeout)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [call.params for call in self.calls if call.method.lower() == method.lower()]

    # ---- long polling ----------------------------------------------------------------------------------------

    def stream(self, deliveries: Sequence[dict[str, Any]]) -> None:
        """Serve these updates through getUpdates in exactly this order, duplicates and all, as a Telegram that lost
        the bot's confirmations would. A batch is served again until the bot's next offset confirms it."""
        self.issued(deliveries)
        self._stream.extend(deliveries)
        self.notify()

    @property
    def stream_left(self) -> int:
        """Scripted deliveries not confirmed by the bot yet."""
        return len(self._stream)

    def issued(self, updates: Iterable[dict[str, Any]]) -> None:
        """Updates Telegram sent some other way (the webhook, a stream): their button presses can be answered."""
        for update in updates:
            query = update.get("callback_query")
            if isinstance(query, dict) and isinstance(query.get("id"), str):
                self._queries.setdefault(query["id"], False)

    def _confirm_streamed(self, offset: int) -> None:
        served = self._stream[: self._served]
        if served and offset == max(_update_id(upd) for upd in served) + 1:
            del self._stream[: self._served]
            self._served = 0
            self.notify()

    def confirm(self, offset: int) -> None:
        if offset < 0:
            self._queue = self._queue[offset:]
            return
        self._queue = [upd for upd in self._queue if _update_id(upd) >= offset]
        self.confirmed = max(self.confirmed, offset)

    def drop_pending(self) -> None:
        self._queue.clear()

    async def poll(self, offset: int | None, limit: int, seconds: float) -> list[dict[str, Any]]:
        self._poll_generation += 1
        generation = self._poll_generation
        self.notify()  # a poll still waiting is superseded: it answers 409 Conflict
        if offset is not None:
            self.confirm(offset)
            self._confirm_streamed(offset)
        deadline = time.monotonic() + seconds
        while True:
            changed = self._changed
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                    benign=True,
                )  # its client is usually gone already
            if self._stream:
                self._served = min(limit, len(self._stream))
                return self._stream[: self._served]
            if self._queue or self._closing:
                return self._queue[:limit]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            try:
                async with asyncio.timeout(remaining):
                    await changed.wait()
            except TimeoutError:
                return []

    def answer_query(self, query_id: str | None) -> None:
        if query_id not in self._queries:
            raise ApiError(400, OLD_QUERY)
        if self._queries[query_id]:
            raise ApiError(400, OLD_QUERY, benign=True)  # answering again after a redelivery
        self._queries[query_id] = True

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self._queue)


def _update_id(update: dict[str, Any]) -> int:
    value = update.get("update_id")
    return value if isinstance(value, int) else 0
