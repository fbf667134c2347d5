"""/api/master over HTTP (real uvicorn): read by anyone signed in, written by the administrator."""

from __future__ import annotations

import hashlib

from sqlmodel import Session, select

from gendan.models import AuditEvent, Customer
from gendan.runtime import Runtime
from tests.api.conftest import api_client

CSV = (
    "客户编码,客户名称,客户等级,信用条件\n"
    "C001,宁波华东机电有限公司,A,月结30天\n"
    "C002,杭州某电气,C,款到发货\n"
).encode()
BAD = b"code,name,customer_class\nC001,,A\nC002,X,Q\n"


def test_import_dry_run_then_real_then_read(server: str, rt: Runtime) -> None:
    admin = api_client(server, "admin")
    dry = admin.post(
        "/api/master/customers/import",
        params={"file_name": "customers.csv", "dry_run": True},
        content=CSV,
        headers={"Content-Type": "text/csv"},
    )
    assert dry.status_code == 200, dry.text
    assert (dry.json()["written"], dry.json()["rows"], dry.json()["errors"]) == (False, 2, [])
    assert admin.get("/api/master/customers").json() == []

    done = admin.post(
        "/api/master/customers/import",
        params={"file_name": "customers.csv"},
        content=CSV,
        headers={"Content-Type": "text/csv"},
    )
    assert done.status_code == 200 and done.json()["created"] == 2
    assert done.json()["sha256"] == hashlib.sha256(CSV).hexdigest()
    clerk = api_client(server, "clerk")  # anyone signed in reads
    rows = clerk.get("/api/master/customers").json()
    assert [(r["code"], r["customer_class"]) for r in rows] == [("C001", "A"), ("C002", "C")]
    with Session(rt.db) as s:
        [event] = s.exec(select(AuditEvent).where(AuditEvent.action == "admin.master_import"))
    assert event.detail["file_name"] == "customers.csv" and event.detail["by"] == "admin"


def test_a_bad_file_is_422_naming_each_row_and_column_and_writes_nothing(
    server: str, rt: Runtime
) -> None:
    admin = api_client(server, "admin")
    dry = admin.post(
        "/api/master/customers/import",
        params={"file_name": "c.csv", "dry_run": True},
        content=BAD,
        headers={"Content-Type": "text/csv"},
    )
    assert {(e["row"], e["column"]) for e in dry.json()["errors"]} == {
        (2, "name"),
        (3, "customer_class"),
    }
    real = admin.post(
        "/api/master/customers/import",
        params={"file_name": "c.csv"},
        content=BAD,
        headers={"Content-Type": "text/csv"},
    )
    assert real.status_code == 422
    assert set(real.json()["errors"]) == {"row.2.name", "row.3.customer_class"}
    with Session(rt.db) as s:
        assert s.exec(select(Customer)).all() == []


def test_only_the_administrator_writes(server: str) -> None:
    clerk = api_client(server, "clerk")
    body = {"name": "某客户", "customer_class": "B"}
    assert clerk.put("/api/master/customers/C9", json=body).status_code == 403
    r = clerk.post("/api/master/customers/import", params={"file_name": "c.csv"}, content=CSV)
    assert r.status_code == 403


def test_put_customer_validates_and_reads_back(server: str) -> None:
    admin = api_client(server, "admin")
    bad = admin.put("/api/master/customers/C9", json={"name": "某客户", "customer_class": "Z"})
    assert bad.status_code == 422
    ok = admin.put(
        "/api/master/customers/C9",
        json={"name": "某客户", "customer_class": "B", "contact_email": "a@b.example"},
    )
    assert ok.status_code == 200 and ok.json()["code"] == "C9"
    again = admin.put("/api/master/customers/C9", json={"name": "某客户", "customer_class": "A"})
    assert again.json()["customer_class"] == "A"


def test_lines_and_settings(server: str) -> None:
    admin = api_client(server, "admin")
    lines = b"key,name_zh,name_en\nl1,\xe4\xb8\x80\xe5\x8f\xb7\xe7\xba\xbf,Line 1\n"
    assert admin.post(
        "/api/master/lines/import", params={"file_name": "l.csv"}, content=lines
    ).json()["written"]
    teams = b"line,key,name_zh,name_en,kind\nl1,s1,S,Sample,sample\n"
    assert (
        admin.post("/api/master/teams/import", params={"file_name": "t.csv"}, content=teams).json()[
            "created"
        ]
        == 1
    )
    [line] = admin.get("/api/master/lines").json()
    assert line["key"] == "l1" and [t["kind"] for t in line["teams"]] == ["sample"]
    settings = {s["key"]: s for s in admin.get("/api/master/settings").json()}
    setting = settings["urgent_small_order_max"]  # (issue 10 adds the peak-season months)
    assert (setting["key"], setting["entered"]) == ("urgent_small_order_max", False)
    admin.post(
        "/api/master/settings/import",
        params={"file_name": "s.csv"},
        content=b"key,value\nurgent_small_order_max,80\n",
    )
    setting = {s["key"]: s for s in admin.get("/api/master/settings").json()}[
        "urgent_small_order_max"
    ]
    assert (setting["value"], setting["entered"]) == (80, True)


def test_admin_page_dry_run_shows_every_bad_row_then_imports(server: str, rt: Runtime) -> None:
    from gendan.demo import DEMO_PASSWORD
    from tests.api.test_admin_pages import login_with
    from tests.api.test_pages import csrf_of

    admin = login_with(server, "admin", DEMO_PASSWORD)
    page = admin.get("/admin/master")
    assert page.status_code == 200 and "主数据" in page.text
    token = csrf_of(page.text)

    def post(content: bytes, dry: bool):
        data = {"csrf_token": token, "kind": "customers", **({"dry_run": "1"} if dry else {})}
        return admin.post(
            "/admin/master/import", data=data, files={"file": ("c.csv", content, "text/csv")}
        )

    bad = post(BAD, dry=False)
    assert bad.status_code == 422
    assert 'data-row="2"' in bad.text and 'data-row="3"' in bad.text
    dry = post(CSV, dry=True)
    assert dry.status_code == 200 and "试运行" in dry.text
    with Session(rt.db) as s:
        assert s.exec(select(Customer)).all() == []
    done = post(CSV, dry=False)
    assert done.status_code == 303 and done.headers["location"].endswith("done=master_imported")
    assert 'data-customer="C001"' in admin.get("/admin/master").text

    clerk = login_with(server, "clerk", DEMO_PASSWORD)
    assert clerk.get("/admin/master").status_code == 403


def test_admin_page_enters_a_customer_and_refuses_a_bad_class(server: str) -> None:
    from gendan.demo import DEMO_PASSWORD
    from tests.api.test_admin_pages import login_with
    from tests.api.test_pages import csrf_of

    admin = login_with(server, "admin", DEMO_PASSWORD)
    token = csrf_of(admin.get("/admin/master").text)
    form = {"csrf_token": token, "code": "C7", "name": "某客户", "customer_class": "Q"}
    bad = admin.post("/admin/master/customers", data=form)
    assert bad.status_code == 422 and "f-customers-customer_class-error" in bad.text
    ok = admin.post("/admin/master/customers", data={**form, "customer_class": "A"})
    assert ok.status_code == 303
    assert 'data-customer="C7"' in admin.get("/admin/master").text
