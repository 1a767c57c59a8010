"""Serve memory: the resident memory of `ughi serve` holding a large knowledge base, after startup and searches.

Run: `python bench/serve_memory.py [--articles 10000] [--searches 200] [--from-yaml]`.
`ughi serve` runs as a subprocess on a SQLite file in a temporary directory (no Telegram token: web chat and admin
API). Two runs: the shipped content (the baseline), then `--articles` synthetic articles in hy/ru/en (the shipped
ones cloned with mutated words, as bench/search.py makes them). By default the synthetic articles are put in the
database before the server starts, as `ughi kb import` would (content lives in the database; YAML only seeds it);
with --from-yaml they are written as a YAML content folder and `ughi serve` imports them on its first start
(UGHI_CONTENT_DIR), which is much slower. Then `--searches` questions from the labelled question file go through
the web chat (POST /chat/messages), one at a time. Memory is the server's RSS (VmRSS) once it answers HTTP and
after the searches, and its peak (VmHWM). Target (issue 6): ≤ 300 MB with 10,000 articles. Never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import yaml
from _common import arguments, free_port, percentile, print_table, ratio, resident_mb
from _people import question_pools
from search import synthesize

from knowledge.articles import ContentSet, article_to_dict, load_content, write_content

TARGET_MB = 300.0
SETTLE = 3.0  # seconds after startup before reading memory (the content follower's first round)


@dataclass
class Served:
    label: str
    articles: int
    startup_seconds: float = 0.0
    started_mb: float = 0.0
    searched_mb: float = 0.0
    peak_mb: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


def synthetic_content(size: int) -> ContentSet:
    """The shipped topics and synonyms with `size` articles: the shipped ones, then mutated clones."""
    shipped = load_content()
    return ContentSet(topics=shipped.topics, articles=synthesize(shipped.published(), size), synonyms=shipped.synonyms)


async def prepare_database(url: str, size: int) -> None:
    """Migrate a fresh database and put `size` articles in it, as `ughi kb import` does."""
    from knowledge import repository
    from ughi.db import make_engine, make_sessionmaker, transaction, upgrade

    content = synthetic_content(size)
    db = make_engine(url)
    try:
        await upgrade(db)
        async with transaction(make_sessionmaker(db)) as session:
            await repository.import_content(session, content)
    finally:
        await db.dispose()


def write_yaml_content(directory: Path, size: int) -> None:
    """`size` articles as a content folder (topics.yaml, synonyms.yaml, <topic>/<id>.yaml)."""
    content = synthetic_content(size)
    write_content(ContentSet(topics=content.topics, synonyms=content.synonyms), directory, articles=[])
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # the same YAML, written many times faster
    for article in content.articles:
        folder = directory / article.topic
        folder.mkdir(exist_ok=True)
        text = yaml.dump(article_to_dict(article), Dumper=dumper, allow_unicode=True, sort_keys=False)
        (folder / f"{article.id}.yaml").write_text(text, encoding="utf-8")


def questions(count: int) -> list[tuple[str, str]]:
    """`count` questions with their language, the languages in turn."""
    pools = question_pools()
    langs = list(pools)
    return [(pools[langs[i % 3]][(i // 3) % len(pools[langs[i % 3]])], langs[i % 3]) for i in range(count)]


async def serve(served: Served, env: dict[str, str], tmp: Path, args: argparse.Namespace) -> None:
    """Start `ughi serve`, wait until it answers, read its memory, search, read it again, stop it."""
    port = free_port()
    log = (tmp / "serve.log").open("wb")
    command = [str(Path(sys.executable).parent / "ughi"), "serve"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("UGHI_")} | env
    env |= {"UGHI_HOST": "127.0.0.1", "UGHI_PORT": str(port), "UGHI_VAR_DIR": str(tmp), "UGHI_ENV": "dev"}
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(*command, cwd=tmp, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            await wait_ready(http, base, proc, args.start_timeout)
            served.startup_seconds = time.perf_counter() - started
            await asyncio.sleep(SETTLE)
            served.started_mb = resident_mb(proc.pid)[0]
            for i, (text, lang) in enumerate(questions(args.searches)):
                body = {"session": f"bench-serve-memory-{i % 20:04d}", "text": text, "language": lang}
                t0 = time.perf_counter()
                async with http.post(f"{base}/chat/messages", json=body) as response:  # every text is searched
                    await response.read()
                    served.errors += response.status != 200
                served.latencies.append(time.perf_counter() - t0)
            served.searched_mb, served.peak_mb = resident_mb(proc.pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            proc.kill()
            await proc.wait()
        log.close()


async def wait_ready(
    http: aiohttp.ClientSession,
    base: str,
    proc: asyncio.subprocess.Process,
    timeout: float,  # noqa: ASYNC109
) -> None:
    """Until the server answers GET / with 200; RuntimeError if it exits first."""
    async with asyncio.timeout(timeout):
        while True:
            if proc.returncode is not None:
                raise RuntimeError(f"ughi serve exited with status {proc.returncode}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{base}/") as response:
                    if response.status == 200:
                        return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 0.5)


async def measure(label: str, size: int, args: argparse.Namespace) -> Served:
    served = Served(label, size)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        database = f"sqlite+aiosqlite:///{tmp / 'ughi.sqlite3'}"
        env = {"UGHI_DATABASE_URL": database}
        if size and args.from_yaml:
            write_yaml_content(tmp / "content", size)
            env["UGHI_CONTENT_DIR"] = str(tmp / "content")
        elif size:
            await prepare_database(database, size)
        try:
            await serve(served, env, tmp, args)
        except Exception:
            print(f"{label}: ughi serve failed; the end of its log:", file=sys.stderr)
            print((tmp / "serve.log").read_text(errors="replace")[-3000:], file=sys.stderr)
            raise
    return served


def report(results: list[Served], args: argparse.Namespace) -> None:
    how = "imported from YAML on first start" if args.from_yaml else "in the database before start"
    print(f"\nughi serve memory: SQLite, {args.searches} searches through the web chat; synthetic articles {how}")
    header = ["content", "articles", "startup s", "RSS started MB", "RSS searched MB", "peak MB", "p50 ms", "p99 ms"]
    rows = [
        [
            r.label,
            r.articles or "shipped",
            r.startup_seconds,
            r.started_mb,
            r.searched_mb,
            r.peak_mb,
            percentile(r.latencies, 0.5) * 1000,
            percentile(r.latencies, 0.99) * 1000,
        ]
        for r in results
    ]
    print_table(header, rows)
    big = results[-1]
    print(
        f"{big.label}: RSS after searches {big.searched_mb:.1f} MB / target {TARGET_MB:.0f} MB: "
        f"{ratio(big.searched_mb, TARGET_MB)}; peak / target: {ratio(big.peak_mb, TARGET_MB)}"
    )
    if len(results) == 2:
        print(f"{big.label} / shipped content: RSS after searches {ratio(big.searched_mb, results[0].searched_mb)}")
    for r in results:
        if r.errors:
            print(f"note: {r.label}: {r.errors} searches did not answer 200")


async def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    results: list[Served] = []
    for label, size in (("shipped", 0), (f"{args.articles} articles", args.articles)):
        try:
            results.append(await measure(label, size, args))
        except Exception as err:
            print(f"{label}: failed: {err!r}", file=sys.stderr)
            return 1
    report(results, args)
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = arguments(__doc__)
    parser.add_argument("--articles", type=int, default=10_000, help="synthetic articles (default 10000)")
    parser.add_argument("--searches", type=int, default=200, help="web chat questions (default 200)")
    parser.add_argument(
        "--from-yaml", action="store_true", help="let `ughi serve` import the articles from YAML on its first start"
    )
    parser.add_argument("--start-timeout", type=float, default=900.0, help="seconds to wait for the server")
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse_args())))
