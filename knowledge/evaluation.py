"""Search quality evaluation on a labelled question file (`ughi kb eval`): accuracy, abstention, latency."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process, utils

from .articles import Article, ContentError, load_content
from .search import SearchIndex, SearchResult

LANGS = ("hy", "ru", "en")


class EvalInputError(ValueError):
    """The questions file is malformed; the message names the file and line."""


@dataclass(frozen=True)
class Question:
    line: int
    q: str
    lang: str | None
    expected: str | None
    kind: str | None


def _parse_line(raw: str, path: Path, line_no: int, known: set[str]) -> Question | None:
    where = f"{path}: line {line_no}"
    if not raw.strip():
        return None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise EvalInputError(f"{where}: not valid JSON ({exc.msg})") from exc
    if not isinstance(data, dict):
        raise EvalInputError(f"{where}: expected a JSON object")
    q, lang, expected, kind = data.get("q"), data.get("lang"), data.get("expected"), data.get("kind")
    if not isinstance(q, str) or not q.strip():
        raise EvalInputError(f'{where}: "q" must be a non-empty string')
    if lang is not None and lang not in LANGS:
        raise EvalInputError(f'{where}: "lang" must be one of {", ".join(LANGS)} or null')
    if expected is not None and not isinstance(expected, str):
        raise EvalInputError(f'{where}: "expected" must be an article id or null')
    if expected is not None and expected not in known:
        raise EvalInputError(f"{where}: expected article {expected!r} is not a published article")
    if kind is not None and not isinstance(kind, str):
        raise EvalInputError(f'{where}: "kind" must be a string')
    return Question(line_no, q, lang, expected, kind)


def load_questions(path: Path, known: set[str]) -> list[Question]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalInputError(f"{path}: cannot read ({exc})") from exc
    questions = [_parse_line(raw, path, n, known) for n, raw in enumerate(lines, 1)]
    found = [q for q in questions if q is not None]
    if not found:
        raise EvalInputError(f"{path}: no questions")
    return found


class _Baseline:
    """Plain rapidfuzz WRatio of the query against every title and question, any language."""

    def __init__(self, articles: list[Article]) -> None:
        self.strings: list[str] = []
        self.owner: list[str] = []
        for article in articles:
            for tr in article.translations.values():
                for text in (tr.title, *tr.questions):
                    self.strings.append(text)
                    self.owner.append(article.id)

    def top(self, query: str) -> str | None:
        found = process.extractOne(query, self.strings, scorer=fuzz.WRatio, processor=utils.default_process)
        return self.owner[found[2]] if found else None


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered), math.ceil(share * len(ordered))) - 1)]  # nearest rank


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class _Tally:
    def __init__(self) -> None:
        self.n = self.n_expected = self.top1 = self.top3 = self.n_none = self.abstain = 0
        self.false_confident = self.answered_right = self.baseline_top1 = 0
        self.rr = 0.0

    def add(self, question: Question, result: SearchResult, baseline: str | None) -> None:
        ids = [hit.article_id for hit in result.hits]
        self.n += 1
        answered = result.decision == "answer"
        if answered and (question.expected is None or not ids or ids[0] != question.expected):
            self.false_confident += 1
        if question.expected is None:
            self.n_none += 1
            self.abstain += not answered
            return
        self.n_expected += 1
        self.top1 += bool(ids) and ids[0] == question.expected
        self.top3 += question.expected in ids[:3]
        self.rr += 1.0 / (ids.index(question.expected) + 1) if question.expected in ids else 0.0
        self.answered_right += answered and ids[0] == question.expected
        self.baseline_top1 += baseline == question.expected

    def summary(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "top1": _share(self.top1, self.n_expected),
            "top3": _share(self.top3, self.n_expected),
            "abstain": _share(self.abstain, self.n_none),
            "false_confident": _share(self.false_confident, self.n),
        }


def evaluate(content_dir: Path, questions_file: Path) -> dict[str, Any]:
    """Run every question through a fresh index of `content_dir`; the metrics as a JSON-ready dict."""
    content = load_content(Path(content_dir))
    published = content.published()
    questions = load_questions(Path(questions_file), {a.id for a in published})
    index = SearchIndex.build(published, content.synonyms)
    baseline = _Baseline(published)
    total = _Tally()
    by_kind: dict[str, _Tally] = defaultdict(_Tally)
    latencies: list[float] = []
    for question in questions:
        started = time.perf_counter()
        result = index.search(question.q, lang=question.lang, limit=3)
        latencies.append((time.perf_counter() - started) * 1000.0)
        guess = baseline.top(question.q) if question.expected is not None else None
        total.add(question, result, guess)
        if question.kind is not None:
            by_kind[question.kind].add(question, result, guess)
    report: dict[str, Any] = {
        "n": total.n,
        "top1": _share(total.top1, total.n_expected),
        "top3": _share(total.top3, total.n_expected),
        "mrr": round(total.rr / total.n_expected, 4) if total.n_expected else None,
        "abstain": _share(total.abstain, total.n_none),
        "false_confident": _share(total.false_confident, total.n),
        "answered": _share(total.answered_right, total.n_expected),
        "p50_ms": round(_percentile(latencies, 0.50), 3),
        "p99_ms": round(_percentile(latencies, 0.99), 3),
        "baseline_top1": _share(total.baseline_top1, total.n_expected),
        "articles": index.size,
    }
    if by_kind:
        report["by_kind"] = {kind: tally.summary() for kind, tally in sorted(by_kind.items())}
    return report


def main(argv: list[str] | None = None) -> int:
    """CLI: `ughi kb eval --content DIR --questions FILE.jsonl`; the last printed line is the JSON report."""
    parser = argparse.ArgumentParser(prog="ughi kb eval", description="Evaluate knowledge-base search.")
    parser.add_argument("--content", type=Path, required=True, help="content directory (<topic>/<id>.yaml files)")
    parser.add_argument("--questions", type=Path, required=True, help="JSONL: {q, lang, expected, kind?} per line")
    args = parser.parse_args(argv)
    try:
        report = evaluate(args.content, args.questions)
    except (EvalInputError, ContentError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _print_table(report)
    print(json.dumps(report, ensure_ascii=False))
    return 0


def _print_table(report: dict[str, Any]) -> None:
    kinds: dict[str, dict[str, Any]] = report.get("by_kind", {})
    if not kinds:
        return
    columns = ("top1", "top3", "abstain", "false_confident")
    print(f"{'kind':<14}{'n':>5}" + "".join(f"{c:>16}" for c in columns))
    for kind, row in kinds.items():
        cells = ["-" if row[c] is None else str(row[c]) for c in columns]
        print(f"{kind:<14}{row['n']:>5}" + "".join(f"{c:>16}" for c in cells))


if __name__ == "__main__":
    raise SystemExit(main())
