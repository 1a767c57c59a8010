"""Dependencies of the routes: services, one database session per request, the signed-in staff member, audit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, cast

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.auth.passwords import fingerprint
from admin_api.auth.tokens import read_access_token
from admin_api.models import AuditEntry
from admin_api.problems import Forbidden, Problem, Unauthorized
from leads.models import StaffMember
from ughi.services import Services

bearer = OAuth2PasswordBearer(tokenUrl="auth/token", auto_error=False)


def get_services(request: Request) -> Services:
    return cast(Services, request.app.state.get_services())


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_session(services: ServicesDep) -> AsyncIterator[AsyncSession]:
    """One unit of work per request, committed before the response is sent and rolled back on error
    (a problem marked `keep_changes`, such as a counted failed login, commits first)."""
    async with services.sessions() as session:
        try:
            yield session
        except Problem as exc:
            await (session.commit() if exc.keep_changes else session.rollback())
            raise
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


# scope="function": the commit happens before the response goes out, so a failed commit is a 5xx, not a lie
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def current_staff(
    session: SessionDep, services: ServicesDep, token: Annotated[str | None, Depends(bearer)]
) -> StaffMember:
    if not token:
        raise Unauthorized("sign in first: send the access token as a Bearer token")
    claims = read_access_token(token, secret=services.settings.secret_key.get_secret_value())
    if claims is None:
        raise Unauthorized("the access token is not valid or has expired")
    staff = await session.get(StaffMember, int(claims["sub"]))
    if staff is None or not staff.active or claims.get("pwd") != fingerprint(staff.password_hash):
        raise Unauthorized("this session has ended: sign in again")
    return staff


CurrentStaff = Annotated[StaffMember, Depends(current_staff)]


def require(*roles: str) -> Callable[[StaffMember], Coroutine[Any, Any, StaffMember]]:
    async def staff_with_role(staff: CurrentStaff) -> StaffMember:
        if staff.role not in roles:
            raise Forbidden(f"this needs the role {' or '.join(roles)}; you are {staff.role}")
        return staff

    return staff_with_role


AdminStaff = Annotated[StaffMember, Depends(require("admin"))]
EditorStaff = Annotated[StaffMember, Depends(require("admin", "editor"))]
CounsellorStaff = Annotated[StaffMember, Depends(require("admin", "counsellor"))]


@dataclass
class Auditor:
    """Writes audit entries in the request's own transaction: the entry exists exactly when the change does."""

    session: AsyncSession
    staff: StaffMember
    ip: str

    def record(
        self,
        action: str,
        resource_type: str,
        resource_id: object = "",
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        self.session.add(
            AuditEntry(
                staff_id=self.staff.id,
                staff_email=self.staff.email,
                action=action,
                resource_type=resource_type,
                resource_id=str(resource_id)[:128],
                before=before,
                after=after,
                ip=self.ip,
            )
        )


async def get_auditor(session: SessionDep, staff: CurrentStaff, request: Request) -> Auditor:
    return Auditor(session=session, staff=staff, ip=request.client.host if request.client else "")


Audit = Annotated[Auditor, Depends(get_auditor)]
