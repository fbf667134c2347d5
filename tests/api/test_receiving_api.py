"""Registering a delivery through HTTP (§5h): the API and the page refuse a receipt without a
PO or above a PO line's open quantity with a 422 at the field or row and write nothing; a
clean one registers and matches; only MC may register."""

from __future__ import annotations

from typing import Any

from gendan.runtime import Runtime
from tests.api.conftest import api_client
from tests.api.test_pages import csrf_of, login
from tests.conftest import MONDAY_10
from tests.engine.receiving_driver import BOLT, counts, po_line, row, seed_po, steel


def body(*rows: dict[str, Any], po_no: str = "PO-T1") -> dict[str, Any]:
    return {"supplier": "宁波钢材贸易", "delivery_note_no": "DN-77", "po_no": po_no,
            "received_at": MONDAY_10.isoformat(), "rows": list(rows)}  # fmt: skip


def test_api_refuses_at_the_row_and_writes_nothing(rt: Runtime, server: str) -> None:
    seed_po(rt, MONDAY_10)
    mc = api_client(server, "mc")
    before = counts(rt)
    r = mc.post("/api/receipts", json=body(steel(60), row(2, BOLT, 600)))
    assert r.status_code == 422
    errors = r.json()["errors"] if "errors" in r.json() else r.json()["detail"]
    assert "rows.1.qty" in str(errors) and "open 500" in str(errors)
    r = mc.post("/api/receipts", json=body(steel(1), po_no="PO-X"))
    assert r.status_code == 422 and "without a PO" in r.text
    assert counts(rt) == before
    with rt.db.connect() as c:
        sql = "select count(*) from instance where procedure = 'receipt'"
        assert c.exec_driver_sql(sql).scalar() == 0  # not even the arrival
    keeper = api_client(server, "keeper")
    assert keeper.post("/api/receipts", json=body(steel(1))).status_code == 403
    r = mc.post("/api/receipts", json=body(steel(60)))
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "matching" and r.json()["receipt_no"].startswith("GRN-")
    assert po_line(rt, 1).received == 60


def test_page_shows_the_error_at_the_row(rt: Runtime, server: str) -> None:
    seed_po(rt, MONDAY_10)
    c = login(server, "mc")
    assert 'href="/receipts/new"' in c.get("/").text  # MC's inbox offers it
    assert 'href="/receipts/new"' not in login(server, "iqc").get("/").text
    page = c.get("/receipts/new")
    assert page.status_code == 200 and "rows.0.qty" in page.text
    form = {"csrf_token": csrf_of(page.text), "supplier": "宁波钢材贸易",
            "delivery_note_no": "DN-8", "po_no": "PO-T1", "received_at": "2026-11-23T09:50",
            "rows.0.line_no": "1", "rows.0.item_code": "STEEL-Q235", "rows.0.note_qty": "120",
            "rows.0.qty": "120", "rows.0.weight": "3000"}  # fmt: skip
    r = c.post("/receipts/new", data=form)
    assert r.status_code == 422 and "超出采购单未交数量" in r.text
    assert po_line(rt, 1).received == 0
    form.update({"rows.0.note_qty": "100", "rows.0.qty": "100", "rows.0.weight": "2500",
                 "csrf_token": csrf_of(c.get("/receipts/new").text)})  # fmt: skip
    r = c.post("/receipts/new", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/instances/")
    assert po_line(rt, 1).received == 100
    assert login(server, "keeper").get("/receipts/new").status_code == 403


def test_iqc_pass_through_the_api_prints_the_stamped_incoming_receipt(
    rt: Runtime, server: str
) -> None:
    from gendan.jobs import run_due

    seed_po(rt, MONDAY_10)
    r = api_client(server, "mc").post("/api/receipts", json=body(steel(60)))
    grn = r.json()["receipt_no"]
    run_due(rt, now=MONDAY_10)  # the three-way match
    iqc = api_client(server, "iqc")
    mine = iqc.get("/api/tasks", params={"procedure": "receipt"}).json()["items"]
    [task] = [t for t in mine if t["instance_id"] == r.json()["instance_id"]]
    rows = [{"line_no": 1, "item_code": "STEEL-Q235", "accepted": 61, "rejected": 0}]
    bad = iqc.post(f"/api/tasks/{task['id']}/complete", json={"decision": "inspect",
                                                              "form": {"rows": rows}})  # fmt: skip
    assert bad.status_code == 422 and "rows.0.rejected" in bad.text
    rows[0]["accepted"] = 60
    ok = iqc.post(f"/api/tasks/{task['id']}/complete", json={"decision": "inspect",
                                                             "form": {"rows": rows}})  # fmt: skip
    assert ok.status_code == 200, ok.text
    page = login(server, "iqc").get(f"/documents/RK-{grn}")
    assert page.status_code == 200 and "来料入库单" in page.text and "STEEL-Q235" in page.text


def test_task_pages_offer_the_rows_prefilled(rt: Runtime, server: str) -> None:
    from gendan.jobs import run_due

    seed_po(rt, MONDAY_10)
    keeper = login(server, "keeper")
    form = {"csrf_token": csrf_of(keeper.get("/start/receipt").text), "supplier": "宁波钢材贸易",
            "delivery_note_no": "DN-9", "po_no": "PO-T1", "received_at": "2026-11-23T09:55"}
    assert keeper.post("/start/receipt", data=form, follow_redirects=False).status_code == 303
    mc = login(server, "mc")
    mc_api = api_client(server, "mc")
    [task] = mc_api.get("/api/tasks").json()["items"]
    assert mc_api.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    page = mc.get(f"/tasks/{task['id']}")
    assert page.status_code == 200 and 'value="PO-T1"' in page.text and "rows.0.qty" in page.text
    reg = {"csrf_token": csrf_of(page.text), "decision": "register", "po_no": "PO-T1",
           "delivery_note_no": "DN-9", "rows.0.line_no": "2", "rows.0.item_code": "BOLT-M8",
           "rows.0.note_qty": "600", "rows.0.qty": "600"}  # fmt: skip
    r = mc.post(f"/tasks/{task['id']}/complete", data=reg)
    assert r.status_code == 422 and "超出采购单未交数量" in r.text  # at the row, on the task page
    reg.update({"rows.0.note_qty": "500", "rows.0.qty": "500"})
    reg["csrf_token"] = csrf_of(mc.get(f"/tasks/{task['id']}").text)
    assert mc.post(f"/tasks/{task['id']}/complete", data=reg).status_code in (200, 303)
    run_due(rt, now=MONDAY_10)
    iqc_api = api_client(server, "iqc")
    [iqc_task] = iqc_api.get("/api/tasks").json()["items"]
    assert iqc_api.post(f"/api/tasks/{iqc_task['id']}/claim").status_code == 200
    page = login(server, "iqc").get(f"/tasks/{iqc_task['id']}")
    assert page.status_code == 200 and "BOLT-M8" in page.text and "rows.0.accepted" in page.text


def test_a_pos_receipts_read_as_tables(rt: Runtime, server: str) -> None:
    seed_po(rt, MONDAY_10)
    mc = api_client(server, "mc")
    assert mc.post("/api/receipts", json=body(steel(60, weight=1500))).status_code == 200
    got = api_client(server, "buyer").get("/api/purchase-orders/PO-T1/receipts")
    assert got.status_code == 200
    first = got.json()["lines"][0]
    assert (first["qty"], first["received"], first["open"], first["completed_at"]) == (
        100, 60, 40, None
    )  # a partial receipt leaves the rest open
    [receipt] = got.json()["receipts"]
    assert receipt["delivery_note_no"] == "DN-77"
    assert receipt["lines"] == [{"line_no": 1, "item_code": "STEEL-Q235", "qty": 60,
                                 "weight": 1500, "accepted": 0, "rejected": 0,
                                 "iqc": "pending"}]  # fmt: skip
    assert mc.get("/api/purchase-orders/PO-NONE/receipts").status_code == 404
    sales = api_client(server, "sales").get("/api/purchase-orders/PO-T1/receipts")
    assert sales.status_code == 403
