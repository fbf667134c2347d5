"""Goods damaged in transit 运输损坏 (PROCEDURES.md §8b; seed 001M 3.3(3)).

The customer reports damaged goods; the sales clerk records it (an instance of its own,
``Subject`` "transit_damage", numbered YS-…, linked to the order) → [A] after-sales, the
logistics leader and the freight auditor are informed at once
(``gendan.after_sales.inform_transit_damage``) → after-sales decides the service and answers
the customer within 1 WD (及时) of the report's receipt → the logistics leader analyses the
cause and claims, with the QA and production heads (copied; 1 WD*).

Choice: the QA and production heads are copied on the cause analysis (会同质管、生产部领导)
rather than given tasks of their own, because the seed makes logistics own the claim and the
heads assist it.
"""

from __future__ import annotations

from statemachine import State

from gendan.timespec import RECV, Deadline
from states.base import (
    Inform,
    OnEnter,
    Procedure,
    Step,
    Subject,
    TaskSpec,
    Wait,
    Waiting,
)

SEED = "001M 3.3(3)"


class TransitDamage(Procedure):
    key = "transit_damage"
    title_zh = "运输损坏处理"
    title_en = "Transit damage"
    start_form = "transit_damage_report"
    start_roles = ("sales_clerk", "salesperson")
    start_key = "report"
    subject = Subject(kind="transit_damage", label_zh="运输损坏", label_en="Transit damage",
                      prefix="YS", orders_field="order_no", orders_required=True)  # fmt: skip
    start_effect = "gendan.after_sales:inform_transit_damage"

    service_decision = Waiting(
        "确定服务方式 / Service decided",
        initial=True,
        wait=Wait(
            (
                TaskSpec(
                    "after_sales",
                    "after_sales",
                    "运输损坏：确定服务方式并答复客户",
                    "Transit damage: decide the service and answer the customer",
                    Deadline.prompt(start=RECV),
                    seed=SEED,
                ),
            ),
            shows=("start",),
        ),
    )
    claim_analysis = Waiting(
        "原因分析与索赔 / Cause and claim",
        wait=Wait(
            (
                TaskSpec(
                    "dept_head",
                    "logistics",
                    "会同质管、生产部领导分析原因并索赔",
                    "Analyse the cause and claim, with the QA and production heads",
                    Deadline.wd(1, assumed=True),
                    seed=SEED,
                ),
            ),
            shows=("start", "service_decided"),
        ),
    )
    closed = State("已处理 / Closed", final=True)

    service_decided = service_decision.to(claim_analysis)
    claim_made = claim_analysis.to(closed)

    steps = {
        "service_decided": Step(
            "服务方式已定，已答复客户", "Service decided, customer answered", form="transit_service"
        ),
        "claim_made": Step(
            "原因已分析，已索赔", "Cause analysed, claim made", form="transit_claim"
        ),
    }
    entering = {
        "claim_analysis": OnEnter(informs=(Inform(heads=("quality", "production")),)),
    }
