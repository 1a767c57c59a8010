"""The bots under test, each in its own process: `python bench/_bots.py '{"kind": ..., ...}'`.

Kinds: "echo-polling" and "ughi-polling" long-poll the fake Bot API; "echo-webhook" (aiogram's aiohttp
SimpleRequestHandler) and "ughi-webhook" (uvicorn serving ughi.app.create_app) receive updates by HTTP POST and
print {"port": N} once they listen. Every kind answers through Bot API calls (sendMessage), stops on "stop" read
from stdin, and then prints its peak RSS and CPU time as a JSON line. Ughi's modules are imported only by the Ughi
kinds, so an echo bot's memory holds aiogram alone.
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from _common import CONCURRENCY, listening_socket

if TYPE_CHECKING:
    from aiogram import Bot

    from bot.channels.telegram import ConversationEngine

WEBHOOK_PATH = "/telegram/webhook"
# Ughi registers this with the fake Bot API, which wants HTTPS; the load generator posts to the local port instead.
WEBHOOK_URL = "https://ughi.invalid/telegram/webhook"


async def _wait_for_stop() -> None:
    await asyncio.to_thread(sys.stdin.readline)


def _announce(message: dict[str, Any]) -> None:
    print(json.dumps(message), flush=True)


def _bot(config: dict[str, Any]) -> Bot:
    """aiogram's own session for the baselines; Ughi's as `ughi bot` makes it (JSON bodies) for Ughi's runs."""
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    if str(config.get("kind", "")).startswith("ughi"):
        from bot.channels.telegram_session import make_bot

        return make_bot(config["token"], config["base"])
    return Bot(config["token"], session=AiohttpSession(api=TelegramAPIServer.from_base(config["base"])))


def _echo_engine() -> ConversationEngine:
    """The engine's contract with nothing behind it: what the Telegram channel costs on its own."""
    from bot.channels.render import escape_md
    from bot.engine.types import Button, Inbound, Reply

    class EchoEngine:
        async def handle(self, inbound: Inbound) -> list[Reply]:
            return [Reply(escape_md(inbound.text), buttons=[[Button("Menu", "menu")]])]

        async def mark_blocked(self, channel: str, external_id: str) -> None:
            return None

    return EchoEngine()


async def echo_polling(config: dict[str, Any]) -> None:
    """The baseline: aiogram's own polling, one handler that echoes the text."""
    from aiogram import Dispatcher
    from aiogram.types import Message

    bot, dispatcher = _bot(config), Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "?")

    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, tasks_concurrency_limit=CONCURRENCY, polling_timeout=10)
    )
    await _wait_for_stop()
    await dispatcher.stop_polling()
    await asyncio.wait_for(polling, 30)


async def ughi_polling(config: dict[str, Any]) -> None:
    """Ughi as `ughi bot` runs it: TelegramChannel and Engine on the given database with the shipped content.
    With "engine": "echo" the channel and inbox run around an engine that only echoes."""
    from bot.channels.telegram import TelegramChannel
    from ughi import runtime
    from ughi.services import start_services
    from ughi.settings import Settings

    settings = Settings(
        _env_file=None, env="test", database_url=config["database_url"], database_schema=config.get("schema") or None
    )
    services = await start_services(settings, migrate=True)
    bot = _bot(config)
    talker = _echo_engine() if config.get("engine") == "echo" else services.engine
    channel = TelegramChannel(bot, talker, services.inbox, concurrency=CONCURRENCY)
    stop = asyncio.Event()
    polling = asyncio.create_task(channel.run_polling(stop))
    runtime.settle()  # as `ughi bot` does once started
    await _wait_for_stop()
    stop.set()
    await asyncio.wait_for(polling, 30)
    await bot.session.close()
    await services.close()


async def echo_webhook(config: dict[str, Any]) -> None:
    """The webhook baseline: aiogram's SimpleRequestHandler answers 200 at once, handles the update in the
    background and answers with sendMessage, as Ughi does (not with a method in the webhook's HTTP answer)."""
    from aiogram import Dispatcher
    from aiogram.types import Message
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
    from aiohttp import web

    bot, dispatcher = _bot(config), Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "?")

    app = web.Application()
    SimpleRequestHandler(dispatcher, bot, handle_in_background=True, secret_token=config["secret"]).register(
        app, path=WEBHOOK_PATH
    )
    setup_application(app, dispatcher, bot=bot)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    sock = listening_socket()
    await web.SockSite(runner, sock).start()
    _announce({"port": sock.getsockname()[1]})
    await _wait_for_stop()
    await runner.cleanup()
    await bot.session.close()


async def ughi_webhook(config: dict[str, Any]) -> None:
    """Ughi as `ughi serve` runs it in webhook mode: uvicorn serving create_app (web chat, admin API, webhook),
    without the access log (the aiohttp baseline has none either)."""
    import uvicorn

    from ughi import runtime
    from ughi.app import create_app
    from ughi.settings import Settings

    settings = Settings(
        _env_file=None,
        env="test",
        database_url=config["database_url"],
        database_schema=config.get("schema") or None,
        auto_migrate=config.get("migrate"),
        telegram_token=config["token"],
        telegram_api_base=config["base"],
        webhook_url=WEBHOOK_URL,
        webhook_secret=config["secret"],
    )
    logging.getLogger("ughi.app").setLevel(logging.ERROR)  # no staff chat here on purpose: not worth a warning
    app = create_app(settings, on_started=runtime.settle)  # as `ughi serve` does
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    sock = listening_socket()
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if serving.done():
            serving.result()
            raise RuntimeError("uvicorn stopped while starting")
        await asyncio.sleep(0.05)
    _announce({"port": sock.getsockname()[1]})
    await _wait_for_stop()
    server.should_exit = True
    await asyncio.wait_for(serving, 30)


KINDS: dict[str, Callable[[dict[str, Any]], Coroutine[Any, Any, None]]] = {
    "echo-polling": echo_polling,
    "ughi-polling": ughi_polling,
    "echo-webhook": echo_webhook,
    "ughi-webhook": ughi_webhook,
}


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING)
    config = json.loads(argv[0])
    kind = config["kind"]
    if kind.startswith("ughi"):  # as `ughi bot` and `ughi serve` run: on uvloop where installed (ughi.runtime)
        from ughi import runtime

        runtime.run(KINDS[kind](config))
    else:  # the baselines as aiogram's own examples run, on asyncio's loop
        asyncio.run(KINDS[kind](config))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _announce({"rss_kb": usage.ru_maxrss, "cpu": usage.ru_utime + usage.ru_stime})
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
