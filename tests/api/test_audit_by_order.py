"""The auditor reads by order (issue 8, item 9): one trail across every procedure of the
order, a readable hash column, words instead of raw keys, CSV and XLSX per order."""

from __future__ import annotations

import csv
import html
import io
import re

import openpyxl
from sqlalchemy import or_
from sqlmodel import Session, select

from gendan.db import reader
from gendan.demo import Driver
from gendan.links import children_of
from gendan.models import AuditEvent
from gendan.runtime import Runtime
from states.production_plan import ProductionPlan
from tests.api.test_orders import reviewed_then_changed, visible_text
from tests.api.test_pages import login
from tests.conftest import MONDAY_10

ROW = re.compile(r'<tr id="seq-(\d+)" data-seq="\d+" data-procedure="(\w*)">')


def order_seqs(rt: Runtime, order_no: str, ids: tuple[int, ...]) -> list[int]:
    with Session(reader(rt.db)) as s:
        cond = or_(AuditEvent.order_no == order_no, AuditEvent.instance_id.in_(ids))
        return list(s.exec(select(AuditEvent.seq).where(cond).order_by(AuditEvent.seq)).all())


def test_one_trail_per_order_across_its_procedures(server: str, rt: Runtime) -> None:
    review, change = reviewed_then_changed(Driver(rt, MONDAY_10), "SO-87")
    c = login(server, "auditor")
    page = c.get("/audit/orders/SO-87")
    assert page.status_code == 200, page.text
    rows = ROW.findall(page.text)
    assert [int(s) for s, _ in rows] == order_seqs(rt, "SO-87", (review, change))
    # the confirmed notice also started the order's production plan (§3)
    assert {p for _, p in rows} == {"order_review", "order_change", "production_plan"}
    for iid in (review, change):
        assert f'href="/audit/instances/{iid}"' in page.text
    assert "SC-SO-87-01" in page.text and "生产通知单" in page.text

    # the hash: ten characters shown, the whole on hover and behind a copy button
    with Session(reader(rt.db)) as s:
        last = s.exec(select(AuditEvent).where(AuditEvent.instance_id == change)).all()[-1]
    assert f'<code title="{last.hash}" data-hash="{last.hash}"' in page.text
    assert f">{last.hash[:10]}…</code>" in page.text
    assert f'data-copy="{last.hash}"' in page.text and "/audit/copy-hash.js" in page.text
    printed = c.get(f"/audit/instances/{change}/print").text  # paper: the whole hash
    assert f">{last.hash}</code>" in printed and "copy-hash" not in printed
    script = c.get("/audit/copy-hash.js")
    assert script.status_code == 200 and "clipboard" in script.text

    # words, not keys, in the chosen language (the changes column keeps the stored values)
    zh = visible_text(page.text.replace(page.text[page.text.index('class="changes"') :], ""))
    for raw in ("transition", "claim", "order_change", "order_review", "released", "regular"):
        assert not re.search(rf"\b{raw}\b", zh.split("全部记录")[0]), raw
    table = page.text.split("<tbody>")[1]
    cells = [visible_text(td) for td in re.findall(r"<td[^>]*>(.*?)</td>", table, flags=re.S)]
    assert "办理" in cells and "认领" in cells and "transition" not in cells

    # the instance trail links to its order's, and the search to both
    assert 'href="/audit/orders/SO-87"' in c.get(f"/audit/instances/{change}").text
    assert 'data-order-trail="SO-87"' in c.get("/audit", params={"order_no": "SO-87"}).text


def test_order_trail_csv_and_xlsx(server: str, rt: Runtime) -> None:
    review, change = reviewed_then_changed(Driver(rt, MONDAY_10), "SO-88")
    seqs = order_seqs(rt, "SO-88", (review, change))
    c = login(server, "auditor")
    r = c.get("/audit/orders/SO-88/trail.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "SO-88" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:3] == ["序号 / Seq", "时间 / Time", "程序 / Procedure"]
    assert [int(row[0]) for row in rows[1:]] == seqs
    procs = {row[2] for row in rows[1:]}
    with Session(reader(rt.db)) as s:
        [plan] = children_of(s, review)  # the confirmed notice started the plan (§3)
    assert procs == {
        f"订单评审 / Order review #{review}",
        f"合同订单更改 / Order change notice #{change}",
        f"{ProductionPlan.title_zh} / {ProductionPlan.title_en} #{plan.id}",
    }
    action = header.index("动作 / Action")
    assert "办理 / decided" in {row[action] for row in rows[1:]}
    hashes = header.index("哈希 / Hash")
    assert all(len(row[hashes]) == 64 for row in rows[1:])  # the full hash in the export

    x = c.get("/audit/orders/SO-88/trail.xlsx")
    assert x.status_code == 200 and "SO-88" in x.headers["content-disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(x.content)).active
    assert "SO-88" in ws.title
    assert [cell.value for cell in ws[1]][:3] == header[:3]
    assert [row[0] for row in ws.iter_rows(min_row=2, values_only=True)] == seqs


def test_order_trail_is_for_auditors_and_checks_its_input(server: str, rt: Runtime) -> None:
    reviewed_then_changed(Driver(rt, MONDAY_10), "SO-89")
    clerk = login(server, "clerk")
    for url in ("/audit/orders/SO-89", "/audit/orders/SO-89/trail.csv", "/audit/copy-hash.js"):
        assert clerk.get(url).status_code == 403, url
    c = login(server, "auditor")
    assert c.get("/audit/orders/SO-404").status_code == 404
    assert c.get("/audit/orders/SO-89%E2%80%AE").status_code == 422
    assert html.unescape(c.get("/audit/orders/SO-89").text).count("订单评审") >= 2
