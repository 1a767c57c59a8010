"""Content as YAML: export everything as one document, import one (with a dry run that only validates)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import Response

from admin_api.content.common import content_changed
from admin_api.content.schemas import ImportResult
from admin_api.deps import Audit, EditorStaff, ServicesDep, SessionDep
from admin_api.problems import InvalidInput, problem_responses
from knowledge import bundle

router = APIRouter(prefix="/content", tags=["content"])
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/plain")
YAML_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "a bundle (`topics`, `synonyms`, `articles`), as exported; or one article file",
        "content": {media: {"schema": {"type": "string"}} for media in YAML_TYPES[:1]},
    }
}


class YAMLResponse(Response):
    media_type = "application/yaml"


@router.get(
    "/export",
    response_class=YAMLResponse,
    responses={200: {"content": {"application/yaml": {"schema": {"type": "object"}}}}},
)
async def export_content(editor: EditorStaff, session: SessionDep) -> YAMLResponse:
    """All topics, synonyms and articles (drafts too) as one YAML document."""
    return YAMLResponse(await bundle.export_bundle(session))


@router.post("/import", openapi_extra=YAML_BODY, responses=problem_responses(409, 415))
async def import_content(
    request: Request,
    editor: EditorStaff,
    session: SessionDep,
    audit: Audit,
    services: ServicesDep,
    background: BackgroundTasks,
    dry_run: bool = False,
) -> ImportResult:
    """Add and update topics, synonyms and articles from YAML; nothing is deleted. Changed articles get a version."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in YAML_TYPES:
        raise InvalidInput(f"send YAML as {YAML_TYPES[0]}")
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput("the YAML must be UTF-8") from exc
    if "\x00" in text:
        raise InvalidInput("the YAML must not contain NUL characters")
    content = bundle.parse_bundle(text)
    async with session.begin_nested() as savepoint:
        report = await bundle.import_bundle(session, content=content, staff_id=editor.id)
        if dry_run:
            await savepoint.rollback()
    result = ImportResult(**vars(report))
    if not dry_run:
        audit.record("import", "content", "", after=result.model_dump())
        content_changed(background, services)
    return result
