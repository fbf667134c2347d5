"""The 欠缺/急需物料统计表's items are urgent while the list is open (PROCEDURES.md §5g, §5h;
003 5.5.5-5.5.6, 5.6.2): ``shortage_list`` step effects (``gendan.step_effects``).

``mark_urgent`` (start): every item must exist (422 on the row); each becomes urgent
(``Item.urgent``), so its receipt alerts MC, production and QA (the receiving's urgent
alert). ``clear_urgent`` (all arrived). Choice: the lists clear only the flags lists set (an
item urgent in the master data stays so), the last open list naming an item clearing it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from gendan.calendar import BusinessCalendar
from gendan.errors import InvalidForm
from gendan.models import Instance, Item


def mark_urgent(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    errors, marked = {}, []
    listed = _marked_by_open_lists(session, inst)
    for i, row in enumerate(values["rows"]):
        item = session.exec(select(Item).where(Item.code == row["item"])).first()
        if item is None:
            errors[f"rows.{i}.item"] = f"no item {row['item']} / 无此物料代码"
        elif not item.urgent or item.code in listed:  # urgent by a list, not the master data
            item.urgent = True
            session.add(item)
            marked.append(item.code)
    if errors:
        raise InvalidForm(errors)
    inst.data = {**inst.data, "urgent_marked": marked}
    return {"item.urgent": {"old": False, "new": marked}} if marked else {}


def _marked_by_open_lists(session: Session, inst: Instance) -> set[str]:
    """Items other open lists made urgent."""
    out: set[str] = set()
    for other in session.exec(
        select(Instance).where(Instance.procedure == "shortage_list", Instance.id != inst.id,
                               Instance.closed_at.is_(None))  # fmt: skip
    ):
        out |= set(other.data.get("urgent_marked", []))
    return out


def clear_urgent(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    still = _marked_by_open_lists(session, inst)
    cleared = []
    for code in inst.data.get("urgent_marked", []):
        item = session.exec(select(Item).where(Item.code == code)).first()
        if item is not None and code not in still and item.urgent:
            item.urgent = False
            session.add(item)
            cleared.append(code)
    return {"item.urgent": {"old": True, "new": False, "items": cleared}} if cleared else {}
