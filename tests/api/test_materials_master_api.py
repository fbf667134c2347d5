"""/api/master for materials over HTTP (real uvicorn): an XLSX with three bad rows is a 422
naming each (row.<n>.<column>) and writes nothing, its dry run lists them; the clean file
imports and is audited; records are read by anyone signed in and entered by the
administrator only; a stock record entered moves stock and runs the stock triggers."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from gendan.models import AuditEvent, Instance, Item, StockMovement
from gendan.runtime import Runtime
from tests.api.conftest import api_client
from tests.engine.test_materials_import import EXAMPLES, three_bad_rows

XLSX = "application/octet-stream"  # as documented for the import body


def post_file(client, kind: str, name: str, content: bytes, dry_run: bool = False):  # noqa: ANN001, ANN201
    return client.post(
        f"/api/master/{kind}/import",
        params={"file_name": name, "dry_run": dry_run},
        content=content,
        headers={"Content-Type": XLSX if name.endswith(".xlsx") else "text/csv"},
    )


def test_three_bad_rows_then_the_clean_file(server: str, rt: Runtime) -> None:
    admin = api_client(server, "admin")
    dry = post_file(admin, "items", "items.xlsx", three_bad_rows(), dry_run=True)
    assert dry.status_code == 200 and not dry.json()["written"]
    assert [(e["row"], e["column"]) for e in dry.json()["errors"]] == [
        (2, "abc_class"), (4, "max_qty"), (6, "lead_days")
    ]  # fmt: skip
    real = post_file(admin, "items", "items.xlsx", three_bad_rows())
    assert real.status_code == 422
    assert set(real.json()["errors"]) == {"row.2.abc_class", "row.4.max_qty", "row.6.lead_days"}
    with Session(rt.db) as s:
        assert s.exec(select(Item)).all() == []
    clean = (EXAMPLES / "items.xlsx").read_bytes()
    done = post_file(admin, "items", "items.xlsx", clean)
    assert done.status_code == 200 and done.json()["created"] == 5
    with Session(rt.db) as s:
        [event] = s.exec(select(AuditEvent).where(AuditEvent.action == "admin.master_import"))
    assert (event.detail["file_name"], event.detail["by"], event.detail["rows"]) == (
        "items.xlsx", "admin", 5
    )  # fmt: skip
    clerk = api_client(server, "clerk")  # anyone signed in reads
    codes = [r["code"] for r in clerk.get("/api/master/items").json()]
    assert codes == ["BRK-DZ47", "BUS-TMY60", "CAB-SHEET", "LOCK-MS705", "PAINT-7035"]


def test_records_entered_by_the_administrator_only(server: str, rt: Runtime) -> None:
    admin = api_client(server, "admin")
    post_file(admin, "items", "items.xlsx", (EXAMPLES / "items.xlsx").read_bytes())
    for name in ("suppliers.csv", "prices.csv"):
        assert post_file(admin, Path(name).stem, name, (EXAMPLES / name).read_bytes()).json()[
            "written"
        ]
    keeper = api_client(server, "keeper")
    body = {"item_code": "BUS-TMY60", "warehouse": "RM", "on_hand": 100}
    assert keeper.post("/api/master/stock", json=body).status_code == 403
    assert admin.post("/api/master/stock", json={**body, "item_code": "NOPE"}).status_code == 422
    saved = admin.post("/api/master/stock", json=body)
    assert saved.status_code == 200 and saved.json()["on_hand"] == 100
    with Session(rt.db) as s:
        [move] = s.exec(select(StockMovement)).all()
        [slip] = s.exec(select(Instance).where(Instance.procedure == "reorder_chase")).all()
    assert (move.kind, move.qty, slip.subject_key) == ("adjust", 100, "BUS-TMY60")
    # the slip is a paper MC prints (003 6.5), numbered by the item
    from gendan.demo import DEMO_PASSWORD
    from tests.api.test_admin_pages import login_with

    printed = login_with(server, "mc", DEMO_PASSWORD).get("/documents/GC-BUS-TMY60-01")
    assert printed.status_code == 200, printed.text
    assert "物料跟催单" in printed.text and "安全存量订料" in printed.text
    prices = keeper.get("/api/master/prices").json()
    assert {(p["supplier_code"], p["item_code"]) for p in prices} >= {("S003", "BUS-TMY60")}
    bad = admin.post("/api/master/bom", json={"parent_code": "X", "component_code": "X",
                                              "qty_per": 1})  # fmt: skip
    assert bad.status_code == 422


def test_the_catalogue_names_the_stock_triggers(server: str) -> None:
    procedures = {p["key"]: p for p in api_client(server, "mc").get("/api/procedures").json()}
    assert procedures["reorder_chase"]["stock_trigger"]["condition"] == "below_safety"
    assert procedures["overstock_warning"]["stock_trigger"]["zh"] == "库存达到最高库存警戒线或以上"
    assert procedures["order_review"]["stock_trigger"] is None
