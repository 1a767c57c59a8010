"""Sign in (OAuth2 password flow), refresh, sign out, and one's own account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response, status
from pydantic import BaseModel, Field

from admin_api.auth import service
from admin_api.auth.passwords import verify_password
from admin_api.auth.tokens import TokenPair
from admin_api.deps import Audit, CurrentStaff, ServicesDep, SessionDep
from admin_api.params import InputModel, Text
from admin_api.problems import FieldsNotAllowed, Forbidden, problem_responses
from admin_api.staff.schemas import StaffRead, StaffSelfUpdate
from admin_api.staff.service import password_mark, snapshot, update_staff

router = APIRouter(prefix="/auth", tags=["auth"])
SELF_FIELDS = {
    "admin": {"name", "password", "current_password", "email"},
    "editor": {"name", "password", "current_password"},
    "counsellor": {"name", "password", "current_password"},
}


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds the access token is valid")
    refresh_token: str


class RefreshIn(InputModel):
    refresh_token: Annotated[str, Field(min_length=1, max_length=200)]


def _token_out(pair: TokenPair, response: Response) -> TokenOut:
    response.headers["Cache-Control"] = "no-store"
    return TokenOut(access_token=pair.access_token, expires_in=pair.expires_in, refresh_token=pair.refresh_token)


@router.post("/token", responses=problem_responses(429))
async def sign_in(
    request: Request,
    response: Response,
    session: SessionDep,
    services: ServicesDep,
    username: Annotated[Text, Form(max_length=254, description="the staff member's e-mail")],
    password: Annotated[Text, Form(max_length=1024)],
    grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
) -> TokenOut:
    """OAuth2 password flow: a short-lived access token and a refresh token. Failed attempts are throttled."""
    ip = request.client.host if request.client else ""
    pair = await service.login(session, email=username, password=password, ip=ip, settings=services.settings)
    return _token_out(pair, response)


@router.post("/refresh")
async def refresh(body: RefreshIn, response: Response, session: SessionDep, services: ServicesDep) -> TokenOut:
    """A new token pair; the refresh token sent is spent (sending it again ends that sign-in everywhere)."""
    return _token_out(await service.refresh(session, raw=body.refresh_token, settings=services.settings), response)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def sign_out(body: RefreshIn, session: SessionDep) -> None:
    """Sign out: the refresh token and those refreshed from the same sign-in stop working."""
    await service.sign_out(session, raw=body.refresh_token)


@router.get("/me")
async def me(staff: CurrentStaff) -> StaffRead:
    return StaffRead.model_validate(staff)


@router.patch("/me")
async def update_me(body: StaffSelfUpdate, staff: CurrentStaff, session: SessionDep, audit: Audit) -> StaffRead:
    """Change one's own name or password (with the current one). Role, centre and status are set by admins."""
    refused = sorted(body.model_fields_set - SELF_FIELDS.get(staff.role, set()))
    if refused:
        raise FieldsNotAllowed(refused)
    changes = body.model_dump(exclude_unset=True, exclude={"current_password"})
    if "password" in changes and not await verify_password(staff.password_hash, body.current_password or ""):
        raise Forbidden("the current password is wrong")
    before = snapshot(staff)
    await update_staff(session, staff=staff, changes=changes, actor=staff, own_account=True)
    audit.record("update", "staff", staff.id, before=before, after=snapshot(staff) | password_mark(changes))
    return StaffRead.model_validate(staff)
