"""The papers of the stock alerts (§5b, §5i): the 物料跟催单 and the 仓库物料异常预警报告 are
issued as documents when they are raised (``Procedure.start_effect``), numbered by the item
(``GC-BUS-TMY60-01``, ``YJ-PAINT-7035-01``), so the keeper and MC print and file them (003 6.5);
MC's reply and cause are issued by their steps (``Step.issues``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from gendan.calendar import BusinessCalendar
from gendan.models import Instance
from states import get_procedure


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
    """Issue the start form (the slip or the report) as the instance's first document."""
    from gendan.effects import issue_document

    kind = get_procedure(inst.procedure).start_form
    doc, _ = issue_document(session, inst=inst, kind=kind, data=values, actor=actor, now=now)
    return {"documents.issued": {"old": None, "new": doc.doc_no}}
