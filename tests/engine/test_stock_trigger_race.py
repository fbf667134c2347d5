"""A stock import judges an item in two warehouses on its total. Two movements of one item in
two warehouses at the same moment, each bringing the total it sees to the safety stock, raise
one 物料跟催单, not two: each locks only its own stock row, the trigger locks the item (the
second waits for the first's commit and then sees its open slip). Real threads on the suite's
database (on PostgreSQL it fails without the item's lock)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlmodel import Session, select

from gendan import stock
from gendan.db import unit_of_work
from gendan.models import Instance
from gendan.runtime import Runtime
from tests.engine.test_stock_triggers import ITEMS, NOW, load


def test_two_warehouses_at_once_raise_one_slip(rt: Runtime) -> None:
    load(rt, "items", ITEMS)
    load(rt, "stock", "item_code,warehouse,on_hand\nP-100,RM,80\nP-100,WIP,60\n")
    with Session(rt.db) as s:  # judged on the total (140 > 100), not on the first row's 80
        assert s.exec(select(Instance)).all() == []
    first_inside, errors = threading.Event(), []
    at = NOW + timedelta(hours=1)

    def first() -> None:
        try:
            with unit_of_work(rt.db) as s:
                stock.move(s, item_code="P-100", qty=-40, kind="issue", now=at,
                           calendar=rt.calendar, warehouse="RM")  # fmt: skip
                first_inside.set()  # its slip is written, not yet committed
                time.sleep(0.5)  # the second movement reaches the item's lock meanwhile
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def second() -> None:
        first_inside.wait(10)
        try:
            with unit_of_work(rt.db) as s:
                stock.move(s, item_code="P-100", qty=-40, kind="issue", now=at,
                           calendar=rt.calendar, warehouse="WIP")  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with Session(rt.db) as s:
        slips = s.exec(select(Instance).where(Instance.procedure == "reorder_chase")).all()
    assert len(slips) == 1
