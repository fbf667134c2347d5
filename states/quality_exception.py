"""Quality exceptions 质量异常 (PROCEDURES.md §9; seed 001M 2.2.5(2)).

The inspector records a problem found in inspection on the 质量异常记录 and, within 20
working minutes of finding it (一般为20分钟内, counted from the found-at on the record),
classifies it:
1. internal, reworkable → the operator reworks; the operator's direct leader is informed;
2. cross-company → reported to the QA lead, who coordinates within 30 working minutes;
3. purchased materials, general → the buyer handles it (1 WD*); a batch pass rate below
   95 % or a serious problem (wrong spec/model, missing parts, bad appearance, quantity ≠
   delivery note) → straight to the QA and purchasing heads (4 WH*);
4. technical or undeterminable → the QA lead coordinates within 30 working minutes;
   unresolved → the GM (4 WH*); the resolution goes to the inspectors.
A batch defect that threatens delivery informs the merchandising lead (000/4 三.11; 000/5 5).

Choice: the serious rule is decided by the data, never by a tick of the inspector: the
inspector says "purchased" and the counts and ticks on the record choose general or serious,
because 001M 2.2.5(2)3 defines serious by the batch, not by anyone's judgement.
Choice: the rule applies to purchased materials only, as the seed places it (the pass
rate and ticks of ①②④ are recorded, not acted on).
Choice: the operator's direct leader is the workshop's head (车间主任 / 工段长): operators
have no accounts (PROCEDURES.md "Roles").
Choice: after ① the inspector re-inspects within 1 WD* and closes the record, or sends a
failed rework to ④ (the seed's ① covers only what "经返工后能符合质量要求"), because the
seed is silent on the re-inspection and a record needs an end.
Choice: in ③-serious both heads get the task; whichever records the disposition closes it.
A supplier return (→ §8c) ticked on ③'s resolution starts ``supplier_return`` for the batch's
failed count, linked to this record (``gendan.receiving_steps.on_quality_resolved``).
Choice: every resolution is sent to the inspectors (the seed says so for ④; the other
branches' inspectors need it to close their records too).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from statemachine import State

from forms.quality import PASS_RATE_LIMIT, SERIOUS_TICKS
from gendan.timespec import RECV, Deadline, Sla, event
from states.base import Inform, OnEnter, Procedure, Step, TaskSpec, Wait, Waiting

SEED = "001M 2.2.5(2)"
REPORTED = "reported"  # the instant the inspector reported (classified): "from report"
FROM_REPORT = event(REPORTED)
CLASSIFY = (
    "classify_internal",
    "classify_cross_company",
    "classify_purchased",
    "classify_technical",
)


def record(data: dict[str, Any]) -> dict[str, Any]:
    """The quality record as it now stands: the classification's form, else the start form."""
    forms = data.get("forms", {})
    for name in CLASSIFY:
        if name in forms:
            return forms[name]
    return data.get("record", {})


def is_serious(values: dict[str, Any]) -> bool:
    """001M 2.2.5(2)3: a batch pass rate below 95 % or any serious problem ticked."""
    inspected, failed = values.get("inspected") or 0, values.get("failed") or 0
    low = bool(inspected) and 100 * (inspected - failed) / inspected < PASS_RATE_LIMIT
    return low or any(values.get(t) for t in SERIOUS_TICKS)


def _resolve(zh: str = "记录处理结果", en: str = "Record the resolution") -> Step:
    return Step(zh, en, form="quality_resolution", issues="quality_resolution")


def _classify(branch: str, zh: str, en: str) -> Step:
    """The classified record is issued (ZY-<order>-NN): filed and printable."""
    return Step(
        zh,
        en,
        form="quality_exception",
        fixed={"branch": branch},
        marks=REPORTED,
        issues="quality_exception",
    )


#: ③ The resolution's 退供应商 tick starts the supplier return (§8c, ``supplier_return``).
RETURNS = "gendan.receiving_steps:on_quality_resolved"

#: The merchandising lead hears of a batch defect that threatens delivery (000/4 三.11).
DELIVERY_AT_RISK = Inform(heads=("merchandising",), when="threatens_delivery")
#: [A] The resolution goes to the inspectors (001M 2.2.5(2)4 并将处理办法通知检验人员).
TO_INSPECTORS = Inform(roles=("qc_inspector",))


class QualityException(Procedure):
    key = "quality_exception"
    title_zh = "质量异常"
    title_en = "Quality exception"
    start_form = "quality_exception"
    start_roles = ("qc_inspector",)
    start_key = "record"
    entry_deadline = Sla.minutes(20)  # recorded within 20 WM of finding (late is recorded)
    start_fixed = {"branch": None}

    recording = Waiting(
        "待分类 / Awaiting classification",
        initial=True,
        wait=Wait(
            (
                TaskSpec(
                    "qc_inspector",
                    "quality",
                    "20分钟内记录并分类质量异常（①-④）",
                    "Record and classify the quality problem (①-④) within 20 minutes",
                    Deadline.wm(20, start=RECV, seed="一般为20分钟内"),
                    chain=("role:qa_lead", "role:general_manager"),
                    seed=f"{SEED}",
                    decisions=CLASSIFY,
                ),
            ),
            shows=("start",),
        ),
    )
    rework = Waiting(
        "① 返工 / ① Rework",
        wait=Wait(
            (
                TaskSpec(
                    "qc_inspector",
                    "quality",
                    "返工后复检并关闭记录",
                    "Re-inspect after the rework and close the record",
                    Deadline.default_work(),
                    seed=f"{SEED}1 (Choice)",
                ),
            ),
            shows=("classify_internal",),
        ),
    )
    cross_company = Waiting(
        "② 跨公司协调 / ② Cross-company coordination",
        wait=Wait(
            (
                TaskSpec(
                    "qa_lead",
                    "quality",
                    "30分钟内协调处理跨公司质量问题",
                    "Coordinate the cross-company quality problem within 30 minutes",
                    Deadline.wm(30, start=FROM_REPORT, seed="一般为30分钟内"),
                    seed=f"{SEED}2",
                ),
            ),
            shows=("classify_cross_company",),
        ),
    )
    purchased_general = Waiting(
        "③ 采购员处理 / ③ Buyer handles",
        wait=Wait(
            (
                TaskSpec(
                    "buyer",
                    "purchasing",
                    "处理采购物资的一般质量问题",
                    "Handle the general quality problem of purchased materials",
                    Deadline.default_work(),
                    seed=f"{SEED}3",
                ),
            ),
            shows=("classify_purchased",),
        ),
    )
    purchased_serious = Waiting(
        "③ 质管与采购领导处理 / ③ QA and purchasing heads handle",
        wait=Wait(
            (
                TaskSpec(
                    "qa_lead",
                    "quality",
                    "批量合格率低于95%或严重问题：处理",
                    "Pass rate below 95 % or serious: handle it",
                    Deadline.wh(4, start=FROM_REPORT, assumed=True),
                    seed=f"{SEED}3",
                ),
                TaskSpec(
                    "purchasing_lead",
                    "purchasing",
                    "批量合格率低于95%或严重问题：处理",
                    "Pass rate below 95 % or serious: handle it",
                    Deadline.wh(4, start=FROM_REPORT, assumed=True),
                    seed=f"{SEED}3",
                ),
            ),
            shows=("classify_purchased",),
        ),
    )
    technical = Waiting(
        "④ 质管部领导协调 / ④ QA lead coordinates",
        wait=Wait(
            (
                TaskSpec(
                    "qa_lead",
                    "quality",
                    "30分钟内协调处理技术设计或不能判定的问题",
                    "Coordinate the technical or undeterminable problem within 30 minutes",
                    Deadline.wm(30, start=FROM_REPORT, seed="一般为30分钟内"),
                    chain=("role:general_manager",),
                    seed=f"{SEED}4",
                ),
            ),
            shows=("classify_technical", "rework_failed"),
        ),
    )
    gm_decides = Waiting(
        "④ 报总经理 / ④ Referred to the GM",
        wait=Wait(
            (
                TaskSpec(
                    "general_manager",
                    "gm_office",
                    "质管部协调未能解决：决定处理办法",
                    "Not resolved by QA: decide what is done",
                    Deadline.default_check(),
                    chain=("role:general_manager",),
                    seed=f"{SEED}4",
                ),
            ),
            shows=("classify_technical", "refer_to_gm"),
        ),
    )
    resolved = State("已处理 / Resolved", final=True)

    classify_internal = recording.to(rework)
    classify_cross_company = recording.to(cross_company)
    classify_purchased = recording.to(purchased_serious, cond="serious") | recording.to(
        purchased_general
    )
    classify_technical = recording.to(technical)
    rework_passed = rework.to(resolved)
    rework_failed = rework.to(technical)
    coordinate = cross_company.to(resolved)
    handle = purchased_general.to(resolved)
    handle_serious = purchased_serious.to(resolved)
    settle = technical.to(resolved)
    refer_to_gm = technical.to(gm_decides)
    gm_settle = gm_decides.to(resolved)

    steps = {
        "classify_internal": _classify(
            "internal", "① 内部可返工：通知操作人员返工", "① Internal: the operator reworks"
        ),
        "classify_cross_company": _classify(
            "cross_company", "② 跨公司：报质管部领导", "② Cross-company: to the QA lead"
        ),
        "classify_purchased": _classify(
            "purchased", "③ 采购物资：按批量合格率处理", "③ Purchased: by the batch pass rate"
        ),
        "classify_technical": _classify(
            "technical", "④ 技术设计或不能判定：报质管部领导", "④ Technical: to the QA lead"
        ),
        "rework_passed": _resolve("复检合格，关闭", "Re-inspected, passed: close"),
        "rework_failed": Step(
            "返工后仍不合格：报质管部领导（④）",
            "Still failing after rework: to the QA lead (④)",
            reason_required=True,
            marks=REPORTED,
        ),
        "coordinate": _resolve(),
        # ③ purchased goods ticked 退供应商 start the supplier return (§8c)
        "handle": replace(_resolve(), effect=RETURNS),
        "handle_serious": replace(_resolve(), effect=RETURNS),
        "settle": _resolve(),
        "refer_to_gm": Step(
            "协调未能解决：报总经理", "Not resolved: refer to the GM", reason_required=True
        ),
        "gm_settle": _resolve("决定处理办法", "Decide what is done"),
    }
    entering = {
        # 2.2.5(2)1 并通报该员工直接领导
        "rework": OnEnter(informs=(Inform(heads=("workshop",)), DELIVERY_AT_RISK)),
        "cross_company": OnEnter(informs=(DELIVERY_AT_RISK,)),
        "purchased_general": OnEnter(informs=(DELIVERY_AT_RISK,)),
        "purchased_serious": OnEnter(informs=(DELIVERY_AT_RISK,)),
        "technical": OnEnter(informs=(DELIVERY_AT_RISK,)),
        "resolved": OnEnter(informs=(TO_INSPECTORS,)),
    }
    predicates = {"threatens_delivery": lambda d: bool(record(d).get("threatens_delivery"))}

    def serious(self, form: dict[str, Any] | None = None) -> bool:
        return bool(form) and is_serious(form or {})
