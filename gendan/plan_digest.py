"""[S] The daily digest of open and late plan lines (PROCEDURES.md §3; 001M 2.2.2(2),
2.2.3(1), 2.2.4(1), 2.2.5(1)): the production, engineering, purchasing and quality heads each
follow their lines every day. Choice (PROCEDURES.md): one digest a day instead of a daily task
per line, which would flood the inboxes.

A line is open from its start until the plan reaches the stage that proves it done (the
pre-start check for design, cooperation and purchases, packing for assembly, stocked for
packing — 001M 2.1.7's done-definitions as the procedure sees them), and late once its finish
date has passed. Each head reads the lines they follow (``HEADS``). One e-mail per head per
day (the outbox's cause is the day), written whole here and rendered by the outbox's
``prepared`` template.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from gendan.db import unit_of_work
from gendan.models import Instance
from gendan.org import department_heads
from gendan.outbox import enqueue
from gendan.runtime import Runtime
from states.production_plan import ProductionPlan

#: Who reads the digest and which lines (001M 2.2.2-2.2.5): production follows every line,
#: engineering its design, purchasing its purchases, quality every line it inspects (all).
HEADS: dict[str, frozenset[str] | None] = {
    "production": None,
    "engineering": frozenset({"design"}),
    "purchasing": frozenset({"purchase"}),
    "quality": None,
}

#: The state from which each line counts as done.
DONE_FROM = {
    "design": "in_production",
    "cooperation": "in_production",
    "purchase": "in_production",
    "assembly": "packing",
    "packing": "stocked",
}
LINE_WORDS = {
    "design": ("设计", "design"),
    "cooperation": ("协作加工", "cooperation"),
    "purchase": ("采购进货", "purchases"),
    "assembly": ("装配", "assembly"),
    "packing": ("包装入库", "packing"),
}


@dataclass(frozen=True)
class Line:
    order_no: str
    line: str
    department: str
    start: date
    finish: date
    late: bool


def _reached(state: str, target: str) -> bool:
    """The plan is at or past ``target`` on its main path (side states count as before)."""
    main = ["in_production", "packing", "consent", "stocked", "shipping", "loading",
            "dispatched", "investigating", "delivered", "paid"]  # fmt: skip
    return state in main and main.index(state) >= main.index(target)


def open_lines(session: Session, today: date) -> list[Line]:
    """Every started, unfinished line of every running plan; late ones flagged."""
    out: list[Line] = []
    plans = session.exec(
        select(Instance)
        .where(Instance.procedure == ProductionPlan.key, Instance.closed_at.is_(None))
        .order_by(Instance.order_no)
    ).all()
    for inst in plans:
        for row in inst.data.get("forms", {}).get("plan", {}).get("rows", []):
            start, finish = date.fromisoformat(row["start"]), date.fromisoformat(row["finish"])
            if start > today or _reached(inst.state, DONE_FROM[row["line"]]):
                continue
            out.append(Line(inst.order_no, row["line"], row["department"], start, finish,
                            finish < today))  # fmt: skip
    return out


def _text(lines: list[Line], today: date) -> tuple[str, str]:
    zh, en = (
        [f"{today.isoformat()} 计划执行情况（未完成 {len(lines)} 项）："],
        [f"Plan lines as of {today.isoformat()} ({len(lines)} open):"],
    )
    for ln in lines:
        wz, we = LINE_WORDS[ln.line]
        flag_zh, flag_en = ("【已逾期】", "[LATE] ") if ln.late else ("", "")
        zh.append(f"- {flag_zh}{ln.order_no} {wz}（{ln.department}）{ln.start} → {ln.finish}")
        en.append(f"- {flag_en}{ln.order_no} {we} ({ln.department}) {ln.start} → {ln.finish}")
    return "\n".join(zh), "\n".join(en)


def plan_digest(rt: Runtime, *, now: datetime) -> int:
    """Queue today's digest for each head with lines to follow (once a day, however often it
    runs); the number of open lines (0: nothing is open, nothing is sent)."""
    today = rt.calendar.local_date(now)
    with unit_of_work(rt.db) as s:
        every = open_lines(s, today)
        for dep, kinds in HEADS.items():
            lines = [ln for ln in every if kinds is None or ln.line in kinds]
            if lines:
                _queue(s, dep, lines, today, now)
    return len(every)


def _queue(s: Session, dep: str, lines: list[Line], today: date, now: datetime) -> None:
    """One e-mail to the head of ``dep``, once per day (the cause names the day)."""
    late = sum(1 for ln in lines if ln.late)
    body_zh, body_en = _text(lines, today)
    enqueue(
        s,
        cause=f"plan_digest:{today.isoformat()}:{dep}",
        users=department_heads(s, (dep,)),
        template="prepared",
        context={
            "subject_zh": f"【计划日报】{today} 未完成 {len(lines)} 项，逾期 {late} 项",
            "subject_en": f"[Plan digest] {today.isoformat()}: {len(lines)} open, {late} late",
            "body_zh": body_zh,
            "body_en": body_en,
            "path": "/orders",
        },
        now=now,
        channels=("email",),  # a digest to read, not an alarm: no SMS
    )
