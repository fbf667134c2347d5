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
