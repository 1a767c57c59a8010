"""The shipped knowledge base: complete, in three languages, and free of invented contact details."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge.articles import SHIPPED_CONTENT, ContentError, load_content, write_content

PHONE = re.compile(r"(?<![\w/.-])\+?\d[\d\s()-]{6,}\d(?![\w/])")
URL = re.compile(r"https?://[^\s)\]]+")
KNOWN_PORTALS = ("e-gov.am", "mfa.am", "e-register.am", "petekamutner.am", "src.am", "gov.am", "cba.am")


def test_at_least_60_published_articles_over_8_topics_in_three_languages() -> None:
    content = load_content()
    published = content.published()
    assert len(published) >= 60
    assert len({a.topic for a in published}) >= 8
    for article in published:
        assert {"hy", "ru", "en"} <= set(article.translations), article.id
        for tr in article.translations.values():
            assert len(tr.questions) >= 2, (article.id, tr.lang)


def test_no_phone_numbers_and_only_known_official_sites() -> None:
    for path in SHIPPED_CONTENT.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert not PHONE.search(text), f"{path}: looks like a phone number: {PHONE.search(text)}"
        for url in URL.findall(text):
            assert any(portal in url for portal in KNOWN_PORTALS), f"{path}: unexpected link {url}"


def test_armenian_text_is_in_armenian_script() -> None:
    for article in load_content().published():
        hy = article.translations["hy"]
        letters = [c for c in hy.title + hy.body if c.isalpha()]
        armenian = [c for c in letters if "\u0531" <= c <= "\u0587"]
        assert len(armenian) > 0.7 * len(letters), article.id


def test_export_then_load_gives_the_same_content(tmp_path: Path) -> None:
    content = load_content()
    write_content(content, tmp_path)
    again = load_content(tmp_path)
    assert [t.id for t in again.topics] == [t.id for t in content.topics]
    assert {a.id: a for a in again.articles} == {a.id: a for a in content.articles}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("id: Bad Id\ntopic: documents\ntranslations: {en: {title: t, body: b}}", "id"),
        ("id: ok\ntopic: documents\nstatus: live\ntranslations: {en: {title: t, body: b}}", "status"),
        ("id: ok\ntopic: documents\ntranslations: {en: {title: t}}", "title and body"),
        ("id: ok\ntopic: nowhere\ntranslations: {en: {title: t, body: b}}", "topics.yaml"),
        ("id: ok\ntopic: documents\ntranslations: [1, 2]", "translations"),
        ("id: [unclosed", "not valid YAML"),
    ],
)
def test_malformed_files_are_named_in_the_error(tmp_path: Path, body: str, message: str) -> None:
    (tmp_path / "topics.yaml").write_text("- id: documents\n  title: {en: Documents}\n", encoding="utf-8")
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "ok.yaml").write_text(body, encoding="utf-8")
    with pytest.raises(ContentError, match=message) as err:
        load_content(tmp_path)
    assert "ok.yaml" in str(err.value)
