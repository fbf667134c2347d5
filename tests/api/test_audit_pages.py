"""The ISO 9001 auditor's pages through HTTP: search, one trail, CSV/XLSX/print, chain status."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx
import openpyxl
import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from api.routes_audit import router as audit_router
from gendan import audit_search
from gendan.accounts import login as check_login
from gendan.db import drop_audit_guards, reader
from gendan.demo import Driver, order_form, review_to_release, step_forms
from gendan.models import AuditEvent, Instance, User
from gendan.runtime import Runtime
from tests.api.test_pages import csrf_of, login
from tests.conftest import MONDAY_10

EVENT_ROW = re.compile(
    r'<tr data-seq="(\d+)" data-order="([^"]*)" data-actor-id="([^"]*)" '
    r'data-action="([^"]*)" data-procedure="([^"]*)">'
)
INSTANCE_ROW = re.compile(r'<tr data-instance-id="(\d+)" data-order="([^"]*)" data-procedure')


def events_of(page: httpx.Response) -> list[dict[str, str]]:
    assert page.status_code == 200, page.text
    return [
        {"seq": s, "order": o, "actor_id": a, "action": act, "procedure": p}
        for s, o, a, act, p in EVENT_ROW.findall(page.text)
    ]


def instances_of(page: httpx.Response) -> list[tuple[int, str]]:
    return [(int(i), o) for i, o in INSTANCE_ROW.findall(page.text)]


def older_link(page: httpx.Response, which: str) -> str | None:
    m = re.search(rf'<a href="([^"]+)" rel="next" data-older="{which}">', page.text)
    return html.unescape(m.group(1)) if m else None


def verify_now(c: httpx.Client, back: str = "/audit") -> httpx.Response:
    """The auditor's "verify now" button: a POST with the page's CSRF token, back to the page."""
    token = csrf_of(c.get("/audit").text)
    return c.post("/audit/verify", data={"csrf_token": token, "back": back}, follow_redirects=True)


def user_id(rt: Runtime, username: str) -> int:
    with Session(rt.db) as s:
        return s.exec(select(User.id).where(User.username == username)).one()


def trail_seqs(rt: Runtime, instance_id: int) -> list[int]:
    with Session(rt.db) as s:
        return list(
            s.exec(
                select(AuditEvent.seq)
                .where(AuditEvent.instance_id == instance_id)
                .order_by(AuditEvent.seq)
            ).all()
        )


def negotiated_then_declined(rt: Runtime, order_no: str, reason: str) -> tuple[int, str, str]:
    """A non-regular order: the customer accepts a later date, then a second review declines.

    Returns the instance id and the delivery date before and after the negotiation.
    """
    d = Driver(rt, MONDAY_10)
    form = order_form(order_no, "non_regular", now=d.now)
    f = step_forms(form, d.now)
    iid = d.start("order_review", "clerk", form)
    d.act(iid, "clerk", "confirm", f["confirm"])
    # earlier than engineering's earliest date: the board reviews it again (PROCEDURES.md §1)
    earliest = date.fromisoformat(f["infeasible"]["earliest_delivery_date"])
    new_date = (earliest - timedelta(days=5)).isoformat()
    for accepts in (True, False):
        for who in ("clerk", "prod_mgr", "mc", "qa_lead"):
            d.act(iid, who, "opinion", f["feasible"])
        d.act(iid, "engineer", "opinion", f["infeasible"])
        negotiation = {"customer_accepts": accepts, "contact_record": "电话沟通"}
        if accepts:
            negotiation["new_delivery_date"] = new_date
        d.act(iid, "clerk", "record_negotiation", negotiation)
    d.act(iid, "gm", "approve_decline", reason=reason)
    return iid, form["delivery_date"], new_date


def test_auditor_searches_by_order_person_procedure_and_dates(server: str, rt: Runtime) -> None:
    monday = Driver(rt, MONDAY_10)
    a1 = order_form("SO-A1", "regular", now=MONDAY_10)
    review_to_release(monday, monday.start("order_review", "clerk", a1), a1)
    change = {
        "order_no": "SO-A1",
        "received_at": MONDAY_10.isoformat(),
        "requested_by": "陈经理",
        "source": "customer",
        "change_description": "柜体颜色改为 RAL7035",
    }
    change_id = monday.start("order_change", "clerk", change)
    # 17:00 UTC on Monday is 01:00 on Tuesday in Shanghai: a company-local Tuesday event.
    late = Driver(rt, MONDAY_10 + timedelta(hours=15))
    late.start("order_review", "clerk", order_form("SO-A2", "regular", now=late.now))
    # 15:30 UTC is 23:30 on Monday in Shanghai: still Monday.
    evening = Driver(rt, MONDAY_10 + timedelta(hours=13, minutes=30))
    evening.start("order_review", "clerk", order_form("SO-A3", "regular", now=evening.now))
    c = login(server, "auditor")

    by_order = events_of(c.get("/audit", params={"order_no": "SO-A1", "limit": 500}))
    with Session(rt.db) as s:
        a1_events = s.exec(select(AuditEvent.seq).where(AuditEvent.order_no == "SO-A1")).all()
    assert sorted(int(e["seq"]) for e in by_order) == sorted(a1_events)
    assert {e["order"] for e in by_order} == {"SO-A1"}
    found = instances_of(c.get("/audit", params={"order_no": "SO-A1"}))
    assert {o for _, o in found} == {"SO-A1"} and change_id in {i for i, _ in found}

    prod_mgr = events_of(c.get("/audit", params={"person": "孙伟"}))
    assert prod_mgr and {e["actor_id"] for e in prod_mgr} == {str(user_id(rt, "prod_mgr"))}
    mc = events_of(c.get("/audit", params={"person": "mc"}))  # a username, not a substring
    assert mc and {e["actor_id"] for e in mc} == {str(user_id(rt, "mc"))}
    sales = events_of(c.get("/audit", params={"person": "sales"}))  # not sales_head's
    assert str(user_id(rt, "sales_head")) not in {e["actor_id"] for e in sales}
    head = events_of(c.get("/audit", params={"person": "sales_head"}))
    assert [e["action"] for e in head] == ["transition", "claim"]  # approve_quote

    changes = c.get("/audit", params={"procedure": "order_change"})
    assert {e["procedure"] for e in events_of(changes)} == {"order_change"}
    assert {i for i, _ in instances_of(changes)} == {change_id}

    monday = {"date_from": "2026-11-23", "date_to": "2026-11-23"}
    monday_only = events_of(c.get("/audit", params=monday))
    assert {"SO-A1", "SO-A3"} <= {e["order"] for e in monday_only}
    assert "SO-A2" not in {e["order"] for e in monday_only}
    tuesday = events_of(c.get("/audit", params={"date_from": "2026-11-24"}))
    assert {e["order"] for e in tuesday} == {"SO-A2"}

    both = events_of(
        c.get("/audit", params={"order_no": "SO-A1", "person": "clerk", "action": "transition"})
    )
    assert both and all(
        e["order"] == "SO-A1"
        and e["action"] == "transition"
        and e["actor_id"] == str(user_id(rt, "clerk"))
        for e in both
    )
    bad = c.get("/audit", params={"date_from": "23/11/2026"})
    assert bad.status_code == 422 and 'id="q-date_from-error"' in bad.text


def test_only_auditors_and_only_reading(server: str, rt: Runtime) -> None:
    iid = Driver(rt, MONDAY_10).start(
        "order_review", "clerk", order_form("SO-N1", "regular", now=MONDAY_10)
    )
    urls = [
        "/audit",
        "/audit?order_no=SO-N1",
        f"/audit/instances/{iid}",
        f"/audit/instances/{iid}/trail.csv",
        f"/audit/instances/{iid}/trail.xlsx",
        f"/audit/instances/{iid}/print",
        "/audit/instances/999999",
    ]
    for username in ("clerk", "gm", "admin"):
        c = login(server, username)
        for url in urls:
            r = c.get(url)
            assert r.status_code == 403, (username, url, r.status_code)
            assert "SO-N1" not in r.text
    anonymous = httpx.Client(base_url=server)
    for url in urls:
        r = anonymous.get(url)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    auditor = login(server, "auditor")
    assert auditor.get(f"/audit/instances/{iid}").status_code == 200
    assert auditor.get("/audit/instances/999999").status_code == 404
    assert auditor.post("/audit", data={"order_no": "SO-N1"}).status_code == 405
    # every route only reads, except "verify now" (records a check and seals: a POST)
    methods = {(r.path, m) for r in audit_router.routes for m in r.methods}  # type: ignore[attr-defined]
    assert {(p, m) for p, m in methods if m != "GET"} == {("/audit/verify", "POST")}


def test_trail_shows_old_and_new_values_reasons_and_signatures(server: str, rt: Runtime) -> None:
    iid, old, new = negotiated_then_declined(rt, "SO-T1", "产能不足，客户不同意延期")
    released = order_form("SO-T2", "regular", now=MONDAY_10)
    d = Driver(rt, MONDAY_10)
    rid = d.start("order_review", "clerk", released)
    review_to_release(d, rid, released)
    c = login(server, "auditor")
    assert verify_now(c).status_code == 200  # record a chain check

    page = c.get(f"/audit/instances/{iid}")
    assert page.status_code == 200
    body = html.unescape(page.text)
    assert f"order.delivery_date: {old} → {new}" in body
    assert "order.status: 评审中 / in review → 不接订单 / declined" in body  # keys in words
    assert "产能不足，客户不同意延期" in body
    assert "黄总 (总经理), 2026-11-23 10:00:00, 批准 / approved" in body  # local time
    assert "与客户协商交期 / Negotiating the date → 总经理核准不接订单" in body
    assert len(re.findall(r'<tr id="seq-\d+"', page.text)) == len(trail_seqs(rt, iid))
    assert "审计链完整 / Audit chain intact" in body
    for export in ("trail.csv", "trail.xlsx", "print"):
        assert f'href="/audit/instances/{iid}/{export}"' in page.text

    notice = c.get(f"/audit/instances/{rid}")
    doc = re.search(r'href="/documents/(SC-SO-T2-\d+)"', notice.text)
    assert doc, "the production notice is linked"
    assert c.get(f"/documents/{doc.group(1)}").status_code == 200


def test_trail_csv_parses_and_holds_every_event(server: str, rt: Runtime) -> None:
    iid, old, new = negotiated_then_declined(rt, "SO-C1", "=1+2 客户取消")
    c = login(server, "auditor")
    r = c.get(f"/audit/instances/{iid}/trail.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert "SO-C1" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8 Chinese right
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "序号 / Seq" and "理由 / Reason" in rows[0]
    assert [int(row[0]) for row in rows[1:]] == trail_seqs(rt, iid)
    changes = rows[0].index("变更内容 (原值 → 新值) / Changes (old → new)")
    assert any(f"order.delivery_date: {old} → {new}" in row[changes] for row in rows[1:])
    reason = rows[0].index("理由 / Reason")
    assert rows[-1][reason] == "'=1+2 客户取消"  # shown, never run as a formula
    signature = rows[0].index("电子签名 / Signature")
    assert rows[-1][signature].startswith("黄总 (总经理)")


def test_trail_xlsx_opens_with_header_and_rows(server: str, rt: Runtime) -> None:
    iid, old, new = negotiated_then_declined(rt, "SO-X1", "=SUM(A1:A2) 客户取消")
    c = login(server, "auditor")
    r = c.get(f"/audit/instances/{iid}/trail.xlsx")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "SO-X1" in r.headers["content-disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert "SO-X1" in ws.title
    header = [cell.value for cell in ws[1]]
    assert header[0] == "序号 / Seq" and all(cell.font.bold for cell in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["G"].width > 30  # the changes column is wide
    seqs = [row[0] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert seqs == trail_seqs(rt, iid)
    changes = header.index("变更内容 (原值 → 新值) / Changes (old → new)")
    values = [row[changes] or "" for row in ws.iter_rows(min_row=2, values_only=True)]
    assert any(f"order.delivery_date: {old} → {new}" in v for v in values)
    last = ws.cell(row=ws.max_row, column=header.index("理由 / Reason") + 1)
    assert last.value == "=SUM(A1:A2) 客户取消" and last.data_type == "s"  # text, not a formula


def test_print_page_has_order_time_and_chain_status(server: str, rt: Runtime) -> None:
    iid, _, _ = negotiated_then_declined(rt, "SO-P1", "客户取消")
    c = login(server, "auditor")
    verify_now(c)
    page = c.get(f"/audit/instances/{iid}/print")
    assert page.status_code == 200
    body = html.unescape(page.text)
    assert "SO-P1" in body and "审计链完整 / Audit chain intact" in body
    assert "2026-11-23 10:00:00 (Asia/Shanghai)" in body  # generated at, company time
    assert "@page" in body and "A4" in body
    assert "<nav" not in body and "/logout" not in body and "<header" not in body
    assert len(re.findall(r'<tr id="seq-\d+"', page.text)) == len(trail_seqs(rt, iid))


def test_tampered_event_shows_the_chain_broken_at_it(server: str, rt: Runtime) -> None:
    iid, _, _ = negotiated_then_declined(rt, "SO-B1", "客户取消")
    c = login(server, "auditor")
    assert 'data-chain="unknown"' in c.get("/audit").text  # nothing verified yet
    before = verify_now(c)  # "verify now", back to /audit
    assert 'data-chain="ok"' in before.text and "审计链完整 / Audit chain intact" in before.text
    drop_audit_guards(rt.db)  # a tamperer with database access removes the read-only guard
    with rt.db.begin() as conn:
        conn.execute(text("UPDATE auditevent SET reason='x' WHERE seq=2"))
    assert 'data-chain="ok"' in c.get("/audit").text  # pages show the last recorded check
    after = html.unescape(verify_now(c).text)
    assert "审计链被破坏 / Chain BROKEN at event #2: record altered after it was written" in after
    assert 'data-broken-seq="2"' in after and 'data-chain="ok"' not in after
    for url in (f"/audit/instances/{iid}", f"/audit/instances/{iid}/print"):
        assert "Chain BROKEN at event #2" in html.unescape(c.get(url).text)


def test_keyset_pages_are_disjoint_and_cover_everything(server: str, rt: Runtime) -> None:
    d = Driver(rt, MONDAY_10)
    for n in range(4):
        form = order_form(f"SO-K{n}", "regular", now=MONDAY_10)
        iid = d.start("order_review", "clerk", form)
        d.act(iid, "clerk", "confirm", step_forms(form, MONDAY_10)["confirm"])
    c = login(server, "auditor")
    with Session(rt.db) as s:
        all_seqs = set(s.exec(select(AuditEvent.seq)).all())
        all_instances = set(s.exec(select(Instance.id)).all())

    pages: list[list[int]] = []
    url: str | None = "/audit?limit=4"
    while url:
        page = c.get(url)
        pages.append([int(e["seq"]) for e in events_of(page)])
        url = older_link(page, "events")
        assert len(pages) < 50
    assert len(pages) > 2 and all(0 < len(p) <= 4 for p in pages)
    assert all(p == sorted(p, reverse=True) for p in pages)
    flat = [seq for p in pages for seq in p]
    assert len(flat) == len(set(flat))  # disjoint
    assert set(flat) == all_seqs  # and nothing skipped
    assert all(a[-1] > b[0] for a, b in zip(pages, pages[1:], strict=False))  # newest first

    seen: list[int] = []
    url = "/audit?limit=3"
    while url:
        page = c.get(url)
        seen += [i for i, _ in instances_of(page)]
        url = older_link(page, "instances")
    assert seen == sorted(all_instances, reverse=True)

    filtered: list[dict[str, str]] = []
    url = "/audit?order_no=SO-K2&limit=2"
    while url:
        page = c.get(url)
        filtered += events_of(page)
        url = older_link(page, "events")
    assert {e["order"] for e in filtered} == {"SO-K2"} and len(filtered) == 3


def test_search_events_equals_a_plain_filter_of_every_event(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cheap first pass over the newest events never changes the answer, only its cost."""
    monkeypatch.setattr(audit_search, "WINDOW_ROWS", 4)
    d = Driver(rt, MONDAY_10)
    forms = {n: order_form(f"SO-W{n}", "regular", now=MONDAY_10) for n in range(3)}
    ids = {n: d.start("order_review", "clerk", f) for n, f in forms.items()}
    for n, f in forms.items():  # interleaved: every order's events are spread out
        d.act(ids[n], "clerk", "confirm", step_forms(f, MONDAY_10)["confirm"])
    for who in ("clerk", "prod_mgr", "mc"):
        for n, f in forms.items():
            d.act(ids[n], who, "opinion", step_forms(f, MONDAY_10)["feasible"])
    check_login(
        rt.db,
        username="ghost",
        password="x",
        now=MONDAY_10,
        channel="web",
        source="127.0.0.1",
        settings=rt.settings,
    )
    prod_mgr = user_id(rt, "prod_mgr")
    with Session(reader(rt.db)) as s:
        every = s.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).all()
        cases: list[tuple[dict[str, Any], Callable[[AuditEvent], bool]]] = [
            ({"order_no": "SO-W1"}, lambda e: e.order_no == "SO-W1"),
            ({"person": "孙伟"}, lambda e: e.actor_id == prod_mgr),
            ({"person": "ghost"}, lambda e: e.actor_name == "ghost"),
            ({"action": "countersign"}, lambda e: e.action == "countersign"),
            ({"procedure": "order_review"}, lambda e: e.instance_id is not None),
            ({"date_from": date(2026, 11, 24)}, lambda e: False),
            (
                {"order_no": "SO-W2", "action": "claim"},
                lambda e: e.order_no == "SO-W2" and e.action == "claim",
            ),
        ]
        for filters, keep in cases:
            expected = [e.seq for e in every if keep(e)]
            assert expected or filters.get("date_from"), filters
            for limit in (1, 2, 3, 5, 100):
                got: list[int] = []
                cursor = None
                while True:
                    page = audit_search.search_events(
                        s, tz="Asia/Shanghai", limit=limit, before_seq=cursor, **filters
                    )
                    got += [e.seq for e in page]
                    if len(page) < limit:
                        break
                    cursor = page[-1].seq
                assert got == expected, (filters, limit)
