"""Staff accounts for admins, and `ughi staff add` on the command line."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from admin_api.auth.passwords import verify_password
from leads.models import StaffMember
from tests.admin_api.conftest import Person
from ughi import cli
from ughi.db import make_engine, make_sessionmaker
from ughi.settings import get_settings

NEW = {"email": "Ani@Centre.test", "role": "counsellor", "centre_id": "yerevan", "password": "a long password 1"}


async def test_an_admin_manages_accounts(client: httpx.AsyncClient, staff: dict[str, Person]) -> None:
    admin = staff["admin"].headers
    created = await client.post("/staff", headers=admin, json=NEW)
    assert created.status_code == 201 and created.json()["email"] == "ani@centre.test"
    assert "password" not in created.text
    again = await client.post("/staff", headers=admin, json={**NEW, "email": "ani@centre.test"})
    assert again.status_code == 409
    no_centre = await client.post("/staff", headers=admin, json={**NEW, "email": "b@c.test", "centre_id": None})
    unknown = await client.post("/staff", headers=admin, json={**NEW, "email": "b@c.test", "centre_id": "atlantis"})
    short = await client.post("/staff", headers=admin, json={**NEW, "email": "b@c.test", "password": "short"})
    assert (no_centre.status_code, unknown.status_code, short.status_code) == (422, 422, 422)
    page = (await client.get("/staff", headers=admin, params={"limit": 3})).json()
    rest = (await client.get("/staff", headers=admin, params={"cursor": page["next_cursor"]})).json()
    assert len(page["items"] + rest["items"]) == 5 and rest["next_cursor"] is None
    editors = (await client.get("/staff", headers=admin, params={"role": "editor"})).json()["items"]
    assert [s["email"] for s in editors] == ["editor@ughi.test"]


async def test_deactivating_ends_sessions_and_an_admin_cannot_lock_themselves_out(
    client: httpx.AsyncClient, staff: dict[str, Person]
) -> None:
    admin, editor = staff["admin"], staff["editor"]
    off = await client.patch(f"/staff/{editor.id}", headers=admin.headers, json={"active": False})
    assert off.status_code == 200 and off.json()["active"] is False
    assert (await client.get("/auth/me", headers=editor.headers)).status_code == 401
    promoted = await client.patch(f"/staff/{staff['counsellor'].id}", headers=admin.headers, json={"role": "editor"})
    assert promoted.json()["role"] == "editor"
    for change in ({"active": False}, {"role": "editor"}, {"password": "a brand new password"}):
        assert (await client.patch(f"/staff/{admin.id}", headers=admin.headers, json=change)).status_code == 409
    assert (await client.get("/auth/me", headers=admin.headers)).status_code == 200


async def password_of(email: str, password: str) -> bool:
    engine = make_engine(get_settings().resolved_database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            staff = await session.scalar(select(StaffMember).where(StaffMember.email == email))
    finally:
        await engine.dispose()
    return staff is not None and staff.centre_id == "yerevan" and await verify_password(staff.password_hash, password)


@pytest.fixture
def database_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("UGHI_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_staff_add_on_the_command_line(
    database_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["staff", "add", "boss@ughi.test", "--role", "admin", "--password", "a long password 1"]) == 0
    assert "created admin boss@ughi.test" in capsys.readouterr().out
    answers = iter(["typed password 123", "typed password 123"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert cli.main(["staff", "add", "ani@ughi.test", "--role", "counsellor", "--centre", "yerevan"]) == 0
    assert asyncio.run(password_of("ani@ughi.test", "typed password 123"))
    assert cli.main(["staff", "add", "ani@ughi.test", "--role", "editor", "--password", "a long password 1"]) == 1
    assert "already has an account" in capsys.readouterr().err
    assert cli.main(["staff", "add", "c@ughi.test", "--role", "counsellor", "--password", "a long password 1"]) == 1
    assert "centre" in capsys.readouterr().err
    differ = iter(["one password 1234", "another one 12345"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(differ))
    assert cli.main(["staff", "add", "d@ughi.test", "--role", "editor"]) == 1
    with pytest.raises(SystemExit):
        cli.main(["staff", "add", "e@ughi.test", "--role", "boss"])
