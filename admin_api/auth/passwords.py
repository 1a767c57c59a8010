"""Staff passwords: argon2id hashes, checked off the event loop (hashing is slow on purpose)."""

from __future__ import annotations

import asyncio
import hashlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
_hasher = PasswordHasher()
# checked when no account matches, so a wrong e-mail takes as long as a wrong password
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class WeakPassword(ValueError):
    """A password too short to protect a staff account."""


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH or not password.strip():
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")


def hash_password_sync(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


async def hash_password(password: str) -> str:
    check_strength(password)
    return await asyncio.to_thread(_hasher.hash, password)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and bool(stored)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches; always does the work of one check, also without a stored hash."""
    return await asyncio.to_thread(_verify, stored or "", password)


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def fingerprint(stored: str) -> str:
    """Changes when the password changes: access tokens carry it, so a new password ends old sessions."""
    return hashlib.sha256(b"ughi-password:" + stored.encode()).hexdigest()[:16]
