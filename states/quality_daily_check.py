"""The QA head's daily check 质量每日检查 (PROCEDURES.md §9 "Also"; 001M 2.2.5(1)).

001M 2.2.5(1): 质管部领导每日检查…检验人员加班仍不能满足时，调配检验人员. The scheduler
starts one check each working day at 08:00 while quality exceptions are open (the gate
``open_quality_exceptions``, ``gendan.quality_daily``); the QA lead reviews the open records
and either finds that overtime covers the inspections or moves inspectors (rows: who, from,
to), the same day; the inspectors are told of a move.

Choice: a procedure of its own keyed by the day, started by the schedule, because the check
belongs to the day, not to one exception (one task per exception would flood the QA lead),
and the engine opens tasks on a timetable through scheduled starts. Choice: no check on a day
without open exceptions (nothing to check) or on a day off (the gate reads the company
calendar). Choice: due the same day (当天), as a daily check is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from statemachine import State

from gendan.timespec import Deadline
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

SEED = "001M 2.2.5(1)"


def daily_form(period: str, due: datetime) -> dict[str, Any]:
    """The day of the firing (company time; ``period`` is that date)."""
    return {"day": period}


class QualityDailyCheck(Procedure):
    key = "quality_daily_check"
    title_zh = "质量每日检查"
    title_en = "Daily quality check"
    start_form = "quality_daily_start"
    start_roles = ("qa_lead",)
    start_key = "start"
    subject = Subject(kind="qa_day", label_zh="质检日", label_en="inspection day",
                      prefix="QD", key_field="day", one_open=True)  # fmt: skip
    schedules = (
        Scheduled("quality_daily_check", "0 8 * * *", daily_form, period="day",
                  when="open_quality_exceptions",
                  title_zh="质量每日检查", title_en="Daily quality check"),
    )  # fmt: skip

    daily_check = Waiting(
        "每日检查 / Daily check",
        initial=True,
        wait=Wait(
            (
                TaskSpec(
                    "qa_lead",
                    "quality",
                    "每日检查未结质量异常及检验力量；加班不能满足时调配检验人员",
                    "Check the open quality exceptions and the inspectors; move inspectors "
                    "when overtime is not enough",
                    Deadline.today(),
                    seed=SEED,
                ),
            ),
            shows=("start",),
        ),
    )
    check_recorded = State("已检查 / Checked", final=True)

    record_check = daily_check.to(check_recorded)

    steps = {
        "record_check": Step(
            "提交每日检查记录", "Record the daily check", form="quality_daily_check"
        ),
    }
    entering = {
        # the inspectors hear of a move (调配检验人员) the day it is made
        "check_recorded": OnEnter(informs=(Inform(roles=("qc_inspector",), when="moved"),)),
    }
    predicates = {
        "moved": lambda d: bool(d.get("forms", {}).get("record_check", {}).get("moves")),
    }

