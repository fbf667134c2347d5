"""The papers of the stock alerts (§5b, §5i): the 物料跟催单 and the 仓库物料异常预警报告 are
issued as documents when they are raised (``Procedure.start_effect``), numbered by the item
(``GC-BUS-TMY60-01``, ``YJ-PAINT-7035-01``), so the keeper and MC print and file them (003 6.5);
MC's reply and cause are issued by their steps (``Step.issues``). The keepers are told of a
slip or report the system raised (e-mail; copied to them, so they track it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from gendan.calendar import BusinessCalendar
from gendan.models import Instance
from states import get_procedure
from states.base import Inform


def issue_raised(
    session: Session,
    inst: Instance,
    values: dict[str, Any],
    *,
    event: str,
    actor: Any,
    now: datetime,
    calendar: BusinessCalendar,
) -> dict[str, Any]:
    """Issue the start form (the slip or the report) as the instance's first document and
    tell the warehouse keepers (e-mail, copied to them): the seed has the keeper raise it
    and track it (仓管第一时间提出…仓管负责追踪), the system raising it in their stead."""
    from gendan.effects import _inform, informed_people, issue_document

    proc = get_procedure(inst.procedure)
    doc, _ = issue_document(
        session, inst=inst, kind=proc.start_form, data=values, actor=actor, now=now
    )
    changes: dict[str, Any] = {"documents.issued": {"old": None, "new": doc.doc_no}}
    if actor is None:  # raised by the system: the keepers hear of it (a keeper raised it else)
        keepers = informed_people(session, Inform(roles=("warehouse_keeper",)))
        changes |= _inform(
            session, inst=inst, proc=proc, order=None, people=keepers,
            cause=f"inform:{inst.id}:raised", now=now,
            about={"about_zh": proc.title_zh, "about_en": proc.title_en.lower()},
        )  # fmt: skip
    return changes
