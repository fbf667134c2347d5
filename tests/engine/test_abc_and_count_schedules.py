"""§7's schedules and the yearly ABC classification through the engine: the classes by annual
cost (80 % / 95 %), reviewed and confirmed before the item master changes (audited); the
cycle and month-end counts started once per period and warehouse."""

from __future__ import annotations

from sqlmodel import Session, select

from gendan import jobs, schedules, stock
from gendan.abc import classify
from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.models import AuditEvent, Instance, Item
from tests.engine.count_driver import items_in_stock
from tests.engine.plan_driver import local, state

#: Annual cost = issued qty × price: 5000, 3000, 1000, 600, 300, 100, 0 (total 10000).
PRICES = {"I1": 50.0, "I2": 30.0, "I3": 10.0, "I4": 6.0, "I5": 3.0, "I6": 1.0, "I7": 9.0}
ISSUED = {"I1": 100, "I2": 100, "I3": 100, "I4": 100, "I5": 100, "I6": 100}


def test_classify_cuts_at_80_and_95_percent_of_the_cumulative_cost() -> None:
    costs = {code: ISSUED.get(code, 0) * price for code, price in PRICES.items()}
    rows = classify(costs)
    assert [(r["item_code"], r["new_class"]) for r in rows] == [
        ("I1", "A"),  # 50 %
        ("I2", "A"),  # to 80 %
        ("I3", "B"),  # to 90 %
        ("I4", "B"),  # crosses 95 %
        ("I5", "C"),
        ("I6", "C"),
        ("I7", "C"),  # nothing issued
    ]
    assert rows[1]["cumulative"] == 80.0


def _items_with_a_year_of_issues(d: Driver) -> None:
    with unit_of_work(d.rt.db) as s:
        for code, price in PRICES.items():
            s.add(Item(code=code, name=code, price=price, abc_class="B", updated_at=d.now))
        s.flush()
        for code in PRICES:
            stock.move(s, item_code=code, qty=1000, kind="import", now=local(2025, 12, 1, 9),
                       calendar=d.rt.calendar)  # fmt: skip
        # a year-old issue and a receipt do not count
        stock.move(s, item_code="I7", qty=-500, kind="issue", now=local(2025, 12, 20, 9),
                   calendar=d.rt.calendar)  # fmt: skip
        stock.move(s, item_code="I6", qty=50, kind="receipt", now=local(2026, 6, 1, 9),
                   calendar=d.rt.calendar)  # fmt: skip
        for code, qty in ISSUED.items():
            for month in (3, 9):
                stock.move(s, item_code=code, qty=-qty / 2, kind="issue",
                           now=local(2026, month, 10, 9), calendar=d.rt.calendar)  # fmt: skip


def test_the_yearly_schedule_computes_a_result_list_that_is_confirmed_before_it_applies(
    driver: Driver,
) -> None:
    d = driver
    _items_with_a_year_of_issues(d)
    d.now = local(2027, 1, 2, 8, 5)
    with unit_of_work(d.rt.db) as s:
        [run] = schedules.run_due(s, d.now, d.rt.calendar, only="abc_yearly")
    assert run.outcome == "started" and run.period == "2027"
    with unit_of_work(d.rt.db) as s:
        assert schedules.run_due(s, d.now, d.rt.calendar, only="abc_yearly") == []  # once
    [iid] = run.instance_ids
    [job] = jobs.run_due(d.rt, now=d.now)
    assert job.event == "computed" and state(d, iid) == "reviewing"
    with Session(d.rt.db) as s:
        inst = s.get(Instance, iid)
        assert inst is not None and inst.subject_key == "2026"
        result = inst.data["forms"]["computed"]
        assert result["total_cost"] == 10000
        assert {r["item_code"]: r["new_class"] for r in result["rows"]} == {
            "I1": "A", "I2": "A", "I3": "B", "I4": "B", "I5": "C", "I6": "C", "I7": "C",
        }  # fmt: skip
        assert {i.abc_class for i in s.exec(select(Item))} == {"B"}  # nothing written yet
    d.act(iid, "pmc", "confirm_classes", {"note": "已核对 / checked"})
    assert state(d, iid) == "done"
    with Session(d.rt.db) as s:
        classes = {i.code: i.abc_class for i in s.exec(select(Item))}
        trail = s.exec(
            select(AuditEvent).where(AuditEvent.instance_id == iid).order_by(AuditEvent.seq)
        ).all()
    assert classes == {"I1": "A", "I2": "A", "I3": "B", "I4": "B", "I5": "C", "I6": "C",
                       "I7": "C"}  # fmt: skip
    changed = trail[-1].changes["items.abc_class"]
    assert changed["I1"] == {"old": "B", "new": "A"} and "I3" not in changed


def test_cycle_and_month_end_counts_start_once_per_period_and_warehouse(driver: Driver) -> None:
    d = driver
    items_in_stock(d, local(2026, 11, 23, 10), warehouse="RM")
    items_in_stock(d, local(2026, 11, 23, 10), warehouse="FG")
    d.now = local(2026, 12, 8, 8, 5)
    started = {}
    for key in ("count_a_monthly", "count_b_quarterly", "count_c_half_yearly"):
        with unit_of_work(d.rt.db) as s:
            [run] = schedules.run_due(s, d.now, d.rt.calendar, only=key)
            started[key] = run.instance_ids
        with unit_of_work(d.rt.db) as s:
            assert schedules.run_due(s, d.now, d.rt.calendar, only=key) == []
    d.now = local(2026, 12, 20, 8, 5)
    with unit_of_work(d.rt.db) as s:
        [run] = schedules.run_due(s, d.now, d.rt.calendar, only="count_month_end")
        started["count_month_end"] = run.instance_ids
    with Session(d.rt.db) as s:
        forms = {
            key: sorted(
                (
                    i.data["start"]["warehouses"],
                    i.data["start"]["abc_classes"],
                    i.data["start"]["count_date"],
                    i.subject_key,
                )
                for i in (s.get(Instance, n) for n in ids)
                if i is not None
            )  # fmt: skip
            for key, ids in started.items()
        }
    assert forms["count_a_monthly"] == [
        ("FG", ["A"], "2026-12-15", "PD-20261215-FG-A"),
        ("RM", ["A"], "2026-12-15", "PD-20261215-RM-A"),
    ]
    assert [f[1] for f in forms["count_b_quarterly"]] == [["B"], ["B"]]
    assert [f[1] for f in forms["count_c_half_yearly"]] == [["C"], ["C"]]
    assert forms["count_month_end"] == [
        ("FG", ["A", "B", "C"], "2026-12-31", "PD-20261231-FG-ABC"),
        ("RM", ["A", "B", "C"], "2026-12-31", "PD-20261231-RM-ABC"),
    ]
