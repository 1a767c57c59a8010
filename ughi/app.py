"""Wiring: the HTTP app (web chat, Telegram webhook, the admin API, probes) and the Telegram bot runtime."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from admin_api.app import PREFIX as ADMIN_PREFIX
from admin_api.app import create_admin_app
from admin_api.people.retention import keep_retention
from bot.channels.telegram_webhook import webhook_first
from bot.channels.web import web_router
from ughi import __version__
from ughi.access_log import AccessLog
from ughi.health import PROBE_PATHS, health_router
from ughi.security_headers import SecurityHeaders
from ughi.services import Services, follow_content_changes, start_services
from ughi.settings import Settings, get_settings

if TYPE_CHECKING:
    from bot.channels.telegram_outbox import ReplyQueue
    from bot.channels.telegram_staff import StaffDesk
    from leads.outbox import OutboxWorker

log = logging.getLogger(__name__)


@asynccontextmanager
async def telegram_bot(services: Services, *, polling: bool) -> AsyncIterator[object | None]:
    """Run the Telegram channel while the block runs: polling, or webhook registration. None without a token."""
    settings = services.settings
    if settings.telegram_token is None:
        yield None
        return
    from bot.channels.telegram import TelegramChannel
    from bot.channels.telegram_session import make_bot

    bot = make_bot(settings.telegram_token.get_secret_value(), settings.telegram_api_base)
    outbox, replies, desk = outbox_and_desk(bot, services)
    channel = TelegramChannel(
        bot,
        services.engine,
        services.inbox,
        concurrency=settings.polling_concurrency,
        staff=desk,
        outbox=replies,
    )
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    try:
        tasks.append(asyncio.create_task(outbox.run(stop), name="outbox"))
        with contextlib.suppress(Exception):  # commands are a nicety: never block start-up on them
            await channel.set_commands()
        if polling:
            tasks.append(asyncio.create_task(channel.run_polling(stop), name="telegram-polling"))
        else:
            assert settings.webhook_url and settings.webhook_secret
            await channel.set_webhook(settings.webhook_url, settings.webhook_secret.get_secret_value())
        yield channel
    finally:
        stop.set()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=10)
        await bot.session.close()


def outbox_and_desk(bot: Any, services: Services) -> tuple[OutboxWorker, ReplyQueue, StaffDesk | None]:
    """The outbox worker (replies Telegram did not take at once, messages to people, and with UGHI_STAFF_CHAT_ID
    the counsellors' chat), the queue the channel keeps such replies in, and the staff chat's desk."""
    from bot.channels.telegram_outbox import PERSON_KINDS, ReplyQueue, TelegramSender
    from bot.channels.telegram_staff import StaffDesk
    from leads.outbox import OutboxWorker

    settings = services.settings
    sender = TelegramSender(bot, staff_chat_id=settings.staff_chat_id, language=settings.default_language)
    kinds = None if settings.staff_chat_id is not None else PERSON_KINDS
    outbox = OutboxWorker(services.sessions, sender, kinds=kinds, jitter=0.5)
    replies = ReplyQueue(services.sessions, wake=outbox.wake)
    if settings.staff_chat_id is None:
        log.warning("UGHI_STAFF_CHAT_ID is not set: lead cards wait in the outbox until it is")
        return outbox, replies, None
    desk = StaffDesk(
        bot,
        services.sessions,
        staff_chat_id=settings.staff_chat_id,
        language=settings.default_language,
        wake=outbox.wake,
    )
    return outbox, replies, desk


def create_app(settings: Settings | None = None, *, on_started: Callable[[], None] | None = None) -> FastAPI:
    """The HTTP app; `on_started` runs once everything has started (the process's entry point tunes itself there)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await start_services(settings)
        app.state.services = services
        stop = asyncio.Event()
        follower = asyncio.create_task(follow_content_changes(services, stop), name="content-follower")
        retention = asyncio.create_task(keep_retention(services, stop), name="retention")
        try:
            async with telegram_bot(services, polling=not settings.webhook_url) as channel:
                app.state.telegram = channel
                if on_started is not None:
                    on_started()
                yield
        finally:
            stop.set()
            await follower
            await retention
            await services.close()

    app = UghiApp(title="Ughi", version=__version__, lifespan=lifespan)
    app.include_router(web_router())
    app.include_router(health_router(settings))
    admin = create_admin_app(lambda: app.state.services, settings)
    if settings.cors_origins:  # browsers on these origins may call the admin API (and nothing else here)
        admin.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
    app.mount(ADMIN_PREFIX, admin)
    webhook: ASGIApp | None = None
    if settings.telegram_token is not None and settings.webhook_url and settings.webhook_secret:
        from bot.channels.telegram_webhook import WebhookEndpoint

        webhook = WebhookEndpoint(lambda: app.state.telegram, settings.webhook_secret.get_secret_value())
    docs = _docs_pages(app, "") + _docs_pages(admin, ADMIN_PREFIX)

    def outermost(inner: ASGIApp) -> ASGIApp:
        """Access log and security headers around everything; Telegram's webhook answered before FastAPI's stack."""
        routed = webhook_first(inner, webhook) if webhook is not None else inner
        headed = SecurityHeaders(routed, docs_paths=docs, no_store_prefixes=(ADMIN_PREFIX, *PROBE_PATHS))
        return AccessLog(headed, quiet_paths=PROBE_PATHS)

    app.outermost = outermost
    return app


class UghiApp(FastAPI):
    """FastAPI with `outermost` wrapped around its whole stack, error handler included: a 500 gets the headers."""

    outermost: Callable[[ASGIApp], ASGIApp] | None = None

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        return self.outermost(stack) if self.outermost is not None else stack


def _docs_pages(app: FastAPI, prefix: str) -> list[str]:
    """The API documentation pages of `app` mounted at `prefix`, where their looser content policy applies."""
    return [prefix + page for page in (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url) if page]
