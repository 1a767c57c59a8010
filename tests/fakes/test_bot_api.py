"""The fake Bot API itself, driven by a plain aiogram Bot: it accepts what Telegram accepts and refuses the rest."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from tests.fakes.bot_api import FakeBotAPI, html_error, parse_html

USER = 5001


def inline(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[b] for b in buttons])


async def test_get_me_and_valid_html(api: FakeBotAPI, bot: Bot) -> None:
    api.user(USER)
    me = await bot.get_me()
    assert me.username == "ughi_test_bot"
    html = '<b>Բարև</b> &amp; <i>hi</i> <a href="https://mrc.am/?a=1&amp;b=2">site</a> 3 &lt; 4 &#x27;x&#39; >'
    message = await bot.send_message(
        USER,
        html,
        parse_mode="HTML",
        reply_markup=inline(
            InlineKeyboardButton(text="Menu", callback_data="menu"),
            InlineKeyboardButton(text="Site", url="https://mrc.am"),
        ),
    )
    assert message.text == "Բարև & hi site 3 < 4 'x' >"
    assert [e.type for e in message.entities or []] == ["bold", "italic", "text_link"]
    assert message.entities and message.entities[2].url == "https://mrc.am/?a=1&b=2"
    [sent] = await api.wait_for_messages(USER, 1)
    assert sent.parse_mode == "HTML" and sent.callback_data == ["menu"]
    assert api.rejected == []


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<script>alert(1)</script>", 'Unsupported start tag "script" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("Tom & Jerry", "Character '&' must be escaped as &amp; at byte offset 4"),
        ("</b>", "Unexpected end tag at byte offset 0"),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("<a>link</a>", 'Tag "a" must have attribute "href"'),
        ("<b", "Unclosed start tag at byte offset 0"),
    ],
)
async def test_malformed_html_is_refused(api: FakeBotAPI, bot: Bot, html: str, error: str) -> None:
    api.user(USER)
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(USER, html, parse_mode="HTML")
    assert html_error(html) == f"Bad Request: can't parse entities: {error}"
    assert [r.description for r in api.rejected] == [f"Bad Request: can't parse entities: {error}"]
    assert api.messages(USER) == []


def test_every_telegram_tag_parses() -> None:
    text, entities = parse_html(
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike><del>d</del>"
        '<code>c</code><pre><code class="language-python">p</code></pre><tg-spoiler>t</tg-spoiler>'
        '<span class="tg-spoiler">x</span><blockquote expandable>q</blockquote>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    assert text == "bsieunskdcptxq👍"
    assert {e["type"] for e in entities} >= {
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "code",
        "pre",
        "spoiler",
        "expandable_blockquote",
        "custom_emoji",
    }


async def test_text_length_is_checked_after_parsing(api: FakeBotAPI, bot: Bot) -> None:
    api.user(USER)
    await bot.send_message(USER, "<b>" + "ա" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "😀" * 2049)  # 4098 UTF-16 code units
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(USER, "<b> </b>\n", parse_mode="HTML")
    assert len(api.rejected) == 3


async def test_keyboards_are_checked(api: FakeBotAPI, bot: Bot) -> None:
    api.user(USER)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "x", reply_markup=inline(InlineKeyboardButton(text="a", callback_data="é" * 33)))
    with pytest.raises(TelegramBadRequest, match="Text buttons are unallowed"):
        await bot.send_message(USER, "x", reply_markup=inline(InlineKeyboardButton(text="a")))
    with pytest.raises(TelegramBadRequest, match="can't be used together"):
        await bot.send_message(
            USER, "x", reply_markup=inline(InlineKeyboardButton(text="a", callback_data="a", url="https://mrc.am"))
        )
    many = [InlineKeyboardButton(text=str(i), callback_data=str(i)) for i in range(101)]
    with pytest.raises(TelegramBadRequest, match="reply markup is too long"):
        await bot.send_message(USER, "x", reply_markup=inline(*many))
    assert len(api.rejected) == 4
    keyboard = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="📱 Share", request_contact=True)]], resize_keyboard=True
    )
    await bot.send_message(USER, "x", reply_markup=keyboard)
    [sent] = api.messages(USER)
    assert sent.keyboard == [{"text": "📱 Share", "request_contact": True}]
    assert len(api.rejected) == 4


async def test_edits_and_button_presses(api: FakeBotAPI, bot: Bot) -> None:
    user = api.user(USER)
    first = await bot.send_message(USER, "Menu", reply_markup=inline(InlineKeyboardButton(text="A", callback_data="a")))
    [sent] = api.messages(USER)
    update = await api.press(user, sent, "a")
    query_id = update["callback_query"]["id"]
    assert update["callback_query"]["message"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
    assert await bot.answer_callback_query(query_id)
    with pytest.raises(LookupError):
        await api.press(user, sent, "tampered")
    await bot.edit_message_text("Topic", chat_id=USER, message_id=first.message_id)
    assert sent.text == "Topic" and sent.history == ["Menu"] and sent.reply_markup is None
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("Topic", chat_id=USER, message_id=first.message_id)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id)  # twice: benign, seen after a redelivery
    assert api.rejected == []
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query("12345")
    assert [r.method for r in api.rejected] == ["answerCallbackQuery"]  # a deleted message is no fault


async def test_blocked_user_gives_403_and_my_chat_member(api: FakeBotAPI, bot: Bot) -> None:
    user = api.user(USER)
    update = await api.block(user)
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER, "hello?")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(USER + 1, "nobody")
    assert [r.description for r in api.rejected] == ["Bad Request: chat not found"]


async def test_long_polling_returns_when_an_update_arrives(api: FakeBotAPI, bot: Bot) -> None:
    user = api.user(USER)
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=10, request_timeout=20))
    await api.wait_until(lambda: api.calls_to("getUpdates"))
    sent = await api.send_text(user, "/start")
    [update] = await asyncio.wait_for(poll, 5)
    assert time.monotonic() - started < 5
    assert update.update_id == sent["update_id"] and update.message and update.message.text == "/start"
    assert update.message.entities and update.message.entities[0].type == "bot_command"
    assert len(await bot.get_updates(timeout=0)) == 1  # not confirmed yet: delivered again
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == []
    assert api.pending_updates == [] and api.confirmed == update.update_id + 1


async def test_a_scripted_stream_is_served_as_given_duplicates_and_all_until_confirmed(
    api: FakeBotAPI, bot: Bot
) -> None:
    user = api.user(USER)
    seven, three, five = (
        {"update_id": n, "message": {"message_id": n, "date": 1, "chat": user.chat(), "text": str(n)}}
        for n in (7, 3, 5)
    )
    api.stream([seven, three, seven, five])

    async def ids(offset: int | None = None) -> list[int]:
        return [u.update_id for u in await bot.get_updates(offset=offset, limit=2, timeout=0)]

    assert await ids() == [7, 3]
    assert await ids() == [7, 3]  # not confirmed: served again
    assert await ids(offset=8) == [7, 5]  # 8 confirms the batch whose highest update_id was 7
    assert api.stream_left == 2
    assert await ids(offset=8) == [] and api.stream_left == 0


async def test_long_polling_times_out_empty(api: FakeBotAPI, bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == []
    assert 0.9 < time.monotonic() - started < 3


async def test_second_poller_conflicts_the_first(api: FakeBotAPI, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await api.wait_until(lambda: api.calls_to("getUpdates"))
    second = asyncio.create_task(bot.get_updates(timeout=0))
    with pytest.raises(Exception, match="terminated by other getUpdates"):
        await asyncio.wait_for(first, 5)
    assert await second == []


async def test_commands_webhook_and_unknown_methods(api: FakeBotAPI, bot: Bot) -> None:
    for lang in ("hy", "ru", "en", None):
        await bot.set_my_commands([BotCommand(command="start", description=f"Start {lang}")], language_code=lang)
    assert api.commands[("default", "ru")] == [{"command": "start", "description": "Start ru"}]
    assert (await bot.get_my_commands(scope=BotCommandScopeDefault(), language_code="en"))[0].description == "Start en"
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start Over", description="x")])
    with pytest.raises(TelegramBadRequest, match="HTTPS URL"):
        await bot.set_webhook("http://insecure.example/hook")
    assert await bot.set_webhook("https://ughi.example/telegram/webhook", secret_token="s3cret-token_1")
    assert (await bot.get_webhook_info()).url == "https://ughi.example/telegram/webhook"
    with pytest.raises(Exception, match="webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook()
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{api.base_url}/bot{api.token}/sendSmoke", json={}) as resp:
            assert resp.status == 404 and await resp.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
        async with http.post(f"{api.base_url}/bot1:wrong/getMe") as resp:
            assert resp.status == 401
        api.user(USER)
        async with http.post(
            f"{api.base_url}/bot{api.token}/sendMessage",
            json={"chat_id": USER, "text": "<b>json</b>", "parse_mode": "HTML"},
        ) as resp:
            assert (await resp.json())["result"]["text"] == "json"


async def test_injected_faults(api: FakeBotAPI, bot: Bot) -> None:
    api.user(USER)
    api.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER, "x")
    assert caught.value.retry_after == 3
    api.fail_next("sendMessage", 500)
    with pytest.raises(TelegramServerError):
        await bot.send_message(USER, "x")
    api.drop_next("sendMessage")
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(USER, "x")
    await bot.send_message(USER, "x")
    assert len(api.messages(USER)) == 1 and api.rejected == []


async def test_forum_relay_methods(api: FakeBotAPI, bot: Bot) -> None:
    user = api.user(USER)
    staff = api.group(-1001234, forum=True)
    update = await api.send_text(user, "I need help with my passport")
    topic = await bot.create_forum_topic(staff["id"], "Case 17 · hy")
    forwarded = await bot.forward_message(
        staff["id"], USER, update["message"]["message_id"], message_thread_id=topic.message_thread_id
    )
    assert forwarded.text == "I need help with my passport" and forwarded.forward_origin is not None
    copied = await bot.copy_message(USER, staff["id"], forwarded.message_id)
    assert api.messages(USER)[-1].message_id == copied.message_id
    assert await bot.close_forum_topic(staff["id"], topic.message_thread_id)
    with pytest.raises(TelegramBadRequest, match="TOPIC_CLOSED"):
        await bot.send_message(staff["id"], "late", message_thread_id=topic.message_thread_id)
    assert await bot.send_chat_action(USER, "typing")
