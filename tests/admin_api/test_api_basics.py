"""The API's manners: problem details for every error, a body size cap, its OpenAPI schema and docs, the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from tests.admin_api.conftest import Person


async def test_errors_are_problem_details(client: httpx.AsyncClient, staff: dict[str, Person]) -> None:
    headers = staff["admin"].headers
    missing = await client.get("/no/such/route", headers=headers)
    wrong_method = await client.put("/articles", headers=headers)
    invalid = await client.post("/staff", headers=headers, json={"email": "not-an-email", "role": "boss"})
    for response, status in ((missing, 404), (wrong_method, 405), (invalid, 422)):
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == status and problem["type"].startswith("urn:ughi:problem:") and problem["title"]
    assert {e["loc"][-1] for e in invalid.json()["errors"]} >= {"email", "role"}


async def test_text_a_database_cannot_store_is_refused(client: httpx.AsyncClient, staff: dict[str, Person]) -> None:
    body = {"text": "pass\x00port"}
    response = await client.post("/search/preview", headers=staff["editor"].headers, json=body)
    assert response.status_code == 422


async def test_request_bodies_are_capped(client: httpx.AsyncClient, staff: dict[str, Person]) -> None:
    headers = staff["editor"].headers
    declared = await client.post("/articles", headers=headers, content=b"{" + b" " * 1_100_000 + b"}")
    assert declared.status_code == 413 and declared.headers["content-type"] == "application/problem+json"

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(20):
            yield b" " * 100_000

    chunked = await client.post(
        "/articles", headers={**headers, "content-type": "application/json"}, content=streamed()
    )
    assert chunked.status_code == 413 and chunked.json()["type"].endswith("too-large")


async def test_openapi_schema_and_docs_are_served(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert schema["servers"] == [{"url": "/api/v1"}]
    flow = schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"]
    assert flow["tokenUrl"] == "auth/token"
    assert "application/problem+json" in schema["paths"]["/articles"]["post"]["responses"]["422"]["content"]
    docs = await client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


async def test_the_audit_log_says_who_did_what_and_only_admins_read_it(
    client: httpx.AsyncClient, staff: dict[str, Person]
) -> None:
    editor, admin = staff["editor"], staff["admin"]
    await client.patch("/articles/bank-account", headers=editor.headers, json={"tags": ["bank", "card"]})
    assert (await client.get("/audit", headers=editor.headers)).status_code == 403
    entries = (await client.get("/audit", headers=admin.headers, params={"resource_type": "article"})).json()["items"]
    [entry] = entries
    assert (entry["staff_id"], entry["staff_email"], entry["action"], entry["resource_id"]) == (
        editor.id,
        "editor@ughi.test",
        "update",
        "bank-account",
    )
    assert entry["before"]["tags"] != entry["after"]["tags"] == ["bank", "card"] and entry["at"]
    mine = (await client.get("/audit", headers=admin.headers, params={"staff_id": admin.id})).json()["items"]
    assert mine == []
