"""The quota issue register (定额领料登记表, 003 5.7-5.10) kept in tables: quota sheets and their
lines, and one ``IssueLine`` per issue, borrow, offset, return, replenishment or leftover,
so issued against quota can be queried per batch and item.

The step effects of §5j ``material_issue``, §8d ``material_return`` and §8e ``batch_close``
(``Step.effect = "gendan.issue_register:<function>"``) live here; every change of stock goes
through ``gendan.stock.move`` (kinds issue, borrow, return), so the stock triggers see it.

Choice: issues come from and go back to the raw-material store ``RM``; defective material
returned (§8d) and leftovers QA judges unusable (§8e) go to ``MRB`` (the defective-material
store), so they never count as stock to issue again.
Choice: a borrowed whole pack (借料单) is offset at the next issue of that item on any later
sheet (待下次发料扣数: the workshop already holds it, so no stock moves and the new sheet's
quota is used up by it) or returned at its own batch's close (待生产结案后余料退仓).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from gendan import stock
from gendan.calendar import BusinessCalendar
from gendan.errors import InvalidForm
from gendan.models import BomLine, Document, Instance, IssueLine, Item, QuotaLine, QuotaSheet, Stock
from states.base import Inform

STORE, DEFECTIVE = "RM", "MRB"
TO_MC = Inform(roles=("material_controller",))


def _r(x: float) -> float:
    return round(x, 3)


@contextmanager
def rows_named(zh: str, en: str) -> Iterator[None]:
    """A row's refusal names its row ("发料明细 第2行 / Items issued row 2: …"), as the forms'
    own row errors do, so the summary at the top of the page reads on its own."""
    from gendan.receiving import at_rows

    try:
        yield
    except InvalidForm as exc:
        raise InvalidForm(at_rows(exc.errors, zh, en)) from None


def on_hand(session: Session, item_code: str, warehouse: str = STORE) -> float:
    row = session.exec(
        select(Stock).where(Stock.item_code == item_code, Stock.warehouse == warehouse)
    ).first()
    return row.on_hand if row else 0.0


def requirements(session: Session, plan_rows: list[dict[str, Any]]) -> dict[str, float]:
    """Quota × planned quantity per component (BOM ``quota``, else ``qty_per``), summed."""
    need: dict[str, float] = {}
    for row in plan_rows:
        lines = session.exec(
            select(BomLine).where(BomLine.parent_code == row["product_code"])
        ).all()
        for line in lines:
            per = line.quota or line.qty_per
            need[line.component_code] = _r(need.get(line.component_code, 0.0) + per * row["qty"])
    return need


def shortages(session: Session, plan_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """欠料预警 (003 5.7.5): the items whose quota × plan exceeds the stock on hand."""
    rows = []
    for code, required in sorted(requirements(session, plan_rows).items()):
        have = on_hand(session, code)
        if required > have:
            rows.append({"item_code": code, "required": required, "on_hand": have,
                         "short": _r(required - have)})  # fmt: skip
    return rows


def sheet_lines(session: Session, batch_no: str) -> list[QuotaLine]:
    sheet = session.exec(select(QuotaSheet).where(QuotaSheet.batch_no == batch_no)).first()
    if sheet is None:
        return []
    return list(
        session.exec(
            select(QuotaLine).where(QuotaLine.sheet_id == sheet.id).order_by(QuotaLine.item_code)
        ).all()
    )


def _forms(inst: Instance) -> dict[str, Any]:
    return inst.data.get("forms", {})


def _store(inst: Instance, event: str, **extra: Any) -> None:
    """Keep what the effect worked out beside the form it came from (shown, read by
    predicates and children's start forms)."""
    forms = dict(_forms(inst))
    forms[event] = {**forms.get(event, {}), **extra}
    inst.data = {**inst.data, "forms": forms}


def _uid(actor: Any) -> int | None:
    return getattr(actor, "user_id", None)


def _line(
    session: Session, inst: Instance, *, code: str, qty: float, kind: str, reason: str = "",
    sheet: QuotaSheet | None = None, movement: Any = None, actor: Any, now: datetime,
) -> IssueLine:
    row = IssueLine(
        batch_no=sheet.batch_no if sheet else _batch(inst), sheet_id=sheet.id if sheet else None,
        instance_id=inst.id, item_code=code, qty=_r(qty), kind=kind, reason=reason,
        movement_id=movement.id if movement is not None else None, by_id=_uid(actor), at=now,
    )  # fmt: skip
    session.add(row)
    return row


def _batch(inst: Instance) -> str:
    for key in ("weekly_plan", "slip", "batch"):
        batch = inst.data.get(key, {}).get("batch_no")
        if batch:
            return str(batch)
    return ""


def _move(
    session: Session, inst: Instance, *, code: str, qty: float, kind: str, field: str,
    actor: Any, now: datetime, calendar: BusinessCalendar, warehouse: str = STORE,
) -> Any:
    return stock.move(
        session, item_code=code, qty=qty, kind=kind, now=now, calendar=calendar,
        warehouse=warehouse, ref=f"{inst.subject_key}", instance_id=inst.id, by_id=_uid(actor),
        field=field,
    )  # fmt: skip


def _sheet(session: Session, inst: Instance, field: str = "rows") -> QuotaSheet:
    sheet = session.exec(select(QuotaSheet).where(QuotaSheet.instance_id == inst.id)).first()
    if sheet is None:
        raise InvalidForm({field: "no quota sheet yet / 尚无定额领料登记表"})
    return sheet


# -- §5j material_issue ------------------------------------------------------------------


def _make_quota_sheet(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """定额领料登记表 (003 5.7.1-2): one line per component, quota = BOM quota × plan, or the
    quota MC set by hand (boards by cutting size); an unknown item is a 422 at its row."""
    plan = inst.data["weekly_plan"]
    quotas = requirements(session, plan["rows"])
    for i, row in enumerate(values.get("rows", [])):
        if session.exec(select(Item.id).where(Item.code == row["item_code"])).first() is None:
            raise InvalidForm({f"rows.{i}.item_code": f"no item {row['item_code']} / 无此物料"})
        quotas[row["item_code"]] = _r(row["quota"])
    if not quotas:
        raise InvalidForm({"rows": "the plan's products have no BOM lines: set the quotas / "
                                   "计划产品无BOM，请填写定额"})  # fmt: skip
    sheet = QuotaSheet(batch_no=inst.subject_key, instance_id=inst.id,
                       plan_start=date.fromisoformat(plan["plan_start"]),
                       created_at=now)  # fmt: skip
    session.add(sheet)
    session.flush()
    for code, quota in sorted(quotas.items()):
        session.add(QuotaLine(sheet_id=sheet.id, item_code=code, quota=quota))
    lines = [{"item_code": c, "quota": q, "issued": 0.0} for c, q in sorted(quotas.items())]
    _store(inst, event, sheet=lines)
    # the printed 定额领料登记表 lists every line, not only the quotas MC set by hand
    doc = session.exec(
        select(Document)
        .where(Document.instance_id == inst.id, Document.kind == "quota_sheet")
        .order_by(Document.id.desc())  # type: ignore[union-attr]
    ).first()
    if doc is not None:
        doc.data = {**doc.data, "rows": lines}
        session.add(doc)
    return {"quota_sheet": {"old": None, "new": lines}}


def _outstanding_borrow(session: Session, code: str, sheet_id: int) -> list[QuotaLine]:
    """Lines of other sheets with a borrowed pack of ``code`` not yet offset or returned."""
    return list(
        session.exec(
            select(QuotaLine)
            .where(QuotaLine.item_code == code, QuotaLine.sheet_id != sheet_id,
                   QuotaLine.borrowed > QuotaLine.settled)  # fmt: skip
            .order_by(QuotaLine.id)
        ).all()
    )


def _issue_against_quota(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """定额发料 (003 5.7.3): each row against its quota line. An earlier batch's borrowed pack
    is offset first (no stock moves); above the open quota a whole pack is lent (借料单, MC
    told), anything else is refused at its row (a 领料单 or an over-issue is the way)."""
    sheet = _sheet(session, inst)
    issued, borrowed = [], []
    for i, row in enumerate(values["rows"]):
        code, qty, where = row["item_code"], row["qty"], f"rows.{i}.qty"
        line = session.exec(
            select(QuotaLine).where(QuotaLine.sheet_id == sheet.id, QuotaLine.item_code == code)
        ).first()
        if line is None:
            raise InvalidForm({f"rows.{i}.item_code": f"{code} is not on the quota sheet: "
                               "use a 领料单 / 非定额物料，请开领料单"})  # fmt: skip
        offset = 0.0
        for lent in _outstanding_borrow(session, code, sheet.id):
            take = min(qty - offset, lent.borrowed - lent.settled)
            if take <= 0:
                break
            lent.settled = _r(lent.settled + take)
            session.add(lent)
            offset = _r(offset + take)
        open_qty = _r(line.quota - line.issued - offset)
        rest = _r(qty - offset)
        lend = _r(max(0.0, rest - max(open_qty, 0.0)))
        if lend > 0 and not row.get("whole_pack"):
            left = f"{max(open_qty, 0):g}"
            raise InvalidForm({where: (
                f"above the quota ({left} open): tick whole pack to lend the rest, or file an "
                f"over-issue requisition / 超出定额（尚可发 {left}）：整件发料请勾选借料，"
                "损耗或不良请开超额领料单"
            )})  # fmt: skip
        if offset:
            _line(session, inst, code=code, qty=offset, kind="offset", sheet=sheet,
                  reason="借料扣数", actor=actor, now=now)  # fmt: skip
        quota_part = _r(rest - lend)
        if quota_part > 0:
            mv = _move(session, inst, code=code, qty=-quota_part, kind="issue", field=where,
                       actor=actor, now=now, calendar=calendar)  # fmt: skip
            _line(session, inst, code=code, qty=quota_part, kind="quota", sheet=sheet,
                  movement=mv, actor=actor, now=now)  # fmt: skip
        if lend > 0:
            mv = _move(session, inst, code=code, qty=-lend, kind="borrow", field=where,
                       actor=actor, now=now, calendar=calendar)  # fmt: skip
            _line(session, inst, code=code, qty=lend, kind="borrow", sheet=sheet,
                  reason="整件发料 / whole pack", movement=mv, actor=actor, now=now)  # fmt: skip
            line.borrowed = _r(line.borrowed + lend)
            borrowed.append({"item_code": code, "qty": lend})
        line.issued = _r(line.issued + offset + quota_part)
        session.add(line)
        issued.append({"item_code": code, "quota": line.quota, "issued": line.issued,
                       "offset": offset, "borrowed": lend})  # fmt: skip
    _store(inst, event, register=issued, borrowed=borrowed)
    changes: dict[str, Any] = {"issued": {"old": None, "new": issued}}
    if borrowed:  # 借料单: 仓管需及时通知物控人员
        from gendan.effects import inform_now
        from states import get_procedure

        proc = get_procedure(inst.procedure)
        tag = f"borrow:{now.isoformat()}"
        changes.update(inform_now(session, inst=inst, proc=proc, group=TO_MC, tag=tag, now=now))
    return changes


def _free_issue(
    session: Session, inst: Instance, *, rows: list[dict[str, Any]], kind: str, reason: str,
    actor: Any, now: datetime, calendar: BusinessCalendar, prefix: str = "rows",
) -> list[dict[str, Any]]:
    done = []
    for i, row in enumerate(rows):
        field = f"{prefix}.{i}.qty" if prefix == "rows" else prefix
        mv = _move(session, inst, code=row["item_code"], qty=-row["qty"], kind="issue",
                   field=field, actor=actor, now=now, calendar=calendar)  # fmt: skip
        _line(session, inst, code=row["item_code"], qty=row["qty"], kind=kind, reason=reason,
              sheet=_own_sheet(session, inst), movement=mv, actor=actor, now=now)  # fmt: skip
        done.append({"item_code": row["item_code"], "qty": row["qty"]})
    return done


def _own_sheet(session: Session, inst: Instance) -> QuotaSheet | None:
    return session.exec(select(QuotaSheet).where(QuotaSheet.instance_id == inst.id)).first()


def issue_non_quota(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """领料单 (003 5.7.4): the warehouse issues up to what the department asked for; more is
    refused here (the 物控科长's approval is its own path)."""
    if values["qty"] > values["requested"]:
        raise InvalidForm({"qty": f"above the department's request ({values['requested']:g}): "
                           "refused unless the MC section head approves / 超出申请数，"
                           "须物控科长审核"})  # fmt: skip
    return _issue_requisition(session, inst, values, actor=actor, now=now, calendar=calendar)


def _issue_requisition(
    session: Session, inst: Instance, slip: dict[str, Any], *, actor: Any, now: datetime,
    calendar: BusinessCalendar,
) -> dict[str, Any]:
    row = {"item_code": slip["item_code"], "qty": slip["qty"]}
    done = _free_issue(session, inst, rows=[row],
                       kind="non_quota", reason=slip["department"], actor=actor, now=now,
                       calendar=calendar, prefix="qty")  # fmt: skip
    return {"non_quota_issued": {"old": None, "new": done}}


def issue_approved_requisition(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """The 物控科长 approved a 领料单 above the request: issued as asked (MC informed)."""
    from gendan.effects import inform_now
    from states import get_procedure

    slip = _forms(inst)["request_above"]
    changes = _issue_requisition(session, inst, slip, actor=actor, now=now, calendar=calendar)
    changes.update(inform_now(session, inst=inst, proc=get_procedure(inst.procedure),
                              group=TO_MC, tag=f"above:{now.isoformat()}", now=now))  # fmt: skip
    return changes


def issue_over_quota(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """超额领料 (003 5.7.10) approved by the supervisor and MC: issued with its reason."""
    slip = _forms(inst)["request_over_issue"]
    done = _free_issue(session, inst, rows=slip["rows"], kind="over_issue",
                       reason=f"{slip['reason']}: {slip['explanation']}"[:500], actor=actor,
                       now=now, calendar=calendar)  # fmt: skip
    return {"over_issued": {"old": None, "new": done}}


def _fix_quota_standard(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """The 物控科长's confirmed standard (003 5.7.7) fixes the BOM quota; old → new audited."""
    changes: dict[str, Any] = {}
    for i, row in enumerate(values["rows"]):
        line = session.exec(
            select(BomLine).where(BomLine.parent_code == row["product_code"],
                                  BomLine.component_code == row["item_code"])  # fmt: skip
        ).first()
        if line is None:
            raise InvalidForm({f"rows.{i}.item_code": f"no BOM line {row['product_code']} → "
                               f"{row['item_code']} / 无此BOM行"})  # fmt: skip
        old = line.quota or line.qty_per
        line.quota, line.updated_at = _r(row["quota"]), now
        session.add(line)
        changes[f"bom.{line.parent_code}.{line.component_code}.quota"] = {
            "old": old, "new": line.quota,
        }
    return changes


# -- §8d material_return ------------------------------------------------------------------


def execute_return(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """The warehouse acts on the signed 退/补领料单 (003 5.8.2): defective material back into
    the defective store, replacements issued as far as stock goes; what it cannot give is
    noted as short on the row (and gets a 物料跟催单: the procedure's child)."""
    slip = inst.data["slip"]
    replenish = bool(_forms(inst).get("mc_signs", {}).get("replenish", True))
    rows, short = [], []
    for i, row in enumerate(slip["rows"]):
        code, qty = row["item_code"], row["qty"]
        out = {**row, "short": 0.0}
        if row.get("returned"):
            mv = _move(session, inst, code=code, qty=qty, kind="return", warehouse=DEFECTIVE,
                       field=f"rows.{i}.item_code", actor=actor, now=now,
                       calendar=calendar)  # fmt: skip
            _line(session, inst, code=code, qty=qty, kind="return", reason=row["defect"][:500],
                  movement=mv, actor=actor, now=now)  # fmt: skip
        if replenish and row.get("replenish"):
            give = _r(min(qty, on_hand(session, code)))
            if give > 0:
                mv = _move(session, inst, code=code, qty=-give, kind="issue",
                           field=f"rows.{i}.qty", actor=actor, now=now,
                           calendar=calendar)  # fmt: skip
                _line(session, inst, code=code, qty=give, kind="replenish", movement=mv,
                      actor=actor, now=now)  # fmt: skip
            out["short"] = _r(qty - give)
            if out["short"] > 0:
                short.append({"item_code": code, "needed": qty, "on_hand": _r(give),
                              "short": out["short"]})  # fmt: skip
        rows.append(out)
    _store(inst, event, rows=rows, short=short)
    return {"slip.rows": {"old": slip["rows"], "new": rows}}


# -- §8e batch_close ----------------------------------------------------------------------


def close_batch(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """MC accepts the leftovers (003 5.10): they go back to the store (QA's verdict chooses
    which), the batch's borrowed packs still out come back too, and the sheet is closed."""
    forms = _forms(inst)
    leftovers = forms.get("list_leftovers", {}).get("rows", [])
    usable = bool(forms.get("qa_judges", {}).get("usable", True))
    store = STORE if usable else DEFECTIVE
    batch = inst.data["batch"]["batch_no"]
    sheet = session.exec(select(QuotaSheet).where(QuotaSheet.batch_no == batch)).first()
    returned = []
    for i, row in enumerate(leftovers):
        mv = _move(session, inst, code=row["item_code"], qty=row["qty"], kind="return",
                   warehouse=store, field=f"rows.{i}.item_code", actor=actor, now=now,
                   calendar=calendar)  # fmt: skip
        _line(session, inst, code=row["item_code"], qty=row["qty"], kind="leftover",
              sheet=sheet, reason=store, movement=mv, actor=actor, now=now)  # fmt: skip
        returned.append({"item_code": row["item_code"], "qty": row["qty"], "to": store})
    if sheet is not None:
        for line in sheet_lines(session, batch):
            out = _r(line.borrowed - line.settled)
            if out <= 0:
                continue
            mv = _move(session, inst, code=line.item_code, qty=out, kind="return",
                       field="rows", actor=actor, now=now, calendar=calendar)  # fmt: skip
            _line(session, inst, code=line.item_code, qty=out, kind="borrow_return",
                  sheet=sheet, movement=mv, actor=actor, now=now)  # fmt: skip
            line.settled = _r(line.settled + out)
            session.add(line)
            returned.append({"item_code": line.item_code, "qty": out, "to": "借料退仓"})
        sheet.closed_at = now
        session.add(sheet)
    _store(inst, event, returned=returned)
    return {"leftovers.returned": {"old": None, "new": returned}}


def make_quota_sheet(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """Step effect (see ``_make_quota_sheet``); its row refusals name their row."""
    with rows_named("人工定额", "Quotas set by hand"):
        return _make_quota_sheet(session, inst, values, event=event, actor=actor, now=now,
                       calendar=calendar)  # fmt: skip


def issue_against_quota(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """Step effect (see ``_issue_against_quota``); its row refusals name their row."""
    with rows_named("发料明细", "Items issued"):
        return _issue_against_quota(session, inst, values, event=event, actor=actor, now=now,
                       calendar=calendar)  # fmt: skip


def fix_quota_standard(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """Step effect (see ``_fix_quota_standard``); its row refusals name their row."""
    with rows_named("修正明细", "Quotas fixed"):
        return _fix_quota_standard(session, inst, values, event=event, actor=actor, now=now,
                       calendar=calendar)  # fmt: skip
