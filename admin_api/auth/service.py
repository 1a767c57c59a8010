"""Signing in and out: password check with throttling, token pairs, refresh rotation."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.auth import throttle
from admin_api.auth.passwords import hash_password, needs_rehash, verify_password
from admin_api.auth.tokens import TokenPair, issue_pair, revoke_token, spend_refresh_token
from admin_api.models import AuditEntry
from admin_api.problems import Unauthorized
from leads.models import StaffMember
from ughi.db import utcnow
from ughi.settings import Settings


class LoginFailed(Unauthorized):
    slug, title = "invalid-grant", "Wrong e-mail or password"
    keep_changes = True  # the failure must be counted even though the request fails


class RefreshRefused(Unauthorized):
    slug, title = "invalid-grant", "The refresh token cannot be used"
    keep_changes = True  # a reused token's family stays revoked


async def _pair(session: AsyncSession, staff: StaffMember, settings: Settings, family: str | None = None) -> TokenPair:
    return await issue_pair(
        session,
        staff=staff,
        secret=settings.secret_key.get_secret_value(),
        minutes=settings.access_token_minutes,
        days=settings.refresh_token_days,
        family=family,
    )


async def login(session: AsyncSession, *, email: str, password: str, ip: str, settings: Settings) -> TokenPair:
    """Tokens for the right e-mail and password of an active account; failures are counted and throttled."""
    now = utcnow()
    counters = throttle.rules(email, ip)
    await throttle.check(session, keys=[key for key, _ in counters], now=now)
    staff = await session.scalar(select(StaffMember).where(func.lower(StaffMember.email) == email.strip().lower()))
    matches = await verify_password(staff.password_hash if staff else None, password)
    if staff is None or not matches or not staff.active:
        await throttle.record_failure(session, counters=counters, now=now)
        raise LoginFailed("wrong e-mail or password, or the account is not active", error="invalid_grant")
    await throttle.reset(session, key=counters[0][0])
    if needs_rehash(staff.password_hash):
        staff.password_hash = await hash_password(password)
    session.add(AuditEntry(staff_id=staff.id, staff_email=staff.email, action="login", resource_type="session", ip=ip))
    return await _pair(session, staff, settings)


async def refresh(session: AsyncSession, *, raw: str, settings: Settings) -> TokenPair:
    """A new pair for a refresh token, which is spent; reusing a spent one ends that whole sign-in."""
    rotation = await spend_refresh_token(session, raw=raw)
    if rotation.staff is None:
        raise RefreshRefused(
            "this refresh token was already used: every session from that sign-in has ended"
            if rotation.reused
            else "the refresh token is not valid, has expired or was revoked",
            error="invalid_grant",
        )
    return await _pair(session, rotation.staff, settings, rotation.family)


async def sign_out(session: AsyncSession, *, raw: str) -> None:
    """The refresh token and every token refreshed from the same sign-in stop working."""
    await revoke_token(session, raw=raw)
