"""The end-to-end bot (real aiogram, fake Bot API on loopback) for the privacy tests, and raw database bytes."""

from __future__ import annotations

from tests.e2e.conftest import api, ughi  # noqa: F401  (fixtures)
