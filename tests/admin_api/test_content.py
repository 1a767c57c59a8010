"""Content editing: articles in three languages, publishing, translation states, versions, topics, YAML."""

from __future__ import annotations

from typing import Any

import httpx
import yaml

from tests.admin_api.conftest import Person
from ughi.services import Services

VISA: dict[str, Any] = {
    "id": "visa-questions",
    "topic": "documents",
    "translations": {
        "en": {"title": "Schengen visa for seasonal work", "body": "Apply at the consulate.", "questions": []},
        "ru": {"title": "Шенгенская виза для сезонной работы", "body": "Подайте документы в консульство."},
        "hy": {"title": "Շենգենյան վիզա սեզոնային աշխատանքի համար", "body": "Դիմեք հյուպատոսություն։"},
    },
}


def states(article: dict[str, Any]) -> dict[str, tuple[str, list[str]]]:
    return {s["lang"]: (s["state"], s["outdated_by"]) for s in article["translation_states"]}


async def create_visa(client: httpx.AsyncClient, editor: Person) -> dict[str, Any]:
    response = await client.post("/articles", headers=editor.headers, json=VISA)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_a_published_article_is_what_the_bot_answers(
    client: httpx.AsyncClient, staff: dict[str, Person], services: Services
) -> None:
    editor = staff["editor"]
    draft = await create_visa(client, editor)
    assert draft["status"] == "draft" and draft["version"] == 1 and set(draft["translations"]) == {"en", "ru", "hy"}
    question = {"text": "schengen visa seasonal work", "lang": "en"}
    before = (await client.post("/search/preview", headers=editor.headers, json=question)).json()
    assert all(hit["article_id"] != "visa-questions" for hit in before["hits"])  # drafts are never shown
    published = await client.post("/articles/visa-questions/publish", headers=editor.headers)
    assert published.status_code == 200 and published.json()["status"] == "published"
    after = (await client.post("/search/preview", headers=editor.headers, json=question)).json()
    assert after["decision"] == "answer" and after["answer"]["article_id"] == "visa-questions"
    assert after["hits"][0]["score"] > 0 and after["hits"][0]["title"] == "Schengen visa for seasonal work"
    assert services.knowledge.article("visa-questions") is not None  # the bot's own index, in this process
    await client.post("/articles/visa-questions/unpublish", headers=editor.headers)
    assert services.knowledge.article("visa-questions") is None


async def test_an_edit_in_one_language_makes_the_others_outdated(
    client: httpx.AsyncClient, staff: dict[str, Person]
) -> None:
    editor = staff["editor"]
    created = await create_visa(client, editor)
    assert states(created) == {"hy": ("up_to_date", []), "ru": ("up_to_date", []), "en": ("up_to_date", [])}
    edit = {"translations": {"en": {"body": "Apply at the consulate, at least 15 days before you travel."}}}
    edited = (await client.patch("/articles/visa-questions", headers=editor.headers, json=edit)).json()
    assert states(edited) == {"hy": ("outdated", ["en"]), "ru": ("outdated", ["en"]), "en": ("up_to_date", [])}
    assert edited["translations"]["en"]["title"] == "Schengen visa for seasonal work"  # fields not sent stay
    todo = (await client.get("/translations/todo", headers=editor.headers, params={"lang": "ru"})).json()
    assert [(t["article_id"], t["state"], t["outdated_by"]) for t in todo["items"]] == [
        ("visa-questions", "outdated", ["en"])
    ]
    missing = (await client.get("/translations/todo", headers=editor.headers, params={"lang": "en"})).json()
    assert missing["items"] == []
    # bringing an outdated translation up to date does not make the others outdated
    catch_up = {"translations": {"ru": {"body": "Подайте документы в консульство не позже чем за 15 дней."}}}
    caught = (await client.patch("/articles/visa-questions", headers=editor.headers, json=catch_up)).json()
    assert states(caught) == {"hy": ("outdated", ["en"]), "ru": ("up_to_date", []), "en": ("up_to_date", [])}
    confirmed = await client.post("/articles/visa-questions/translations/hy/confirm", headers=editor.headers)
    assert all(state == "up_to_date" for state, _ in states(confirmed.json()).values())
    summary = (await client.get("/translations/summary", headers=editor.headers)).json()
    assert [row["lang"] for row in summary] == ["hy", "ru", "en"]
    assert all(row["outdated"] == 0 and row["missing"] == 0 and row["up_to_date"] == 6 for row in summary)


async def test_three_languages_fixed_in_one_save_are_all_up_to_date(
    client: httpx.AsyncClient, staff: dict[str, Person]
) -> None:
    editor = staff["editor"]
    await create_visa(client, editor)
    fix = {lang: {"body": f"fixed ({lang})"} for lang in ("en", "ru", "hy")}
    edited = (await client.patch("/articles/visa-questions", headers=editor.headers, json={"translations": fix})).json()
    assert all(state == "up_to_date" for state, _ in states(edited).values())
    assert edited["version"] == 2


async def test_missing_translations_are_reported(client: httpx.AsyncClient, staff: dict[str, Person]) -> None:
    editor = staff["editor"]
    only_en = {**VISA, "translations": {"en": VISA["translations"]["en"]}}
    assert (await client.post("/articles", headers=editor.headers, json=only_en)).status_code == 201
    todo = (await client.get("/translations/todo", headers=editor.headers, params={"lang": "hy"})).json()
    assert {"article_id": "visa-questions", "lang": "hy", "state": "missing", "outdated_by": []} in todo["items"]
    new_lang = {"translations": {"hy": {"title": "Վիզա", "body": "Դիմեք հյուպատոսություն։"}}}
    added = (await client.patch("/articles/visa-questions", headers=editor.headers, json=new_lang)).json()
    assert states(added)["hy"] == ("up_to_date", []) and states(added)["en"] == ("up_to_date", [])
    half = {"translations": {"ru": {"title": "Виза"}}}  # a new language needs a body too
    assert (await client.patch("/articles/visa-questions", headers=editor.headers, json=half)).status_code == 422


async def test_versions_record_who_and_when_and_restore(client: httpx.AsyncClient, staff: dict[str, Person]) -> None:
    editor, admin = staff["editor"], staff["admin"]
    await create_visa(client, editor)
    await client.patch(
        "/articles/visa-questions", headers=admin.headers, json={"translations": {"en": {"title": "Visas"}}}
    )
    versions = (await client.get("/articles/visa-questions/versions", headers=editor.headers)).json()["items"]
    assert [(v["number"], v["action"], v["staff_id"]) for v in versions] == [
        (2, "updated", admin.id),
        (1, "created", editor.id),
    ]
    first = (await client.get("/articles/visa-questions/versions/1", headers=editor.headers)).json()
    assert first["snapshot"]["translations"]["en"]["title"] == "Schengen visa for seasonal work"
    restored = (await client.post("/articles/visa-questions/versions/1/restore", headers=editor.headers)).json()
    assert restored["translations"]["en"]["title"] == "Schengen visa for seasonal work" and restored["version"] == 3
    # a deleted article keeps its history and comes back from it
    assert (await client.delete("/articles/visa-questions", headers=editor.headers)).status_code == 204
    assert (await client.get("/articles/visa-questions", headers=editor.headers)).status_code == 404
    back = await client.post("/articles/visa-questions/versions/3/restore", headers=editor.headers)
    assert back.status_code == 200 and back.json()["version"] == 5


async def test_a_save_over_a_newer_version_is_refused(client: httpx.AsyncClient, staff: dict[str, Person]) -> None:
    editor = staff["editor"]
    await create_visa(client, editor)
    first = {"tags": ["visa"], "base_version": 1}
    assert (await client.patch("/articles/visa-questions", headers=editor.headers, json=first)).status_code == 200
    same = await client.patch("/articles/visa-questions", headers=editor.headers, json={"tags": ["visa"]})
    assert same.json()["version"] == 2  # saving what is there already makes no new version
    stale = await client.patch("/articles/visa-questions", headers=editor.headers, json={**first, "tags": ["x"]})
    assert stale.status_code == 409 and "version 2" in stale.json()["detail"]


async def test_imported_content_gets_a_baseline_version_on_its_first_edit(
    client: httpx.AsyncClient, staff: dict[str, Person]
) -> None:
    editor = staff["editor"]
    shipped = (await client.get("/articles/bank-account", headers=editor.headers)).json()
    assert shipped["version"] == 0
    await client.patch("/articles/bank-account", headers=editor.headers, json={"tags": ["bank"]})
    versions = (await client.get("/articles/bank-account/versions", headers=editor.headers)).json()["items"]
    assert [v["action"] for v in versions] == ["updated", "baseline"]
    restored = (await client.post("/articles/bank-account/versions/1/restore", headers=editor.headers)).json()
    assert restored["tags"] == shipped["tags"]


async def test_translations_and_topics_keep_content_whole(client: httpx.AsyncClient, staff: dict[str, Person]) -> None:
    editor = staff["editor"]
    await create_visa(client, editor)
    removed = await client.delete("/articles/visa-questions/translations/ru", headers=editor.headers)
    assert removed.status_code == 200 and set(removed.json()["translations"]) == {"en", "hy"}
    assert states(removed.json())["ru"] == ("missing", [])
    await client.delete("/articles/visa-questions/translations/hy", headers=editor.headers)
    last = await client.delete("/articles/visa-questions/translations/en", headers=editor.headers)
    assert last.status_code == 409
    topic = {"id": "visas", "title": {"en": "Visas", "ru": "Визы", "hy": "Վիզաներ"}, "emoji": "🛂"}
    assert (await client.post("/topics", headers=editor.headers, json=topic)).status_code == 201
    assert (await client.post("/topics", headers=editor.headers, json=topic)).status_code == 409
    moved = await client.patch("/articles/visa-questions", headers=editor.headers, json={"topic": "visas"})
    assert moved.json()["topic"] == "visas"
    assert (await client.delete("/topics/visas", headers=editor.headers)).status_code == 409  # it holds an article
    renamed = await client.patch("/topics/visas", headers=editor.headers, json={"title": {"en": "Visas abroad"}})
    assert renamed.json()["title"] == {"en": "Visas abroad", "ru": "Визы", "hy": "Վիզաներ"}
    unknown = await client.patch("/articles/visa-questions", headers=editor.headers, json={"topic": "nowhere"})
    assert unknown.status_code == 422
    await client.delete("/articles/visa-questions", headers=editor.headers)
    assert (await client.delete("/topics/visas", headers=editor.headers)).status_code == 204


async def test_lists_are_paged_with_a_cursor(client: httpx.AsyncClient, staff: dict[str, Person]) -> None:
    editor = staff["editor"]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/articles", headers=editor.headers, params=params)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 5
    topics = (await client.get("/topics", headers=editor.headers, params={"limit": 2})).json()
    rest = (await client.get("/topics", headers=editor.headers, params={"cursor": topics["next_cursor"]})).json()
    assert [t["id"] for t in topics["items"] + rest["items"]] == ["documents", "money", "centres"]
    assert (await client.get("/articles", headers=editor.headers, params={"limit": 101})).status_code == 422
    bad = await client.get("/articles", headers=editor.headers, params={"cursor": "bm90LWEtY3Vyc29y"})
    assert bad.status_code == 400 and bad.json()["type"].endswith("bad-cursor")
    found = (await client.get("/articles", headers=editor.headers, params={"q": "passport"})).json()
    assert [a["id"] for a in found["items"]] == ["lost-passport-abroad", "passport-renewal-abroad"]


async def test_yaml_export_and_import_round_trip(client: httpx.AsyncClient, staff: dict[str, Person]) -> None:
    editor = staff["editor"]
    exported = await client.get("/content/export", headers=editor.headers)
    assert exported.headers["content-type"].startswith("application/yaml")
    bundle = yaml.safe_load(exported.text)
    assert [t["id"] for t in bundle["topics"]] == ["documents", "money", "centres"] and len(bundle["articles"]) == 5
    bank = next(a for a in bundle["articles"] if a["id"] == "bank-account")
    bank["translations"]["en"]["title"] = "Opening a bank account (updated)"
    body = yaml.safe_dump(bundle, allow_unicode=True)
    yaml_headers = {**editor.headers, "content-type": "application/yaml"}
    dry = (await client.post("/content/import?dry_run=true", headers=yaml_headers, content=body)).json()
    assert dry["updated"] == ["bank-account"] and len(dry["unchanged"]) == 4
    assert (await client.get("/articles/bank-account", headers=editor.headers)).json()["version"] == 0
    done = (await client.post("/content/import", headers=yaml_headers, content=body)).json()
    assert done["updated"] == ["bank-account"]
    article = (await client.get("/articles/bank-account", headers=editor.headers)).json()
    assert article["translations"]["en"]["title"] == "Opening a bank account (updated)"
    assert states(article)["ru"] == ("outdated", ["en"])
    broken = await client.post("/content/import", headers=yaml_headers, content="articles: [{id: Bad Id}]")
    assert broken.status_code == 422 and broken.json()["type"].endswith("invalid-content")
    as_json = await client.post("/content/import", headers=editor.headers, json={"articles": []})
    assert as_json.status_code == 422
