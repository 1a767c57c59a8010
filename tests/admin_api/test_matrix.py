"""Every route × every role against the allowed matrix; every staff write and every read of personal data audited."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from admin_api.models import AuditEntry
from knowledge.models import UnansweredQuestion
from tests.admin_api.conftest import Person
from tests.admin_api.seed import person_with_lead
from ughi.db import transaction
from ughi.services import Services

ANYONE = {"anonymous", "editor", "counsellor", "admin"}
STAFF = {"editor", "counsellor", "admin"}
EDITOR = {"editor", "admin"}
COUNSELLOR = {"counsellor", "admin"}
ADMIN = {"admin"}

# (method, path) -> the roles allowed. A route missing here fails the test: decide its roles when adding it.
MATRIX: dict[tuple[str, str], set[str]] = {
    ("POST", "/auth/token"): ANYONE,
    ("POST", "/auth/refresh"): ANYONE,
    ("POST", "/auth/logout"): ANYONE,
    ("GET", "/auth/me"): STAFF,
    ("PATCH", "/auth/me"): STAFF,
    ("GET", "/staff"): ADMIN,
    ("POST", "/staff"): ADMIN,
    ("GET", "/staff/{staff_id}"): ADMIN,
    ("PATCH", "/staff/{staff_id}"): ADMIN,
    ("GET", "/topics"): EDITOR,
    ("POST", "/topics"): EDITOR,
    ("GET", "/topics/{topic_id}"): EDITOR,
    ("PATCH", "/topics/{topic_id}"): EDITOR,
    ("DELETE", "/topics/{topic_id}"): EDITOR,
    ("GET", "/articles"): EDITOR,
    ("POST", "/articles"): EDITOR,
    ("GET", "/articles/{article_id}"): EDITOR,
    ("PATCH", "/articles/{article_id}"): EDITOR,
    ("DELETE", "/articles/{article_id}"): EDITOR,
    ("POST", "/articles/{article_id}/publish"): EDITOR,
    ("POST", "/articles/{article_id}/unpublish"): EDITOR,
    ("DELETE", "/articles/{article_id}/translations/{lang}"): EDITOR,
    ("POST", "/articles/{article_id}/translations/{lang}/confirm"): EDITOR,
    ("GET", "/articles/{article_id}/versions"): EDITOR,
    ("GET", "/articles/{article_id}/versions/{number}"): EDITOR,
    ("POST", "/articles/{article_id}/versions/{number}/restore"): EDITOR,
    ("GET", "/translations/summary"): EDITOR,
    ("GET", "/translations/todo"): EDITOR,
    ("GET", "/content/export"): EDITOR,
    ("POST", "/content/import"): EDITOR,
    ("POST", "/search/preview"): STAFF,
    ("GET", "/unanswered/groups"): EDITOR,
    ("GET", "/unanswered/groups/{key}"): EDITOR,
    ("POST", "/unanswered/groups/{key}/link"): EDITOR,
    ("POST", "/unanswered/groups/{key}/article"): EDITOR,
    ("POST", "/unanswered/groups/{key}/dismiss"): EDITOR,
    ("GET", "/leads"): COUNSELLOR,
    ("GET", "/leads/export.csv"): COUNSELLOR,
    ("GET", "/leads/{lead_id}"): COUNSELLOR,
    ("PATCH", "/leads/{lead_id}"): COUNSELLOR,
    ("POST", "/leads/{lead_id}/status"): COUNSELLOR,
    ("POST", "/leads/{lead_id}/notes"): COUNSELLOR,
    ("GET", "/contacts"): ADMIN,
    ("GET", "/contacts/{contact_id}"): ADMIN,
    ("GET", "/contacts/{contact_id}/export"): ADMIN,
    ("DELETE", "/contacts/{contact_id}"): ADMIN,
    ("GET", "/stats/contacts"): STAFF,
    ("GET", "/stats/flows"): STAFF,
    ("GET", "/stats/leads"): COUNSELLOR,
    ("GET", "/stats/search"): STAFF,
    ("GET", "/audit"): ADMIN,
}
# reads of a lead or of a person's data leave an audit entry, like every staff write
AUDITED_READS = {
    ("GET", "/leads"),
    ("GET", "/leads/export.csv"),
    ("GET", "/leads/{lead_id}"),
    ("GET", "/contacts"),
    ("GET", "/contacts/{contact_id}"),
    ("GET", "/contacts/{contact_id}/export"),
}
NOT_WRITES = {"/auth/token", "/auth/refresh", "/auth/logout", "/search/preview"}  # sign-in, and a read by POST
ORDER = ("anonymous", "counsellor", "editor", "admin")


def routes(app: FastAPI) -> set[tuple[str, str]]:
    admin_app = next(r.app for r in app.routes if getattr(r, "path", "") == "/api/v1")  # type: ignore[attr-defined]
    paths = admin_app.openapi()["paths"]
    return {(method.upper(), path) for path, ops in paths.items() for method in ops}


async def audit_count(services: Services) -> int:
    async with services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


@pytest.fixture
async def values(client: httpx.AsyncClient, staff: dict[str, Person], services: Services) -> dict[str, object]:
    """Path parameters of objects that exist: a lead of the counsellor's centre, an article with versions, ..."""
    seeded = await person_with_lead(services, external_id="42")
    async with transaction(services.sessions) as session:
        question = UnansweredQuestion(text="where is my pension", lang="en", decision="none", candidates=[])
        session.add(question)
        await session.flush()
    await client.patch("/articles/bank-account", headers=staff["admin"].headers, json={"tags": ["bank"]})
    return {
        "staff_id": staff["editor"].id,
        "topic_id": "money",
        "article_id": "bank-account",
        "lang": "en",
        "number": 1,
        "key": question.id,
        "lead_id": seeded.lead_id,
        "contact_id": seeded.contact_id,
    }


async def call(client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    if method in ("GET", "DELETE"):
        params = {"lang": "ru"} if path.endswith("/todo") else {}
        return await client.request(method, path, headers=headers, params=params)
    if path.endswith("/auth/token"):
        return await client.post(path, headers=headers, data={})
    if path.endswith("/content/import"):
        return await client.post(path, headers={**headers, "content-type": "application/yaml"}, content="topics: []")
    return await client.request(method, path, headers=headers, json={})


async def test_every_route_for_every_role(
    app: FastAPI,
    client: httpx.AsyncClient,
    staff: dict[str, Person],
    services: Services,
    values: dict[str, object],
) -> None:
    assert routes(app) == set(MATRIX), "every route needs its roles in MATRIX"
    wrong: list[str] = []
    # deleting routes last, so the others meet the objects still there
    for (method, template), allowed in sorted(MATRIX.items(), key=lambda item: item[0][0] == "DELETE"):
        path = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), template)
        for role in ORDER:
            headers = staff[role].headers if role in staff else {}
            before = await audit_count(services)
            response = await call(client, method, path, headers)
            refused = response.status_code in (401, 403)
            if refused == (role in allowed):
                wrong.append(f"{method} {template} as {role}: {response.status_code} {response.text[:120]}")
            if refused:
                expected = 401 if role == "anonymous" else 403
                assert response.status_code == expected, f"{method} {template} as {role}"
                assert response.headers["content-type"] == "application/problem+json"
            audited = (method != "GET" and template not in NOT_WRITES) or (method, template) in AUDITED_READS
            if audited and response.is_success and await audit_count(services) == before:
                wrong.append(f"{method} {template} as {role}: {response.status_code} but no audit entry")
    assert wrong == []


async def test_another_centres_lead_does_not_exist_for_a_counsellor(
    client: httpx.AsyncClient, staff: dict[str, Person], values: dict[str, object]
) -> None:
    other = staff["other_counsellor"].headers
    lead = f"/leads/{values['lead_id']}"
    calls = [
        ("GET", lead, None),
        ("PATCH", lead, {"assigned_to": staff["other_counsellor"].id}),
        ("POST", f"{lead}/status", {"status": "closed", "outcome": "helped"}),
        ("POST", f"{lead}/notes", {"note": "mine now"}),
    ]
    for method, path, body in calls:
        response = await client.request(method, path, headers=other, json=body)
        assert response.status_code == 404, (method, path, response.text)
    listed = (await client.get("/leads", headers=other)).json()["items"]
    assert listed == []
