"""A bot process of its own on the test database, for the propagation test: prints what its index answers."""

from __future__ import annotations

import asyncio
import sys
import time

from ughi.services import follow_content_changes, start_services
from ughi.settings import Settings

QUESTION = "schengen visa seasonal work"


async def main(article_id: str, seconds: float) -> None:
    services = await start_services(Settings(), migrate=False)
    stop = asyncio.Event()
    follower = asyncio.create_task(follow_content_changes(services, stop))
    last = None
    print("ready", flush=True)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            article = services.knowledge.article(article_id)
            result = services.knowledge.search(QUESTION, "en")
            answer = result.hits[0].article_id if result.decision == "answer" and result.hits else None
            seen = (answer, article.translation("en").body if article is not None else None)
            if seen != last:
                print(f"answer={seen[0]} body={seen[1]}", flush=True)
                last = seen
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await follower
        await services.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2])))
