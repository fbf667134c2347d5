"""Demo stocktaking (§7) and ABC classification, moved by the engine: a count being organised
(the month-end count, a week ahead), a class A count in its third round with the recount list
of the two items whose rounds differed, a class B count awaiting the GM's approval, a class C
count posted (a loss as 其他出库单, exportable) and last year's ABC classification awaiting the
PMC manager's confirmation.

Uses the demo materials (``gendan.demo_materials``) when they are loaded; otherwise makes the
few items and stock it needs, idempotently.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from gendan import abc, counts, stock
from gendan.db import unit_of_work
from gendan.models import Instance, Item, Stock
from gendan.system_starts import start_by_system
from gendan.transitions import fire_system

if TYPE_CHECKING:
    from gendan.demo import Driver

#: code → (name, class, price, stock in RM) — the demo materials' rows when they are absent.
FALLBACK = {
    "CAB-SHEET": ("冷轧钢板", "A", 265.0, 320.0),
    "BUS-TMY60": ("铜排", "A", 218.0, 120.0),
    "BRK-DZ47": ("断路器", "B", 18.5, 480.0),
    "PAINT-7035": ("粉末涂料", "C", 32.0, 310.0),
    "LOCK-MS705": ("门锁", "C", 12.0, 40.0),
}
PLAN = {"warehouses": "RM", "counters": "keeper, wh_staff", "supervisors": "finance",
        "tools": "电子秤、卷尺、盘点标签 / scale, tape, count tags"}  # fmt: skip


def ensure_items(d: Driver) -> None:
    """The items and stock the demo counts need (kept if the demo materials made them)."""
    with unit_of_work(d.rt.db) as s:
        for code, (name, cls, price, qty) in FALLBACK.items():
            if s.exec(select(Item).where(Item.code == code)).first() is None:
                s.add(Item(code=code, name=name, abc_class=cls, price=price, updated_at=d.now))
                s.flush()
            if s.exec(select(Stock).where(Stock.item_code == code)).first() is None:
                stock.move(s, item_code=code, qty=qty, kind="import", now=d.now,
                           calendar=d.rt.calendar, ref="demo")  # fmt: skip


def _start(d: Driver, kind: str, classes: list[str], day: str, schedule: str) -> int:
    with unit_of_work(d.rt.db) as s:
        inst = start_by_system(
            s, procedure="stock_count",
            form_data={"kind": kind, "warehouse": "RM", "abc_classes": classes,
                       "count_date": day, "period": day[:7]},
            now=d.now, calendar=d.rt.calendar, cause={"schedule": schedule, "demo": True},
        )  # fmt: skip
        assert inst.id is not None
        return inst.id


def _automatic(d: Driver, iid: int, job: Any) -> str:
    """The automatic step as the flow would run it (only this instance's: the demo's other
    automatic steps are left to the flow)."""
    with unit_of_work(d.rt.db) as s:
        inst = s.get(Instance, iid)
        assert inst is not None
        event, data = job(s, inst, d.now)
        fire_system(s, inst, event, data, now=d.now, calendar=d.rt.calendar,
                    detail={"cause": "automatic", "job": job.__name__})  # fmt: skip
        return event


def _book(d: Driver, classes: list[str]) -> dict[str, float]:
    with Session(d.rt.db) as s:
        rows = s.exec(
            select(Stock.item_code, Stock.on_hand)
            .join(Item, Item.code == Stock.item_code)
            .where(Stock.warehouse == "RM", Item.abc_class.in_(classes))
        ).all()
        return {code: qty for code, qty in rows}


def _round(d: Driver, iid: int, n: int, counted: dict[str, float], who: str) -> None:
    rows = [{"item_code": c, "location": "RM", "round": n, "counted": q, "counter": who}
            for c, q in sorted(counted.items())]  # fmt: skip
    d.act(iid, who, "count_round", {"round": n, "rows": rows})
    d.act(iid, "finance", "supervise")
    _automatic(d, iid, counts.compare)


def _counting(d: Driver, classes: list[str], day: str, frozen: datetime) -> int:
    iid = _start(d, "cycle", classes, day, f"count_{classes[0].lower()}")
    d.act(iid, "keeper", "organise", {**PLAN, "abc_classes": classes})
    d.act(iid, "finance", "agree_plan", {"snapshot_at": frozen.isoformat()})
    _automatic(d, iid, counts.list_job)
    d.act(iid, "keeper", "issue_lists")
    return iid


def stocktaking(d: Driver) -> None:
    ensure_items(d)
    cal = d.rt.calendar
    today = cal.local_date(d.now)
    day = cal.working_day_on_or_before(today)
    if d.now < cal.day_start(day, d.now):  # before hours: the last working day's count
        day = cal.working_days_before(day, 1)
    frozen = min(d.now, cal.day_end(day, d.now)) - timedelta(minutes=5)
    # month-end count a week ahead: organising opens two working days before it
    _start(d, "month_end", ["A", "B", "C"], (today + timedelta(days=7)).isoformat(),
           "count_month_end")  # fmt: skip
    # class A: rounds 1 and 2 differ on two items → round 3's recount list
    a = _counting(d, ["A"], day.isoformat(), frozen)
    book = _book(d, ["A"])
    _round(d, a, 1, book, "wh_staff")
    second = {c: (q - 2 if i == 0 else q + 1) for i, (c, q) in enumerate(sorted(book.items()))}
    _round(d, a, 2, second, "keeper")
    # class B: one short, the rounds agree; checked, analysed, awaiting the GM
    b = _counting(d, ["B"], day.isoformat(), frozen)
    short = {c: q - 2 for c, q in _book(d, ["B"]).items()}
    _round(d, b, 1, short, "wh_staff")
    _round(d, b, 2, short, "keeper")
    d.act(b, "fin_dir", "review_sheet")
    d.act(b, "finance", "report_variance", {
        "reconciled": True,
        "analysis": "断路器短少 2 只，领料未登记 / 2 breakers issued unrecorded",
        "causes": [{"item_code": c, "cause": "领料未登记 / unrecorded issue"} for c in short],
    })  # fmt: skip
    # class C: one lock short, approved and posted
    c = _counting(d, ["C"], day.isoformat(), frozen)
    locks = {code: (q - 1 if code.startswith("LOCK") else q) for code, q in _book(d, ["C"]).items()}
    _round(d, c, 1, locks, "wh_staff")
    _round(d, c, 2, locks, "keeper")
    d.act(c, "fin_dir", "review_sheet")
    d.act(
        c,
        "finance",
        "report_variance",
        {"reconciled": True, "analysis": "门锁丢失 1 只 / one lock lost"},
    )
    d.act(c, "gm", "approve_count")
    _automatic(d, c, counts.post_job)
    # last year's ABC classification, computed, awaiting the PMC manager
    with unit_of_work(d.rt.db) as s:
        year = today.year - 1
        inst = start_by_system(s, procedure="abc_classification",
                               form_data={"year": str(year), "until": f"{year}-12-31"},
                               now=d.now, calendar=d.rt.calendar,
                               cause={"schedule": "abc_yearly", "demo": True})  # fmt: skip
        iid = inst.id
    assert iid is not None
    _automatic(d, iid, abc.compute_job)
