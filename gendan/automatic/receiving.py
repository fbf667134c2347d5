"""Automatic step of §5h: the three-way match's outcome (PO / 送货单 / goods)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from gendan.jobs import job
from gendan.models import Instance


@job("three_way_match")
def three_way_match(session: Session, inst: Instance, now: datetime) -> tuple[str, dict[str, Any]]:
    """The registration refused what no PO covers; what it flagged goes to MC (003 5.6.1)."""
    flagged = inst.data.get("receipt", {}).get("mismatches") or []
    return ("mismatch_found" if flagged else "matched"), {}
