"""Automatic step of §5j: the weekly plan's shortage check (欠料预警, 003 5.7.5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from gendan.issue_register import shortages
from gendan.jobs import job
from gendan.models import Instance


@job("weekly_plan_shortage")
def weekly_plan_shortage(
    session: Session, inst: Instance, now: datetime
) -> tuple[str, dict[str, Any]]:
    """Quota × plan against the store's stock: the short items (each gets a 物料跟催单)."""
    return "shortage_checked", {"rows": shortages(session, inst.data["weekly_plan"]["rows"])}
