"""The urgent order's page shows the line rule, the displaced-order ranking and, closed, the
data summary (004P 9) — in both languages, times in company time."""

from __future__ import annotations

from datetime import timedelta

from gendan.demo import Driver
from gendan.runtime import Runtime
from tests.api.conftest import Clock
from tests.api.test_pages import login
from tests.engine import test_urgent_order as walk


def test_ranking_and_summary_on_the_instance_page(rt: Runtime, clock: Clock, server: str) -> None:
    d = Driver(rt, clock.now)
    iid = walk.start(d)
    walk.walk_to_production(rt, d, iid)
    gm = login(server, "gm")
    page = gm.get(f"/instances/{iid}").text
    assert "被挤占订单排序（建议）" in page and 'href="/orders/SO-MOVE-1"' in page
    assert "urgent-summary" not in page  # not closed yet
    d.now += timedelta(hours=1)
    walk.stock_in(d, iid)
    d.act(iid, "sales_head", "shipping_arranged")
    drawings = [{"drawing": "TZ-1", "issued_to": "样品组", "returned_at": d.now.isoformat()}]
    d.act(iid, "fg_keeper", "drawings_returned", {"rows": drawings})
    walk.run_jobs(rt, d.now)
    page = gm.get(f"/instances/{iid}").text
    assert 'id="urgent-summary"' in page and "紧急订单数据汇总" in page
    assert "2026-11-23 10:00" in page  # started at 10:00 Shanghai (02:00 UTC stored)
    assert "样品组一班" in page
