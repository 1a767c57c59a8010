"""The admin API app, mounted by ughi.app under /api/v1: routers, problem responses, size limits."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from admin_api.audit.router import router as audit_router
from admin_api.auth.router import router as auth_router
from admin_api.content import articles, search, topics, transfer, translations, versions
from admin_api.leads.router import router as leads_router
from admin_api.limits import BodySizeLimit
from admin_api.people.router import router as people_router
from admin_api.problems import install_problem_handlers, problem_responses
from admin_api.questions.router import router as questions_router
from admin_api.staff.router import router as staff_router
from admin_api.stats.router import router as stats_router
from ughi import __version__
from ughi.services import Services
from ughi.settings import Settings

PREFIX = "/api/v1"
COMMON_PROBLEMS = (400, 401, 403, 404, 413, 422)
DESCRIPTION = """The back office of Ughi for Migration Resource Centre staff.

Sign in with `POST /auth/token` (OAuth2 password flow) and send the access token as
`Authorization: Bearer ...`. Roles: **editor** (content, unanswered questions), **counsellor**
(the leads of their own centre), **admin** (everything, staff accounts, people's data, audit log).
Errors are RFC 9457 problem details (`application/problem+json`). Lists are paged with `limit`
(at most 100) and the `next_cursor` of the page before.
"""


def create_admin_app(get_services: Callable[[], Services], settings: Settings) -> FastAPI:
    """The admin API; `get_services` gives the running services (started by the parent app's lifespan)."""
    app = FastAPI(title="Ughi admin API", version=__version__, description=DESCRIPTION)
    app.state.get_services = get_services
    install_problem_handlers(app)
    routers = (
        auth_router,
        staff_router,
        topics.router,
        articles.router,
        versions.router,
        translations.router,
        transfer.router,
        search.router,
        questions_router,
        leads_router,
        people_router,
        stats_router,
        audit_router,
    )
    for router in routers:
        app.include_router(router, responses=problem_responses(*COMMON_PROBLEMS))
    app.add_middleware(
        BodySizeLimit,
        default=settings.max_request_bytes,
        per_path={"/content/import": settings.max_import_bytes},
    )
    return app
