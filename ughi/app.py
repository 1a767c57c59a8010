"""Wiring: the HTTP app (web chat, Telegram webhook, the admin API) and the Telegram bot runtime."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from admin_api.app import PREFIX as ADMIN_PREFIX
from admin_api.app import create_admin_app
from admin_api.people.retention import keep_retention
from bot.channels.web import web_router
from ughi import __version__
from ughi.services import Services, follow_content_changes, start_services
from ughi.settings import Settings, get_settings

if TYPE_CHECKING:
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
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    from bot.channels.telegram import TelegramChannel

    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base.rstrip("/")))
    bot = Bot(token=settings.telegram_token.get_secret_value(), session=session)
    outbox, desk = staff_handoff(bot, services)
    channel = TelegramChannel(
        bot, services.engine, services.inbox, concurrency=settings.polling_concurrency, staff=desk
    )
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    try:
        if outbox is not None:
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


def staff_handoff(bot: Any, services: Services) -> tuple[OutboxWorker | None, StaffDesk | None]:
    """The counsellors' side of Telegram: the outbox worker and the staff chat's desk (with UGHI_STAFF_CHAT_ID)."""
    settings = services.settings
    if settings.staff_chat_id is None:
        log.warning("UGHI_STAFF_CHAT_ID is not set: lead cards wait in the outbox until it is")
        return None, None
    from bot.channels.telegram_outbox import TelegramSender
    from bot.channels.telegram_staff import StaffDesk
    from leads.outbox import OutboxWorker

    sender = TelegramSender(bot, staff_chat_id=settings.staff_chat_id, language=settings.default_language)
    outbox = OutboxWorker(services.sessions, sender)
    desk = StaffDesk(
        bot,
        services.sessions,
        staff_chat_id=settings.staff_chat_id,
        language=settings.default_language,
        wake=outbox.wake,
    )
    return outbox, desk


def create_app(settings: Settings | None = None) -> FastAPI:
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
                yield
        finally:
            stop.set()
            await follower
            await retention
            await services.close()

    app = FastAPI(title="Ughi", version=__version__, lifespan=lifespan)
    app.include_router(web_router())
    app.mount(ADMIN_PREFIX, create_admin_app(lambda: app.state.services, settings))
    if settings.telegram_token is not None and settings.webhook_url and settings.webhook_secret:
        from bot.channels.telegram import webhook_router

        app.include_router(webhook_router(lambda: app.state.telegram, settings.webhook_secret.get_secret_value()))
    return app
