"""§7 stocktaking through the engine on a real database with time injected: the count's
tables, the snapshot at the set time, rounds compared into a recount list of exactly the
differing items, the 盘点单, the four-eyes approval and the corrections posted as stock
movements and exported (CSV, XLSX)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from gendan import stock
from gendan.count_export import as_csv, as_xlsx, find_count
from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.errors import Conflict, InvalidForm, NotAllowed
from gendan.models import Instance, Item, Stock, StockCount, StockMovement
from gendan.prefill import prefill
from tests.engine.count_driver import (
    PLAN,
    SET_TIME,
    count_lines,
    forms_of,
    items_in_stock,
    local,
    round_form,
    run_jobs,
    start_count,
    sweep,
    to_counting,
)
from tests.engine.helpers import instance, open_tasks
from tests.engine.plan_driver import state, tasks_of


@pytest.fixture
def d(driver: Driver) -> Driver:
    driver.now = local(2026, 11, 23, 10)
    items_in_stock(driver, driver.now)
    return driver


def test_organise_opens_two_working_days_before_the_count_day(d: Driver) -> None:
    iid = start_count(d)
    assert state(d, iid) == "organising"
    assert instance(d.rt, iid).subject_key == "PD-20261127-RM-ABC"
    with pytest.raises(Conflict):  # the same count twice at once
        start_count(d)
    [task] = tasks_of(d, iid, "scheduled")
    assert task.opens_at == local(2026, 11, 25, 8)  # the start of Wed 25th's working day
    sweep(d, local(2026, 11, 25, 9))
    [task] = open_tasks(d.rt, iid)
    assert task.role == "warehouse_keeper"
    assert task.due_at is not None and task.due_at.date().isoformat() == "2026-11-26"


def test_two_disagreeing_rounds_give_the_recount_list_of_exactly_the_differing_items(
    d: Driver,
) -> None:
    iid = start_count(d)
    d.now = local(2026, 11, 26, 12)  # a receipt before the set time is in the book
    with unit_of_work(d.rt.db) as s:
        stock.move(s, item_code="RM-BOLT", qty=5, kind="receipt", now=d.now,
                   calendar=d.rt.calendar)  # fmt: skip
    to_counting(d, iid)
    assert [ln.book_qty for ln in count_lines(d, iid)] == [None, None, None]  # not frozen yet
    lists = prefill("stock_count", instance(d.rt, iid).data, "count_list")
    assert lists["round"] == 1 and [r["item_code"] for r in lists["rows"]] == [
        "RM-BOLT",
        "RM-PAINT",
        "RM-STEEL",
    ]  # the generated 盘点清单 is round 1's form
    d.now = local(2026, 11, 26, 18)  # an issue after the set time is not in the book
    with unit_of_work(d.rt.db) as s:
        stock.move(s, item_code="RM-STEEL", qty=-10, kind="issue", now=d.now,
                   calendar=d.rt.calendar)  # fmt: skip

    sweep(d, local(2026, 11, 27, 9))  # count day
    d.act(iid, "wh_staff", "count_round",
          round_form(1, {"RM-BOLT": 505, "RM-PAINT": 38, "RM-STEEL": 90}))  # fmt: skip
    lines = count_lines(d, iid)
    assert {(ln.item_code, ln.book_qty) for ln in lines} == {
        ("RM-BOLT", 505.0),
        ("RM-PAINT", 40.0),
        ("RM-STEEL", 100.0),
    }  # what the book said at 17:00 the day before
    d.act(iid, "finance", "supervise")
    [run] = run_jobs(d)
    assert run.event == "recount"  # round 1 is followed by a full second count
    assert [r["item_code"] for r in forms_of(d, iid)["recount"]["rows"]] == [
        "RM-BOLT",
        "RM-PAINT",
        "RM-STEEL",
    ]
    d.act(
        iid,
        "keeper",
        "count_round",
        round_form(2, {"RM-BOLT": 500, "RM-PAINT": 39, "RM-STEEL": 90}, counter="keeper"),
    )
    d.act(iid, "finance", "supervise")
    [run] = run_jobs(d)

    # Done when: exactly the items whose two rounds differ
    assert run.event == "recount"
    recount = forms_of(d, iid)["recount"]
    assert recount["round"] == 3
    assert [r["item_code"] for r in recount["rows"]] == ["RM-BOLT", "RM-PAINT"]
    pending = [(ln.item_code, ln.round) for ln in count_lines(d, iid) if ln.counted_qty is None]
    assert pending == [("RM-BOLT", 3), ("RM-PAINT", 3)]  # the round's lines, queryable

    with pytest.raises(InvalidForm) as bad:  # round 3 lists only the recount items
        d.act(iid, "wh_staff", "count_round", round_form(3, {"RM-BOLT": 500, "RM-STEEL": 90}))
    assert set(bad.value.errors) == {"rows.1.item_code", "rows"}

    d.act(iid, "wh_staff", "count_round", round_form(3, {"RM-BOLT": 500, "RM-PAINT": 39}))
    d.act(iid, "finance", "supervise")
    [run] = run_jobs(d)
    assert run.event == "rounds_agree"
    sheet = {r["item_code"]: r for r in forms_of(d, iid)["rounds_agree"]["rows"]}
    bolt = sheet["RM-BOLT"]
    assert (bolt["book"], bolt["moved"], bolt["counted"], bolt["difference"]) == (505, 0, 500, -5)
    assert (sheet["RM-STEEL"]["book"], sheet["RM-STEEL"]["moved"]) == (100, -10)
    assert sheet["RM-STEEL"]["difference"] == 0  # the issue after the snapshot is no loss
    assert sheet["RM-PAINT"]["difference"] == -1
    assert state(d, iid) == "sheet_review"


def _to_approval(d: Driver, iid: int, counted: dict[str, float]) -> None:
    sweep(d, local(2026, 11, 27, 9))
    for n, counter in ((1, "wh_staff"), (2, "keeper")):
        d.act(iid, counter, "count_round", round_form(n, counted, counter=counter))
        d.act(iid, "finance", "supervise")
        run_jobs(d)
    assert state(d, iid) == "sheet_review"
    d.act(iid, "fin_dir", "review_sheet")
    with pytest.raises(InvalidForm) as bad:
        d.act(iid, "finance", "report_variance", {"analysis": "x", "reconciled": False})
    assert set(bad.value.errors) == {"reconciled"}
    d.act(iid, "finance", "report_variance", {
        "reconciled": True, "analysis": "油漆挥发 / paint dried out",
        "causes": [{"item_code": "RM-PAINT", "cause": "挥发 / evaporation"}],
    })  # fmt: skip
    assert state(d, iid) == "approval"


def test_approval_by_someone_who_did_not_count_posts_and_exports_the_corrections(
    d: Driver,
) -> None:
    with unit_of_work(d.rt.db) as s:  # paint is kept at a safety stock of 38 (§5b watches it)
        paint = s.exec(select(Item).where(Item.code == "RM-PAINT")).one()
        paint.requisition_class, paint.safety_peak, paint.safety_off = "safety", 38, 38
        s.add(paint)
    iid = start_count(d)
    to_counting(d, iid)
    _to_approval(d, iid, {"RM-BOLT": 502, "RM-PAINT": 37, "RM-STEEL": 100})
    d.act(iid, "gm", "approve_count")
    [run] = run_jobs(d)
    assert run.event == "posted" and state(d, iid) == "done"
    with Session(d.rt.db) as s:  # the correction ran the stock triggers: one chase slip
        chases = s.exec(select(Instance).where(Instance.procedure == "reorder_chase")).all()
    assert [c.subject_key for c in chases] == ["RM-PAINT"]
    with Session(d.rt.db) as s:
        on_hand = {r.item_code: r.on_hand for r in s.exec(select(Stock))}
        moves = s.exec(select(StockMovement).where(StockMovement.kind == "adjust")).all()
        count = s.exec(select(StockCount).where(StockCount.instance_id == iid)).one()
        assert count.status == "posted" and count.posted_at == d.now
        assert {(m.item_code, m.qty) for m in moves} == {("RM-BOLT", 2.0), ("RM-PAINT", -3.0)}
        assert all(m.ref == f"count:{count.count_no}" and m.instance_id == iid for m in moves)
        text = as_csv(s, count).decode("utf-8-sig")
        book = load_workbook(io.BytesIO(as_xlsx(s, count)))
        assert find_count(s, count.count_no) is not None
    assert on_hand == {"RM-BOLT": 502, "RM-PAINT": 37, "RM-STEEL": 100}
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert [(r[0][:5], r[2], r[5]) for r in rows] == [("其他入库单", "RM-BOLT", "2.0"),
                                                    ("其他出库单", "RM-PAINT", "3.0")]  # fmt: skip
    assert book.sheetnames == ["其他入库单", "其他出库单"]
    assert book["其他出库单"]["C2"].value == "RM-PAINT"
    assert instance(d.rt, iid).closed_at == d.now


def test_someone_who_counted_may_not_approve(d: Driver) -> None:
    iid = start_count(d)
    sweep(d, local(2026, 11, 25, 9))
    d.act(iid, "keeper", "organise", {**PLAN, "counters": ["wh_staff", "gm"]})
    d.act(iid, "finance", "agree_plan", {"snapshot_at": SET_TIME.isoformat()})
    run_jobs(d)
    d.now = local(2026, 11, 26, 16)
    d.act(iid, "keeper", "issue_lists")
    _to_approval(d, iid, {"RM-BOLT": 500, "RM-PAINT": 40, "RM-STEEL": 100})
    with pytest.raises(NotAllowed):
        d.act(iid, "gm", "approve_count")
    assert state(d, iid) == "approval"


def test_a_round_before_the_set_time_and_a_bad_plan_are_refused(d: Driver) -> None:
    iid = start_count(d)
    sweep(d, local(2026, 11, 25, 9))
    with pytest.raises(InvalidForm) as bad:
        d.act(iid, "keeper", "organise", {**PLAN, "counters": ["nobody"],
                                          "extra_items": ["NO-SUCH"]})  # fmt: skip
    assert set(bad.value.errors) == {"counters", "extra_items"}
    d.act(iid, "keeper", "organise", PLAN)
    late = local(2026, 11, 28, 17)  # after the count day
    with pytest.raises(InvalidForm) as bad:
        d.act(iid, "finance", "agree_plan", {"snapshot_at": late.isoformat()})
    assert set(bad.value.errors) == {"snapshot_at"}
    d.act(iid, "finance", "agree_plan", {"snapshot_at": local(2026, 11, 27, 12).isoformat()})
    run_jobs(d)
    d.act(iid, "keeper", "issue_lists")
    sweep(d, local(2026, 11, 27, 9))
    with pytest.raises(InvalidForm) as bad:  # the book is frozen at noon: count after it
        d.act(iid, "wh_staff", "count_round",
              round_form(1, {"RM-BOLT": 500, "RM-PAINT": 40, "RM-STEEL": 100}))  # fmt: skip
    assert set(bad.value.errors) == {"round"}


def test_the_finance_director_returns_the_sheet_for_a_recount_of_named_lines(d: Driver) -> None:
    iid = start_count(d)
    to_counting(d, iid)
    sweep(d, local(2026, 11, 27, 9))
    counted = {"RM-BOLT": 490, "RM-PAINT": 40, "RM-STEEL": 100}
    for n, who in ((1, "wh_staff"), (2, "keeper")):
        d.act(iid, who, "count_round", round_form(n, counted, counter=who))
        d.act(iid, "finance", "supervise")
        run_jobs(d)
    assert state(d, iid) == "sheet_review"
    with pytest.raises(InvalidForm) as bad:
        d.act(iid, "fin_dir", "return_sheet",
              {"rows": [{"item_code": "RM-NONE", "location": "RM"}]}, reason="x")  # fmt: skip
    assert set(bad.value.errors) == {"rows.0.item_code"}
    d.act(iid, "fin_dir", "return_sheet", {"rows": [{"item_code": "RM-BOLT", "location": "RM"}]},
          reason="差异 10 只，复盘 / 10 short: count again")  # fmt: skip
    assert state(d, iid) == "counting"
    form = prefill("stock_count", instance(d.rt, iid).data, "count_list")
    assert form["round"] == 3 and [r["item_code"] for r in form["rows"]] == ["RM-BOLT"]
    d.act(iid, "keeper", "count_round", round_form(3, {"RM-BOLT": 490}, counter="keeper"))
    d.act(iid, "finance", "supervise")
    [run] = run_jobs(d)
    assert run.event == "rounds_agree"  # round 3 agrees with round 2: the sheet again
    sheet = {r["item_code"]: r for r in forms_of(d, iid)["rounds_agree"]["rows"]}
    assert forms_of(d, iid)["rounds_agree"]["rounds"] == 3
    assert sheet["RM-BOLT"]["difference"] == -10


def test_a_count_correction_under_safety_raises_no_second_chase_slip(d: Driver) -> None:
    with unit_of_work(d.rt.db) as s:  # paint kept at 38: an issue takes it under, a slip opens
        paint = s.exec(select(Item).where(Item.code == "RM-PAINT")).one()
        paint.requisition_class, paint.safety_peak, paint.safety_off = "safety", 38, 38
        s.add(paint)
        s.flush()
        stock.move(s, item_code="RM-PAINT", qty=-3, kind="issue", now=d.now,
                   calendar=d.rt.calendar)  # fmt: skip
    iid = start_count(d)
    to_counting(d, iid)
    _to_approval(d, iid, {"RM-BOLT": 500, "RM-PAINT": 36, "RM-STEEL": 100})
    d.act(iid, "gm", "approve_count")
    [run] = run_jobs(d)
    assert run.event == "posted"
    with Session(d.rt.db) as s:
        chases = s.exec(select(Instance).where(Instance.procedure == "reorder_chase")).all()
        paint_stock = s.exec(select(Stock).where(Stock.item_code == "RM-PAINT")).one()
    assert paint_stock.on_hand == 36
    assert [(c.subject_key, c.closed_at) for c in chases] == [("RM-PAINT", None)]  # still one


def test_a_loss_above_todays_stock_fails_the_posting_into_an_incident_for_finance(
    d: Driver,
) -> None:
    iid = start_count(d)
    to_counting(d, iid)
    _to_approval(d, iid, {"RM-BOLT": 490, "RM-PAINT": 40, "RM-STEEL": 100})
    with unit_of_work(d.rt.db) as s:  # issued after the count: 5 left, the loss is 10
        stock.move(s, item_code="RM-BOLT", qty=-495, kind="issue", now=d.now,
                   calendar=d.rt.calendar)  # fmt: skip
    d.act(iid, "gm", "approve_count")
    outcomes = []
    for minutes in (0, 2, 10):
        d.now = d.now + timedelta(minutes=minutes)
        outcomes += [r.outcome for r in run_jobs(d)]
    assert outcomes == ["retry", "retry", "incident"]
    assert state(d, iid) == "posting"
    [task] = open_tasks(d.rt, iid)
    assert task.role == "finance" and task.decisions == ["posted"]
    with Session(d.rt.db) as s:
        assert s.exec(select(StockMovement).where(StockMovement.kind == "adjust")).all() == []
