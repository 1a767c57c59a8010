"""The information screens: greeting, menu, topics, articles, search answers, language, help."""

from __future__ import annotations

from bot.engine import callbacks as cb
from bot.engine.markup import quote
from bot.engine.turn import Turn
from bot.engine.types import Button, Reply
from bot.flows.schema import text_in
from bot.i18n import LANGUAGE_NAMES, available_languages
from knowledge import repository
from knowledge.articles import Article
from ughi import metrics

PAGE_SIZE = 8
LONG_TEXT = 1000  # characters: longer messages are not searched, we ask for a short question


def menu_buttons(t: Turn) -> list[list[Button]]:
    _ = t._
    rows = [
        [Button(f"{topic.emoji} {topic.title_in(t.lang)}".strip(), cb.encode("topic", topic.id, 0))]
        for topic in t.kb.topics()
    ]
    rows += [
        [Button(f"{flow.emoji} {text_in(flow.title, t.lang)}".strip(), cb.encode("flow", flow.id))]
        for flow in t.flows.ordered()
    ]
    rows.append([Button(_("❓ Ask a question"), cb.encode("ask"))])
    rows.append([Button(_("🧑‍💼 Talk to a counsellor"), cb.encode("human"))])
    rows.append(
        [Button(_("🔒 My data & privacy"), cb.encode("privacy")), Button(_("🌐 Language"), cb.encode("lang", "pick"))]
    )
    return rows


def show_menu(t: Turn, *, intro: str | None = None, replace: bool = False) -> None:
    _ = t._
    t.set_screen("menu")
    text = intro or _("What would you like to know? Choose a topic, or simply type your question.")
    t.say(Reply(text, buttons=menu_buttons(t), replace=replace))


def greet(t: Turn) -> None:
    _ = t._
    show_menu(
        t,
        intro=_(
            "Hello! I am **Ughi**, an assistant of the Migration Resource Centres.\n\n"
            "I can help if you are thinking of working abroad, are working abroad now, or are coming home: "
            "documents, jobs, business, money, health, safe migration and first steps after return.\n\n"
            "Choose a topic below or type your question in your own words."
        ),
    )


def show_language_picker(t: Turn, *, replace: bool = False) -> None:
    t.set_screen("language")
    rows = [[Button(LANGUAGE_NAMES.get(code, code), cb.encode("lang", code))] for code in available_languages()]
    t.say(Reply("Ընտրեք լեզուն · Выберите язык · Choose your language", buttons=rows, replace=replace))


def set_language(t: Turn, code: str) -> None:
    if code not in available_languages():
        show_language_picker(t)
        return
    first_time = t.contact.language is None
    t.contact.language = code
    if first_time:
        greet(t)
    else:
        show_menu(t, intro=t._("Done: I will speak English with you."))


def show_topic(t: Turn, topic_id: str, page: int, *, replace: bool = True) -> None:
    _ = t._
    topic = t.kb.topic(topic_id)
    articles = t.kb.articles_in(topic_id)
    if topic is None or not articles:
        stale_button(t)
        return
    pages = (len(articles) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    shown = articles[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    rows = [[Button(a.translation(t.lang).title, cb.encode("art", a.id))] for a in shown]
    nav: list[Button] = []
    if page > 0:
        nav.append(Button(_("◀ Previous"), cb.encode("topic", topic_id, page - 1)))
    if page + 1 < pages:
        nav.append(Button(_("Next ▶"), cb.encode("topic", topic_id, page + 1)))
    if nav:
        rows.append(nav)
    rows.append([Button(_("⬅ Main menu"), cb.encode("menu"))])
    t.set_screen("topic", topic=topic_id, page=page)
    title = f"{topic.emoji} **{topic.title_in(t.lang)}**".strip()
    prompt = _("Choose a question:")
    t.say(Reply(f"{title}\n\n{prompt}", buttons=rows, replace=replace))


def show_article(t: Turn, article: Article) -> None:
    _ = t._
    tr = article.translation(t.lang)
    text = f"**{tr.title}**\n\n{tr.body}"
    if tr.lang != t.lang:
        text = _("_This answer is not yet available in English; here it is in another language._") + "\n\n" + text
    topic = t.kb.topic(article.topic)
    rows = [
        [
            Button(_("👍 This helped"), cb.encode("fb", article.id, "yes")),
            Button(_("👎 Not really"), cb.encode("fb", article.id, "no")),
        ],
        [Button(_("🧑‍💼 Talk to a counsellor"), cb.encode("human"))],
    ]
    back = [Button(_("⬅ Main menu"), cb.encode("menu"))]
    if topic is not None:
        back.insert(0, Button(f"⬅ {topic.title_in(t.lang)}", cb.encode("topic", topic.id, 0)))
    rows.append(back)
    t.set_screen("article", article=article.id)
    t.say(Reply(text, buttons=rows))


def open_article(t: Turn, article_id: str) -> None:
    article = t.kb.article(article_id)
    if article is None:
        stale_button(t)
    else:
        show_article(t, article)


async def feedback(t: Turn, article_id: str, answer: str) -> None:
    _ = t._
    if t.kb.article(article_id) is None or answer not in ("yes", "no"):
        stale_button(t)
        return
    await repository.record_feedback(
        t.session, article_id=article_id, helpful=answer == "yes", lang=t.lang, contact_id=t.contact.id
    )
    if answer == "yes":
        show_menu(t, intro=_("Thank you! Glad it helped. Anything else?"))
    else:
        rows = [
            [Button(_("🧑‍💼 Talk to a counsellor"), cb.encode("human"))],
            [Button(_("⬅ Main menu"), cb.encode("menu"))],
        ]
        t.say(
            Reply(
                _(
                    "Thank you for telling me. You can rephrase your question, or a counsellor can look "
                    "at your situation personally."
                ),
                buttons=rows,
            )
        )


def prompt_question(t: Turn) -> None:
    _ = t._
    t.set_screen("ask")
    t.say(
        Reply(
            _('Type your question in a few words, in any language: for example, "how do I renew my passport abroad".'),
            buttons=[[Button(_("⬅ Main menu"), cb.encode("menu"))]],
        )
    )


async def answer_question(t: Turn, text: str) -> None:
    """Free text outside a guided flow: the article, a few choices, or an honest "I don't know"."""
    _ = t._
    if len(text) > LONG_TEXT:
        t.say(
            Reply(
                _(
                    "That is a long message! I understand short questions best: please ask in one or two "
                    "sentences, or talk to a counsellor."
                ),
                buttons=_no_answer_buttons(t),
            )
        )
        return
    result = t.kb.search(text, t.lang)
    metrics.SEARCH_DECISIONS.labels(decision=result.decision).inc()
    candidates = [{"article": h.article_id, "score": round(h.score, 4)} for h in result.hits]
    if result.decision == "answer" and result.hits:
        article = t.kb.article(result.hits[0].article_id)
        if article is not None:
            show_article(t, article)
            return
    if result.decision != "answer":
        await repository.log_unanswered(
            t.session, text=text, lang=t.lang, decision=result.decision, candidates=candidates, contact_id=t.contact.id
        )
    articles = [a for a in (t.kb.article(h.article_id) for h in result.hits) if a is not None]
    if result.decision == "choices" and articles:
        rows = [[Button(a.translation(t.lang).title, cb.encode("art", a.id))] for a in articles[:3]]
        rows += _no_answer_buttons(t)
        t.say(Reply(_("I am not sure I understood. Is it one of these?"), buttons=rows))
        return
    t.say(
        Reply(
            _(
                "Sorry, I don't know the answer to “{question}” yet. I have noted your question for our team. "
                "You can rephrase it, browse the topics, or talk to a counsellor."
            ).format(question=quote(text)),
            buttons=_no_answer_buttons(t),
        )
    )


def _no_answer_buttons(t: Turn) -> list[list[Button]]:
    _ = t._
    return [[Button(_("🧑‍💼 Talk to a counsellor"), cb.encode("human"))], [Button(_("⬅ Main menu"), cb.encode("menu"))]]


def stale_button(t: Turn) -> None:
    show_menu(t, intro=t._("That button is no longer active, sorry. Here is the main menu."))


def show_help(t: Turn) -> None:
    _ = t._
    t.say(
        Reply(
            _(
                "Here is what I understand:\n"
                "- a question typed in your own words, in Armenian, Russian or English (Latin letters are fine too);\n"
                "- the buttons under my messages;\n"
                "- /menu: the main menu\n"
                "- /language: change the language\n"
                "- /privacy: what I keep about you, and how to delete it\n"
                "- /my_data: everything I keep about you\n"
                "- /delete_my_data: delete all of it\n"
                "- /start: start over\n\n"
                "I cannot listen to voice messages or look at photos and files: please type instead, "
                "or ask for a counsellor."
            ),
            buttons=[[Button(_("⬅ Main menu"), cb.encode("menu"))]],
        )
    )


def unsupported(t: Turn, what: str) -> None:
    """A kind word for what Ughi cannot read, and what it can."""
    _ = t._
    if what == "voice":
        text = _(
            "I can't listen to voice messages yet. Please type your question in a few words, "
            "or ask to talk to a counsellor."
        )
    elif what == "command":
        text = _("I don't know that command. Try /menu, /language, /help or /privacy, or just type your question.")
    elif what == "shared":
        text = _(
            "Thank you, but I don't need that right now, so I have not kept it. "
            "Type your question or choose from the menu."
        )
    else:
        text = _(
            "I can only read text messages. Please type your question in a few words, or ask to talk to a counsellor."
        )
    t.say(Reply(text, buttons=_no_answer_buttons(t)))
