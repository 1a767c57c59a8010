"""`ughi kb eval`: the report's keys and figures, and clear errors for bad question lines."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from knowledge.articles import Article, ContentSet, Topic, Translation, write_content
from knowledge.evaluation import evaluate, main

ROOT = Path(__file__).resolve().parents[2]


def _article(art_id: str, title: str, question: str, body: str, status: str = "published") -> Article:
    tr = Translation(lang="en", title=title, body=body, questions=(question,))
    return Article(id=art_id, topic="docs", translations={"en": tr}, status=status)


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    articles = [
        _article("passport", "Renewing a passport abroad", "How do I renew my passport?", "Go to the consulate."),
        _article("bank", "Opening a bank account", "How do I open a bank account?", "Bring your ID to a bank."),
        _article("school", "Enrolling a child in school", "How do I enrol my child?", "Ask the school director."),
        _article("hidden", "Draft about zebras", "Where are the zebras?", "Zebras.", status="draft"),
    ]
    root = tmp_path / "content"
    write_content(ContentSet(topics=[Topic(id="docs", title={"en": "Docs"})], articles=articles), root)
    return root


def _write(path: Path, rows: Sequence[object]) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


QUESTIONS: list[dict[str, Any]] = [
    {"q": "renew my passport", "lang": "en", "expected": "passport", "kind": "plain_en"},
    {"q": "open a bank acount", "lang": None, "expected": "bank", "kind": "typo"},
    {"q": "enrol child in school", "lang": "en", "expected": "school", "kind": "plain_en"},
    {"q": "what's the weather tomorrow", "lang": "en", "expected": None, "kind": "out_of_scope"},
    {"q": "hello", "lang": None, "expected": None, "kind": "out_of_scope"},
]
KEYS = {"n", "top1", "top3", "mrr", "abstain", "false_confident", "p50_ms", "p99_ms", "baseline_top1", "by_kind"}


def test_report_keys_and_figures(content_dir: Path, tmp_path: Path) -> None:
    report = evaluate(content_dir, _write(tmp_path / "q.jsonl", QUESTIONS))
    assert set(report) >= KEYS
    assert report["n"] == 5
    assert report["top1"] == 1.0 and report["top3"] == 1.0 and report["mrr"] == 1.0
    assert report["abstain"] == 1.0
    assert report["false_confident"] == 0.0
    assert 0.0 <= report["baseline_top1"] <= 1.0
    assert 0.0 < report["p50_ms"] <= report["p99_ms"]
    assert set(report["by_kind"]) == {"plain_en", "typo", "out_of_scope"}
    assert report["by_kind"]["plain_en"] == {"n": 2, "top1": 1.0, "top3": 1.0, "abstain": None, "false_confident": 0.0}


def test_no_by_kind_without_kinds(content_dir: Path, tmp_path: Path) -> None:
    rows = [{k: v for k, v in q.items() if k != "kind"} for q in QUESTIONS]
    assert "by_kind" not in evaluate(content_dir, _write(tmp_path / "q.jsonl", rows))


def test_main_prints_json_as_last_line(content_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    questions = _write(tmp_path / "q.jsonl", QUESTIONS)
    assert main(["--content", str(content_dir), "--questions", str(questions)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert set(json.loads(last)) >= KEYS


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["a list"]', "JSON object"),
        ('{"q": "", "lang": "en", "expected": null}', '"q"'),
        ('{"q": "hi", "lang": "fr", "expected": null}', '"lang"'),
        ('{"q": "hi", "lang": "en", "expected": 5}', '"expected"'),
        ('{"q": "hi", "lang": "en", "expected": "hidden"}', "not a published article"),
    ],
)
def test_bad_line_is_named_and_exits_2(
    content_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str, message: str
) -> None:
    questions = _write(tmp_path / "q.jsonl", [QUESTIONS[0], "", bad])
    assert main(["--content", str(content_dir), "--questions", str(questions)]) == 2
    err = capsys.readouterr().err
    assert "line 3" in err and message in err


def test_missing_questions_file_exits_2(content_dir: Path, tmp_path: Path) -> None:
    assert main(["--content", str(content_dir), "--questions", str(tmp_path / "nope.jsonl")]) == 2


def test_runs_as_a_module(content_dir: Path, tmp_path: Path) -> None:
    questions = _write(tmp_path / "q.jsonl", QUESTIONS)
    done = subprocess.run(
        [sys.executable, "-m", "knowledge.evaluation", "--content", str(content_dir), "--questions", str(questions)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["n"] == 5
