"""Whatever a person types, where Ughi echoes it Telegram accepts the HTML and shows the text as it was typed.

Echoes: a person's message relayed to the counsellors' thread, a counsellor's message relayed to the person, an
answer in an intake's summary ("- label: answer", and "Your answer so far"), the quoted question Ughi could
not answer (a short excerpt), and the key answers on a request's card in the counsellors' chat. Each goes through
escape_md (or quote), split_message and to_html, or html.escape for the card, and then through Telegram's own
HTML parsing (tests/fakes/telegram_html.py). The real screens are driven end to end in
tests/e2e/test_echo_escaping.py.
"""

from __future__ import annotations

from typing import Any

from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bot.channels.render import split_message, to_html
from bot.channels.telegram_staff_cards import VALUE_LIMIT, card_html, relayed_to_person, relayed_to_staff
from bot.engine.markup import escape_md, quote
from bot.i18n import gettext_for
from leads.models import Lead
from tests.fakes.telegram_html import message_text
from tests.typed_text import assert_quotes, shown, squeezed, typed_texts

PROPERTY = hypothesis_settings(max_examples=200, deadline=None, database=None)
LANGS = st.sampled_from(("hy", "ru", "en"))


def telegram_shows(html_chunks: list[str]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Text and entities of each message as Telegram stores it; an AssertionError for any it refuses."""
    shown_messages = []
    for html in html_chunks:
        try:
            shown_messages.append(message_text(html, "HTML"))
        except ValueError as refusal:
            raise AssertionError(f"Telegram refuses {html[:200]!r}: {refusal}") from None
    return shown_messages


def assert_shows_in_order(pieces: list[str], expected: str) -> None:
    """The messages are `expected` cut at whitespace: each one is the next stretch of it, in order."""
    at = 0
    for piece in pieces:
        found = expected.find(piece, at)
        assert found >= 0, f"{piece[:80]!r}… is not the next part of {expected[at : at + 80]!r}…"
        assert not expected[at:found].strip(), f"skipped {expected[at:found][:80]!r}"
        at = found + len(piece)
    assert not expected[at:].strip(), f"not shown: {expected[at : at + 80]!r}"
    assert squeezed("".join(pieces)) == squeezed(expected)


def rendered(markdown: str) -> list[tuple[str, list[dict[str, Any]]]]:
    return telegram_shows([to_html(chunk) for chunk in split_message(markdown)])


@given(typed_texts())
@example("\\" * 4096)  # fails: render._cut carries an escaped backslash's second half to the next message
@example("w" * 4092 + " - x")  # fails: the second message starts with "- x", which then shows as "• x"
@PROPERTY
def test_a_message_relayed_to_the_counsellors_shows_as_typed(typed: str) -> None:
    messages = telegram_shows(relayed_to_staff(typed))
    assert all(entities == [] for _, entities in messages), "nothing typed turns into formatting"
    assert_shows_in_order([text for text, _ in messages], shown(("💬 " + typed).strip()).strip())


@given(typed_texts(), LANGS)
@example("\\" * 4096, "en")  # fails as above
@example("*" * 2048 + " - x", "ru")  # fails as above
@PROPERTY
def test_a_counsellors_message_shows_to_the_person_as_typed(typed: str, lang: str) -> None:
    messages = telegram_shows(relayed_to_person(typed, lang))
    header = "🧑‍💼 " + gettext_for(lang)("Counsellor")
    first, entities = messages[0]
    assert first.startswith(header)
    assert [e["type"] for e in entities] == ["bold"] and entities[0]["length"] < len(header) + 2
    assert all(entities == [] for _, entities in messages[1:])
    assert_shows_in_order([text for text, _ in messages], shown((header + "\n" + typed).strip()).strip())


@given(typed_texts(max_size=600), st.sampled_from(["Field", "Ոլորտ", "Кем **вы** работали?"]))
@PROPERTY
def test_an_answer_in_a_summary_shows_as_typed(typed: str, label: str) -> None:
    answer = typed.strip()
    summary = f"**Summary**\n\nPlease check:\n\n- {escape_md(label)}: {escape_md(answer)}\n- Other: —"
    messages = rendered(summary)
    assert_shows_in_order(
        [text for text, _ in messages], shown(f"Summary\n\nPlease check:\n\n- {label}: {answer}\n- Other: —")
    )
    for text, entities in messages:
        assert all(e["type"] == "bold" and text[e["offset"] : e["offset"] + e["length"]] == "Summary" for e in entities)


@given(typed_texts(max_size=1000), LANGS)
@PROPERTY
def test_an_unanswered_question_is_quoted_as_typed(typed: str, lang: str) -> None:
    template = gettext_for(lang)(
        "Sorry, I don't know the answer to “{question}” yet. I have noted your question for our team. "
        "You can rephrase it, browse the topics, or talk to a counsellor."
    )
    before, after = template.split("{question}")
    [(text, entities)] = rendered(template.format(question=quote(typed)))
    assert entities == []
    assert text.startswith(before) and text.endswith(after)
    assert_quotes(text[len(before) : len(text) - len(after)], typed)


@given(typed_texts(max_size=700), LANGS)
@PROPERTY
def test_an_answer_on_a_request_card_shows_as_typed(typed: str, lang: str) -> None:
    lead = Lead(
        id=7,
        contact_id=3,
        source="intake:business_idea",
        flow_id="business_idea",
        language="hy",
        region="shirak",
        topic="business",
        reason="has a business idea",
        centre_id=None,
        score=3.0,
        summary={"Region": "Shirak", "Idea": typed},
        status="new",
        due_at=None,
    )
    [(text, _entities)] = telegram_shows([card_html(lead, lang=lang)])
    value = typed if len(typed) <= VALUE_LIMIT else typed[: VALUE_LIMIT - 1] + "…"
    assert text.endswith(f"• Idea: {value}".rstrip()), f"{value!r} not at the end of the card {text[-400:]!r}"
