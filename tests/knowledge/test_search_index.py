"""SearchIndex: ranking across scripts and transliterations, the decision, drafts, synonyms, threads."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from knowledge.articles import Article, ContentSet, Translation, load_content, write_content
from knowledge.search import Hit, SearchIndex, SearchResult
from knowledge.search.rank import Candidate, decide


def _article(
    art_id: str, topic: str, texts: dict[str, tuple[str, list[str], str]], status: str = "published"
) -> Article:
    translations = {
        lang: Translation(lang=lang, title=title, body=body, questions=tuple(questions))
        for lang, (title, questions, body) in texts.items()
    }
    return Article(id=art_id, topic=topic, translations=translations, status=status)


PASSPORT = _article(
    "passport-abroad",
    "documents",
    {
        "hy": (
            "Անձնագրի փոխարինումը արտերկրում",
            ["Ինչպե՞ս փոխել անձնագիրը դեսպանատանը"],
            "Նոր անձնագիր կարող եք ստանալ դեսպանությունում կամ հյուպատոսությունում։",
        ),
        "ru": (
            "Замена паспорта за границей",
            ["Как поменять паспорт в посольстве?"],
            "Новый паспорт можно оформить в посольстве или консульстве.",
        ),
        "en": (
            "Renewing your passport abroad",
            ["How do I renew my passport at the embassy?"],
            "You can get a new passport at the embassy or consulate.",
        ),
    },
)
PENSION = _article(
    "pension-abroad",
    "money",
    {
        "hy": (
            "Արտերկրում վաստակած կենսաթոշակ",
            ["Կստանա՞մ կենսաթոշակ Ռուսաստանում աշխատած տարիների համար"],
            "Կենսաթոշակի համար աշխատանքային ստաժը հաշվվում է միջպետական համաձայնագրերով։",
        ),
        "ru": (
            "Пенсия за работу за границей",
            ["Засчитают ли стаж в России для пенсии?"],
            "Пенсионный стаж за границей учитывается по договорам между странами.",
        ),
        "en": (
            "Pensions earned abroad",
            ["Will my years of work in Russia count for my pension?"],
            "Years worked abroad can count through social security agreements.",
        ),
    },
)
BANK = _article(
    "bank-account",
    "money",
    {
        "hy": ("Բանկային հաշվի բացում", ["Ինչպե՞ս բացել հաշիվ բանկում"], "Հաշիվ բացելու համար անհրաժեշտ է անձնագիր։"),
        "ru": ("Открытие банковского счёта", ["Как открыть счёт в банке?"], "Для открытия счёта нужен паспорт."),
        "en": ("Opening a bank account", ["How do I open a bank account?"], "To open an account you need an ID."),
    },
)
SCHOOL = _article(
    "school-enrolment",
    "social",
    {
        "hy": (
            "Երեխայի ընդունելությունը դպրոց",
            ["Ինչպե՞ս երեխային դպրոց տանել"],
            "Դպրոց ընդունվելու համար դիմեք դպրոցի տնօրենին։",
        ),
        "ru": (
            "Запись ребёнка в школу",
            ["Как записать ребёнка в школу?"],
            "Для записи в школу обратитесь к директору.",
        ),
        "en": (
            "Enrolling a child in school",
            ["How do I enrol my child in school?"],
            "Ask the school director to enrol.",
        ),
    },
)
SECRET = _article(
    "secret-draft",
    "documents",
    {
        "en": ("Unpublished zebra xylophone guide", ["Where is the zebra xylophone?"], "Zebra xylophone draft text."),
    },
    status="draft",
)
ARTICLES = [PASSPORT, PENSION, BANK, SCHOOL, SECRET]


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex.build(ARTICLES)


def _top(result: SearchResult) -> str | None:
    return result.hits[0].article_id if result.hits else None


def test_build_skips_drafts(index: SearchIndex) -> None:
    assert index.size == 4
    result = index.search("zebra xylophone guide")
    assert "secret-draft" not in [h.article_id for h in result.hits]
    assert result.decision != "answer"


@pytest.mark.parametrize(
    ("query", "expected", "lang"),
    [
        ("Как поменять паспорт в посольстве?", "passport-abroad", "ru"),
        ("renew passport at the embassy", "passport-abroad", "en"),
        ("Ինչպե՞ս փոխել անձնագիրը", "passport-abroad", "hy"),
        ("inchpes poxel andznagir@ despanatan@", "passport-abroad", "hy"),
        ("kak pomenyat pasport v posolstve", "passport-abroad", "ru"),
        ("kensatoshak rusastanum ashxatac tarineri hamar", "pension-abroad", "hy"),
        ("pensiya za rabotu za granicey", "pension-abroad", "ru"),
        ("как открыть счёт в банке", "bank-account", "ru"),
        ("how to open a bank acount", "bank-account", "en"),
        ("erexayin dproc tanel", "school-enrolment", "hy"),
    ],
)
def test_finds_the_article_in_any_script(index: SearchIndex, query: str, expected: str, lang: str) -> None:
    result = index.search(query)
    assert _top(result) == expected, result
    assert result.hits[0].lang == lang
    assert result.query_lang == lang


def test_mixed_language_query(index: SearchIndex) -> None:
    assert _top(index.search("բանկում account бацел как открыть")) == "bank-account"


@pytest.mark.parametrize(
    "query", ["asdkjh qwpoe zxmnv", "ըըը ֆֆֆ", "ывапр олдж", "hello", "привет, спасибо", "բարև", "", "?!"]
)
def test_gibberish_and_greetings_get_no_answer(index: SearchIndex, query: str) -> None:
    result = index.search(query)
    assert result.decision == "none"


def test_out_of_scope_is_never_answered(index: SearchIndex) -> None:
    for query in ("weather in Yerevan tomorrow", "who won the football match", "рецепт борща"):
        assert index.search(query).decision != "answer"


def test_clear_question_is_answered(index: SearchIndex) -> None:
    result = index.search("How do I open a bank account?")
    assert result.decision == "answer"
    assert result.hits == [result.hits[0], *result.hits[1:]]
    assert all(isinstance(h, Hit) for h in result.hits)


def test_hits_are_ranked_and_limited(index: SearchIndex) -> None:
    result = index.search("passport pension bank school", limit=2)
    assert len(result.hits) == 2
    assert result.hits[0].score >= result.hits[1].score
    assert index.search("passport", limit=0).hits == []


def test_lang_hint_does_not_break_other_scripts(index: SearchIndex) -> None:
    assert _top(index.search("Замена паспорта", lang="hy")) == "passport-abroad"


def test_synonyms_find_articles_by_another_word() -> None:
    plain = SearchIndex.build(ARTICLES)
    with_synonyms = SearchIndex.build(ARTICLES, {"ru": [["паспорт", "загранпаспорт", "ксива"]]})
    assert _top(plain.search("ксива")) is None
    assert _top(with_synonyms.search("ксива")) == "passport-abroad"


def test_content_without_synonyms_file(tmp_path: Path) -> None:
    write_content(ContentSet(articles=ARTICLES), tmp_path)
    content = load_content(tmp_path)
    assert content.synonyms == {}
    assert SearchIndex.build(content.articles, content.synonyms).size == 4


def test_empty_index() -> None:
    result = SearchIndex.build([]).search("passport")
    assert result.decision == "none" and result.hits == []


def test_concurrent_searches_agree(index: SearchIndex) -> None:
    queries = ["Как поменять паспорт?", "kensatoshak", "open bank account", "dproc", "gibberish qqq"] * 40
    expected = [index.search(q) for q in queries]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(index.search, queries))
    assert got == expected


def test_build_of_a_thousand_articles_is_quick() -> None:
    clones = [
        Article(id=f"{a.id}-{n}", topic=a.topic, translations=a.translations) for n in range(250) for a in ARTICLES[:4]
    ]
    started = time.perf_counter()
    index = SearchIndex.build(clones)
    assert index.size == 1000
    assert time.perf_counter() - started < 10.0


def _candidate(article: int, score: float, coverage: float, fuzzy: float = 0.9) -> Candidate:
    return Candidate(article=article, score=score, coverage=coverage, fuzzy=fuzzy, lang="en")


@pytest.mark.parametrize(
    ("candidates", "decision"),
    [
        ([], "none"),
        ([_candidate(0, 1.0, 0.2)], "none"),  # explains too little of the query
        ([_candidate(0, 1.0, 1.0), _candidate(1, 0.97, 1.0)], "choices"),  # a near tie
        ([_candidate(0, 1.0, 0.55), _candidate(1, 0.3, 0.2)], "choices"),  # clear leader, half explained
        ([_candidate(0, 1.0, 0.7, fuzzy=0.3), _candidate(1, 0.8, 0.5)], "choices"),  # weak on every count
        ([_candidate(0, 1.5, 0.95), _candidate(1, 0.6, 0.4)], "answer"),
        ([_candidate(0, 1.5, 0.95)], "answer"),
    ],
)
def test_decision(candidates: list[Candidate], decision: str) -> None:
    assert decide(candidates) == decision
