"""Roles (岗位): the roles there are, and granting or revoking one in a department."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from gendan.admin.changes import record
from gendan.admin.departments import find_department
from gendan.admin.people import get_user
from gendan.admin.validation import REQUIRED, clean, parse_id, raise_errors
from gendan.errors import NotFound
from gendan.models import Department, UserRole
from gendan.org import HEAD_ROLE, Actor

#: Role key → (Chinese, English): PROCEDURES.md "Roles", plus the system's own two.
ROLES: dict[str, tuple[str, str]] = {
    "sales_clerk": ("销售内勤", "Sales clerk"),
    "salesperson": ("业务员", "Salesperson"),
    "merchandiser": ("跟单员", "Merchandiser"),
    "merchandising_lead": ("跟单主管", "Merchandising lead"),
    "production_planner": ("生产计划员 (PC)", "Production planner (PC)"),
    "material_controller": ("物控计划员 (MC)", "Material controller (MC)"),
    "mc_section_head": ("物控科长", "MC section head"),
    "production_manager": ("生产部经理", "Production manager"),
    "workshop_director": ("车间主任", "Workshop director"),
    "engineering": ("技术部", "Engineering"),
    "buyer": ("采购员", "Buyer"),
    "purchasing_lead": ("采购主管", "Purchasing lead"),
    "warehouse_keeper": ("仓管员", "Warehouse keeper"),
    "fg_keeper": ("成品库保管员 / 成品收料员", "Finished goods keeper"),
    "qc_inspector": ("品管检验员", "QC inspector"),
    "qa_lead": ("质管部领导", "QA lead"),
    "outsourcing_coordinator": ("外协员", "Outsourcing coordinator"),
    "subcon_material_clerk": ("外协物料调拨员", "Subcontract material clerk"),
    "finance": ("财务", "Finance"),
    "finance_director": ("财务总监", "Finance director"),
    "admin_hr": ("行政人事", "Admin and HR"),
    "after_sales": ("售后服务", "After-sales"),
    "logistics": ("储运", "Logistics"),
    "dispatcher": ("生产调度", "Dispatcher"),
    "packing_lead": ("包装部门领导", "Packing lead"),
    "pmc_manager": ("生产计划物控部主管", "PMC manager"),
    "group_gm": ("集团总经理", "Group general manager"),
    "dept_head": ("部门领导", "Department head"),
    "deputy_gm": ("副总经理", "Deputy general manager"),
    "general_manager": ("总经理", "General manager"),
    "auditor": ("审核员", "Auditor"),
    "admin": ("系统管理员", "Administrator"),
}


def _role_labels(session: Session, user_id: int) -> list[str]:
    rows = session.exec(
        select(UserRole.role, Department.key)
        .join(Department, Department.id == UserRole.department_id)
        .where(UserRole.user_id == user_id)
    ).all()
    return sorted(f"{role}@{dep}" for role, dep in rows)


def _check_grant(
    session: Session, user_id: int, role: Any, department_id: Any
) -> tuple[str, Department]:
    """The role key and department of a new grant (``InvalidForm`` if not grantable)."""
    errors: dict[str, str] = {}
    key = clean(role, max_len=40)
    if key not in ROLES:
        errors["role"] = "未知的岗位 / unknown role"
    dep_id = parse_id(department_id, "department_id", errors)
    if dep_id is None and "department_id" not in errors:
        errors["department_id"] = REQUIRED
    dep = find_department(session, dep_id, "department_id", errors)
    if (
        not errors
        and session.exec(
            select(UserRole.id).where(
                UserRole.user_id == user_id, UserRole.role == key, UserRole.department_id == dep_id
            )
        ).first()
    ):
        errors["role"] = "已有此岗位 / already holds this role in this department"
    raise_errors(errors)
    assert dep is not None
    return key, dep


def grant_role(
    session: Session, *, actor: Actor, now: datetime, user_id: Any, role: Any, department_id: Any
) -> int:
    """Give a person a role in a department (岗位); returns the grant's id."""
    user = get_user(session, user_id)
    assert user.id is not None
    if str(role or "").strip() == HEAD_ROLE:  # the department's head field decides (org)
        raise_errors(
            {"role": "部门领导请在“部门”页设置 / set a department's head on the Departments page"}
        )
    key, dep = _check_grant(session, user.id, role, department_id)
    before = _role_labels(session, user.id)
    grant = UserRole(user_id=user.id, role=key, department_id=dep.id)
    session.add(grant)
    session.flush()
    assert grant.id is not None
    record(
        session,
        actor=actor,
        now=now,
        what="role_granted",
        changes={"roles": {"old": before, "new": _role_labels(session, user.id)}},
        detail={
            "user_id": user.id,
            "username": user.username,
            "role": key,
            "department": dep.key,
        },
    )
    return grant.id


def revoke_role(
    session: Session, *, actor: Actor, now: datetime, user_id: Any, role_id: Any
) -> None:
    """Take a role back; an administrator cannot take their own admin role (no lock-out)."""
    user = get_user(session, user_id)
    assert user.id is not None
    errors: dict[str, str] = {}
    rid = parse_id(role_id, "role", errors)
    grant = session.get(UserRole, rid) if rid is not None else None
    if grant is None or grant.user_id != user.id:
        raise NotFound(f"user {user.username} has no role grant {role_id}")
    if grant.role == "admin" and user.id == actor.user_id:
        errors["role"] = "不能撤销自己的管理员岗位 / you cannot revoke your own administrator role"
    raise_errors(errors)
    dep = session.get(Department, grant.department_id)
    before = _role_labels(session, user.id)
    session.delete(grant)
    session.flush()
    record(
        session,
        actor=actor,
        now=now,
        what="role_revoked",
        changes={"roles": {"old": before, "new": _role_labels(session, user.id)}},
        detail={
            "user_id": user.id,
            "username": user.username,
            "role": grant.role,
            "department": dep.key if dep else grant.department_id,
        },
    )
