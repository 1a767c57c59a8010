"""Wiring: the HTTP app (web chat, Telegram webhook, later the admin API) and the Telegram bot runtime."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bot.channels.web import web_router
from ughi import __version__
from ughi.services import Services, follow_content_changes, start_services
from ughi.settings import Settings, get_settings

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
    channel = TelegramChannel(bot, services.engine, services.inbox, concurrency=settings.polling_concurrency)
    stop = asyncio.Event()
    task: asyncio.Task[None] | None = None
    try:
        with contextlib.suppress(Exception):  # commands are a nicety: never block start-up on them
            await channel.set_commands()
        if polling:
            task = asyncio.create_task(channel.run_polling(stop), name="telegram-polling")
        else:
            assert settings.webhook_url and settings.webhook_secret
            await channel.set_webhook(settings.webhook_url, settings.webhook_secret.get_secret_value())
        yield channel
    finally:
        stop.set()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=10)
        await bot.session.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await start_services(settings)
        app.state.services = services
        stop = asyncio.Event()
        follower = asyncio.create_task(follow_content_changes(services, stop), name="content-follower")
        try:
            async with telegram_bot(services, polling=not settings.webhook_url) as channel:
                app.state.telegram = channel
                yield
        finally:
            stop.set()
            await follower
            await services.close()

    app = FastAPI(title="Ughi", version=__version__, lifespan=lifespan)
    app.include_router(web_router())
    if settings.telegram_token is not None and settings.webhook_url and settings.webhook_secret:
        from bot.channels.telegram import webhook_router

        app.include_router(webhook_router(lambda: app.state.telegram, settings.webhook_secret.get_secret_value()))
    return app
