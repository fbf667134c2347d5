"""SLA value types: how long a waiting step may take, in working time.

Pure values shared by the procedure declarations (``states/``) and the
business calendar; no I/O here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Unit(StrEnum):
    MINUTES = "minutes"
    HOURS = "hours"
    WORKING_DAYS = "working_days"


_ZH = {Unit.MINUTES: "分钟", Unit.HOURS: "小时", Unit.WORKING_DAYS: "个工作日"}
_EN = {Unit.MINUTES: "minute", Unit.HOURS: "hour", Unit.WORKING_DAYS: "working day"}


@dataclass(frozen=True)
class Sla:
    """A time limit such as "30 minutes", "4 hours" or "1 working day".

    Minutes and hours run on the working-hours calendar; working days skip
    weekends and holidays and count adjusted working days (调休).
    """

    amount: int
    unit: Unit

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError("an SLA must be positive")

    @classmethod
    def minutes(cls, n: int) -> Sla:
        return cls(n, Unit.MINUTES)

    @classmethod
    def hours(cls, n: int) -> Sla:
        return cls(n, Unit.HOURS)

    @classmethod
    def working_days(cls, n: int) -> Sla:
        return cls(n, Unit.WORKING_DAYS)

    @classmethod
    def parse(cls, text: str) -> Sla:
        """Parse "30 minutes", "4 hours", "1 working day", "3 working days"."""
        m = re.fullmatch(r"\s*(\d+)\s*(minutes?|min|hours?|h|working days?|wd)\s*", text)
        if not m:
            raise ValueError(f"not an SLA: {text!r}")
        word = m.group(2)
        unit = (
            Unit.MINUTES
            if word.startswith("min")
            else Unit.HOURS
            if word.startswith("h")
            else Unit.WORKING_DAYS
        )
        return cls(int(m.group(1)), unit)

    @property
    def is_long(self) -> bool:
        """SLAs of a working day or more get a reminder at 75% (PROCEDURES.md, Escalation)."""
        return self.unit is Unit.WORKING_DAYS

    def __str__(self) -> str:
        word = _EN[self.unit]
        return f"{self.amount} {word}{'' if self.amount == 1 else 's'}"

    @property
    def label_zh(self) -> str:
        return f"{self.amount} {_ZH[self.unit]}"


# -- deadlines: an SLA with its kind and the instant it runs from -----------------------------

#: Where a deadline's clock starts (PROCEDURES.md "Deadlines").
OPEN = "open"  # the task was opened
RECV = "recv"  # the received-at on the start form: when the request arrived, not when typed


def event(name: str) -> str:
    """Start at a named instant the procedure recorded (``Step.marks``), e.g. the payment gate."""
    return f"event:{name}"


def on_date(order_field: str) -> str:
    """Start from a business date of the order (e.g. ``delivery_date``)."""
    return f"date:{order_field}"


#: Kinds, as PROCEDURES.md names them: (key, zh, en).
BASIS = {
    "WM": ("工作分钟", "working minutes"),
    "WH": ("工作小时", "working hours"),
    "WD": ("工作日", "working days"),
    "day-hours": ("24小时=1工作日", "day-hours (24小时 = 1 working day)"),
    "days": ("天数（取上限）", "days (upper bound)"),
    "calendar date": ("日历日期", "calendar date"),
    "same day": ("当天", "same day"),
    "date-anchored": ("按业务日期倒排", "counted back from a business date"),
    "immediate": ("立即（30工作分钟）", "immediate (30 working minutes)"),
    "vague": ("及时（1工作日）", "prompt (1 working day)"),
    "default": ("未规定（默认）", "not set by the seed (default)"),
}

START_LABELS = {
    OPEN: ("自任务下达起", "from the task's opening"),
    RECV: ("自收到起", "from receipt"),
    "event:gate": ("自签约并付款起", "from signing + payment"),
    "event:notice": ("自收到通知单起", "from receiving the notice"),
    "event:reported": ("自检验员报告起", "from the inspector's report"),
    # §3 production planning and follow-up
    "event:plan_sent": ("自计划下发起", "from the plan going out"),
    "event:daily_report": ("自上次日报起", "from the last daily report"),
    "event:dispatched": ("自发运起", "from dispatch"),
    "event:not_received": ("自客户告知未到货起", "from the customer's not-received call"),
    "event:chased": ("自上次催款起", "from the last chase"),
    # §5h receiving
    "event:goods_received": ("自收货登记起", "from the goods' receipt"),
}

#: Business dates a deadline counts back from, in words (a bare order field, "order.<field>",
#: or "<event>.<field>" of a form the instance holds); an unknown one shows as its name.
DATE_LABELS = {
    "delivery_date": ("交货期", "the delivery date"),
    "order.delivery_date": ("交货期", "the delivery date"),
    "plan.planned_start": ("计划开工日", "the planned start"),
    "plan.packing_date": ("计划包装日", "the packing date"),
    "plan.dispatch_date": ("计划发货日", "the dispatch date"),
    "receipt_confirmed.payment_due": ("合同付款日", "the payment date"),
    "dispatch.eta": ("预计到货日", "the expected arrival"),
    "plan.rows.design.finish": ("设计完成日", "the design finish"),
    "start.count_date": ("盘点日", "the count day"),
    # §5j: the weekly plan's start and planned completion
    "weekly_plan.plan_start": ("周计划投产日", "the weekly plan's start"),
    "weekly_plan.plan_end": ("周计划完工日", "the weekly plan's planned completion"),
}


@dataclass(frozen=True)
class Deadline:
    """A waiting step's time limit: its kind (``basis``), its length and where it starts.

    Durations (``sla``) run on the working calendar. ``next_month_day`` is "by the
    Nth of next month" (次月N日前); ``same_day`` is the end of the start's working
    day (当天); ``before`` counts back (a, b) working days from the business date
    named by ``start`` (提前N个工作日). ``lower`` is the reminder point of a range
    ("3-5天": due at 5, reminded at 3). ``seed`` keeps the seed's own words.
    """

    basis: str
    sla: Sla | None = None
    start: str = OPEN
    seed: str = ""
    lower: int | None = None
    next_month_day: int | None = None
    same_day: bool = False
    before: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.basis not in BASIS:
            raise ValueError(f"unknown deadline basis {self.basis!r}")
        shapes = [self.sla is not None, self.next_month_day is not None, self.same_day]
        shapes.append(self.before is not None)
        if sum(shapes) != 1:
            raise ValueError("a deadline is exactly one of: sla, next_month_day, same_day, before")
        if self.before is not None and not self.start.startswith("date:"):
            raise ValueError("a date-anchored deadline starts from a business date (on_date)")

    # -- constructors named after PROCEDURES.md's kinds --

    @classmethod
    def wm(cls, n: int, *, start: str = OPEN, seed: str = "") -> Deadline:
        return cls("WM", Sla.minutes(n), start, seed)

    @classmethod
    def wh(cls, n: int, *, start: str = OPEN, seed: str = "", assumed: bool = False) -> Deadline:
        return cls("default" if assumed else "WH", Sla.hours(n), start, seed)

    @classmethod
    def wd(cls, n: int, *, start: str = OPEN, seed: str = "", assumed: bool = False) -> Deadline:
        return cls("default" if assumed else "WD", Sla.working_days(n), start, seed)

    @classmethod
    def day_hours(cls, hours: int, *, start: str = OPEN, seed: str = "") -> Deadline:
        """24小时 = 1 working day (Choice: a factory day, not 24 working hours)."""
        if hours % 24:
            raise ValueError("day-hours come in whole days (24, 48 …)")
        return cls("day-hours", Sla.working_days(hours // 24), start, seed or f"{hours}小时")

    @classmethod
    def days(cls, low: int, high: int, *, start: str = OPEN, seed: str = "") -> Deadline:
        """ "3-5天": due at the upper bound, reminded at the lower one."""
        if not 0 < low <= high:
            raise ValueError("a day range needs 0 < low <= high")
        lower = low if low < high else None
        return cls("days", Sla.working_days(high), start, seed, lower=lower)

    @classmethod
    def by_next_month(cls, day: int, *, seed: str = "", start: str = OPEN) -> Deadline:
        if not 1 <= day <= 28:
            raise ValueError("次月N日: N from 1 to 28")
        return cls("calendar date", start=start, seed=seed, next_month_day=day)

    @classmethod
    def today(cls, *, start: str = OPEN, seed: str = "当天") -> Deadline:
        return cls("same day", start=start, seed=seed, same_day=True)

    @classmethod
    def before_date(cls, field: str, a: int, b: int | None = None, *, seed: str = "") -> Deadline:
        """``date − a WD`` (or the range a..b: opens a WD before, due b WD before)."""
        b = a if b is None else b
        if not 0 <= b <= a:
            raise ValueError("counted back: a >= b >= 0 working days")
        return cls("date-anchored", start=on_date(field), seed=seed, before=(a, b))

    @classmethod
    def immediate(cls, *, start: str = OPEN, seed: str = "立即") -> Deadline:
        """立即, 第一时间: 30 working minutes (001M 1.5.2 reads 第一时间 so)."""
        return cls("immediate", Sla.minutes(30), start, seed)

    @classmethod
    def prompt(cls, *, start: str = OPEN, seed: str = "及时") -> Deadline:
        """及时, 尽快 with no figure: 1 working day."""
        return cls("vague", Sla.working_days(1), start, seed)

    @classmethod
    def default_work(cls, *, start: str = OPEN) -> Deadline:
        """Seed silent, work to do: 1 WD* (so no step is unbounded)."""
        return cls("default", Sla.working_days(1), start, "*")

    @classmethod
    def default_check(cls, *, start: str = OPEN) -> Deadline:
        """Seed silent, a prepared document to check or sign: 4 WH*."""
        return cls("default", Sla.hours(4), start, "*")

    # -- words --

    def _length(self, lang: str) -> str:
        if self.sla is not None:
            if self.lower:
                low = self.lower
                return (
                    f"{low}-{self.sla.amount} 个工作日"
                    if lang == "zh"
                    else (f"{low}-{self.sla.amount} working days")
                )
            return self.sla.label_zh if lang == "zh" else _en_working(self.sla)
        if self.next_month_day is not None:
            d = self.next_month_day
            return f"次月{d}日前" if lang == "zh" else f"by the {_ordinal(d)} of next month"
        if self.same_day:
            return "当天" if lang == "zh" else "the same working day"
        assert self.before is not None
        a, b = self.before
        name = self.start.split(":", 1)[1]
        field_zh, field_en = DATE_LABELS.get(name, (name, name))
        field = field_zh if lang == "zh" else field_en
        if a == b == 0:
            return f"{field}当天" if lang == "zh" else f"on {field}"
        span = str(a) if a == b else f"{a}-{b}"
        if lang == "zh":
            return f"{field} 前 {span} 个工作日"
        return f"{span} working day{'s' if a != 1 else ''} before {field}"

    def label(self, lang: str = "en") -> str:
        """E.g. "4 working hours from signing + payment" / "4 小时 自签约并付款起"."""
        star = "*" if self.basis == "default" else ""
        if self.before is not None:
            return self._length(lang)
        zh, en = START_LABELS.get(self.start, (self.start, self.start))
        return f"{self._length(lang)}{star} {zh if lang == 'zh' else en}"

    def describe(self) -> dict[str, object]:
        """What ``GET /api/procedures`` and the pages list for a step."""
        return {
            "kind": self.basis,
            "kind_zh": BASIS[self.basis][0],
            "kind_en": BASIS[self.basis][1],
            "start": self.start,
            "seed": self.seed,
            "label_zh": self.label("zh"),
            "label_en": self.label("en"),
        }


def _en_working(sla: Sla) -> str:
    unit = {Unit.MINUTES: "working minute", Unit.HOURS: "working hour"}.get(sla.unit)
    if unit is None:
        return str(sla)
    return f"{sla.amount} {unit}{'' if sla.amount == 1 else 's'}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
