"""Demo quality exceptions (§9): one in each branch, moved by the engine as people would."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gendan.demo import Driver


def quality_record(order_no: str, d: Driver, **kw: Any) -> dict[str, Any]:
    """A 质量异常记录 found ten minutes ago: 200 inspected, 4 failed (98 %)."""
    return {
        "order_no": order_no,
        "received_at": (d.now - timedelta(minutes=10)).isoformat(),
        "stage": "incoming",
        "item": "断路器 DZ47-63 / circuit breaker",
        "batch": "B-1123",
        "supplier": "温州某电器 / a Wenzhou supplier",
        "inspected": 200,
        "failed": 4,
        "description": "脱扣试验不合格 / trip test failed",
        **kw,
    }


def quality_exceptions(d: Driver) -> None:
    """① rework on SO-2026-0002, ② cross-company on 0007, ③ general (buyer) on 0004, ③ serious
    (pass rate 90 %, threatens delivery: the merchandising lead is told) on 0005, ④ referred
    to the GM on 0003."""
    inprocess = {"stage": "in_process", "supplier": None, "item": "配电柜柜体 / cabinet"}
    cases = (
        ("SO-2026-0002", "classify_internal", {**inprocess, "operator": "装配 3 号 / fitter 3"}),
        ("SO-2026-0007", "classify_cross_company", {**inprocess, "description": "分厂焊接不良"}),
        ("SO-2026-0004", "classify_purchased", {}),
        ("SO-2026-0005", "classify_purchased", {"failed": 20, "threatens_delivery": True}),
        ("SO-2026-0003", "classify_technical", {**inprocess, "stage": "final"}),
    )
    for order_no, decision, extra in cases:
        form = quality_record(order_no, d, **extra)
        iid = d.start("quality_exception", "iqc", form)
        d.act(iid, "iqc", decision, form)
        if decision == "classify_technical":
            d.act(iid, "qa_lead", "refer_to_gm", reason="设计问题，需总经理决定 / design issue")
