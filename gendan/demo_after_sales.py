"""Demo after-sales (§8a, §8b) and §9's daily check: instances in several states, moved by
the engine as people would.

A customer's complaint on SO-2026-0010 passed to after-sales (the leader is to phone the
customer); one on SO-2026-0011 decided as a remake — the 补单 SO-2026-0011-BD1 waits at §1's
requirements as a repeat order; goods of SO-2026-0013 damaged in transit, the service
decided, logistics to analyse and claim; the QA head's check of the day open.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gendan.demo import Driver

CUSTOMER = "宁波华东机电有限公司"


def _feedback(d: Driver, order_no: str, description: str) -> dict[str, Any]:
    return {
        "customer": CUSTOMER,
        "order_no": order_no,
        "received_at": (d.now - timedelta(minutes=15)).isoformat(),
        "description": description,
        "fax": "FAX-1123-01",
        "contact": "陈经理 / Mr Chen",
    }


def after_sales(d: Driver) -> None:
    first = d.start("customer_service", "clerk", _feedback(
        d, "SO-2026-0010", "柜门变形 / cabinet doors bent"))  # fmt: skip
    d.act(first, "clerk", "pass_to_after_sales")
    remake = d.start("customer_service", "sales", _feedback(
        d, "SO-2026-0011", "两台指示灯不亮，客户要求补发 / two lamps dead: replace"))  # fmt: skip
    d.act(remake, "sales", "pass_to_after_sales")
    d.act(remake, "service", "customer_contacted", {"contacted_at": d.now.isoformat(),
          "contact_record": "客户同意补单 / the customer agrees to a remake"})  # fmt: skip
    analysis = {"cause": "来料指示灯批次不良 / a bad lamp batch",
                "countermeasure": "补单并加严来料检验 / remake; tighter IQC"}  # fmt: skip
    d.act(remake, "service", "opinion", analysis)
    d.act(remake, "merch_lead", "opinion", analysis)
    d.act(remake, "sales_head", "order_remake", {
        "details": "补发 2 台，费用由公司承担 / 2 units, at the factory's cost",
        "new_order_no": "SO-2026-0011-BD1", "quantity": 2,
        "delivery_date": (d.now + timedelta(days=20)).date().isoformat()})  # fmt: skip
    damaged = d.start("transit_damage", "clerk", {
        "order_no": "SO-2026-0013", "customer": CUSTOMER,
        "received_at": (d.now - timedelta(minutes=30)).isoformat(), "carrier": "德邦 DB-7",
        "description": "一台柜体外壳凹陷 / one cabinet dented"})  # fmt: skip
    d.act(damaged, "service", "service_decided", {
        "service": "上门更换外壳 / replace the panel on site",
        "answer_to_customer": "三日内更换 / within three days"})  # fmt: skip
    d.start("quality_daily_check", "qa_lead", {"day": d.now.date().isoformat()})
