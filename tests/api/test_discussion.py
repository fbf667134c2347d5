"""Comments and attachments over HTTP (real uvicorn; SQLite or PostgreSQL per ``rt``): the API
and the page forms, limits (413, 422), readers only (403 without leaking the filename), the
same bytes back with safe download headers, audit events."""

from __future__ import annotations

import hashlib
import html

import httpx
from sqlmodel import Session, func, select

from gendan.demo import Driver, order_form
from gendan.models import (
    Attachment,
    AttachmentBlob,
    AuditEvent,
    Comment,
    InstanceCopy,
    Notification,
)
from gendan.runtime import Runtime
from tests.api.conftest import api_client
from tests.api.test_pages import csrf_of, login
from tests.conftest import MONDAY_10

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MB = 1024 * 1024


def started(rt: Runtime, order_no: str = "SO-D1") -> int:
    return Driver(rt, MONDAY_10).start(
        "order_review", "clerk", order_form(order_no, "regular", now=MONDAY_10)
    )


def counts(rt: Runtime) -> dict[str, int]:
    with Session(rt.db) as s:
        return {
            m.__name__: s.exec(select(func.count()).select_from(m)).one()
            for m in (Comment, Attachment, AttachmentBlob, InstanceCopy, Notification, AuditEvent)
        }


def business(numbers: dict[str, int]) -> dict[str, int]:
    """The counts without the audit trail (a refusal is audited, and that is all)."""
    return {k: v for k, v in numbers.items() if k != "AuditEvent"}


def upload(c: httpx.Client, iid: int, name: str, content: bytes, mime: str) -> httpx.Response:
    return c.post(f"/api/instances/{iid}/attachments", files={"file": (name, content, mime)})


def test_api_upload_and_download_give_the_same_bytes(server: str, rt: Runtime) -> None:
    iid = started(rt)
    clerk = api_client(server, "clerk")
    # the browser's type is ignored: the bytes say PNG
    r = upload(clerk, iid, "客户PO照片.png", PNG, "application/octet-stream")
    assert r.status_code == 201, r.text
    att = r.json()
    assert att["kind"] == "attachment" and att["filename"] == "客户PO照片.png"
    assert att["sha256"] == hashlib.sha256(PNG).hexdigest() and att["size"] == len(PNG)
    assert att["content_type"] == "image/png"
    got = api_client(server, "sales_head").get(att["download"])
    assert got.status_code == 200
    assert got.content == PNG
    assert hashlib.sha256(got.content).hexdigest() == att["sha256"]
    assert got.headers["content-type"] == "image/png"
    assert got.headers["x-content-type-options"] == "nosniff"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E5%AE%A2%E6%88%B7PO%E7%85%A7%E7%89%87.png" in disposition
    with Session(rt.db) as s:
        ev = s.exec(select(AuditEvent).where(AuditEvent.action == "attachment_added")).one()
        assert ev.instance_id == iid and ev.actor_name.startswith("王丽")
        assert ev.detail["sha256"] == att["sha256"] and ev.detail["size"] == len(PNG)
        assert ev.detail["filename"] == "客户PO照片.png"
        assert ev.detail["content_type"] == "image/png"
    listed = clerk.get(f"/api/instances/{iid}/discussion").json()
    assert [(i["kind"], i["id"]) for i in listed] == [("attachment", att["id"])]


def test_a_file_over_the_limit_is_413_and_other_routes_keep_1_mb(server: str, rt: Runtime) -> None:
    iid = started(rt)
    clerk = api_client(server, "clerk")
    before = counts(rt)
    # over the body limit of the upload route: refused before the route reads it
    big = upload(clerk, iid, "scan.pdf", PDF + b"0" * (21 * MB), "application/pdf")
    assert big.status_code == 413
    # under the body limit but over the file limit (20 MB): the engine refuses it
    just_over = upload(clerk, iid, "scan.pdf", PDF + b"0" * (20 * MB), "application/pdf")
    assert just_over.status_code == 413 and "20 MB" in just_over.json()["detail"]
    # everywhere else a body stays at 1 MB
    comment = clerk.post(f"/api/instances/{iid}/comments", json={"body": "x" * (2 * MB)})
    assert comment.status_code == 413
    assert counts(rt) == before
    # a 2 MB drawing is fine
    ok = upload(clerk, iid, "drawing.pdf", PDF + b"0" * (2 * MB), "application/pdf")
    assert ok.status_code == 201, ok.text


def test_a_disallowed_or_disguised_type_is_422(server: str, rt: Runtime) -> None:
    iid = started(rt)
    clerk = api_client(server, "clerk")
    before = counts(rt)
    exe = upload(clerk, iid, "setup.exe", b"MZ\x90\x00" * 10, "application/pdf")
    assert exe.status_code == 422 and "not allowed" in exe.json()["errors"]["file"]
    fake = upload(clerk, iid, "photo.png", b"<html><script>alert(1)</script></html>", "image/png")
    assert fake.status_code == 422 and "not PNG" in fake.json()["errors"]["file"]
    assert counts(rt) == before


def test_an_unknown_mention_is_422_naming_it_and_writes_nothing(server: str, rt: Runtime) -> None:
    iid = started(rt)
    clerk = api_client(server, "clerk")
    before = counts(rt)
    r = clerk.post(
        f"/api/instances/{iid}/comments", json={"body": "请 @sales_head 和 @zhangsan 看看"}
    )
    assert r.status_code == 422
    assert (
        "@zhangsan" in r.json()["errors"]["body"]
        and "@sales_head" not in r.json()["errors"]["body"]
    )
    assert counts(rt) == before


def test_a_comment_with_a_mention_is_audited_and_copies(server: str, rt: Runtime) -> None:
    iid = started(rt)
    clerk = api_client(server, "clerk")
    r = clerk.post(f"/api/instances/{iid}/comments", json={"body": "请 @engineer 看图纸"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["kind"] == "comment" and body["mentions"] == ["engineer"]
    with Session(rt.db) as s:
        ev = s.exec(select(AuditEvent).where(AuditEvent.action == "comment")).one()
        assert ev.detail["comment_id"] == body["id"] and ev.detail["mentions"] == ["engineer"]
        copy = s.exec(select(InstanceCopy).where(InstanceCopy.instance_id == iid)).one()
        assert copy.reason == "mention"
    # copied in, the engineer reads the instance and its discussion
    eng = api_client(server, "engineer")
    assert eng.get(f"/api/instances/{iid}").status_code == 200
    assert [i["body"] for i in eng.get(f"/api/instances/{iid}/discussion").json()] == [
        "请 @engineer 看图纸"
    ]


def test_non_readers_get_403_and_never_the_filename(server: str, rt: Runtime) -> None:
    iid = started(rt)
    clerk = api_client(server, "clerk")
    aid = upload(clerk, iid, "机密合同-SECRET.pdf", PDF, "application/pdf").json()["id"]
    before = counts(rt)
    eng = api_client(server, "engineer")  # reads nothing of the order review
    for r in (
        eng.get(f"/api/attachments/{aid}"),
        eng.get(f"/api/instances/{iid}/discussion"),
        eng.post(f"/api/instances/{iid}/comments", json={"body": "hi"}),
        upload(eng, iid, "x.pdf", PDF, "application/pdf"),
    ):
        assert r.status_code == 403, r.text
        assert "SECRET" not in r.text and "机密" not in r.text
    page = login(server, "engineer")
    for r in (
        page.get(f"/attachments/{aid}"),
        page.post(
            f"/instances/{iid}/comments",
            data={"csrf_token": csrf_of(page.get("/").text), "body": "hi"},
        ),
    ):
        assert r.status_code == 403
        assert "SECRET" not in r.text and "机密" not in r.text
    with Session(rt.db) as s:  # the refusals are audited; nothing else is written
        refused = s.exec(select(AuditEvent).where(AuditEvent.action == "refused")).all()
        assert refused
    assert business(counts(rt)) == business(before)


def test_page_forms_need_csrf_and_return_to_the_page(server: str, rt: Runtime) -> None:
    iid = started(rt)
    c = login(server, "clerk")
    page = c.get(f"/instances/{iid}")
    assert page.status_code == 200 and 'id="discussion"' in page.text
    token = csrf_of(page.text)
    before = counts(rt)
    no_token = c.post(f"/instances/{iid}/comments", data={"body": "hello"})
    assert no_token.status_code == 403
    no_token = c.post(
        f"/instances/{iid}/attachments", files={"file": ("a.pdf", PDF, "application/pdf")}
    )
    assert no_token.status_code == 403
    assert business(counts(rt)) == business(before)  # the refusals alone are audited
    r = c.post(
        f"/instances/{iid}/comments",
        data={"csrf_token": token, "body": "客户来电 <b>加急</b>", "next": f"/instances/{iid}"},
    )
    assert r.status_code == 303 and r.headers["location"] == f"/instances/{iid}#discussion"
    r = c.post(
        f"/instances/{iid}/attachments",
        data={"csrf_token": token, "note": "签字扫描件", "next": "//evil.example/x"},
        files={"file": ("签字.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 303 and r.headers["location"] == f"/instances/{iid}#discussion"
    shown = c.get(f"/instances/{iid}").text
    assert "客户来电 &lt;b&gt;加急&lt;/b&gt;" in shown  # text, never markup
    assert "签字.pdf" in html.unescape(shown) and "签字扫描件" in shown
    assert "2026-11-23 10:00" in shown  # 02:00 UTC, shown in company time
    with Session(rt.db) as s:
        aid = s.exec(select(Attachment.id)).one()
    got = c.get(f"/attachments/{aid}")
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment;")
    bad = c.post(f"/instances/{iid}/comments", data={"csrf_token": token, "body": "@nobody 你好"})
    assert bad.status_code == 422 and "no such active colleague: @nobody" in html.unescape(bad.text)
    assert ">@nobody 你好</textarea>" in bad.text  # what was typed is kept
