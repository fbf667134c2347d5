"""Times in company time wherever a person reads them (issue 8 item 7), UTC in the data.

A production notice issued at 12:09 UTC prints 签发时间 20:09 (Asia/Shanghai); the instance
page, the audit trail's CSV and XLSX exports and a mention e-mail say 20:09 too; the database
and the audit event keep 12:09 UTC.
"""

from __future__ import annotations

import csv
import html
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlmodel import Session, select

import forms
from flows.delivery import render
from gendan.comments import add_comment
from gendan.db import unit_of_work
from gendan.demo import Driver, order_form, review_to_notice, step_forms
from gendan.models import AuditEvent, Document, Notification, User
from gendan.org import load_actor
from gendan.runtime import Runtime
from notifications.times import local
from tests.api import conftest as app_on_loopback
from tests.api.test_pages import login

clock, server = app_on_loopback.clock, app_on_loopback.server  # the app on loopback (fixtures)

#: Monday 2026-11-23 12:09 UTC = 20:09 in Shanghai.
AT = datetime(2026, 11, 23, 12, 9, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_formatter() -> None:
    assert local(AT, SHANGHAI) == "2026-11-23 20:09"
    assert local("2026-11-23T12:09:00+00:00", "Asia/Shanghai") == "2026-11-23 20:09"
    assert local(datetime(2026, 11, 23, 12, 9), SHANGHAI) == "2026-11-23 20:09"  # stored: UTC
    typed = datetime(2026, 11, 23, 12, 9)  # typed into a form: company time already
    assert local(typed, SHANGHAI, naive_is_local=True) == "2026-11-23 12:09"
    assert local(None, SHANGHAI) == "—" and local("", SHANGHAI, empty="") == ""
    assert local("not a time", SHANGHAI) == "not a time"
    assert local(AT, "America/New_York") == "2026-11-23 07:09"


def test_a_printout_without_the_zone_never_passes_utc_off_as_company_time() -> None:
    order = order_form("SO-T0", "regular", now=AT)
    meta = {"doc_no": "X-1", "order_no": "SO-T0", "issued_by": "王丽", "issued_at": AT}
    assert "2026-11-23 20:09" in str(forms.render_print("order_intake", order, meta, tz=SHANGHAI))
    assert "2026-11-23 12:09 UTC" in str(forms.render_print("order_intake", order, meta))


def issued_notice(rt: Runtime) -> tuple[int, Document]:
    d = Driver(rt, AT)
    order = order_form("SO-T1", "regular", now=AT)
    iid = d.start("order_review", "clerk", order)
    review_to_notice(d, iid, order)
    d.act(iid, "clerk", "issue_notice", step_forms(order, AT)["notice"])
    with Session(rt.db) as s:
        doc = s.exec(select(Document).where(Document.kind == "production_notice")).one()
    return iid, doc


def test_the_printed_production_notice_shows_company_time(server: str, rt: Runtime) -> None:
    iid, doc = issued_notice(rt)
    assert doc.issued_at == AT  # UTC in the data
    page = html.unescape(login(server, "clerk").get(f"/documents/{doc.doc_no}").text)
    row = page[page.index("签发时间") :][:300]
    assert "2026-11-23 20:09" in row and "12:09" not in row


def test_the_instance_page_and_the_exports_show_company_time(server: str, rt: Runtime) -> None:
    iid, _ = issued_notice(rt)
    with Session(rt.db) as s:  # the trail keeps UTC
        ev = s.exec(select(AuditEvent).where(AuditEvent.instance_id == iid)).first()
        assert ev is not None and ev.at == AT
    page = login(server, "clerk").get(f"/instances/{iid}").text
    assert "2026-11-23 20:09" in page and "2026-11-23 12:09" not in page
    auditor = login(server, "auditor")
    text = auditor.get(f"/audit/instances/{iid}/trail.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    times = {r[1] for r in rows[1:]}
    assert times == {"2026-11-23 20:09:00"}
    assert "T12:09:00+00:00" not in text  # a stored instant in the changes is local too
    book = load_workbook(io.BytesIO(auditor.get(f"/audit/instances/{iid}/trail.xlsx").content))
    sheet = book.active
    assert {sheet.cell(row=r, column=2).value for r in range(2, sheet.max_row + 1)} == {
        "2026-11-23 20:09:00"
    }


def test_a_mention_message_says_company_time(rt: Runtime) -> None:
    iid = Driver(rt, AT).start("order_review", "clerk", order_form("SO-T2", "regular", now=AT))
    with unit_of_work(rt.db) as s:
        clerk = load_actor(s, s.exec(select(User.id).where(User.username == "clerk")).one())
        add_comment(s, instance_id=iid, actor=clerk, body="@sales_head 请看", now=AT)
    with Session(rt.db) as s:
        note = s.exec(
            select(Notification).where(
                Notification.channel == "email", Notification.template == "mention"
            )
        ).one()
    subject, body, link = render(note, base_url="http://gendan.test", tz=SHANGHAI)
    assert "2026-11-23 20:09" in body and "12:09" not in body
    assert "SO-T2" in subject and link == f"http://gendan.test/instances/{iid}#discussion"


def test_the_admin_test_message_says_company_time() -> None:
    from gendan.admin import channel_test_message
    from gendan.org import Actor

    admin = Actor(user_id=1, username="admin", display_name="系统管理员")
    message = channel_test_message("it@factory.example", actor=admin, now=AT)
    assert "2026-11-23 20:09" in message.body and "UTC" not in message.body
