"""Displaced orders ranked as a suggestion when an urgent order is inserted (§4; 000/3 排期原则).

The seed's scheduling principles (000/3 生产排期应注意的原则): 1 交货期先后 — the sooner an
order is due, the earlier it is made; 2 客户分类 — A-class customers first, then B, then C;
3 产能平衡 — keep the lines balanced, no bottleneck; 4 工艺流程 — orders with many processes
take longer and deserve attention. The ranking only suggests: the production planner adjusts
the plans and each moved date goes through a delivery change (§2).

Rank 1 is the order to protect most; the last ranks are the ones to move first.
Choice: principle 3 breaks ties of 1 and 2 — an order on another line than the urgent one
ranks before one on the urgent order's line, because moving the latter frees the capacity
the urgent order takes without idling other lines; then the heavier line's orders rank
later, so moves fall where the load is. Choice: principle 4 flags, never sorts (a long
process is a reason to watch an order, not to move it), as PROCEDURES.md §4 says.
Pure: no I/O; ``gendan.urgent`` gathers the candidates.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

#: Customer classes in the order the seed treats them (000/3 排期原则 2); unknown last.
CLASS_ORDER = {"A": 0, "B": 1, "C": 2}


@dataclass(frozen=True)
class Candidate:
    """An order the urgent insertion may displace."""

    order_no: str
    delivery_date: date
    customer_class: str = "B"
    #: The production line or team it is planned on (None: not yet planned on a line).
    line: str | None = None
    quantity: int = 0
    #: Flagged, not sorted (000/3 排期原则 4).
    long_process: bool = False


@dataclass(frozen=True)
class Ranked:
    """One order's place in the suggestion, with the reasons a planner reads."""

    rank: int
    order_no: str
    delivery_date: date
    customer_class: str
    line: str | None
    long_process: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, object]:
        return {
            "rank": self.rank,
            "order_no": self.order_no,
            "delivery_date": self.delivery_date.isoformat(),
            "customer_class": self.customer_class,
            "line": self.line,
            "long_process": self.long_process,
            "reasons": list(self.reasons),
        }


def rank_displaced(candidates: list[Candidate], *, urgent_line: str | None = None) -> list[Ranked]:
    """The candidates in the order to protect them: delivery date, customer class, capacity.

    ``urgent_line``: the line the urgent order takes (its orders are the ones it displaces
    first). Deterministic: the order number breaks remaining ties.
    """
    load = Counter[str | None]()
    for c in candidates:
        load[c.line] += c.quantity

    def key(c: Candidate) -> tuple[date, int, int, int, str]:
        on_urgent_line = 1 if urgent_line is not None and c.line == urgent_line else 0
        return (
            c.delivery_date,
            CLASS_ORDER.get(c.customer_class, len(CLASS_ORDER)),
            on_urgent_line,
            load[c.line],
            c.order_no,
        )

    out: list[Ranked] = []
    for n, c in enumerate(sorted(candidates, key=key), start=1):
        reasons = [f"交期 / due {c.delivery_date.isoformat()}", f"客户 / class {c.customer_class}"]
        if urgent_line is not None and c.line == urgent_line:
            reasons.append("与急单同线 / on the urgent order's line")
        if c.long_process:
            reasons.append("工序多、周期长，重点关注 / long process: watch it")
        out.append(
            Ranked(
                rank=n,
                order_no=c.order_no,
                delivery_date=c.delivery_date,
                customer_class=c.customer_class,
                line=c.line,
                long_process=c.long_process,
                reasons=tuple(reasons),
            )
        )
    return out
