"""Errors of the admin API as RFC 9457 problem details, mapped from domain errors in one handler."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from knowledge.articles import ContentError
from knowledge.errors import ContentConflict, ContentNotFound
from leads.errors import InvalidTransition, LeadError, StaffUnavailable

log = logging.getLogger(__name__)
PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE = "urn:ughi:problem:"


class ProblemDetails(BaseModel):
    """RFC 9457 problem details; extension members (e.g. `errors`, `fields`) may follow."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str = ""
    instance: str = ""


class Problem(Exception):
    """An error the API reports as a problem response; subclasses say which."""

    status = 400
    slug = "bad-request"
    title = "Bad request"
    keep_changes = False  # True: the request's writes are committed before the problem is answered

    def __init__(self, detail: str = "", *, headers: dict[str, str] | None = None, **extensions: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions


class Unauthorized(Problem):
    status, slug, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str = "", **extensions: Any) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"}, **extensions)


class Forbidden(Problem):
    status, slug, title = 403, "forbidden", "Not allowed for your role"


class FieldsNotAllowed(Problem):
    status, slug, title = 403, "field-not-allowed", "Your role may not set these fields"

    def __init__(self, fields: list[str]) -> None:
        super().__init__(f"not allowed for your role: {', '.join(fields)}", fields=fields)


class NotFound(Problem):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(Problem):
    status, slug, title = 409, "conflict", "Conflict with the current state"


class InvalidInput(Problem):
    status, slug, title = 422, "invalid-input", "The request is not valid"


class TooManyAttempts(Problem):
    status, slug, title = 429, "too-many-attempts", "Too many failed attempts"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"try again in {retry_after} seconds", headers={"Retry-After": str(retry_after)}, retry_after=retry_after
        )


# Domain errors carry their meaning; this table is the only place that gives them an HTTP status.
DOMAIN_ERRORS: dict[type[Exception], tuple[int, str, str]] = {
    ContentNotFound: (404, "not-found", "Not found"),
    ContentConflict: (409, "conflict", "Conflict with the current content"),
    ContentError: (422, "invalid-content", "The content is not valid"),
    StaffUnavailable: (422, "staff-unavailable", "This staff member cannot take leads"),
    InvalidTransition: (409, "invalid-transition", "This status change is not allowed"),
    LeadError: (409, "lead-conflict", "The lead cannot change this way"),
    IntegrityError: (409, "conflict", "Conflict with existing data"),
}
HTTP_SLUGS = {404: "not-found", 405: "method-not-allowed", 413: "too-large", 415: "unsupported-media-type"}


def problem_response(
    request: Request,
    *,
    status: int,
    slug: str,
    title: str,
    detail: str = "",
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body = {
        "type": PROBLEM_TYPE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extensions,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, Problem):
        return problem_response(
            request,
            status=exc.status,
            slug=exc.slug,
            title=exc.title,
            detail=exc.detail,
            headers=exc.headers,
            **exc.extensions,
        )
    if isinstance(exc, RequestValidationError):
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in exc.errors()
        ]
        return problem_response(
            request, status=422, slug="invalid-input", title="The request is not valid", errors=errors
        )
    if isinstance(exc, StarletteHTTPException):
        slug = HTTP_SLUGS.get(exc.status_code, "http-error")
        headers = dict(exc.headers or {})
        detail = exc.detail if isinstance(exc.detail, str) else ""
        return problem_response(
            request, status=exc.status_code, slug=slug, title=detail or slug, detail=detail, headers=headers
        )
    for cls, (status, slug, title) in DOMAIN_ERRORS.items():
        if isinstance(exc, cls):
            detail = "" if isinstance(exc, IntegrityError) else str(exc)
            return problem_response(request, status=status, slug=slug, title=title, detail=detail)
    log.exception("unhandled error in the admin API", exc_info=exc)
    return problem_response(request, status=500, slug="internal", title="Internal error")


def install_problem_handlers(app: FastAPI) -> None:
    """Every error of `app` becomes a problem response, from this one handler."""
    for cls in (Problem, RequestValidationError, StarletteHTTPException, *DOMAIN_ERRORS, Exception):
        app.add_exception_handler(cls, _handle)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem responses a route may give."""
    return {
        status: {
            "model": ProblemDetails,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
            "description": "Problem details (RFC 9457)",
        }
        for status in statuses
    }
