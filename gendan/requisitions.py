"""Where a 申购单 goes first (PROCEDURES.md §5b, §5d, §5e): the seed's path for its class, or
the configured 002 variant.

``check_items`` (start effect, ``gendan.step_effects``): every line names a known item (422 on
the row). ``route_job`` ([A] the automatic step of the state ``received``, registered in
``gendan.automatic.requisition``): the event that sends the requisition to its first reviewer
(003 5.1.3, 5.3.5, 5.3.7, 5.3.9-5.3.10) — office supplies straight to the buyer.
Choice: the 002 variant (another company's process, 002 3.4.3) is a master setting
(``requisition_variant_002`` = 1), read when the requisition is routed, so a factory runs one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from gendan.calendar import BusinessCalendar
from gendan.errors import InvalidForm
from gendan.models import Instance, Item, MasterSetting

VARIANT_SETTING = "requisition_variant_002"
#: 003's routing event per path.
ROUTE = {
    "standard": "to_supervisor",  # 5.3.5: 部门主管审核, 经理审批
    "office": "to_buyer",  # 5.1.3A: 直接下单, 不需要经过物控审核
    "sample": "to_mc",  # 5.1.3B
    "chemical": "to_user_check",  # 5.3.7
    "fixed_asset": "to_top_head",  # 5.3.9
    "rnd_sample": "to_mc",  # 5.3.10
}


def variant_002(session: Session) -> bool:
    row = session.get(MasterSetting, VARIANT_SETTING)
    return row is not None and row.value.strip() == "1"


def check_items(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """Every line names an item of the master data."""
    errors = {}
    for i, row in enumerate(values["rows"]):
        if session.exec(select(Item.id).where(Item.code == row["item"])).first() is None:
            errors[f"rows.{i}.item"] = f"no item {row['item']} / 无此物料代码"
    if errors:
        raise InvalidForm(errors)
    return {}


def route_job(session: Session, inst: Instance, now: datetime) -> tuple[str, dict[str, Any]]:
    """[A] The path's first step (the 002 variant: the workshop director). The requesting
    department goes with it: its head is the first reviewer of chemicals and fixed assets."""
    start = inst.data["requisition"]
    routed = {"department": start["department"], "path": start["path"]}
    if variant_002(session):
        return "to_workshop", {**routed, "path": "variant_002"}
    return ROUTE[start["path"]], routed
