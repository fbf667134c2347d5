"""Demo production planning and follow-up (§3): orders at its stages, moved by the engine.

Four released orders: one waiting for its plan; one planned and countersigned with the
objection window open; one in production after an objection was settled (a daily report
filed); one dispatched, received and waiting for its payment date. The forms are the ones
the engine tests use too.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gendan.demo import Driver

#: Orders at the stages of §3: waiting for the plan, objection window, in production, paid up
#: to the payment date.
PLAN_ORDERS = ("SO-2026-0010", "SO-2026-0011", "SO-2026-0012", "SO-2026-0013")

SIGNOFF = {"group_stock_checked": True, "remarks": "同意 / agreed"}
FG_RECEIPT = {
    "quantity": 12,
    "qc_passed": True,
    "accessories_complete": True,
    "documents_complete": True,
}
PRESTART_OK = {
    k: True for k in ("people", "machines", "materials", "cooperation", "purchases", "design")
}


def purchases(due: date) -> dict[str, Any]:
    """Purchasing's countersignature with its 采购进货进度计划表."""
    rows = [{"item": "断路器 NXM-250", "qty": 24, "supplier": "正泰", "due": due.isoformat()}]
    return {**SIGNOFF, "purchase_rows": rows}


def plan_form(start: date, *, packing: date, dispatch: date, **extra: Any) -> dict[str, Any]:
    """A regular plan: purchases, assembly and packing lines, each dated and signed."""
    rows = [
        ("purchase", "purchasing", start - timedelta(days=5), start - timedelta(days=1), "林峰"),
        ("assembly", "workshop", start, max(start, packing - timedelta(days=1)), "周勇"),
        ("packing", "workshop", packing, packing, "孔亮"),
    ]
    return {
        "rows": [
            {
                "line": line,
                "department": dep,
                "start": s.isoformat(),
                "finish": f.isoformat(),
                "signer": who,
            }
            for line, dep, s, f, who in rows
        ],  # fmt: skip
        "meeting": "regular",
        "parts_stock_checked": True,
        "planned_start": start.isoformat(),
        "packing_date": packing.isoformat(),
        "dispatch_date": dispatch.isoformat(),
        **extra,
    }


def ship_notice(arrival: datetime) -> dict[str, Any]:
    """发货通知单: the goods, with spares, where and when they arrive."""
    return {
        "rows": [{"item": "配电柜", "spec": "GGD-2200", "qty": 12, "spares": 2}],
        "arrival_time": arrival.isoformat(),
        "place": "宁波市北仑区 华东机电 2 号库 / Ningbo, warehouse 2",
        "contract_checked": True,
        "payment_checked": True,
    }


def start_plan(d: Driver, order_no: str) -> int:
    """The order's running plan (the confirmed notice may have started it), else a new one."""
    from sqlmodel import Session, select

    from gendan.models import Instance

    with Session(d.rt.db) as s:
        found = s.exec(
            select(Instance.id).where(
                Instance.order_no == order_no,
                Instance.procedure == "production_plan",
                Instance.closed_at.is_(None),
            )
        ).first()
    if found is not None:
        return found
    received = (d.now - timedelta(minutes=10)).isoformat()
    return d.start("production_plan", "prod_mgr", {"order_no": order_no, "received_at": received})


def plan_stages(d: Driver) -> None:
    from gendan.demo import order_form, review_to_release

    today = d.now.date()
    ids = []
    for n, no in enumerate(PLAN_ORDERS):
        form = order_form(no, "regular", days=30 + 5 * n, now=d.now)
        review_to_release(d, d.start("order_review", "clerk", form), form)
        ids.append(start_plan(d, no))
    waiting, window, producing, shipped = ids
    later = today + timedelta(days=14)
    # planned and countersigned: the recipients may object for 1 working day
    d.act(window, "prod_mgr", "plan", plan_form(later, packing=later, dispatch=later))
    d.act(window, "workshop", "opinion", SIGNOFF)
    d.act(window, "purch_lead", "opinion", purchases(later))
    # an objection settled by planning; checked before the start; the workshop reports
    tomorrow = today + timedelta(days=1)
    end = today + timedelta(days=21)
    d.act(producing, "prod_mgr", "plan", plan_form(tomorrow, packing=end, dispatch=end))
    d.act(producing, "workshop", "opinion", SIGNOFF)
    d.act(producing, "purch_lead", "opinion", purchases(tomorrow))
    d.act(producing, "keeper", "objected", {"line": "packing", "problem": "木箱库存不足"})
    d.act(producing, "prod_mgr", "settle", {"decision": "改用纸箱加护角 / cartons instead"})
    d.act(producing, "prod_mgr", "prestart_ok", PRESTART_OK)
    report = {"day": today.isoformat(), "rows": [{"order": PLAN_ORDERS[2], "planned": 12,
                                                   "done": 2}]}  # fmt: skip
    d.act(producing, "workshop", "daily_report", report)
    # made, packed, shipped today and received: finance chases on the payment date
    d.act(shipped, "prod_mgr", "plan", plan_form(today, packing=today, dispatch=today))
    d.act(shipped, "workshop", "opinion", SIGNOFF)
    d.act(shipped, "purch_lead", "opinion", purchases(today))
    d.act(shipped, "iqc", "objected", {"line": "assembly",
                                                              "problem": "检验排期"})  # fmt: skip
    d.act(shipped, "prod_mgr", "settle", {"decision": "加检一班 / an extra QC shift"})
    d.act(shipped, "prod_mgr", "prestart_ok", PRESTART_OK)
    d.act(shipped, "prod_mgr", "packing_notice")
    d.act(shipped, "packer", "packed", FG_RECEIPT)
    d.act(shipped, "merch", "notify_shipping", ship_notice(d.now + timedelta(days=1)))
    d.act(shipped, "fg_keeper", "goods_confirmed", {"quantity": 12, "labelled": True,
                                                     "packed": True})  # fmt: skip
    carrier = {"carrier": "德邦物流", "waybill": "DB-20261123", "sent_at": d.now.isoformat(),
               "eta": today.isoformat()}  # fmt: skip
    d.act(shipped, "logistics", "dispatch", carrier)
    d.act(shipped, "clerk", "receipt_confirmed", {"received_on": today.isoformat(),
          "payment_due": (today + timedelta(days=30)).isoformat(), "ledger_posted": True,
          "salesperson_reminded": True})  # fmt: skip
    del waiting  # the production manager's plan is due 4 working hours from receipt
