"""What a move does besides changing state: order updates, documents, state-entry effects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import func
from sqlmodel import Session, select

from gendan import audit, versioning
from gendan.copies import copy_to
from gendan.message_context import reference
from gendan.models import Document, FinishedStock, Instance, Order, User, UserRole
from gendan.org import Actor, department_heads
from gendan.outbox import enqueue
from gendan.tasks import close_open_tasks
from states.base import Inform, Procedure, Step

#: Document number prefixes: 生产通知单 SC, 更改通知单 GG, 技术更改通知单 JG, 发货单 FH.
DOC_PREFIX = {
    "production_notice": "SC",
    "change_notice": "GG",
    "tech_change": "JG",
    "shipping_note": "FH",
    "review_record": "PS",
    # §4: 紧急订单评审记录表 JP, 紧急订单生产通知单 JT, 制程异常申报单 YC, 成品入库单（急单）JR
    "urgent_review_record": "JP",
    "urgent_notice": "JT",
    "process_exception": "YC",
    "urgent_stock_in": "JR",
    # §3: 生产计划表 JH, 生产协作指令 XZ, 联系单 LX, 催促单 CC, 交期延误报告 YW, 成品入库单 RK,
    # 发货通知单 FT
    "production_plan": "JH",
    "cooperation_instruction": "XZ",
    "liaison_sheet": "LX",
    "urge_note": "CC",
    "delay_report": "YW",
    "fg_receipt": "RK",
    "shipping_notice": "FT",
    # §9: 质量异常记录 ZY, 质量异常处理结果 ZC
    "quality_exception": "ZY",
    "quality_resolution": "ZC",
    # §6: 外协合同 WH, 委外订单 WD, 材料出库单 WC, 到货退回单 WT, 采购入库单（委外）WR, 委外发票 WF,
    # 委外加工单 WJ, 外协物料调拨单 DB, 委外挂账单 GZ, 余料明细清单 YL
    "outsourcing_contract": "WH",
    "outsourcing_order": "WD",
    "outsourcing_material_issue": "WC",
    "outsourcing_return": "WT",
    "outsourcing_receipt": "WR",
    "outsourcing_invoice": "WF",
    "process_order": "WJ",
    "transfer_note": "DB",
    "outsourcing_statement": "GZ",
    "leftover_list": "YL",
    # §5j: 定额领料登记表 DE (numbered by the batch: DE-WP-2026-48-01)
    "quota_sheet": "DE",
    # §5b 物料跟催单 GC and MC's reply GH, §5i 仓库物料异常预警报告 YJ and the cause YY (by item)
    "reorder_chase": "GC",
    "reorder_reply": "GH",
    "overstock_warning": "YJ",
    "overstock_cause": "YY",
}


#: Papers that instruct someone to make, buy or ship: what a cancellation recalls. Records
#: (the compiled 订单评审表) stay as they were.
RECALLABLE = (
    "production_notice",
    "shipping_note",
    "change_notice",
    "tech_change",
    "production_plan",
    "cooperation_instruction",
    "shipping_notice",
    "urgent_notice",
)


def apply_order_fields(order: Order, step: Step, values: dict[str, Any]) -> dict[str, Any]:
    """Copy the step's form fields onto the order; return {"order.<field>": {old, new}}."""
    changes: dict[str, Any] = {}
    for form_field, order_field in step.order_fields.items():
        new = values.get(form_field)
        if new is None:
            continue
        # Form values arrive as JSON (dates as ISO text): convert to the order field's type.
        new = TypeAdapter(Order.model_fields[order_field].annotation).validate_python(new)
        old = getattr(order, order_field)
        if old != new:
            setattr(order, order_field, new)
            changes[f"order.{order_field}"] = {"old": old, "new": new}
    return changes


def issue_document(
    session: Session,
    *,
    inst: Instance,
    kind: str,
    data: dict[str, Any],
    actor: Actor | None,
    now: datetime,
    supersede: bool = False,
) -> tuple[Document, list[str]]:
    """Issue a document; with ``supersede`` the order's issued ones of its kind are recalled.

    Returns the new document and the numbers of those it superseded.
    """
    # an instance with its own business key and no order numbers its papers by that key; a key
    # that recurs (an item's next 物料跟催单) continues the numbering of the earlier instances
    stem = f"{DOC_PREFIX.get(kind, 'DOC')}-{inst.order_no or inst.subject_key}-"
    same = Document.order_no == inst.order_no if inst.order_no else Document.instance_id == inst.id
    count = session.exec(
        select(func.count()).select_from(Document).where(same, Document.kind == kind)
    ).one()
    number = count
    if not inst.order_no:
        number = session.exec(
            select(func.count()).select_from(Document).where(Document.doc_no.like(f"{stem}%"))
        ).one()
    doc_no = f"{stem}{number + 1:02d}"
    superseded: list[str] = []
    if supersede:
        for old in session.exec(
            select(Document).where(
                Document.order_no == inst.order_no,
                Document.kind == kind,
                Document.status == "issued",
            )
        ).all():
            old.status, old.recalled_at, old.superseded_by = "recalled", now, doc_no
            session.add(old)
            superseded.append(old.doc_no)
    doc = Document(
        doc_no=doc_no,
        kind=kind,
        order_no=inst.order_no,
        instance_id=inst.id,
        data=data,
        issued_by_id=actor.user_id if actor else inst.created_by_id,
        issued_at=now,
        revision=count + 1,
    )
    session.add(doc)
    session.flush()
    return doc, superseded


def reissue_from_order(
    session: Session, *, inst: Instance, kind: str, order: Order, now: datetime
) -> dict[str, Any]:
    """[A] A new revision of the order's ``kind`` document carrying the order's current facts."""
    last = session.exec(
        select(Document)
        .where(Document.order_no == order.order_no, Document.kind == kind)
        .order_by(Document.revision.desc())  # type: ignore[attr-defined]
    ).first()
    if last is None:
        return {}  # no notice issued yet: the order review issues it with the changed facts
    base = dict(last.data)
    facts = audit.jsonable(order.model_dump())
    data = {k: facts.get(k, v) for k, v in base.items()}
    doc, superseded = issue_document(
        session, inst=inst, kind=kind, data=data, actor=None, now=now, supersede=True
    )
    return {"documents.superseded": {"old": superseded, "new": doc.doc_no}}


def enter_state(
    session: Session, *, inst: Instance, proc: type[Procedure], order: Order | None,
    now: datetime,
) -> dict[str, Any]:
    """Carry out the new state's declared effects; return the changed values for the audit."""
    effect = proc.entering.get(inst.state)
    if effect is None:
        return {}
    order_bound = (effect.reissue, effect.release_stock, effect.order_status,
                   effect.recall_documents, effect.stop_order_procedures)  # fmt: skip
    if order is None and any(order_bound):  # a declaration error, not a user's
        raise ValueError(f"{proc.key}.{inst.state}: order effects on an instance without order")
    changes: dict[str, Any] = {}
    if effect.marks:
        inst.data = {**inst.data, "at": {**inst.data.get("at", {}), effect.marks: now.isoformat()}}
    if effect.reissue:
        changes.update(
            reissue_from_order(session, inst=inst, kind=effect.reissue, order=order, now=now)
        )
    if effect.release_stock:
        released = release_stock(session, inst=inst, order=order)
        if released:
            changes["stock.released"] = {"old": released, "new": None}
    if effect.order_status and order.status != effect.order_status:
        changes["order.status"] = {"old": order.status, "new": effect.order_status}
        order.status = effect.order_status
        session.add(order)
    if effect.recall_documents:
        recalled = []
        for doc in session.exec(
            select(Document).where(
                Document.order_no == order.order_no,
                Document.status == "issued",
                Document.kind.in_(RECALLABLE),
            )
        ).all():
            if doc.instance_id == inst.id:
                continue  # the cancellation notice itself stays issued
            doc.status, doc.recalled_at = "recalled", now
            session.add(doc)
            recalled.append(doc.doc_no)
        if recalled:
            changes["documents.recalled"] = {
                "old": "issued",
                "new": "recalled",
                "doc_nos": recalled,
            }
    if effect.stop_order_procedures:
        stopped = stop_other_instances(session, inst=inst, now=now)
        if stopped:
            changes["instances.stopped"] = stopped
    if effect.inform_heads:
        heads = department_heads(session, effect.inform_heads)
        cause = f"inform:{inst.id}:{versioning.entry_round(session, inst)}:{inst.state}"
        changes.update(
            _inform(session, inst=inst, proc=proc, order=order, people=heads, cause=cause, now=now)
        )
    for n, group in enumerate(effect.informs):
        if group.when and not proc.predicates[group.when](inst.data):
            continue
        people = informed_people(session, group)
        cause = f"inform:{inst.id}:{versioning.entry_round(session, inst)}:{inst.state}:{n}"
        about = {"about_zh": proc.title_zh, "about_en": proc.title_en.lower()}
        told = _inform(
            session,
            inst=inst,
            proc=proc,
            order=order,
            people=people,
            cause=cause,
            now=now,
            about=about,
        )
        if told:
            old = changes.get("copied", {}).get("new") or []
            changes["copied"] = {"old": None, "new": old + told["copied"]["new"]}
    return changes


def informed_people(session: Session, group: Inform) -> list[User]:
    """The active heads of ``group.heads`` and holders of ``group.roles``, each once."""
    people = department_heads(session, group.heads)
    for role in group.roles:
        stmt = (
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == role, User.is_active == True)  # noqa: E712
            .order_by(User.username)
        )
        people += [u for u in session.exec(stmt).unique().all() if u not in people]
    return people


def inform_now(
    session: Session, *, inst: Instance, proc: type[Procedure], group: Inform, tag: str,
    now: datetime,
) -> dict[str, Any]:
    """[A] Tell ``group`` about the instance now, from within a step's effect (e.g. MC told
    of a 借料单 during an issue): the same mail and 抄送 as ``OnEnter.informs``; ``tag`` makes
    the message's cause unique per move."""
    people = informed_people(session, group)
    about = {"about_zh": proc.title_zh, "about_en": proc.title_en.lower()}
    cause = f"inform:{inst.id}:{versioning.entry_round(session, inst)}:{inst.state}:{tag}"
    return _inform(session, inst=inst, proc=proc, order=None, people=people, cause=cause,
                   now=now, about=about)  # fmt: skip


def _order_context(order: Order) -> dict[str, str]:
    return {
        "customer": order.customer,
        "product": " ".join(p for p in (order.product, order.model_spec) if p),
        "delivery_date": order.delivery_date.isoformat(),
    }


def _inform(
    session: Session,
    *,
    inst: Instance,
    proc: type[Procedure],
    order: Order | None,
    people: list[User],
    cause: str,
    now: datetime,
    about: dict[str, str] | None = None,
) -> dict[str, Any]:
    """E-mail (and SMS) ``people`` that the instance entered its state, and copy it to them."""
    changes: dict[str, Any] = {}
    if people:
        enqueue(
            session,
            cause=cause,
            users=people,
            template="inform",
            context={
                **reference(inst),
                "procedure_zh": proc.title_zh,
                "procedure_en": proc.title_en,
                "instance_id": inst.id,
                "state": inst.state,
                "state_name": proc.states_map[inst.state].name,
                **(_order_context(order) if order is not None else {}),
                **(about or {}),
            },
            now=now,
        )
        # 抄送: the informed people find the instance under "copied to me".
        copied = copy_to(
            session, inst, [h.id for h in people if h.id is not None], reason="informed", now=now
        )
        if copied:  # by username in the record: the auditor reads who, not a row id
            names = [h.username for h in people if h.id in copied]
            changes["copied"] = {"old": None, "new": names}
    return changes


def stop_other_instances(session: Session, *, inst: Instance, now: datetime) -> list[int]:
    """The order was cancelled: its other running procedures stop and their tasks close, and
    so do the sub-procedures they started (``gendan.links``; on this order, or another)."""
    from gendan.jobs import void_open
    from gendan.links import running_descendants

    others = session.exec(
        select(Instance).where(
            Instance.order_no == inst.order_no, Instance.id != inst.id, Instance.closed_at.is_(None)
        )
    ).all()
    others += running_descendants(session, [inst, *others])
    for other in others:
        assert other.id is not None
        close_open_tasks(session, instance_id=other.id, now=now, status="cancelled")
        void_open(session, instance_id=other.id, now=now)
        other.closed_at = now
        other.data = {**other.data, "stopped_by": inst.id}
        session.add(other)
        audit.on_instance(
            session,
            other,
            action="stop",
            actor=None,
            at=now,
            reason=f"order cancelled (instance {inst.id})",
        )
    return [o.id for o in others if o.id is not None]


def release_stock(session: Session, *, inst: Instance, order: Order) -> dict[str, int]:
    """A cancelled order's shipping note gives its reserved finished goods back."""
    notes = session.exec(
        select(Document).where(
            Document.order_no == order.order_no, Document.kind == "shipping_note"
        )
    ).all()
    if not notes:
        return {}
    reserved: dict[str, int] = {}
    for other in session.exec(select(Instance).where(Instance.order_no == order.order_no)).all():
        for change in audit_reservations(session, other):
            for warehouse, qty in change.items():
                reserved[warehouse] = reserved.get(warehouse, 0) + qty
    for row in session.exec(
        select(FinishedStock)
        .where(FinishedStock.product == order.product, FinishedStock.model_spec == order.model_spec)
        .with_for_update()
    ).all():
        give = min(reserved.get(row.warehouse, 0), row.reserved)
        if give:
            row.reserved -= give
            session.add(row)
    return reserved


def audit_reservations(session: Session, inst: Instance) -> list[dict[str, int]]:
    """What the instance reserved, as its audit trail recorded it (the record is the truth)."""
    from gendan.models import AuditEvent

    rows = session.exec(
        select(AuditEvent.changes).where(
            AuditEvent.instance_id == inst.id, AuditEvent.action == "transition"
        )
    ).all()
    return [c["stock.reserved"]["new"] for c in rows if "stock.reserved" in c]


def reserve_stock(session: Session, order: Order) -> dict[str, Any]:
    """The 发货单 reserves the order's quantity of finished goods (§1c), warehouse by warehouse."""
    left = order.quantity
    taken: dict[str, int] = {}
    rows = session.exec(
        select(FinishedStock)
        .where(FinishedStock.product == order.product, FinishedStock.model_spec == order.model_spec)
        .order_by(FinishedStock.warehouse)
        .with_for_update()
    ).all()
    for row in rows:
        take = min(left, row.on_hand - row.reserved)
        if take <= 0:
            continue
        row.reserved += take
        session.add(row)
        taken[row.warehouse] = take
        left -= take
    if left > 0:
        from gendan.errors import Conflict

        raise Conflict(f"finished goods no longer cover the order: {left} short / 库存不足")
    return {"stock.reserved": {"old": None, "new": taken}}
