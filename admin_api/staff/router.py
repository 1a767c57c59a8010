"""Staff accounts, for admins: list, create, read, change (deactivate instead of delete)."""

from __future__ import annotations

from fastapi import APIRouter, status

from admin_api.deps import AdminStaff, Audit, SessionDep
from admin_api.pagination import Cursor, Limit, Page, decode_cursor, page_of
from admin_api.params import IntId
from admin_api.problems import problem_responses
from admin_api.staff import service
from admin_api.staff.schemas import Role, StaffCreate, StaffRead, StaffUpdate

router = APIRouter(prefix="/staff", tags=["staff"])


@router.get("")
async def list_staff(
    admin: AdminStaff,
    session: SessionDep,
    role: Role | None = None,
    active: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[StaffRead]:
    after = decode_cursor(cursor, int)
    rows = await service.list_staff(
        session, after_id=after[0] if after else None, limit=limit + 1, role=role, active=active
    )
    items, next_cursor = page_of(rows, limit, lambda s: (s.id,))
    return Page(items=[StaffRead.model_validate(s) for s in items], next_cursor=next_cursor)


@router.post("", status_code=status.HTTP_201_CREATED, responses=problem_responses(409))
async def create_staff(body: StaffCreate, admin: AdminStaff, session: SessionDep, audit: Audit) -> StaffRead:
    staff = await service.create_staff(session, **body.model_dump())
    audit.record("create", "staff", staff.id, after=service.snapshot(staff))
    return StaffRead.model_validate(staff)


@router.get("/{staff_id}")
async def get_staff(staff_id: IntId, admin: AdminStaff, session: SessionDep) -> StaffRead:
    return StaffRead.model_validate(await service.get_staff(session, staff_id=staff_id))


@router.patch("/{staff_id}", responses=problem_responses(409))
async def update_staff(
    staff_id: IntId, body: StaffUpdate, admin: AdminStaff, session: SessionDep, audit: Audit
) -> StaffRead:
    """Change an account; deactivating it, or changing its role or password, ends its sessions."""
    staff = await service.get_staff(session, staff_id=staff_id)
    before = service.snapshot(staff)
    changes = body.model_dump(exclude_unset=True)
    await service.update_staff(session, staff=staff, changes=changes, actor=admin)
    audit.record(
        "update", "staff", staff.id, before=before, after=service.snapshot(staff) | service.password_mark(changes)
    )
    return StaffRead.model_validate(staff)
