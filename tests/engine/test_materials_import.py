"""Materials master data (issue 10 mechanism 5): an XLSX with three bad rows reports all three
(row, column, reason) and writes nothing; the clean file imports and is audited; references
to items and suppliers are checked; a stock import moves stock through gendan.stock (kind
"import") so the stock triggers run; the example files in docs/examples/ import cleanly."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, select

from gendan import masterdata
from gendan.db import unit_of_work
from gendan.demo_materials import ITEMS, as_xlsx
from gendan.errors import InvalidForm
from gendan.models import AuditEvent, BomLine, Instance, Item, Stock, StockMovement, User
from gendan.org import load_actor
from gendan.runtime import Runtime

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def run(rt: Runtime, kind: str, name: str, content: bytes, *, dry_run: bool = False):
    with unit_of_work(rt.db) as s:
        admin = s.exec(select(User).where(User.username == "admin")).one()
        return masterdata.import_file(
            s, kind=kind, file_name=name, content=content, actor=load_actor(s, admin.id),
            now=NOW, dry_run=dry_run, calendar=rt.calendar,
        )  # fmt: skip


def count(rt: Runtime, model: type) -> int:
    with Session(rt.db) as s:
        return len(s.exec(select(model)).all())


def three_bad_rows() -> bytes:
    """The example items with three bad rows: a class D, a maximum under the safety stock,
    a lead time that is not a number."""
    rows = [list(r) for r in ITEMS]
    rows[1][6] = "D"  # row 2: ABC class
    rows[3][14] = 100  # row 4: maximum 100 < safety 210
    rows[5][9] = "两周"  # row 6: lead time
    return as_xlsx(rows)


def test_three_bad_rows_reported_nothing_written_then_the_clean_file_is_audited(
    rt: Runtime,
) -> None:
    bad = three_bad_rows()
    for dry_run in (True, False):
        report = run(rt, "items", "items.xlsx", bad, dry_run=dry_run)
        assert [(e.row, e.column) for e in report.errors] == [
            (2, "abc_class"),
            (4, "max_qty"),
            (6, "lead_days"),
        ]
        assert all(e.reason for e in report.errors) and not report.written
        assert [e.reason for e in report.errors] == [  # in both languages
            "须为以下之一 / must be one of: 'A', 'B' or 'C'",
            "below the safety stock / 最高库存低于安全库存",
            "须为整数 / must be a whole number",
        ]
    assert count(rt, Item) == 0
    with Session(rt.db) as s:
        audited = select(AuditEvent).where(AuditEvent.action == "admin.master_import")
        assert s.exec(audited).all() == []

    clean = (EXAMPLES / "items.xlsx").read_bytes()
    report = run(rt, "items", "items.xlsx", clean)
    assert report.written and (report.created, report.rows) == (5, 5)
    with Session(rt.db) as s:
        [event] = s.exec(select(AuditEvent).where(AuditEvent.action == "admin.master_import"))
        bus = s.exec(select(Item).where(Item.code == "BUS-TMY60")).one()
    assert event.detail["file_name"] == "items.xlsx" and event.detail["by"] == "admin"
    assert event.detail["sha256"] == hashlib.sha256(clean).hexdigest()
    assert (event.detail["rows"], event.detail["kind"]) == (5, "items")
    assert (bus.factor, bus.safety_peak, bus.requisition_class, bus.urgent) == (
        3.2, 180, "safety", True
    )  # fmt: skip
    again = run(rt, "items", "items.xlsx", clean)  # re-imported whole: updated, not duplicated
    assert (again.created, again.updated, count(rt, Item)) == (0, 5, 5)


def test_references_are_checked_and_stock_moves_through_the_stock_module(rt: Runtime) -> None:
    prices = b"supplier_code,item_code,price\nS001,CAB-SHEET,265\nS9,NOPE,1\n"
    report = run(rt, "prices", "prices.csv", prices)
    assert {(e.row, e.column) for e in report.errors} == {
        (2, "supplier_code"), (2, "item_code"), (3, "supplier_code"), (3, "item_code")
    }  # fmt: skip
    for kind, name in (
        ("items", "items.xlsx"),
        ("suppliers", "suppliers.csv"),
        ("prices", "prices.csv"),
        ("subcontractors", "subcontractors.csv"),
        ("bom", "bom.csv"),
        ("stock", "stock.csv"),
    ):
        report = run(rt, kind, name, (EXAMPLES / name).read_bytes())
        assert report.written, (kind, report.errors)
    assert count(rt, BomLine) == 5
    with Session(rt.db) as s:
        moves = s.exec(select(StockMovement).order_by(StockMovement.id)).all()
        started = s.exec(select(Instance).order_by(Instance.id)).all()
    assert {m.kind for m in moves} == {"import"} and len(moves) == 5
    assert all(m.ref.startswith("import:") and m.by_id for m in moves)
    # the imported levels ran the triggers: the busbar under safety, the paint at its maximum
    assert [(i.procedure, i.subject_key) for i in started] == [
        ("reorder_chase", "BUS-TMY60"),
        ("overstock_warning", "PAINT-7035"),
    ]
    # a second stock import: in transit set, on hand moved by the difference only
    run(rt, "stock", "stock.csv", b"item_code,warehouse,on_hand,in_transit\nCAB-SHEET,RM,300,50\n")
    with Session(rt.db) as s:
        sheet = s.exec(select(Stock).where(Stock.item_code == "CAB-SHEET")).one()
        last = s.exec(select(StockMovement).order_by(StockMovement.id.desc())).first()
    assert (sheet.on_hand, sheet.in_transit, last.qty) == (300, 50, -20)


def test_an_entered_stock_record_is_an_adjustment_and_bad_values_are_422(rt: Runtime) -> None:
    run(rt, "items", "items.xlsx", (EXAMPLES / "items.xlsx").read_bytes())
    with unit_of_work(rt.db) as s:
        admin = load_actor(s, s.exec(select(User).where(User.username == "admin")).one().id)
        values = {"item_code": "LOCK-MS705", "warehouse": "RM", "on_hand": 12}
        masterdata.save(s, kind="stock", values=values, actor=admin, now=NOW,
                        calendar=rt.calendar)  # fmt: skip
    with Session(rt.db) as s:
        [move] = s.exec(select(StockMovement)).all()
    assert (move.kind, move.qty) == ("adjust", 12)
    for values, field in (
        ({"item_code": "NOPE", "on_hand": 1}, "item_code"),
        ({"item_code": "LOCK-MS705", "on_hand": -1}, "on_hand"),
    ):
        try:
            with unit_of_work(rt.db) as s:
                masterdata.save(s, kind="stock", values=values, actor=admin, now=NOW,
                                calendar=rt.calendar)  # fmt: skip
        except InvalidForm as exc:
            assert field in exc.errors
        else:
            raise AssertionError(f"{values} was accepted")
