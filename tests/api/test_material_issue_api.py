"""§5j over HTTP: the quota register read from its tables (GET /api/quota-sheets/{batch});
the warehouse's issue above the quota is a 422 naming the row, nothing written (no stock
moved, no issue line); a stranger gets 403; a clean issue moves stock; the issue task's page
shows its rows form, and the 定额领料登记表 prints with every line."""

from __future__ import annotations

from sqlmodel import Session, select

from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.demo_issue import ensure_masters
from gendan.models import IssueLine, Stock
from gendan.runtime import Runtime
from tests.api.conftest import api_client
from tests.api.test_pages import login
from tests.engine.helpers import open_tasks, snapshot
from tests.engine.test_material_issue import to_issuing


def rm(rt: Runtime, code: str) -> float:
    with Session(rt.db) as s:
        row = s.exec(select(Stock).where(Stock.item_code == code, Stock.warehouse == "RM")).one()
        return row.on_hand


def test_issue_over_http(rt: Runtime, driver: Driver, server: str) -> None:
    with unit_of_work(rt.db) as s:
        ensure_masters(s, driver.now)
    iid = to_issuing(driver)
    [task] = [t for t in open_tasks(rt, iid) if t.role == "warehouse_keeper"]
    keeper = api_client(server, "keeper")
    assert keeper.post(f"/api/tasks/{task.id}/claim").status_code == 200
    before = snapshot(rt)
    over = {"decision": "issue", "form": {"rows": [{"item_code": "BD-18", "qty": 200}]}}
    r = keeper.post(f"/api/tasks/{task.id}/complete", json=over)
    assert r.status_code == 422 and "rows.0.qty" in r.text and "超出定额" in r.text
    assert snapshot(rt) == before and rm(rt, "BD-18") == 400
    with Session(rt.db) as s:
        assert s.exec(select(IssueLine)).first() is None
    stranger = api_client(server, "sales")
    ok = {"decision": "issue", "form": {"rows": [{"item_code": "BD-18", "qty": 100}]}}
    assert stranger.post(f"/api/tasks/{task.id}/complete", json=ok).status_code == 403
    page = login(server, "keeper").get(f"/tasks/{task.id}")
    assert page.status_code == 200 and "rows.0.item_code" in page.text and "整件发料" in page.text
    r = keeper.post(f"/api/tasks/{task.id}/complete", json=ok)
    assert r.status_code == 200 and rm(rt, "BD-18") == 300
    printed = login(server, "mc").get("/documents/DE-WP-48-01")
    assert printed.status_code == 200
    assert "定额领料登记表" in printed.text and "GL-5" in printed.text


def test_quota_register_is_queried_from_the_tables(
    rt: Runtime, driver: Driver, server: str
) -> None:
    with unit_of_work(rt.db) as s:
        ensure_masters(s, driver.now)
    iid = to_issuing(driver)
    driver.act(iid, "keeper", "issue",
               {"rows": [{"item_code": "BD-18", "qty": 110, "whole_pack": True}]})  # fmt: skip
    mc = api_client(server, "mc")
    r = mc.get("/api/quota-sheets/WP-48")
    assert r.status_code == 200
    body = r.json()
    lines = {q["item_code"]: q for q in body["lines"]}
    assert lines["BD-18"] == {"item_code": "BD-18", "quota": 105.0, "issued": 105.0,
                              "open": 0.0, "borrowed": 5.0, "settled": 0.0}  # fmt: skip
    assert lines["GL-5"]["open"] == 50.0
    assert [(i["kind"], i["qty"]) for i in body["issues"]] == [("quota", 105.0), ("borrow", 5.0)]
    assert api_client(server, "sales").get("/api/quota-sheets/WP-48").status_code == 403
    assert mc.get("/api/quota-sheets/WP-NONE").status_code == 404
