"""After-sales domain work (PROCEDURES.md §8a, §8b): the new order a remake or a stock rework
runs on, and who hears of a transit damage.

``register_new_order`` is the ``Step.effect`` of the outcomes that start a child on a new
order (``states.customer_service``): the order is registered in the move's transaction
before the child starts on it (``gendan.links``), or the move is refused (422 on the field,
nothing written). ``inform_transit_damage`` is the ``start_effect`` of ``transit_damage``:
after-sales, the logistics leader and the freight auditor are told at once (001M 3.3(3)).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from gendan.calendar import BusinessCalendar
from gendan.errors import InvalidForm
from gendan.models import Instance, Order

#: §8b: 售后服务部、储运部领导 and the freight auditor (运输费用支付审核人员). Choice: the
#: finance head too, since PROCEDURES.md has finance be the freight auditor in a small
#: factory and a factory without the role must still reach someone.
TRANSIT_HEADS = ("after_sales", "logistics", "finance")
TRANSIT_ROLES = ("freight_auditor",)


def register_new_order(
    session: Session,
    inst: Instance,
    values: dict[str, Any],
    *,
    event: str,
    actor: Any,
    now: datetime,
    calendar: BusinessCalendar,
) -> dict[str, Any]:
    """The remake (补单, a repeat of the complaint's order: §1 reviews it; Choice: the payment
    gate passes at signing, the cost being the factory's) or the non-standard production order
    for reworked stock (released: §3 plans it), registered from the complaint's order."""
    original = session.exec(select(Order).where(Order.order_no == inst.order_no)).first()
    if original is None:
        raise InvalidForm({"outcome": "a new order needs the order the complaint names / "
                           "投诉未关联订单，不能补单或下非标生产单"})  # fmt: skip
    number = values["new_order_no"]
    if session.exec(select(Order.id).where(Order.order_no == number)).first() is not None:
        raise InvalidForm({"new_order_no": f"order {number} already exists / 订单号已存在"})
    remake = event == "order_remake"
    order = Order(
        order_no=number,
        customer=original.customer,
        customer_class=original.customer_class,
        product=original.product,
        model_spec=original.model_spec,
        quantity=values["quantity"],
        unit=original.unit,
        delivery_date=date.fromisoformat(values["delivery_date"]),
        kind="repeat" if remake else "non_regular",
        status="reviewing" if remake else "released",
        created_at=now,
        received_at=now,
        channel="written",
        repeat_of=original.order_no if remake else None,
        credit_terms=remake,
        technical_requirements=values.get("details"),
    )
    session.add(order)
    session.flush()
    return {"order.registered": {"old": None, "new": number, "of": original.order_no}}


def inform_transit_damage(
    session: Session,
    inst: Instance,
    values: dict[str, Any],
    *,
    event: str,
    actor: Any,
    now: datetime,
    calendar: BusinessCalendar,
) -> dict[str, Any]:
    """[A] 001M 3.3(3): after-sales, the logistics leader and the freight auditor informed."""
    from gendan.effects import _inform, informed_people
    from states import get_procedure
    from states.base import Inform

    proc = get_procedure(inst.procedure)
    order = session.exec(select(Order).where(Order.order_no == inst.order_no)).first()
    people = informed_people(session, Inform(heads=TRANSIT_HEADS, roles=TRANSIT_ROLES))
    about = {"about_zh": proc.title_zh, "about_en": proc.title_en.lower()}
    return _inform(session, inst=inst, proc=proc, order=order, people=people,
                   cause=f"inform:{inst.id}:start", now=now, about=about)  # fmt: skip
