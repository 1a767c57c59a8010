"""Access tokens (short-lived JWT, HS256) and refresh tokens (random, stored hashed, rotated on use)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.auth.passwords import fingerprint
from admin_api.models import RefreshToken
from leads.models import StaffMember
from ughi.db import utcnow

ALGORITHM = "HS256"
AUDIENCE = "ughi-admin"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def signing_key(secret: str) -> bytes:
    # a key of its own for tokens, and always 32 bytes whatever the length of the configured secret
    return hashlib.sha256(b"ughi-access-token:" + secret.encode()).digest()


def make_access_token(staff: StaffMember, *, secret: str, minutes: int) -> str:
    now = utcnow()
    claims = {
        "sub": str(staff.id),
        "role": staff.role,
        "pwd": fingerprint(staff.password_hash),
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    return jwt.encode(claims, signing_key(secret), algorithm=ALGORITHM)


def read_access_token(token: str, *, secret: str) -> dict[str, Any] | None:
    """The claims of a valid, unexpired token; None otherwise."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            signing_key(secret),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["sub", "exp", "pwd"]},
        )
    except jwt.PyJWTError:
        return None
    return claims if str(claims.get("sub", "")).isdigit() else None


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_refresh_token(session: AsyncSession, *, staff: StaffMember, days: int, family: str | None = None) -> str:
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        RefreshToken(
            token_hash=_digest(raw),
            family=family or secrets.token_hex(16),
            staff_id=staff.id,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    return raw


async def issue_pair(
    session: AsyncSession, *, staff: StaffMember, secret: str, minutes: int, days: int, family: str | None = None
) -> TokenPair:
    refresh = issue_refresh_token(session, staff=staff, days=days, family=family)
    await session.flush()
    return TokenPair(make_access_token(staff, secret=secret, minutes=minutes), refresh, minutes * 60)


@dataclass(frozen=True)
class Rotation:
    staff: StaffMember | None  # None: the token is unknown, expired, revoked, or was reused
    family: str = ""
    reused: bool = False


async def spend_refresh_token(session: AsyncSession, *, raw: str) -> Rotation:
    """Use a refresh token once. A second use means it was stolen: its whole family is revoked."""
    token = await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == _digest(raw)).with_for_update())
    now = utcnow()
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return Rotation(None)
    if token.used_at is not None:
        await revoke_family(session, family=token.family)
        return Rotation(None, token.family, reused=True)
    token.used_at = now
    staff = await session.get(StaffMember, token.staff_id)
    if staff is None or not staff.active:
        return Rotation(None)
    return Rotation(staff, token.family)


async def revoke_family(session: AsyncSession, *, family: str) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def revoke_token(session: AsyncSession, *, raw: str) -> bool:
    """Sign out: the token's family can no longer be used."""
    token = await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == _digest(raw)))
    if token is None:
        return False
    await revoke_family(session, family=token.family)
    return True


async def revoke_all(session: AsyncSession, *, staff_id: int) -> None:
    """Every session of an account ends (deactivated, password or role changed)."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.staff_id == staff_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
