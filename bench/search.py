"""Search benchmark: build time, memory and query latency at 100, 1,000 and 10,000 synthetic articles.

Run: `python bench/search.py [--sizes 100,1000,10000] [--content DIR] [--questions FILE]`.
The shipped articles are cloned with new ids and mutated words; queries come from the labelled
question file when present. Pinned to one CPU core; prints a table and never asserts.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import re
import statistics
import sys
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.articles import Article, load_content  # noqa: E402
from knowledge.search import SearchIndex  # noqa: E402

WORD = re.compile(r"\w+")
MUTATION_RATE = 0.12  # share of words replaced in a clone
NEW_WORD_SHARE = 0.3  # of the replaced words, this share becomes a word no article had (vocabulary growth)
FALLBACK_QUERIES = ["passport abroad", "как открыть счёт в банке", "ashxatanq rusastanum", "պետական կենսաթոշակ"]


def _mutate_word(word: str, rng: random.Random, pool: list[str]) -> str:
    if rng.random() > NEW_WORD_SHARE:
        return rng.choice(pool)
    letters = list(word)
    for _ in range(rng.randint(1, 2)):
        letters.insert(rng.randrange(len(letters) + 1), rng.choice(word))
    return "".join(letters)


def _mutate(text: str, rng: random.Random, pool: list[str]) -> str:
    def swap(match: re.Match[str]) -> str:
        return _mutate_word(match.group(), rng, pool) if rng.random() < MUTATION_RATE else match.group()

    return WORD.sub(swap, text)


def synthesize(articles: list[Article], size: int, seed: int = 7) -> list[Article]:
    """`size` articles: the originals, then clones with perturbed ids and mutated words."""
    rng = random.Random(seed)
    pools = {
        lang: [w for a in articles if lang in a.translations for w in WORD.findall(a.translations[lang].body)]
        for lang in {lang for a in articles for lang in a.translations}
    }
    out = list(articles[:size])
    n = 0
    while len(out) < size:
        source = articles[n % len(articles)]
        n += 1
        translations = {}
        for lang, tr in source.translations.items():
            pool = pools[lang]
            translations[lang] = replace(
                tr,
                title=_mutate(tr.title, rng, pool),
                body=_mutate(tr.body, rng, pool),
                questions=tuple(_mutate(q, rng, pool) for q in tr.questions),
                keywords=tuple(_mutate(k, rng, pool) for k in tr.keywords),
            )
        out.append(replace(source, id=f"{source.id[:48]}-c{n}", translations=translations))
    return out


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered), math.ceil(share * len(ordered))) - 1)]  # nearest rank


def _clear_caches() -> None:
    """Forget memoised word analysis so every size starts cold."""
    from knowledge.search import analyze, normalize, translit

    for module in (analyze, normalize, translit):
        for value in vars(module).values():
            if hasattr(value, "cache_clear"):
                value.cache_clear()


def measure(
    articles: list[Article], synonyms: dict[str, list[list[str]]], queries: list[tuple[str, str | None]]
) -> dict[str, float]:
    _clear_caches()
    gc.collect()
    started = time.perf_counter()
    index = SearchIndex.build(articles, synonyms)
    build_s = time.perf_counter() - started
    del index
    _clear_caches()
    gc.collect()
    tracemalloc.start()
    index = SearchIndex.build(articles, synonyms)
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    latencies: list[float] = []
    for text, lang in queries:
        t0 = time.perf_counter()
        index.search(text, lang=lang)
        latencies.append((time.perf_counter() - t0) * 1000.0)
    return {
        "articles": index.size,
        "build_s": build_s,
        "mem_mb": retained / 2**20,
        "peak_mb": peak / 2**20,
        "p50_ms": _percentile(latencies, 0.5),
        "p99_ms": _percentile(latencies, 0.99),
        "mean_ms": statistics.fmean(latencies),
    }


def _queries(path: Path) -> list[tuple[str, str | None]]:
    if not path.exists():
        return [(q, None) for q in FALLBACK_QUERIES]
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(str(r["q"]), r.get("lang")) for r in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--content", type=Path, default=ROOT / "knowledge" / "content")
    parser.add_argument("--questions", type=Path, default=ROOT / "tests" / "data" / "kb_questions.jsonl")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    content = load_content(args.content)
    base = content.published()
    queries = _queries(args.questions)
    print(f"{len(base)} shipped articles, {len(queries)} queries, one core")
    header = f"{'articles':>9}{'build s':>9}{'mem MB':>9}{'peak MB':>9}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}"
    print(header)
    for size in (int(s) for s in args.sizes.split(",")):
        row = measure(synthesize(base, size), content.synonyms, queries)
        print(
            f"{row['articles']:>9.0f}{row['build_s']:>9.2f}{row['mem_mb']:>9.1f}{row['peak_mb']:>9.1f}"
            f"{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}{row['mean_ms']:>9.2f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
