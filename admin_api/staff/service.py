"""Staff accounts: create, change, list; the rules on roles and centres."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.auth.passwords import hash_password
from admin_api.auth.tokens import revoke_all
from admin_api.problems import Conflict, InvalidInput, NotFound
from knowledge.centres import load_centres
from leads.models import StaffMember


def snapshot(staff: StaffMember) -> dict[str, Any]:
    """What the audit log keeps of an account: never the password hash."""
    return {
        "email": staff.email,
        "name": staff.name,
        "role": staff.role,
        "centre_id": staff.centre_id,
        "active": staff.active,
        "telegram_user_id": staff.telegram_user_id,
    }


def password_mark(changes: Mapping[str, Any]) -> dict[str, Any]:
    """For the audit log: that the password changed, never what to."""
    return {"password_changed": True} if "password" in changes else {}


def check_centre(role: str, centre_id: str | None) -> None:
    known = {centre.id for centre in load_centres()}
    if centre_id is not None and known and centre_id not in known:
        raise InvalidInput(f"unknown centre {centre_id!r}", field="centre_id")
    if role == "counsellor" and centre_id is None:
        raise InvalidInput("a counsellor belongs to a centre: give centre_id", field="centre_id")


async def _check_unique(
    session: AsyncSession, *, staff_id: int | None, email: str | None, telegram: int | None
) -> None:
    if email is not None:
        taken = await session.scalar(
            select(StaffMember.id).where(func.lower(StaffMember.email) == email.lower(), StaffMember.id != staff_id)
        )
        if taken is not None:
            raise Conflict(f"{email} already has an account")
    if telegram is not None:
        taken = await session.scalar(
            select(StaffMember.id).where(StaffMember.telegram_user_id == telegram, StaffMember.id != staff_id)
        )
        if taken is not None:
            raise Conflict("this Telegram account is linked to another staff member")


async def create_staff(
    session: AsyncSession,
    *,
    email: str,
    role: str,
    password: str,
    centre_id: str | None = None,
    name: str = "",
    telegram_user_id: int | None = None,
) -> StaffMember:
    """A new, active account."""
    email = email.strip().lower()
    check_centre(role, centre_id)
    await _check_unique(session, staff_id=None, email=email, telegram=telegram_user_id)
    staff = StaffMember(
        email=email,
        role=role,
        centre_id=centre_id,
        name=name,
        telegram_user_id=telegram_user_id,
        password_hash=await hash_password(password),
        active=True,
    )
    session.add(staff)
    await session.flush()
    return staff


async def get_staff(session: AsyncSession, *, staff_id: int) -> StaffMember:
    staff = await session.get(StaffMember, staff_id)
    if staff is None:
        raise NotFound(f"no staff member {staff_id}")
    return staff


async def list_staff(
    session: AsyncSession, *, after_id: int | None, limit: int, role: str | None, active: bool | None
) -> list[StaffMember]:
    query = select(StaffMember).order_by(StaffMember.id)
    if after_id is not None:
        query = query.where(StaffMember.id > after_id)
    if role is not None:
        query = query.where(StaffMember.role == role)
    if active is not None:
        query = query.where(StaffMember.active == active)
    return list(await session.scalars(query.limit(limit)))


async def update_staff(
    session: AsyncSession,
    *,
    staff: StaffMember,
    changes: Mapping[str, Any],
    actor: StaffMember,
    own_account: bool = False,
) -> StaffMember:
    """Apply `changes` (only the fields sent); an admin cannot demote or deactivate themselves."""
    role = changes.get("role") or staff.role
    if staff.id == actor.id and (changes.get("active") is False or role != staff.role):
        raise Conflict("you cannot demote or deactivate your own account; ask another admin")
    if staff.id == actor.id and "password" in changes and not own_account:
        raise Conflict("change your own password at /auth/me, with the current one")
    centre = changes.get("centre_id", staff.centre_id)
    check_centre(role, centre)
    await _check_unique(
        session, staff_id=staff.id, email=changes.get("email"), telegram=changes.get("telegram_user_id")
    )
    ends_sessions = changes.get("active") is False or "password" in changes or role != staff.role
    for field in ("email", "name", "active", "telegram_user_id"):
        if changes.get(field) is not None:
            setattr(staff, field, changes[field])
    staff.role, staff.centre_id = role, centre
    if changes.get("password"):
        staff.password_hash = await hash_password(changes["password"])
    if ends_sessions:
        await revoke_all(session, staff_id=staff.id)
    await session.flush()
    return staff
