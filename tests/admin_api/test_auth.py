"""Signing in: the OAuth2 password flow, throttling, refresh rotation, sign-out and one's own account."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from admin_api.auth.tokens import make_access_token
from admin_api.models import AuditEntry
from leads.models import StaffMember
from tests.admin_api.conftest import PASSWORD, Person
from ughi.services import Services


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/auth/token", data={"username": email, "password": password})


async def test_password_flow_gives_tokens_that_work(client: httpx.AsyncClient, staff: dict[str, Person]) -> None:
    response = await sign_in(client, "EDITOR@ughi.test")  # e-mail case does not matter
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 15 * 60 and tokens["refresh_token"]
    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200 and me.json()["email"] == "editor@ughi.test" and me.json()["role"] == "editor"
    assert "password_hash" not in me.json()


async def test_wrong_password_and_unknown_account_look_the_same(
    client: httpx.AsyncClient, staff: dict[str, Person]
) -> None:
    wrong = await sign_in(client, "editor@ughi.test", "not the password")
    unknown = await sign_in(client, "nobody@ughi.test")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["error"] == "invalid_grant" and response.json()["type"].endswith("invalid-grant")
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_repeated_failures_are_throttled_even_with_the_right_password(
    client: httpx.AsyncClient, staff: dict[str, Person]
) -> None:
    statuses = [(await sign_in(client, "admin@ughi.test", f"guess {i}")).status_code for i in range(5)]
    assert statuses == [401] * 5
    locked = await sign_in(client, "admin@ughi.test")
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60
    assert locked.json()["retry_after"] == int(locked.headers["retry-after"])
    other = await sign_in(client, "editor@ughi.test")  # another account from the same address still may
    assert other.status_code == 200


async def test_refresh_rotates_and_a_reused_token_ends_the_sign_in(
    client: httpx.AsyncClient, staff: dict[str, Person]
) -> None:
    first = (await sign_in(client, "counsellor@ughi.test")).json()
    second = await client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200 and second.json()["refresh_token"] != first["refresh_token"]
    reused = await client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401 and "already used" in reused.json()["detail"]
    # the thief used the old one: the pair handed out in between is revoked too
    after = await client.post("/auth/refresh", json={"refresh_token": second.json()["refresh_token"]})
    assert after.status_code == 401


async def test_logout_revokes_the_refresh_token(client: httpx.AsyncClient, staff: dict[str, Person]) -> None:
    tokens = (await sign_in(client, "editor@ughi.test")).json()
    assert (await client.post("/auth/logout", json={"refresh_token": tokens["refresh_token"]})).status_code == 204
    refused = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refused.status_code == 401


async def test_expired_forged_and_missing_tokens_are_refused(
    client: httpx.AsyncClient, staff: dict[str, Person], services: Services
) -> None:
    async with services.sessions() as session:
        editor = await session.get(StaffMember, staff["editor"].id)
    assert editor is not None
    expired = make_access_token(editor, secret=services.settings.secret_key.get_secret_value(), minutes=-1)
    forged = make_access_token(editor, secret="another secret entirely", minutes=5)
    for headers in ({"Authorization": f"Bearer {expired}"}, {"Authorization": f"Bearer {forged}"}, {}):
        response = await client.get("/auth/me", headers=headers)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


async def test_own_password_change_needs_the_current_one_and_ends_old_sessions(
    client: httpx.AsyncClient, staff: dict[str, Person]
) -> None:
    headers = staff["editor"].headers
    refused = await client.patch("/auth/me", headers=headers, json={"password": "a new long password"})
    assert refused.status_code == 403
    changed = await client.patch(
        "/auth/me", headers=headers, json={"password": "a new long password", "current_password": PASSWORD}
    )
    assert changed.status_code == 200
    assert (await client.get("/auth/me", headers=headers)).status_code == 401  # the old token carried the old one
    assert (await sign_in(client, "editor@ughi.test", "a new long password")).status_code == 200


async def test_own_role_and_centre_are_refused_not_ignored(
    client: httpx.AsyncClient, staff: dict[str, Person], services: Services
) -> None:
    counsellor = staff["counsellor"]
    response = await client.patch(
        "/auth/me", headers=counsellor.headers, json={"name": "Ani", "role": "admin", "centre_id": "shirak-gyumri"}
    )
    assert response.status_code == 403
    assert response.json()["fields"] == ["centre_id", "role"]
    me = (await client.get("/auth/me", headers=counsellor.headers)).json()
    assert (me["role"], me["centre_id"], me["name"]) == ("counsellor", "yerevan", "counsellor")
    named = await client.patch("/auth/me", headers=counsellor.headers, json={"name": "Ani"})
    assert named.status_code == 200 and named.json()["name"] == "Ani"
    async with services.sessions() as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.staff_id == counsellor.id, AuditEntry.action == "update")
        )
    assert entry is not None and entry.before is not None and entry.after is not None
    assert (entry.before["name"], entry.after["name"]) == ("counsellor", "Ani")
