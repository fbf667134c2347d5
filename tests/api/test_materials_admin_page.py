"""/admin/materials over HTTP: an XLSX with three bad rows shows all three and writes nothing,
the dry run of the clean file says so, the import writes (303); records are entered with the
reason next to a bad field; a stock record under the safety stock shows its chase slip; only
the administrator sees the page."""

from __future__ import annotations

from sqlmodel import Session, select

from gendan.demo import DEMO_PASSWORD
from gendan.models import AuditEvent, Item
from gendan.runtime import Runtime
from tests.api.test_admin_pages import login_with
from tests.api.test_pages import csrf_of
from tests.engine.test_materials_import import EXAMPLES, three_bad_rows


def test_import_enter_and_read_materials(server: str, rt: Runtime) -> None:
    admin = login_with(server, "admin", DEMO_PASSWORD)
    page = admin.get("/admin/materials")
    assert page.status_code == 200 and "物料主数据" in page.text
    token = csrf_of(page.text)

    def post(kind: str, name: str, content: bytes, dry: bool):  # noqa: ANN202
        data = {"csrf_token": token, "kind": kind, **({"dry_run": "1"} if dry else {})}
        return admin.post("/admin/materials-import", data=data,
                          files={"file": (name, content, "application/octet-stream")})  # fmt: skip

    bad = post("items", "items.xlsx", three_bad_rows(), dry=False)
    assert bad.status_code == 422
    assert all(f'data-row="{n}"' in bad.text for n in (2, 4, 6)) and 'data-row="3"' not in bad.text
    with Session(rt.db) as s:
        assert s.exec(select(Item)).all() == []
    clean = (EXAMPLES / "items.xlsx").read_bytes()
    dry = post("items", "items.xlsx", clean, dry=True)
    assert dry.status_code == 200 and "试运行" in dry.text
    done = post("items", "items.xlsx", clean, dry=False)
    assert done.status_code == 303 and done.headers["location"].endswith("done=materials_saved")
    with Session(rt.db) as s:
        [event] = s.exec(select(AuditEvent).where(AuditEvent.action == "admin.master_import"))
    assert (event.detail["file_name"], event.detail["by"]) == ("items.xlsx", "admin")

    record = {"csrf_token": token, "kind": "stock", "item_code": "BUS-TMY60", "warehouse": "RM",
              "on_hand": "-3"}  # fmt: skip
    refused = admin.post("/admin/materials/save", data=record)
    assert refused.status_code == 422 and "f-stock-on_hand-error" in refused.text
    saved = admin.post("/admin/materials/save", data={**record, "on_hand": "100"})
    assert saved.status_code == 303
    text = admin.get("/admin/materials").text
    assert 'data-stock="BUS-TMY60"' in text and "已到安全存量" in text and "物料跟催单 #" in text
    admin.post("/lang", data={"csrf_token": token, "lang": "en", "back": "/admin/materials"})
    english = admin.get("/admin/materials").text
    assert "Materials master data" in english and "at or under safety" in english
    assert "物料主数据" not in english

    clerk = login_with(server, "clerk", DEMO_PASSWORD)
    assert clerk.get("/admin/materials").status_code == 403


def test_a_slips_page_lists_its_own_papers_only(server: str, rt: Runtime) -> None:
    """Papers of instances without an order: each lists its own, not every order-less one."""
    from gendan.demo_materials import FILES, as_csv
    from gendan.models import Instance, Task

    admin = login_with(server, "admin", DEMO_PASSWORD)
    token = csrf_of(admin.get("/admin/materials").text)
    for kind, rows in FILES:  # the demo's files: a chase slip and an overstock warning
        data = {"csrf_token": token, "kind": kind}
        files = {"file": (f"{kind}.csv", as_csv(rows), "text/csv")}
        assert admin.post("/admin/materials-import", data=data, files=files).status_code == 303
    with Session(rt.db) as s:
        slip = s.exec(select(Instance).where(Instance.procedure == "reorder_chase")).one()
        task = s.exec(select(Task).where(Task.instance_id == slip.id)).one()
    mc = login_with(server, "mc", DEMO_PASSWORD)
    page = mc.get(f"/tasks/{task.id}").text
    assert "GC-BUS-TMY60-01" in page and "YJ-PAINT-7035-01" not in page
    trail = login_with(server, "auditor", DEMO_PASSWORD).get(f"/audit/instances/{slip.id}").text
    assert "GC-BUS-TMY60-01" in trail and "YJ-PAINT-7035-01" not in trail
