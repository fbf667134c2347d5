"""A subcontractor's month 外协月结 (PROCEDURES.md §6; seeds 002 3.4.9 step 8, 003 5.7.9).

Started on the 1st of each month for every subcontractor (``Scheduled``, fan-out
``subcontractors``) for the month before: [A] its 委外挂账单 rows (good, 工废, 料废,
unreasonable loss, price, amount) are computed from the month's receipt lines and its book
leftovers from everything issued and used (``gendan.outsourcing``). The outsourcing
coordinator issues the 挂账单 (the quantities must be the recorded ones, the amounts follow)
and then enters the subcontractor's 余料明细清单; every item whose reported leftover differs
from the book (actual use ≠ BOM) is reported to MC. Both by 次月5日前* (PROCEDURES.md: the
seed says 定期 / 及时; the month's report deadline after the 3rd).

Choice: the clock starts at the month's end (the start form's received-at), so a start made
late still owes the lists by the 5th of the month after the one they cover.
Choice: every subcontractor gets its month, also one without receipts that month, because
003 5.7.9 asks for the leftover list every month (每月余料明细清单) whatever was delivered.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from statemachine import State

from gendan.settings import get_settings
from gendan.timespec import RECV, Deadline
from states.base import (
    Inform,
    OnEnter,
    Procedure,
    Scheduled,
    Step,
    Subject,
    TaskSpec,
    Wait,
    Waiting,
)

BY_THE_5TH = Deadline.by_next_month(5, start=RECV, seed="次月5日前*")


def month_form(period: str, due: datetime) -> dict[str, Any]:
    """The schedule's start form: fired in month M (``period``), it covers month M-1, whose
    last minute (company time) is the clock's start, so 次月5日前 counts from that month."""
    year, month = (int(x) for x in period.split("-"))
    prev = date(year, month, 1) - timedelta(days=1)
    end = datetime.combine(prev, time(23, 59), ZoneInfo(get_settings().timezone))
    return {"period": f"{prev.year:04d}-{prev.month:02d}", "received_at": end.isoformat()}


def deviations(data: dict[str, Any]) -> list[str]:
    """Items whose reported leftover differs from the book (actual use ≠ BOM, 003 5.7.9)."""
    book = {r["item_code"]: r["qty"] for r in data.get("month", {}).get("leftovers", [])}
    told = data.get("forms", {}).get("check_leftovers", {}).get("reported", [])
    reported = {r["item_code"]: r["qty"] for r in told}
    return [
        item
        for item in sorted(set(book) | set(reported))
        if abs(book.get(item, 0.0) - reported.get(item, 0.0)) > 1e-6
    ]


class OutsourcingStatement(Procedure):
    key = "outsourcing_statement"
    title_zh = "外协月结（挂账单、余料清单）"
    title_en = "Subcontractor's month (statement, leftovers)"
    start_form = "outsourcing_statement_start"
    start_roles = ("outsourcing_coordinator",)
    start_key = "month"
    subject = Subject("subcontractor_month", "外协厂月结", "subcontractor's month", prefix="GZ")
    start_effect = "gendan.outsourcing:compute_month"
    schedules = (
        Scheduled(
            "outsourcing_statement", "0 8 1 * *", form=month_form, each="subcontractors",
            title_zh="外协月结（挂账单、余料明细清单）", title_en="Subcontractor statements",
        ),
    )  # fmt: skip

    statement = Waiting(
        "编制委外挂账单 / Statement",
        initial=True,
        wait=Wait(
            (
                TaskSpec("outsourcing_coordinator", "outsourcing",
                         "汇总收料单与不良品处理单，出委外挂账单",
                         "Issue the statement from the receipts and defect records",
                         BY_THE_5TH, seed="002 3.4.9 step 8"),
            ),  # fmt: skip
            shows=("start",),
        ),
    )
    leftovers = Waiting(
        "余料明细清单 / Leftover list",
        wait=Wait(
            (
                TaskSpec("outsourcing_coordinator", "outsourcing",
                         "收回外协厂余料明细清单，与账面核对（BOM 偏差报物控）",
                         "Enter the leftover list; deviations from the BOM go to MC",
                         BY_THE_5TH, seed="003 5.7.9"),
            ),  # fmt: skip
            shows=("start",),
        ),
    )
    closed = State("已结 / Closed", final=True)

    issue_statement = statement.to(leftovers)
    check_leftovers = leftovers.to(closed)

    steps = {
        "issue_statement": Step("出委外挂账单", "Issue the statement", form="outsourcing_statement",
                                issues="outsourcing_statement",
                                effect="gendan.outsourcing:check_statement"),
        "check_leftovers": Step("核对余料明细清单", "Check the leftover list", form="leftover_list",
                                issues="leftover_list",
                                effect="gendan.outsourcing:leftover_deviations"),
    }  # fmt: skip
    entering = {
        # 003 5.7.9: actual production differing from the BOM is reported to MC
        "closed": OnEnter(informs=(Inform(roles=("material_controller",), when="deviates"),)),
    }
    predicates = {"deviates": lambda d: bool(deviations(d))}
