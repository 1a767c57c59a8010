"""The `ughi` command: serve, bot, chat, db upgrade, kb import/export/eval, flows diagram/check, staff add."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from ughi import runtime
from ughi.logs import configure_logging
from ughi.settings import Settings, get_settings


def _serve(settings: Settings) -> int:
    import uvicorn

    from ughi.app import create_app

    configure_logging(settings)
    app = create_app(settings, on_started=runtime.settle)
    # uvicorn's own records reach our JSON handler; its access log is replaced by ughi.access_log (no query strings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False, proxy_headers=True)
    return 0


async def _bot(settings: Settings) -> int:
    from ughi.app import telegram_bot
    from ughi.services import follow_content_changes, start_services

    if settings.telegram_token is None:
        print("UGHI_TELEGRAM_TOKEN is not set: there is no bot to run.", file=sys.stderr)
        return 2
    configure_logging(settings)
    services = await start_services(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    follower = asyncio.create_task(follow_content_changes(services, stop))
    try:
        async with telegram_bot(services, polling=True):
            runtime.settle()
            logging.getLogger("ughi").info("Telegram bot is polling; press Ctrl+C to stop")
            await stop.wait()
    finally:
        stop.set()
        await follower
        await services.close()
    return 0


async def _chat(settings: Settings) -> int:
    from bot.channels.console import run_console
    from ughi.services import start_services

    configure_logging(settings, level=logging.WARNING)  # the terminal is the conversation: warnings only
    services = await start_services(settings)
    try:
        await run_console(services.engine)
    finally:
        await services.close()
    return 0


def _db_upgrade(settings: Settings) -> int:
    from ughi.db import upgrade_blocking

    upgrade_blocking(settings.resolved_database_url, settings.database_schema)
    print("database is at the latest revision")
    return 0


async def _db_rotate_keys(settings: Settings) -> int:
    # every table, so that every encrypted column is found
    import admin_api.models  # noqa: F401
    import bot.flows.models
    import bot.models  # noqa: F401
    import knowledge.editing_models
    import knowledge.models  # noqa: F401
    import leads.models  # noqa: F401
    from ughi.crypto import keyring, rotate_keys
    from ughi.db import Base, make_engine

    ring = keyring(settings)
    db = make_engine(settings.resolved_database_url, schema=settings.database_schema)
    try:
        async with db.begin() as conn:
            counts = await conn.run_sync(lambda sync: rotate_keys(sync, Base.metadata, ring=ring))
    finally:
        await db.dispose()
    print(f"re-encrypted {sum(counts.values())} values with the first key of UGHI_ENCRYPTION_KEYS")
    return 0


async def _kb_import(settings: Settings, directory: Path | None) -> int:
    from knowledge import repository
    from knowledge.articles import load_content
    from ughi.db import make_engine, make_sessionmaker, transaction, upgrade

    content = load_content(directory) if directory else load_content()
    db = make_engine(settings.resolved_database_url)
    try:
        if settings.is_sqlite:
            await upgrade(db)
        async with transaction(make_sessionmaker(db)) as session:
            count = await repository.import_content(session, content)
    finally:
        await db.dispose()
    print(f"imported {len(content.topics)} topics and {count} articles")
    return 0


async def _kb_export(settings: Settings, directory: Path) -> int:
    from knowledge import repository
    from knowledge.articles import write_content
    from ughi.db import make_engine, make_sessionmaker

    db = make_engine(settings.resolved_database_url)
    try:
        async with make_sessionmaker(db)() as session:
            content = await repository.load_content(session)
    finally:
        await db.dispose()
    count = write_content(content, directory)
    print(f"exported {len(content.topics)} topics and {count} articles to {directory}")
    return 0


def _flows(args: argparse.Namespace) -> int:
    from bot.flows.diagram import mermaid
    from bot.flows.schema import FLOWS_DIR, FlowError, load_flows

    try:
        flows = load_flows(args.dir if args.flows_command == "check" and args.dir else FLOWS_DIR)
    except FlowError as exc:
        print(f"flow error: {exc}", file=sys.stderr)
        return 1
    if args.flows_command == "check":
        for flow in flows.values():
            print(f"{flow.id} v{flow.version}: {len(flow.steps)} steps, {len(flow.red_flags)} red flags: ok")
        if not flows:
            print("no flow files (*.yaml) found", file=sys.stderr)
        return 0 if flows else 1
    if args.name not in flows:
        print(f"no flow {args.name!r}; there are: {', '.join(sorted(flows))}", file=sys.stderr)
        return 2
    print(mermaid(flows[args.name], args.lang), end="")
    return 0


async def _staff_add(settings: Settings, args: argparse.Namespace) -> int:
    from admin_api.auth.passwords import WeakPassword, check_strength
    from admin_api.problems import Problem
    from admin_api.staff.service import create_staff
    from ughi.db import make_engine, make_sessionmaker, transaction, upgrade

    password = args.password
    if password is None:
        import getpass

        password = getpass.getpass(f"password for {args.email}: ")
        if getpass.getpass("the same password again: ") != password:
            print("the passwords differ; nothing was created", file=sys.stderr)
            return 1
    try:
        check_strength(password)
    except WeakPassword as exc:
        print(exc, file=sys.stderr)
        return 1
    db = make_engine(settings.resolved_database_url, schema=settings.database_schema)
    try:
        if settings.is_sqlite:
            await upgrade(db)
        async with transaction(make_sessionmaker(db)) as session:
            staff = await create_staff(
                session, email=args.email, role=args.role, password=password, centre_id=args.centre, name=args.name
            )
            print(f"created {staff.role} {staff.email} (id {staff.id})")
    except Problem as exc:
        print(f"not created: {exc.detail}", file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ughi", description="Ughi: an assistant for migrants.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="web chat, admin API and (with a token) the Telegram bot")
    sub.add_parser("bot", help="only the Telegram bot, by long polling")
    sub.add_parser("chat", help="talk to Ughi in this terminal")
    db = sub.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply migrations up to the latest")
    db.add_parser("rotate-keys", help="re-encrypt personal data with the first key of UGHI_ENCRYPTION_KEYS")
    kb = sub.add_parser("kb", help="knowledge base").add_subparsers(dest="kb_command", required=True)
    imp = kb.add_parser("import", help="load YAML content into the database")
    imp.add_argument("--content", type=Path, default=None, help="content directory (default: shipped content)")
    exp = kb.add_parser("export", help="write the database content as YAML")
    exp.add_argument("--out", type=Path, required=True)
    ev = kb.add_parser("eval", help="measure search on a labelled question set")
    ev.add_argument("--content", type=Path, required=True)
    ev.add_argument("--questions", type=Path, required=True)
    flows = sub.add_parser("flows", help="guided intake flows").add_subparsers(dest="flows_command", required=True)
    diagram = flows.add_parser("diagram", help="print a flow as a Mermaid diagram")
    diagram.add_argument("name", help="flow id, e.g. pre_departure")
    diagram.add_argument("--lang", default="en", help="language of the labels (default: en)")
    check = flows.add_parser("check", help="validate flow files")
    check.add_argument("dir", nargs="?", type=Path, default=None, help="folder of flow files (default: bot/flows)")
    staff = sub.add_parser("staff", help="staff accounts of the admin API")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_sub.add_parser("add", help="create a staff account (the password is asked for when not given)")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=("admin", "editor", "counsellor"))
    add.add_argument("--centre", default=None, help="the centre id (required for counsellors), e.g. yerevan")
    add.add_argument("--name", default="")
    add.add_argument("--password", default=None, help="prompted for when not given (better: not in shell history)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # one-shot commands print their results; their logs (warnings and worse) go to stderr as JSON
    configure_logging(None, level=logging.WARNING)
    if args.command == "kb" and args.kb_command == "eval":
        from knowledge.evaluation import main as eval_main

        return eval_main(["--content", str(args.content), "--questions", str(args.questions)])
    if args.command == "flows":
        return _flows(args)
    try:
        settings = get_settings()
    except ValueError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "serve":
        return _serve(settings)
    if args.command == "bot":
        return runtime.run(_bot(settings))
    if args.command == "chat":
        return runtime.run(_chat(settings))
    if args.command == "staff":
        return asyncio.run(_staff_add(settings, args))
    if args.command == "db" and args.db_command == "rotate-keys":
        return asyncio.run(_db_rotate_keys(settings))
    if args.command == "db":
        return _db_upgrade(settings)
    if args.kb_command == "import":
        return asyncio.run(_kb_import(settings, args.content))
    return asyncio.run(_kb_export(settings, args.out))


if __name__ == "__main__":
    raise SystemExit(main())
