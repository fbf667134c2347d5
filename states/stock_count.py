"""Stocktaking 盘点 (PROCEDURES.md §7; seed 002 3.4.10.2 steps 1-6, 3.4.10.1, 说明 3;
002 1.2.11 for the cycle counts; 000/2 九 for the month-end raw-material count).

Organise (warehouse keeper, count day −2/−1 WD) → finance agrees the plan and sets the
instant the book is frozen → [A] lists generated, [H] issued by the set time → round n counted
on the count day (当天) → finance supervises the round → [A] rounds compared: a recount list of
exactly the differing items (repeat) or the final 盘点单 → 盘点单审核 (finance director, 4 WH*)
→ reconciliation and 盘点分析报告 (finance, 1 WD*) → company approval (general manager, 4 WH*,
never someone who counted) → [A] gains as 其他入库单, losses as 其他出库单 (exported as CSV and
XLSX, ``gendan.count_export``), each a stock movement ``adjust`` so §5b/§5i run again.

The tables and the snapshot's rule for movements after the set time: ``gendan.counts``.
Choice: the warehouse keeper draws up the plan and finance agrees it within the same window
(the seed's flow has 材料会计 fix the period and organisation and 仓库制单员 make the 盘点单):
finance sets the set time because 财务部门在指定时间点备份好库存财务帐 (step 2).
Choice: finance supervises each round by confirming it on the count day (监督盘点过程), a
separate task after the counters' list, since one person cannot both count and supervise.
Choice: the counters are the plan's counters and whoever recorded a round; the approver may be
none of them (403), as "counter ≠ approver".
Choice: schedules — A monthly, B quarterly, C half-yearly (the seed's 大概, read exactly),
counted on the 15th with the notice on the 8th; a month-end count of every class on the
month's last day with the notice on the 20th (002 3.4.10.2 说明 1 一般是月末; 000/2 九 月底
原料盘点: the warehouse counts, the merchandiser's raw-material count is this count of the
raw-material warehouse); each per warehouse (the schedule's fan-out). A count day that is a
rest day puts its tasks on the working day before (PROCEDURES.md: "前" is never later). The
notice comes a week ahead so the organise task (−2/−1 WD) has its window. Three schedules
rather than one per month: each class keeps its own period, so a missed quarter is caught up
once as a quarter.
Choice: the approval and its signature are the GM's; 盘点单审核 may return named lines for a
recount (a new round), as the seed's review (3.4.10.1 审核盘点单) may refuse the sheet.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from statemachine import State

from gendan.timespec import Deadline
from states.base import (
    Automatic,
    OpensAt,
    Procedure,
    Scheduled,
    Step,
    Subject,
    TaskSpec,
    Wait,
    Waiting,
)

SEED = "002 3.4.10.2"
EFFECTS = "gendan.counts"
#: count day −2/−1 WD: opens at the start of count day −2 WD, due at the end of −1 WD.
ORGANISE = Deadline.before_date("start.count_date", 2, 1, seed="盘点前组织（盘点日前2-1个工作日）")
ORGANISE_OPENS = OpensAt("start.count_date", 2)
#: The lists are out by the set time (the engine takes the instant from finance's form: ``due``).
SET_TIME = Deadline.before_date("agree_plan.snapshot_at", 0, seed="指定时间点（账面冻结时点）")
COUNT_DAY = Deadline.before_date("start.count_date", 0, seed="当天（盘点日）")
COUNT_DAY_OPENS = OpensAt("start.count_date", 0)


#: Company time, in which a schedule's firing day is read (the business calendar's default).
COMPANY_ZONE = ZoneInfo("Asia/Shanghai")
#: Cycle counts are counted on this day of the month, the notice a week before (Choice: mid-
#: month, away from the month-end count; a rest day's tasks move to the working day before).
CYCLE_DAY = 15


def _local_day(due: datetime) -> date:
    return due.astimezone(COMPANY_ZONE).date()


def cycle_form(classes: tuple[str, ...]) -> Callable[[str, datetime], dict[str, Any]]:
    """The notice of a cycle count of ``classes`` (one per warehouse: the fan-out adds it)."""

    def form(period: str, due: datetime) -> dict[str, Any]:
        day = _local_day(due).replace(day=CYCLE_DAY)
        return {"kind": "cycle", "abc_classes": list(classes), "count_date": day.isoformat(),
                "period": period}  # fmt: skip

    return form


def month_end_form(period: str, due: datetime) -> dict[str, Any]:
    """The month-end count of every class on the month's last day (002 3.4.10.2 说明 1;
    000/2 九 月底原料盘点)."""
    day = _local_day(due)
    last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return {"kind": "month_end", "abc_classes": ["A", "B", "C"], "count_date": last.isoformat(),
            "period": period}  # fmt: skip


SCHEDULES = (
    Scheduled("count_a_monthly", "0 8 8 * *", cycle_form(("A",)), each="warehouses",
              period="month", title_zh="A 类循环盘点（每月）", title_en="Class A count (monthly)"),
    Scheduled("count_b_quarterly", "0 8 8 3,6,9,12 *", cycle_form(("B",)), each="warehouses",
              period="quarter", title_zh="B 类循环盘点（每季）",
              title_en="Class B count (quarterly)"),
    Scheduled("count_c_half_yearly", "0 8 8 6,12 *", cycle_form(("C",)), each="warehouses",
              period="half", title_zh="C 类循环盘点（每半年）",
              title_en="Class C count (half-yearly)"),
    Scheduled("count_month_end", "0 8 20 * *", month_end_form, each="warehouses",
              period="month", title_zh="月末盘点", title_en="Month-end count"),
)  # fmt: skip


def _one(title: str, spec: TaskSpec, shows: tuple[str, ...] = ()) -> Waiting:
    return Waiting(title, wait=Wait((spec,), shows=shows))


class StockCount(Procedure):
    key = "stock_count"
    title_zh = "存货盘点"
    title_en = "Stock count"
    start_form = "count_start"
    start_roles = ("warehouse_keeper", "finance")
    start_key = "start"
    #: Keyed PD-<day>-<warehouses>-<classes> (``CountStart.derived``): the same count cannot
    #: run twice at once (409).
    subject = Subject(
        kind="count",
        label_zh="盘点",
        label_en="Stock count",
        prefix="PD",
        key_field="count_no",
        one_open=True,
    )
    schedules = SCHEDULES

    organising = _one(
        "盘点前组织 / Organising",
        TaskSpec(
            "warehouse_keeper", "warehouse",
            "编制盘点计划：范围、时间、人员、工具", "Plan the count: scope, time, people, tools",
            ORGANISE, seed=f"{SEED} step 1", opens=ORGANISE_OPENS,
        ),
        shows=("start",),
    )  # fmt: skip
    plan_check = _one(
        "财务确认盘点计划 / Finance agrees the plan",
        TaskSpec(
            "finance", "finance",
            "确认盘点计划并指定账面冻结时点", "Agree the plan and set the time the book is frozen",
            ORGANISE, seed=f"{SEED} steps 1-2", opens=ORGANISE_OPENS,
        ),
        shows=("start", "organise"),
    )  # fmt: skip
    listing = Waiting(
        "生成盘点清单 / Generating the count lists",
        wait=Wait(
            automatic=Automatic(
                "count_lists",
                ("lists_generated",),
                owner_role="warehouse_keeper",
                owner_department="warehouse",
                title_zh="自动步骤失败：生成盘点清单",
                title_en="Automatic step failed: generate the count lists",
                seed=f"{SEED} step 2",
            )
        ),
    )
    issuing = _one(
        "下发盘点清单 / Issue the count lists",
        TaskSpec(
            "warehouse_keeper", "warehouse",
            "下发盘点清单（账面冻结时点前）", "Issue the count lists (by the set time)",
            SET_TIME, seed=f"{SEED} step 2", due="form:snapshot_at",
        ),
        shows=("organise", "lists_generated"),
    )  # fmt: skip
    counting = _one(
        "实物盘点 / Counting",
        TaskSpec(
            "warehouse_keeper", "warehouse",
            "实物盘点，填写本轮盘点清单", "Count and fill in this round's count list",
            COUNT_DAY, seed=f"{SEED} steps 3-4", opens=COUNT_DAY_OPENS,
        ),
        shows=("organise", "recount", "return_sheet"),
    )  # fmt: skip
    supervising = _one(
        "财务监盘 / Finance supervises",
        TaskSpec(
            "finance", "finance",
            "监督盘点过程，确认本轮盘点清单", "Supervise the count and confirm this round's list",
            COUNT_DAY, seed=f"{SEED} step 3; 3.4.10.1 监督盘点过程", opens=COUNT_DAY_OPENS,
        ),
        shows=("count_round",),
    )  # fmt: skip
    comparing = Waiting(
        "盘点结果对比 / Comparing the rounds",
        wait=Wait(
            automatic=Automatic(
                "count_compare",
                ("recount", "rounds_agree"),
                owner_role="warehouse_keeper",
                owner_department="warehouse",
                title_zh="自动步骤失败：盘点结果对比",
                title_en="Automatic step failed: compare the rounds",
                seed=f"{SEED} step 4",
            )  # fmt: skip
        ),
    )
    sheet_review = _one(
        "盘点单审核 / Count sheet review",
        TaskSpec(
            "finance_director", "finance", "审核盘点单", "Review the count sheet",
            Deadline.default_check(), seed=f"{SEED} step 5; 3.4.10.1 盘点单审核",
        ),
        shows=("rounds_agree",),
    )  # fmt: skip
    reconciling = _one(
        "财务对账与分析 / Reconciliation",
        TaskSpec(
            "finance", "finance",
            "账物核对，出具盘点分析报告", "Reconcile book and goods; write the variance report",
            Deadline.default_work(), seed=f"{SEED} step 6",
        ),
        shows=("rounds_agree", "refuse_count"),
    )  # fmt: skip
    approval = _one(
        "公司批准 / Company approval",
        TaskSpec(
            "general_manager", "gm_office",
            "批准盘点结果（盘点人不得批准）", "Approve the count (not by anyone who counted)",
            Deadline.default_check(), seed=f"{SEED} step 6 经公司批准后",
        ),
        shows=("rounds_agree", "report_variance"),
    )  # fmt: skip
    posting = Waiting(
        "盘盈盘亏入账 / Posting gains and losses",
        wait=Wait(
            automatic=Automatic(
                "count_post",
                ("posted",),
                owner_role="finance",
                owner_department="finance",
                title_zh="自动步骤失败：盘盈盘亏入账",
                title_en="Automatic step failed: post the count",
                seed="002 3.4.10.2 说明 3",
            )  # fmt: skip
        ),
    )
    done = State("已完成 / Done", final=True)

    organise = organising.to(plan_check)
    agree_plan = plan_check.to(listing)
    lists_generated = listing.to(issuing)
    return_plan = plan_check.to(organising)
    issue_lists = issuing.to(counting)
    count_round = counting.to(supervising)
    supervise = supervising.to(comparing)
    recount = comparing.to(counting)
    rounds_agree = comparing.to(sheet_review)
    review_sheet = sheet_review.to(reconciling)
    return_sheet = sheet_review.to(counting)
    report_variance = reconciling.to(approval)
    approve_count = approval.to(posting)
    refuse_count = approval.to(reconciling)
    posted = posting.to(done)

    steps = {
        "organise": Step(
            "提交盘点计划", "Submit the count plan", form="count_plan",
            effect=f"{EFFECTS}:check_plan",
        ),
        "agree_plan": Step(
            "确认计划，指定账面冻结时点", "Agree; set the time the book is frozen",
            form="count_plan_agreement", effect=f"{EFFECTS}:plan_agreed",
        ),
        "return_plan": Step("退回修改", "Return for changes", reason_required=True),
        "lists_generated": Step(
            "盘点清单已生成", "Count lists generated", form="count_lists",
            effect=f"{EFFECTS}:write_lists",
        ),
        "issue_lists": Step(
            "盘点清单已下发", "Count lists issued", effect=f"{EFFECTS}:lists_issued"
        ),
        "count_round": Step(
            "提交本轮盘点清单", "Submit this round's count list", form="count_list",
            effect=f"{EFFECTS}:record_round",
        ),
        "supervise": Step(
            "监盘确认", "Supervised: confirm the round", signature="reviewed",
            four_eyes=("count_round",),
        ),
        "recount": Step(
            "复盘清单（差异物料）", "Recount list (differing items)", form="recount_list",
            effect=f"{EFFECTS}:make_recount",
        ),
        "rounds_agree": Step(
            "各轮一致，生成盘点单", "Rounds agree: the count sheet", form="count_sheet",
            effect=f"{EFFECTS}:sheet_made",
        ),
        "review_sheet": Step("盘点单审核通过", "Count sheet checked", signature="reviewed"),
        "return_sheet": Step(
            "退回复盘（指定物料）", "Return: recount the named lines", form="sheet_return",
            reason_required=True, signature="rejected", effect=f"{EFFECTS}:sheet_returned",
        ),
        "report_variance": Step(
            "提交盘点分析报告", "Submit the variance report", form="variance_report"
        ),
        "approve_count": Step(
            "批准盘点结果，调整库存", "Approve; correct the stock", signature="approved",
            four_eyes=("count_round",), effect=f"{EFFECTS}:check_approver",
        ),
        "refuse_count": Step(
            "退回重新分析", "Return to finance", reason_required=True, signature="rejected"
        ),
        "posted": Step(
            "盘盈入库、盘亏出库已生成", "Gains and losses posted", form="count_posting",
            effect=f"{EFFECTS}:post_corrections",
        ),
    }  # fmt: skip

    @classmethod
    def step_errors(cls, event: str, values: dict, data: dict) -> dict[str, str]:
        if event == "report_variance" and not values.get("reconciled"):
            return {"reconciled": "reconcile book and goods first / 须先完成账物核对"}
        return {}
