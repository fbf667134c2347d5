"""Supplier QDPS score 供应商评审 (PROCEDURES.md §5l; seed 002 1.2.9).

从 QDPS（质量、迟交、价格、服务）四个方面，总分 100 分: Q = 40 × the month's pass rate
(采购提供清单，由品管根据当月合格率计算), D = 20 × the on-time rate with early deliveries left
out (提前交货不参与评价，推迟交货为未达成), P 15/10/5 by the buyer (合理/正常/偏高), S: quality
service ≤ 15 by QA, cooperation ≤ 5 and support (samples, charged?) ≤ 5 by the buyer; grade
A ≥ 80, B ≥ 70, C ≥ 60, D below (Choice: the garbled bounds read as lower bounds).

The system starts one sheet per supplier that had PO lines due or receipts in the month, at
08:00 on the 1st (a scheduled start with the fan-out ``suppliers_delivering``); Q and D are
computed from the receipt lines' IQC results and the PO lines (``gendan.measures``). QA scores,
then the buyer; the total and grade are computed and written to ``Measure`` (kind "qdps",
subject the supplier) and approved by the purchasing lead with a signature.

Choice: QA scores before the buyer (one holder at a time; both are due by the 5th), because the
seed has no order and a sheet with one open step is easier to chase than two.
Choice: the purchasing lead (采购主管, who approves purchasing's records in 002 3.4.3 step 15)
approves the score: the seed names no approver and the grade is purchasing's supplier record.
Choice: every step is due 次月5日前* (PROCEDURES.md: monthly work with no seed deadline).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from statemachine import State

from gendan.timespec import Deadline
from states.base import Procedure, Scheduled, Step, Subject, TaskSpec, Wait, Waiting

SEED = "002 1.2.9"
BY_THE_5TH = Deadline.before_date("sheet.due_date", 0, seed="次月5日前*")


def last_month(period: str, due: datetime) -> dict[str, Any]:
    last = date(int(period[:4]), int(period[5:7]), 1) - timedelta(days=1)
    return {"month": f"{last.year}-{last.month:02d}"}


class Qdps(Procedure):
    key = "qdps"
    title_zh = "供应商QDPS评分"
    title_en = "Supplier QDPS score"
    start_form = "qdps"
    start_roles = ("qa_lead", "buyer", "purchasing_lead")
    start_key = "sheet"
    subject = Subject("supplier_month", "供应商月度", "Supplier month", key_field="ref",
                      one_open=True)  # fmt: skip
    start_effect = "gendan.measures:compute_qdps"
    schedules = (
        Scheduled(
            "qdps",
            "0 8 1 * *",
            form=last_month,
            each="suppliers_delivering",
            title_zh="每月1日为上月交货的供应商评分",
            title_en="On the 1st: score last month's suppliers",
        ),
    )

    qa_scoring = Waiting(
        "品管评分 / QA scores",
        initial=True,
        wait=Wait(
            (
                TaskSpec(
                    "qa_lead",
                    "quality",
                    "供应商评分：品质服务（≤15分）",
                    "Supplier score: quality service (≤ 15)",
                    BY_THE_5TH,
                    seed=f"{SEED} S",
                ),
            ),
            shows=("start",),
        ),
    )
    buyer_scoring = Waiting(
        "采购评分 / Buyer scores",
        wait=Wait(
            (
                TaskSpec(
                    "buyer",
                    "purchasing",
                    "供应商评分：价格、配合度、支持配合",
                    "Supplier score: price, cooperation, support",
                    BY_THE_5TH,
                    seed=f"{SEED} P, S",
                ),
            ),
            shows=("start", "score_service"),
        ),
    )
    approving = Waiting(
        "采购主管审批 / Purchasing lead approves",
        wait=Wait(
            (
                TaskSpec(
                    "purchasing_lead",
                    "purchasing",
                    "审批供应商QDPS得分与等级",
                    "Approve the supplier's QDPS score and grade",
                    BY_THE_5TH,
                    seed=f"{SEED} (Choice)",
                ),
            ),
            shows=("start", "score_service", "score_buyer"),
        ),
    )
    approved = State("已审批 / Approved", final=True)

    score_service = qa_scoring.to(buyer_scoring)
    score_buyer = buyer_scoring.to(approving)
    approve = approving.to(approved)
    send_back = approving.to(qa_scoring)

    steps = {
        "score_service": Step("提交品质服务评分", "Submit the service score", form="qdps_service"),
        "score_buyer": Step(
            "提交采购评分", "Submit the buyer's scores", form="qdps_buyer",
            effect="gendan.measures:compute_qdps",
        ),  # fmt: skip
        "approve": Step(
            "审批", "Approve", signature="approved", effect="gendan.measures:approve_qdps"
        ),
        "send_back": Step("退回重新评分", "Send back for rescoring", reason_required=True),
    }
