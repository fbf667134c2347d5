"""The organisation cache (``gendan.org_cache``): read once per unit of work, and never
stale — an administrator's change in the same session, or in an earlier transaction, is
what the next question answers."""

from __future__ import annotations

from sqlmodel import Session, select

from gendan.admin.departments import set_department_head
from gendan.admin.people import update_user
from gendan.admin.roles import grant_role
from gendan.db import unit_of_work
from gendan.models import Department, User
from gendan.org import department_id, gm_office, load_actor, role_holders
from gendan.runtime import Runtime
from tests.conftest import MONDAY_10
from tests.support.statements import counted


def _ids(session: Session) -> dict[str, int]:
    users = session.exec(select(User)).all()
    return {u.username: u.id for u in users if u.id is not None}


def _heads(session: Session, key: str) -> list[str]:
    from gendan.org import department_heads

    return [u.username for u in department_heads(session, (key,))]


def test_departments_are_read_once_per_unit_of_work(rt: Runtime) -> None:
    with counted(rt.db) as seen, unit_of_work(rt.db) as s:
        ids = [department_id(s, k) for k in ("sales", "production", "sales", "quality")]
        again = [department_id(s, k) for k in ("sales", "production")]
        dep = s.get(Department, ids[0])  # kept in the session: no SELECT either
        assert dep is not None and dep.key == "sales"
    assert ids[:2] == again
    assert seen.by_kind["SELECT department"] == 1, seen.sql


def test_an_admin_change_in_the_same_session_is_seen(rt: Runtime) -> None:
    with unit_of_work(rt.db) as s:
        ids = _ids(s)
        admin = load_actor(s, ids["admin"])
        sales = department_id(s, "sales")
        assert _heads(s, "sales") == ["sales_head"]
        assert [u.username for u in role_holders(s, "salesperson", sales)] == ["sales"]
        assert "gm" in [u.username for u in gm_office(s)]

        set_department_head(s, actor=admin, now=MONDAY_10, department_id=sales,
                            user_id=ids["clerk"])  # fmt: skip
        assert _heads(s, "sales") == ["clerk"]
        grant_role(s, actor=admin, now=MONDAY_10, user_id=ids["clerk"], role="salesperson",
                   department_id=sales)  # fmt: skip
        assert [u.username for u in role_holders(s, "salesperson", sales)] == ["clerk", "sales"]
        update_user(s, actor=admin, now=MONDAY_10, user_id=ids["sales"], is_active=False)
        assert [u.username for u in role_holders(s, "salesperson", sales)] == ["clerk"]
        dep = s.get(Department, sales)
        assert dep is not None
        dep.head_user_id = ids["gm"]  # a plain ORM edit, not flushed yet
        s.add(dep)
        assert _heads(s, "sales") == ["gm"]


def test_a_change_committed_elsewhere_is_seen_by_the_next_unit_of_work(rt: Runtime) -> None:
    with unit_of_work(rt.db) as s:
        ids = _ids(s)
        assert _heads(s, "quality") == ["qa_lead"]
    with unit_of_work(rt.db) as other:  # another request (or process) changes the head
        admin = load_actor(other, ids["admin"])
        set_department_head(other, actor=admin, now=MONDAY_10,
                            department_id=department_id(other, "quality"),
                            user_id=ids["iqc"])  # fmt: skip
    with unit_of_work(rt.db) as s:
        assert _heads(s, "quality") == ["iqc"]
    with Session(rt.db) as s:  # a session that read before and reads again after a commit
        assert _heads(s, "quality") == ["iqc"]
        s.commit()
        with unit_of_work(rt.db) as other:
            admin = load_actor(other, ids["admin"])
            set_department_head(other, actor=admin, now=MONDAY_10,
                                department_id=department_id(other, "quality"),
                                user_id=ids["qa_lead"])  # fmt: skip
        assert _heads(s, "quality") == ["qa_lead"]
