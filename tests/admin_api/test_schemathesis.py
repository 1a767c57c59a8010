"""Schemathesis against the admin API's own OpenAPI schema: no 5xx, no response outside the schema."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from admin_api.auth.tokens import make_access_token
from leads.models import StaffMember
from tests.admin_api.conftest import CONTENT, password_hash
from ughi.app import create_app
from ughi.db import make_engine, make_sessionmaker, transaction, upgrade
from ughi.settings import Settings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# examples per operation: few, so the suite stays fast; UGHI_FUZZ_EXAMPLES=200 for a long run by hand
EXAMPLES = {
    GenerationMode.POSITIVE: int(os.environ.get("UGHI_FUZZ_EXAMPLES", "3")),
    GenerationMode.NEGATIVE: int(os.environ.get("UGHI_FUZZ_EXAMPLES", "2")),
}


async def _admin_token(settings: Settings) -> str:
    engine = make_engine(settings.resolved_database_url, schema=settings.database_schema)
    try:
        await upgrade(engine)
        async with transaction(make_sessionmaker(engine)) as session:
            admin = StaffMember(email="fuzz@ughi.test", role="admin", password_hash=password_hash(), active=True)
            session.add(admin)
            await session.flush()
            return make_access_token(admin, secret=settings.secret_key.get_secret_value(), minutes=60)
    finally:
        await engine.dispose()


@pytest.fixture
def fuzzed_schema(settings: Settings) -> Iterator[tuple[schemathesis.BaseSchema, str]]:
    """The schema as the running app serves it, and an admin's token (the role that reaches every route)."""
    token = asyncio.run(_admin_token(settings))
    app = create_app(settings.model_copy(update={"content_dir": CONTENT}))
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)  # starts the app's lifespan
    try:
        yield schema, token
    finally:
        shutdown_lifespans()


def test_every_operation_answers_within_its_schema(fuzzed_schema: tuple[schemathesis.BaseSchema, str]) -> None:
    schema, token = fuzzed_schema
    operations: list[Any] = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 50
    for operation in operations:
        for mode in GenerationMode:
            try:
                _fuzz(operation, mode, token)
            except Unsatisfiable:
                # nothing of this operation can be made invalid (no parameters, no body): positive cases cover it
                assert mode is GenerationMode.NEGATIVE, operation.label


def _fuzz(operation: Any, mode: GenerationMode, token: str) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def answers_within_schema(case: Any) -> None:
        headers = None if case.path == "/auth/token" else {"Authorization": f"Bearer {token}"}
        case.call_and_validate(headers=headers, checks=CHECKS)

    answers_within_schema()
