"""Markdown-lite to Telegram HTML: what is marked up, what is escaped, and how long replies are split."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bot.channels.render import (
    CACHED_TEXT_LIMIT,
    CACHED_TEXTS,
    _remembered_html_chunks,
    escape_md,
    html_chunks,
    rendered_text,
    split_message,
    to_html,
    utf16_len,
)
from tests.fakes.telegram_html import message_text, parse_html

# Pieces that stress the renderer: markup characters, HTML specials, links, scripts, wide and invisible characters.
TOKENS = [
    "*",
    "**",
    "_",
    "[",
    "]",
    "(",
    ")",
    "\\",
    "- ",
    "\n",
    "\n\n",
    " ",
    "<",
    ">",
    "&",
    '"',
    "'",
    "a",
    "b",
    "word",
    "snake_case",
    "https://mrc.am/a?b=1&c=2",
    "javascript:alert(1)",
    "tg://resolve?domain=x",
    "<b>",
    "</i>",
    "&amp;",
    "ա",
    "Բարև",
    "ё",
    "😀",
    "👍🏽",
    "\u200b",
    "\u200f",
    "\u202e",
    "\t",
    "\x00",
    "\x1b",
    "\ud800",
    "\r\n",
]
hostile = st.lists(st.sampled_from(TOKENS), max_size=80).map("".join)
anything = st.one_of(hostile, st.text(max_size=300))
PROPERTY = hypothesis_settings(max_examples=400, deadline=None, database=None)


@pytest.mark.parametrize(
    ("source", "html"),
    [
        ("**Passport** renewal", "<b>Passport</b> renewal"),
        ("_in two weeks_", "<i>in two weeks</i>"),
        ("**bold _and italic_**", "<b>bold <i>and italic</i></b>"),
        ("[MRC](https://mrc.am/?a=1&b=2)", '<a href="https://mrc.am/?a=1&amp;b=2">MRC</a>'),
        ("- first\n  - second", "• first\n  • second"),
        ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("file_name_here", "file_name_here"),
        ("2 ** 3 ** 4", "2 ** 3 ** 4"),
        ("**not closed", "**not closed"),
        ("[js](javascript:alert(1))", "[js](javascript:alert(1))"),
        ("[rel](/relative/path)", "[rel](/relative/path)"),
        ('[q](https://x.am/"onclick=)', '<a href="https://x.am/&quot;onclick=">q</a>'),
        ("\\*\\*literal\\*\\*", "**literal**"),
        ("**bold\nacross lines**", "**bold\nacross lines**"),
    ],
)
def test_markup(source: str, html: str) -> None:
    assert to_html(source) == html


def test_links_only_to_the_web_and_telegram() -> None:
    for url in ("https://mrc.am", "http://mrc.am", "tg://resolve?domain=ughi_bot"):
        assert to_html(f"[x]({url})").startswith("<a href=")
    for url in ("javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "mailto:a@b.c", "https:///x"):
        assert "<a" not in to_html(f"[x]({url})")


@given(anything)
@PROPERTY
def test_any_text_renders_to_html_telegram_accepts(source: str) -> None:
    plain, _ = parse_html(to_html(source))
    assert plain == rendered_text(source)
    assert utf16_len(plain) <= utf16_len(source)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=300))
@PROPERTY
def test_escaped_user_text_shows_exactly_as_typed(typed: str) -> None:
    expected = re.sub(r"^(\s*)- ", r"\1• ", typed, flags=re.MULTILINE)
    assert rendered_text(escape_md(typed)) == expected
    assert "<" not in to_html(escape_md(typed)).replace("<", "")


@given(anything, st.integers(min_value=2, max_value=300))
@PROPERTY
def test_every_chunk_fits_and_is_valid(source: str, limit: int) -> None:
    for chunk in split_message(source, limit):
        plain, _ = parse_html(to_html(chunk))
        assert plain.strip() and utf16_len(plain) <= limit


@given(
    st.lists(st.sampled_from(["word", "слово", "բառ", "😀", "**b**", "x" * 40, " ", "\n", "\n\n"]), max_size=200).map(
        "".join
    ),
    st.integers(min_value=45, max_value=500),
)
@PROPERTY
def test_splitting_loses_nothing(source: str, limit: int) -> None:
    chunks = split_message(source, limit)
    assert "".join(source.split()) == "".join("".join(chunk.split()) for chunk in chunks)


def test_splits_at_paragraphs_then_lines_then_words() -> None:
    para = ("A" * 99 + "\n") * 20  # 2000 characters in 20 lines
    chunks = split_message(f"{para}\n{para}\n{para}", 4096)
    assert [len(c) for c in chunks] == [len(para.strip()) * 2 + 2, len(para.strip())]
    lines = split_message("x" * 30 + "\n" + "y" * 30, 40)
    assert lines == ["x" * 30, "y" * 30]
    words = split_message("one two three four", 9)
    assert words == ["one two", "three", "four"]
    assert split_message("z" * 10, 4) == ["zzzz", "zzzz", "zz"]


def test_a_full_telegram_message_after_splitting() -> None:
    article = "\n\n".join(f"**Step {i}.** " + "Պետք է դիմել հյուպատոսություն։ " * 40 for i in range(12))
    chunks = split_message(article)
    assert len(chunks) > 1
    for chunk in chunks:
        text, entities = message_text(to_html(chunk), "HTML")
        assert utf16_len(text) <= 4096 and entities[0]["type"] == "bold"


def test_nothing_to_send() -> None:
    assert split_message("") == [] and split_message(" \n\n \x00 ") == []


def test_hostile_input_stays_fast() -> None:
    """Unclosed markers on a long line must not make rendering quadratic."""
    for source in ("_a " * 20_000, "**a " * 20_000, "[a](" * 20_000, "\\" * 50_000):
        assert len(to_html(source)) >= len(source) // 2


@given(anything)
@PROPERTY
def test_html_chunks_are_the_rendered_split(source: str) -> None:
    expected = tuple(to_html(chunk) for chunk in split_message(source))
    assert html_chunks(source) == expected
    assert html_chunks(source) == expected  # the remembered rendering is the same


def test_long_texts_are_rendered_without_being_remembered() -> None:
    article = "\n\n".join(f"**Step {i}.** " + "Պետք է դիմել հյուպատոսություն։ " * 40 for i in range(12))
    assert len(article) > CACHED_TEXT_LIMIT
    remembered = _remembered_html_chunks.cache_info().currsize
    assert html_chunks(article) == tuple(to_html(chunk) for chunk in split_message(article))
    assert _remembered_html_chunks.cache_info().currsize == remembered
    for i in range(CACHED_TEXTS + 10):
        html_chunks(f"reply {i}")
    assert _remembered_html_chunks.cache_info().currsize == CACHED_TEXTS
