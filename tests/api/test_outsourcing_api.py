"""§6 through HTTP: the GM starts an outsourcing by the API (an unknown served order is a 422
on ``orders``, nothing written; a buyer may not start one: 403); the keeper's 材料出库单 is
typed on the task page as rows (more than on hand: 422 at ``rows.0.qty``, shown at its row,
nothing written; a stranger's completion: 403), an illegal decision is a 409."""

from __future__ import annotations

from sqlmodel import Session, select

from gendan import demo_outsourcing as demo
from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.models import Stock
from gendan.runtime import Runtime
from tests.api.conftest import api_client
from tests.api.test_pages import csrf_of, login
from tests.engine.helpers import instance, open_tasks, snapshot


def at_issue(d: Driver) -> int:
    iid = demo.to_execution(d, "material", demo.date(2026, 12, 10))
    d.act(iid, "buyer", "execute")
    d.act(iid, "planner", "place_order", demo.order(demo.date(2026, 12, 10)))
    d.act(iid, "outsource", "subcontractor_confirmed",
          {"confirmed_on": "2026-11-23", "contact": "王厂长"})  # fmt: skip
    return iid


def test_start_by_api_checks_orders_and_roles(server: str, rt: Runtime, driver: Driver) -> None:
    with unit_of_work(rt.db) as s:
        demo.seed_master(s, now=driver.now, calendar=rt.calendar)
    gm = api_client(server, "gm")
    before = snapshot(rt)
    bad = gm.post("/api/instances", json={"procedure": "outsourcing",
                                          "form": demo.request("material", orders="SO-NONE")})
    assert bad.status_code == 422 and "orders" in bad.json()["errors"]
    assert snapshot(rt) == before
    buyer = api_client(server, "buyer")
    refused = buyer.post("/api/instances", json={"procedure": "outsourcing",
                                                 "form": demo.request("material")})
    assert refused.status_code == 403
    ok = gm.post("/api/instances", json={"procedure": "outsourcing",
                                         "form": demo.request("operation")})
    assert ok.status_code == 201, ok.text
    assert ok.json()["state"] == "approval"


def test_material_issue_rows_on_the_task_page(server: str, rt: Runtime, driver: Driver) -> None:
    with unit_of_work(rt.db) as s:
        demo.seed_master(s, now=driver.now, calendar=rt.calendar)
    iid = at_issue(driver)
    [task] = open_tasks(rt, iid)
    keeper = login(server, "keeper")
    token = csrf_of(keeper.get(f"/tasks/{task.id}").text)
    assert keeper.post(f"/tasks/{task.id}/claim", data={"csrf_token": token}).status_code == 303
    page = keeper.get(f"/tasks/{task.id}")  # claimed: the 材料出库单 to fill in, as rows
    assert page.status_code == 200 and 'name="rows.0.item_code"' in page.text
    before = snapshot(rt)
    body = {"csrf_token": token, "decision": "issue_material",
            "rows.0.item_code": demo.SHEET, "rows.0.qty": "500"}  # fmt: skip
    short = keeper.post(f"/tasks/{task.id}/complete", data=body)
    assert short.status_code == 422 and "库存不足" in short.text
    assert snapshot(rt) == before
    stranger = login(server, "iqc")
    assert stranger.post(f"/tasks/{task.id}/complete",
                         data={**body, "csrf_token": csrf_of(stranger.get("/").text)}
                         ).status_code == 403  # fmt: skip
    wrong = api_client(server, "keeper").post(
        f"/api/tasks/{task.id}/complete", json={"decision": "invoice", "form": {}}
    )
    assert wrong.status_code == 409
    done = keeper.post(f"/tasks/{task.id}/complete", data={**body, "rows.0.qty": "20"})
    assert done.status_code == 303
    assert instance(rt, iid).state == "processing"
    with Session(rt.db) as s:
        [row] = s.exec(select(Stock).where(Stock.item_code == demo.SHEET)).all()
    assert row.on_hand == 80


def test_month_export_and_leftovers_for_finance(server: str, rt: Runtime, driver: Driver) -> None:
    """核销/结算 exported: the month's issued and received lines as CSV and XLSX; the book
    leftovers; only the named readers; a malformed month is a 422."""
    import io

    from openpyxl import load_workbook

    with unit_of_work(rt.db) as s:
        demo.seed_master(s, now=driver.now, calendar=rt.calendar)
    iid = at_issue(driver)
    driver.act(iid, "keeper", "issue_material", {"rows": [{"item_code": demo.SHEET, "qty": 20}]})
    driver.act(iid, "outsource", "arrived", {"rows": [{"item_code": demo.CASE, "qty": 10}]})
    driver.act(iid, "iqc", "inspection_passed", {"rows": [{"item_code": demo.CASE, "good": 9,
                                                "scrap_material": 1}]})  # fmt: skip
    driver.act(iid, "keeper", "stock_in", {"rows": [{"item_code": demo.CASE, "qty": 9}]})
    finance = api_client(server, "finance")
    csv_text = finance.get(f"/api/outsourcing/{demo.SUB}/2026-11.csv")
    assert csv_text.status_code == 200
    rows = csv_text.content.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("日期 / Date") and len(rows) == 3
    assert rows[2].endswith(",12.5,125.0")  # (9 good + 1 料废) × 12.5
    book = load_workbook(io.BytesIO(finance.get(f"/api/outsourcing/{demo.SUB}/2026-11.xlsx")
                                    .content)).active  # fmt: skip
    assert book.max_row == 3 and book.cell(2, 7).value == 20  # the 20 sheets issued
    left = finance.get(f"/api/outsourcing/{demo.SUB}/leftovers")
    assert left.json() == [{"item_code": demo.SHEET, "qty": 0.0}]  # 20 out, 10 × 2 used
    assert finance.get(f"/api/outsourcing/{demo.SUB}/2026-13.csv").status_code == 422
    assert finance.get("/api/outsourcing/WX99/2026-11.csv").status_code == 422
    assert api_client(server, "buyer").get(f"/api/outsourcing/{demo.SUB}/2026-11.csv"
                                           ).status_code == 403  # fmt: skip
