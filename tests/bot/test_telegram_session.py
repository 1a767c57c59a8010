"""The Bot API connection sends JSON bodies: what arrives is what aiogram's form would have said, and Telegram's
answers (results and errors) come back as aiogram's."""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram_plain import PlainAnswerCallbackQuery, PlainEditMessageText, PlainSendMessage
from bot.channels.telegram_session import JsonSession, make_bot
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.faults import blocked, too_many_requests

MARKUP = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Ինչ-որ բան 👋", callback_data="art:passport")]]
)


async def test_a_message_with_buttons_and_html_arrives_as_sent() -> None:
    async with FakeBotAPI() as api:
        api.user(42, language_code="hy")
        bot = make_bot(api.token, api.base_url + "/")
        try:
            assert isinstance(bot.session, JsonSession)
            sent = await bot(
                SendMessage(chat_id=42, text="<b>Բարև</b> &amp; 'hi'", parse_mode="HTML", reply_markup=MARKUP)
            )
            assert api.outgoing[-1].text == "Բարև & 'hi'" and api.outgoing[-1].entities[0]["type"] == "bold"
            edited = await bot(
                EditMessageText(chat_id=42, message_id=sent.message_id, text="changed", reply_markup=MARKUP)
            )
        finally:
            await bot.session.close()
    message = api.outgoing[-1]
    assert sent.chat.id == 42 and message.message_id == sent.message_id
    assert message.history[0] == "Բարև & 'hi'"
    assert message.text == "changed" and not isinstance(edited, bool)
    assert message.buttons == [{"text": "Ինչ-որ բան 👋", "callback_data": "art:passport"}]


async def test_telegrams_refusals_are_aiograms_errors() -> None:
    async with FakeBotAPI() as api:
        api.user(7)
        bot = make_bot(api.token, api.base_url)
        try:
            with pytest.raises(TelegramBadRequest):
                await bot(SendMessage(chat_id=7, text="<b>unclosed", parse_mode="HTML"))
            api.inject("sendMessage", too_many_requests(3))
            with pytest.raises(TelegramRetryAfter) as waited:
                await bot(SendMessage(chat_id=7, text="hello"))
            assert waited.value.retry_after == 3
            api.inject("sendMessage", blocked())
            with pytest.raises(TelegramForbiddenError):
                await bot(SendMessage(chat_id=7, text="hello"))
        finally:
            await bot.session.close()


async def test_the_reply_paths_plain_calls_arrive_as_sent_and_fail_as_aiograms_errors() -> None:
    """sendMessage, editMessageText and answerCallbackQuery with JSON fields: Telegram gets the same message, keyboard
    and all, the answer comes back as Telegram's JSON, and refusals are aiogram's exceptions as for other calls."""
    keyboard = {"inline_keyboard": [[{"text": "Ինչ-որ բան 👋", "callback_data": "art:passport"}]]}
    async with FakeBotAPI() as api:
        user = api.user(42, language_code="hy")
        bot = make_bot(api.token, api.base_url)
        try:
            sent = await bot(PlainSendMessage(chat_id=42, text="<b>Բարև</b> &amp; 'hi'", reply_markup=keyboard))
            assert sent["chat"]["id"] == 42 and sent["reply_markup"] == keyboard
            press = await api.press(user, sent["message_id"], "art:passport")
            assert await bot(PlainAnswerCallbackQuery(callback_query_id=press["callback_query"]["id"])) is True
            edited = await bot(PlainEditMessageText(chat_id=42, message_id=sent["message_id"], text="<i>changed</i>"))
            with pytest.raises(TelegramBadRequest):
                await bot(PlainSendMessage(chat_id=42, text="<b>unclosed"))
            api.inject("sendMessage", blocked())
            with pytest.raises(TelegramForbiddenError):
                await bot(PlainSendMessage(chat_id=42, text="hello"))
        finally:
            await bot.session.close()
    message = api.outgoing[0]
    assert message.history[0] == "Բարև & 'hi'" and message.text == "changed" and edited["text"] == "changed"
    assert message.entities[0]["type"] == "italic" and message.reply_markup is None
    [call] = api.calls_of("sendMessage")[:1]
    assert call.params == {
        "chat_id": 42,
        "text": "<b>Բարև</b> &amp; 'hi'",
        "parse_mode": "HTML",
        "reply_markup": keyboard,
    }
