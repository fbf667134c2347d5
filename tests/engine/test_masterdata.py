"""Master data: imports report every bad row and write nothing until clean; clean ones audit."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime

import pytest
from openpyxl import Workbook
from sqlmodel import Session, select

from gendan import masterdata
from gendan.db import unit_of_work
from gendan.demo import Driver, order_form
from gendan.errors import InvalidForm
from gendan.masterdata import RowError
from gendan.models import AuditEvent, Customer, ProductionTeam
from gendan.org import load_actor
from gendan.runtime import Runtime
from tests.engine.helpers import order

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

CLEAN = (
    "客户编码,客户名称,客户等级,信用条件,联系人,联系电话,邮箱\n"
    "C001,宁波华东机电有限公司,A,月结30天,陈经理,13800000001,chen@hd.example\n"
    "C002,杭州某电气,b,款到发货,,,\n"
)
BAD = (
    "code,name,customer_class,contact_email\n"
    "C001,宁波华东机电有限公司,A,chen@hd.example\n"
    "C002,,D,not-an-address\n"
    "C001,重复,B,\n"
    ",无编码,C,\n"
)


def run(rt: Runtime, kind: str, name: str, content: bytes, *, dry_run: bool = False):
    with unit_of_work(rt.db) as s:
        admin = load_actor(s, _uid(s, "admin"))
        return masterdata.import_file(
            s, kind=kind, file_name=name, content=content, actor=admin, now=NOW, dry_run=dry_run
        )


def _uid(s: Session, username: str) -> int:
    from gendan.models import User

    user = s.exec(select(User).where(User.username == username)).one()
    assert user.id is not None
    return user.id


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for r in rows:
        book.active.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def count(rt: Runtime, model: type) -> int:
    with Session(rt.db) as s:
        return len(s.exec(select(model)).all())


def test_bad_file_reports_every_bad_row_and_writes_nothing(rt: Runtime) -> None:
    report = run(rt, "customers", "customers.csv", BAD.encode())
    assert not report.written
    assert sorted((e.row, e.column) for e in report.errors) == [
        (3, "contact_email"),
        (3, "customer_class"),
        (3, "name"),
        (4, "code"),
        (5, "code"),
    ]
    assert all(e.reason for e in report.errors)
    assert count(rt, Customer) == 0
    with Session(rt.db) as s:
        assert not s.exec(
            select(AuditEvent).where(AuditEvent.action == "admin.master_import")
        ).all()


def test_unknown_and_missing_columns_are_row_1_errors(rt: Runtime) -> None:
    report = run(rt, "customers", "c.csv", b"code,colour\nC1,red\n")
    assert set(report.errors) >= {
        RowError(1, "colour", "unknown column / 未知的列"),
        RowError(1, "name", "required column missing / 缺少必需的列"),
    }


def test_dry_run_of_a_clean_file_writes_nothing(rt: Runtime) -> None:
    report = run(rt, "customers", "customers.csv", CLEAN.encode(), dry_run=True)
    assert (report.errors, report.written, report.rows) == ([], False, 2)
    assert count(rt, Customer) == 0


def test_clean_import_writes_and_is_audited_with_file_hash_and_rows(rt: Runtime) -> None:
    content = CLEAN.encode()
    report = run(rt, "customers", "customers.csv", content)
    assert (report.written, report.created, report.updated) == (True, 2, 0)
    with Session(rt.db) as s:
        rows = {c.code: c for c in s.exec(select(Customer)).all()}
        [event] = s.exec(select(AuditEvent).where(AuditEvent.action == "admin.master_import"))
    assert rows["C002"].customer_class == "B" and rows["C001"].credit_terms == "月结30天"
    assert event.detail["sha256"] == hashlib.sha256(content).hexdigest()
    assert (event.detail["file_name"], event.detail["rows"], event.detail["by"]) == (
        "customers.csv",
        2,
        "admin",
    )
    again = run(rt, "customers", "customers.csv", content)  # re-imported: updated, not doubled
    assert (again.created, again.updated) == (0, 2) and count(rt, Customer) == 2


def test_xlsx_lines_then_teams(rt: Runtime) -> None:
    lines = xlsx(
        [["生产线代码", "中文名称", "英文名称", "所属部门"], ["l1", "一号线", "Line 1", "workshop"]]
    )
    assert run(rt, "lines", "lines.xlsx", lines).written
    teams = xlsx(
        [
            ["line", "key", "name_zh", "name_en", "kind"],
            ["l1", "sample", "样品组", "Sample team", "sample"],
            ["l1", "ded1", "专线一组", "Dedicated 1", "dedicated"],
            ["l9", "xx", "无线", "No line", "regular"],
            ["l1", "bad", "类型错", "Bad kind", "special"],
        ]
    )
    report = run(rt, "teams", "teams.xlsx", teams)
    assert sorted((e.row, e.column) for e in report.errors) == [(4, "line"), (5, "kind")]
    assert count(rt, ProductionTeam) == 0
    fixed = xlsx(
        [
            ["line", "key", "name_zh", "name_en", "kind"],
            ["l1", "sample", "样品组", "Sample team", "sample"],
            ["l1", "ded1", "专线一组", "Dedicated 1", "dedicated"],
        ]
    )
    assert run(rt, "teams", "teams.xlsx", fixed).created == 2
    with Session(rt.db) as s:
        [(line, teams_of)] = masterdata.lines_with_teams(s)
    assert line.key == "l1" and sorted(t.kind for t in teams_of) == ["dedicated", "sample"]


def test_settings_override_the_default_and_are_checked(rt: Runtime) -> None:
    with Session(rt.db) as s:
        assert masterdata.setting(s, "urgent_small_order_max") == 50
    bad = run(rt, "settings", "s.csv", b"key,value\nurgent_small_order_max,lots\nnope,3\n")
    assert sorted((e.row, e.column) for e in bad.errors) == [(2, "value"), (3, "key")]
    assert run(rt, "settings", "s.csv", b"key,value\nurgent_small_order_max,80\n").written
    with Session(rt.db) as s:
        assert masterdata.setting(s, "urgent_small_order_max") == 80


def test_an_unreadable_xlsx_is_one_error(rt: Runtime) -> None:
    report = run(rt, "customers", "c.xlsx", b"not a workbook")
    assert [(e.row, e.column) for e in report.errors] == [(1, "")] and not report.written


def test_entered_record_is_validated_and_audited_with_old_and_new(rt: Runtime) -> None:
    with unit_of_work(rt.db) as s:
        admin = load_actor(s, _uid(s, "admin"))
        with pytest.raises(InvalidForm) as info:
            masterdata.save(
                s,
                kind="customers",
                values={"code": "C9", "name": "X", "customer_class": "Z"},
                actor=admin,
                now=NOW,
            )
        assert "customer_class" in info.value.errors
    with unit_of_work(rt.db) as s:
        admin = load_actor(s, _uid(s, "admin"))
        values = {"code": "C9", "name": "某客户", "customer_class": "C"}
        masterdata.save(s, kind="customers", values=values, actor=admin, now=NOW)
        masterdata.save(
            s, kind="customers", values={**values, "customer_class": "A"}, actor=admin, now=NOW
        )
    with Session(rt.db) as s:
        events = s.exec(
            select(AuditEvent)
            .where(AuditEvent.action.like("admin.master_customers%"))
            .order_by(AuditEvent.seq)
        ).all()
    assert [e.action for e in events] == [
        "admin.master_customers_created",
        "admin.master_customers_updated",
    ]
    assert events[1].changes == {"customer_class": {"old": "C", "new": "A"}}


def test_order_intake_takes_a_known_customers_class(rt: Runtime) -> None:
    run(rt, "customers", "customers.csv", CLEAN.encode())
    d = Driver(rt, NOW)
    d.start(
        "order_review",
        "clerk",
        {**order_form("SO-M1", "regular", now=NOW), "customer": "杭州某电气"},
    )
    d.start(
        "order_review", "clerk", {**order_form("SO-M2", "regular", now=NOW), "customer": "新客户"}
    )
    assert order(rt, "SO-M1").customer_class == "B"  # the master data's, not the form's A
    assert order(rt, "SO-M2").customer_class == "A"  # unknown customer: the form's value
