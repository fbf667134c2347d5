"""Stock counts 盘点 (PROCEDURES.md §7; 002 3.4.10.2): the count's tables and its steps.

The ``stock_count`` procedure (``states.stock_count``) names these as its step effects
(``Step.effect``, written in the move's transaction) and automatic steps (``@job``, read-only).

- The plan agreed by finance writes the count (:class:`StockCount`); [A] the lists are
  generated (``count_lists``: the 盘点清单 as a form, printable and round 1's prefill) and
  written as round 1's :class:`CountLine` rows, one per item of the scope and warehouse
  (items of the ABC classes with a stock row there, plus the plan's further items).
- The book is what it said at the set time (``snapshot_at``): on hand now minus every movement
  after that instant (:func:`book_at`), so it is exact whenever it is read. It is written into
  the lines by the first move at or after the set time (lists issued, or round 1 counted);
  a round recorded before the set time is refused (422).
- [A] Rounds compared (:func:`compare`): round 1 is always followed by a full second count
  (the seed's 2次或多次; two counts are needed to compare). From round 2 on, the recount list
  holds exactly the items whose count differs from their previous round; an item whose last
  two rounds agree is settled. Rounds repeat until every item is settled.
- [A] The final 盘点单: per line book, moved, counted, difference.

Choice (movements after the snapshot): the warehouse should not move counted goods, but a
rush issue or receipt happens. The 盘点单's book stays the snapshot's; its ``moved`` column is
what moved between the set time and the instant the line's final count was recorded, and the
difference is counted − (book + moved). The correction is posted onto today's stock through
``stock.move(kind="adjust")``, so a movement during the count is neither lost nor counted twice
and later receipts and issues stay; the §5b/§5i watchers run on each correction. A loss larger
than what is on hand when it is posted (issued meanwhile) is refused by ``stock.move``: the
posting step fails, is retried, and then finance gets the incident task to settle it by hand.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from forms.stock_count import names
from gendan import stock
from gendan.calendar import BusinessCalendar
from gendan.errors import InvalidForm, NotAllowed
from gendan.models import CountLine, Instance, Item, Stock, StockCount, StockMovement, User

Key = tuple[str, str]  # (item code, location)


def _forms(inst: Instance) -> dict[str, Any]:
    return inst.data.get("forms", {})


def _aware(value: Any, like: datetime) -> datetime:
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return at if at.tzinfo else at.replace(tzinfo=like.tzinfo)


def count_of(session: Session, inst: Instance, *, lock: bool = False) -> StockCount:
    q = select(StockCount).where(StockCount.instance_id == inst.id)
    row = session.exec(q.with_for_update() if lock else q).first()
    if row is None:
        raise ValueError(f"instance {inst.id} has no stock count yet")
    return row


def lines(session: Session, count_id: int, round_: int | None = None) -> list[CountLine]:
    q = select(CountLine).where(CountLine.count_id == count_id)
    if round_ is not None:
        q = q.where(CountLine.round == round_)
    return list(session.exec(q.order_by(CountLine.round, CountLine.item_code, CountLine.location)))


def current_round(session: Session, count_id: int) -> int:
    return int(
        session.exec(select(func.max(CountLine.round)).where(CountLine.count_id == count_id)).one()
        or 0
    )


def book_at(session: Session, item_code: str, warehouse: str, at: datetime) -> float:
    """What the book said for the item in the warehouse at ``at``: on hand now minus the
    movements recorded after it."""
    row = session.exec(
        select(Stock).where(Stock.item_code == item_code, Stock.warehouse == warehouse)
    ).first()
    later = session.exec(
        select(func.coalesce(func.sum(StockMovement.qty), 0.0)).where(
            StockMovement.item_code == item_code,
            StockMovement.warehouse == warehouse,
            StockMovement.at > at,
        )
    ).one()
    return round((row.on_hand if row else 0.0) - float(later), 3)


def moved_between(
    session: Session, item_code: str, warehouse: str, after: datetime, until: datetime
) -> float:
    """Movements of the item in the warehouse in (after, until] (the count's own corrections
    are never in that window: they come after the final count)."""
    return round(
        float(
            session.exec(
                select(func.coalesce(func.sum(StockMovement.qty), 0.0)).where(
                    StockMovement.item_code == item_code,
                    StockMovement.warehouse == warehouse,
                    StockMovement.at > after,
                    StockMovement.at <= until,
                )
            ).one()
        ),
        3,
    )


def scope(
    session: Session, warehouses: list[str], classes: list[str], extra: list[str]
) -> list[Key]:
    """The lines to count: items of the classes with stock rows in the warehouses (Choice: the
    book's rows, since an item never stocked there has nothing to count), plus further items
    the plan names, in every warehouse of the count."""
    found: list[Key] = []
    rows = session.exec(
        select(Stock.item_code, Stock.warehouse)
        .join(Item, Item.code == Stock.item_code)
        .where(Stock.warehouse.in_(warehouses), Item.abc_class.in_(classes), Item.active)
    ).all()
    found.extend((code, wh) for code, wh in rows)
    for code in extra:
        for wh in warehouses:
            if (code, wh) not in found:
                found.append((code, wh))
    return sorted(set(found))


# -- step effects (``Step.effect``): fn(session, inst, values, *, event, actor, now, calendar) --


def check_plan(session: Session, inst: Instance, values: dict[str, Any], **_: Any) -> dict:
    """盘点计划: the counters and supervisors are people, the further items exist (422)."""
    errors: dict[str, str] = {}
    people = set(names(values.get("counters"))) | set(names(values.get("supervisors")))
    known = set(session.exec(select(User.username).where(User.username.in_(people))).all())
    for field in ("counters", "supervisors"):
        unknown = [n for n in names(values.get(field)) if n not in known]
        if unknown:
            errors[field] = f"no such user: {', '.join(unknown)} / 无此用户"
    extra = names(values.get("extra_items"))
    items = set(session.exec(select(Item.code).where(Item.code.in_(extra))).all())
    missing = [c for c in extra if c not in items]
    if missing:
        errors["extra_items"] = f"no item {', '.join(missing)} / 无此物料"
    if errors:
        raise InvalidForm(errors)
    return {}


def plan_agreed(
    session: Session, inst: Instance, values: dict[str, Any], *, now: datetime, **_: Any
) -> dict:
    """Finance agreed the plan and set the time: the count (its header; the lists follow)."""
    start = inst.data.get("start", {})
    plan = _forms(inst).get("organise", {})
    snapshot_at = _aware(values["snapshot_at"], now)
    count_day = datetime.fromisoformat(str(start["count_date"])).date()
    if snapshot_at.date() > count_day:
        raise InvalidForm({"snapshot_at": "after the count day / 不得晚于盘点日"})
    warehouses = names(plan["warehouses"])
    if not scope(session, warehouses, plan["abc_classes"], names(plan.get("extra_items"))):
        raise InvalidForm({"snapshot_at": "nothing to count in this scope / 盘点范围内无物料"})
    count = session.exec(select(StockCount).where(StockCount.instance_id == inst.id)).first()
    if count is None:
        count = StockCount(
            instance_id=inst.id, count_no=inst.subject_key, kind=start.get("kind", "cycle"),
            warehouses=warehouses, abc_classes=plan["abc_classes"], count_date=count_day,
        )  # fmt: skip
    count.warehouses, count.abc_classes = warehouses, plan["abc_classes"]
    count.snapshot_at, count.status = snapshot_at, "planned"
    session.add(count)
    session.flush()
    for old in lines(session, count.id):  # a plan agreed again after a return: lists anew
        session.delete(old)
    session.flush()
    return {"count": {"count_no": count.count_no, "snapshot_at": snapshot_at.isoformat()}}


def list_job(session: Session, inst: Instance, now: datetime) -> tuple[str, dict[str, Any]]:
    """[A] The count lists (盘点清单) from the plan's scope: round 1, a row per item and
    warehouse — printable for issuing and the first round's form."""
    plan = _forms(inst).get("organise", {})
    keys = scope(session, names(plan["warehouses"]), plan["abc_classes"],
                 names(plan.get("extra_items")))  # fmt: skip
    return "lists_generated", {
        "snapshot_at": _forms(inst)["agree_plan"]["snapshot_at"], "round": 1,
        "rows": [{"item_code": c, "location": w} for c, w in keys],
    }  # fmt: skip


def write_lists(
    session: Session, inst: Instance, values: dict[str, Any], *, now: datetime, **_: Any
) -> dict:
    """The generated lists as round 1's lines; the book is filled at the set time."""
    count = count_of(session, inst, lock=True)
    assert count.id is not None
    for old in lines(session, count.id):
        session.delete(old)
    session.flush()
    for row in values["rows"]:
        session.add(CountLine(count_id=count.id, item_code=row["item_code"],
                              location=row["location"], round=1))  # fmt: skip
    session.flush()
    taken = take_snapshot(session, count, now)
    return {"count.lists": {"lines": len(values["rows"]), "snapshot": taken}}


def take_snapshot(session: Session, count: StockCount, now: datetime) -> bool:
    """[A] The book at the set time into every line, once the set time has passed."""
    if count.status != "planned" or count.snapshot_at is None or now < count.snapshot_at:
        return False
    for line in lines(session, count.id):
        line.book_qty = book_at(session, line.item_code, line.location, count.snapshot_at)
        session.add(line)
    count.status = "snapshotted"
    session.add(count)
    session.flush()
    return True


def lists_issued(session: Session, inst: Instance, values: dict[str, Any], *, now: datetime,
                 **_: Any) -> dict:  # fmt: skip
    count = count_of(session, inst, lock=True)
    return {"count.snapshot": take_snapshot(session, count, now)}


def record_round(
    session: Session, inst: Instance, values: dict[str, Any], *, now: datetime, **_: Any
) -> dict:
    """盘点清单 of round n: exactly the round's list, counted after the book was frozen."""
    count = count_of(session, inst, lock=True)
    assert count.id is not None and count.snapshot_at is not None
    if now < count.snapshot_at:
        raise InvalidForm(
            {
                "round": f"the book is frozen at {count.snapshot_at.isoformat()}: count after it "
                "/ 账面冻结时点之后方可盘点"
            }  # fmt: skip
        )
    take_snapshot(session, count, now)
    n = current_round(session, count.id)
    if values["round"] != n:
        raise InvalidForm({"round": f"the count is in round {n} / 当前为第 {n} 轮"})
    pending = {(ln.item_code, ln.location): ln for ln in lines(session, count.id, n)}
    errors: dict[str, str] = {}
    seen: set[Key] = set()
    for i, row in enumerate(values["rows"]):
        key = (row["item_code"], row["location"])
        if key not in pending:
            errors[f"rows.{i}.item_code"] = f"not on round {n}'s list / 不在本轮盘点清单中"
        elif key in seen:
            errors[f"rows.{i}.item_code"] = "counted twice in this round / 本轮重复"
        if row["round"] != n:
            errors[f"rows.{i}.round"] = f"this is round {n} / 本轮为第 {n} 轮"
        seen.add(key)
    missing = [f"{c}@{w}" for c, w in pending if (c, w) not in seen]
    if missing:
        errors["rows"] = f"not counted: {', '.join(missing)} / 未盘点"
    if errors:
        raise InvalidForm(errors)
    for row in values["rows"]:
        line = pending[(row["item_code"], row["location"])]
        line.counted_qty, line.counter, line.counted_at = row["counted"], row["counter"], now
        session.add(line)
    count.status = "counting"
    session.add(count)
    session.flush()
    return {"count.round": {"round": n, "lines": len(values["rows"])}}


def make_recount(session: Session, inst: Instance, values: dict[str, Any], **_: Any) -> dict:
    """[A] The recount list becomes the next round's lines (the book copied)."""
    count = count_of(session, inst, lock=True)
    assert count.id is not None
    book = {(ln.item_code, ln.location): ln.book_qty for ln in lines(session, count.id, 1)}
    for row in values["rows"]:
        key = (row["item_code"], row["location"])
        session.add(CountLine(count_id=count.id, item_code=key[0], location=key[1],
                              round=values["round"], book_qty=book.get(key)))  # fmt: skip
    session.flush()
    return {"count.recount": {"round": values["round"], "lines": len(values["rows"])}}


def sheet_returned(session: Session, inst: Instance, values: dict[str, Any], **_: Any) -> dict:
    """The finance director's recount: the named lines are the next round (each must be a
    line of this count: 422 at the row)."""
    count = count_of(session, inst, lock=True)
    assert count.id is not None
    known = {(ln.item_code, ln.location) for ln in lines(session, count.id, 1)}
    errors = {
        f"rows.{i}.item_code": "not a line of this count / 不是本次盘点的物料"
        for i, row in enumerate(values["rows"])
        if (row["item_code"], row["location"]) not in known
    }
    if errors:
        raise InvalidForm(errors)
    values = {**values, "round": current_round(session, count.id) + 1}
    forms = _forms(inst)  # stored with its round: the next round's form starts from it
    inst.data = {**inst.data, "forms": {**forms, "return_sheet": values}}
    count.status = "counting"
    session.add(count)
    return make_recount(session, inst, values)


def sheet_made(session: Session, inst: Instance, values: dict[str, Any], **_: Any) -> dict:
    count = count_of(session, inst, lock=True)
    count.status = "counted"
    session.add(count)
    return {}


def counted_by(session: Session, inst: Instance) -> set[str]:
    """Everyone who counted: the plan's counters and the counters named on the lines."""
    plan = _forms(inst).get("organise", {})
    people = set(names(plan.get("counters")))
    count = count_of(session, inst)
    people |= {ln.counter for ln in lines(session, count.id) if ln.counter}  # type: ignore[arg-type]
    return people


def check_approver(
    session: Session, inst: Instance, values: dict[str, Any], *, actor: Any, **_: Any
) -> dict:
    """Company approval by someone who did not count (four-eyes: 403). A person who submitted a
    round is refused by the step's ``four_eyes``; this also refuses one named as a counter."""
    if actor is not None and actor.username in counted_by(session, inst):
        raise NotAllowed(
            "four-eyes rule: you counted this stock, someone else approves / 盘点人不得批准盘点结果"
        )
    return {}


def post_corrections(
    session: Session,
    inst: Instance,
    values: dict[str, Any],
    *,
    now: datetime,
    calendar: BusinessCalendar,
    **_: Any,
) -> dict:
    """[A] Gains → 其他入库单, losses → 其他出库单: each a stock movement ``adjust`` (the §5b
    and §5i watchers run on every one)."""
    count = count_of(session, inst, lock=True)
    if count.status == "posted":
        return {}
    moved = []
    for row in values.get("rows", []):
        qty = row["qty"] if row["direction"] == "gain" else -row["qty"]
        movement = stock.move(
            session, item_code=row["item_code"], qty=qty, kind="adjust", now=now,
            calendar=calendar, warehouse=row["location"], ref=f"count:{count.count_no}",
            instance_id=inst.id, field="rows",
        )  # fmt: skip
        moved.append(movement.id)
    count.status, count.posted_at = "posted", now
    session.add(count)
    return {"count.posted": {"movements": moved}}


# -- automatic steps (``@job``): read-only, their result is the event's values ------------------


def compare(session: Session, inst: Instance, now: datetime) -> tuple[str, dict[str, Any]]:
    """[A] Rounds compared (002 3.4.10.2 step 4): the recount list of exactly the items whose
    last count differs from their previous one, or, when all agree, the final 盘点单."""
    count = count_of(session, inst)
    assert count.id is not None and count.snapshot_at is not None
    by_key: dict[Key, list[CountLine]] = defaultdict(list)
    for line in lines(session, count.id):
        by_key[(line.item_code, line.location)].append(line)
    n = current_round(session, count.id)
    if n == 1:  # a full second count, to compare with
        rows = [{"item_code": c, "location": w} for c, w in sorted(by_key)]
        return "recount", {"round": 2, "rows": rows}
    differing = []
    for key, rounds in sorted(by_key.items()):
        last = rounds[-1]
        if last.round == n and rounds[-2].counted_qty != last.counted_qty:
            differing.append({"item_code": key[0], "location": key[1]})
    if differing:
        return "recount", {"round": n + 1, "rows": differing}
    sheet = []
    for (code, wh), rounds in sorted(by_key.items()):
        final = rounds[-1]
        book = final.book_qty or 0.0
        assert final.counted_at is not None and final.counted_qty is not None
        moved = moved_between(session, code, wh, count.snapshot_at, final.counted_at)
        sheet.append({"item_code": code, "location": wh, "book": book, "moved": moved,
                      "counted": final.counted_qty,
                      "difference": round(final.counted_qty - book - moved, 3)})  # fmt: skip
    frozen = count.snapshot_at.isoformat()
    return "rounds_agree", {"snapshot_at": frozen, "rounds": n, "rows": sheet}


def postings(inst: Instance) -> list[dict[str, Any]]:
    """The 盘点单's differences as postings (gain or loss per line)."""
    sheet = _forms(inst).get("rounds_agree", {}).get("rows", [])
    out = []
    for row in sheet:
        diff = round(row["difference"], 3)
        if diff:
            out.append({"item_code": row["item_code"], "location": row["location"],
                        "qty": abs(diff), "direction": "gain" if diff > 0 else "loss"})  # fmt: skip
    return out


def post_job(session: Session, inst: Instance, now: datetime) -> tuple[str, dict[str, Any]]:
    """[A] The approved differences, to be posted."""
    return "posted", {"rows": postings(inst)}
