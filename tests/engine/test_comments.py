"""Comments, @mentions and attachments on an instance, against a real database (SQLite file, or
PostgreSQL with GENDAN_TEST_POSTGRES_URL): checked, stored, audited, copied in, notified."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from gendan import audit
from gendan.attachments import add_attachment, clean_filename, read_attachment
from gendan.comments import add_comment, mentioned_names
from gendan.db import unit_of_work
from gendan.demo import Driver, order_form
from gendan.discussion import for_instance, for_order
from gendan.errors import InvalidForm, NotAllowed, TooLarge
from gendan.models import (
    Attachment,
    AttachmentBlob,
    AuditEvent,
    Comment,
    InstanceCopy,
    Notification,
    User,
)
from gendan.org import Actor, load_actor
from gendan.queries import can_view
from gendan.runtime import Runtime
from tests.conftest import MONDAY_10

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MB = 1024 * 1024


def actor(rt: Runtime, username: str) -> Actor:
    with Session(rt.db) as s:
        return load_actor(s, s.exec(select(User.id).where(User.username == username)).one())


def started(rt: Runtime, order_no: str = "SO-C1") -> int:
    return Driver(rt, MONDAY_10).start(
        "order_review", "clerk", order_form(order_no, "regular", now=MONDAY_10)
    )


def counts(rt: Runtime) -> dict[str, int]:
    with Session(rt.db) as s:
        return {
            m.__name__: s.exec(select(func.count()).select_from(m)).one()
            for m in (Comment, Attachment, AttachmentBlob, InstanceCopy, Notification, AuditEvent)
        }


def comment(rt: Runtime, iid: int, who: str, body: str, minutes: int = 0) -> int:
    with unit_of_work(rt.db) as s:
        c = add_comment(
            s,
            instance_id=iid,
            actor=actor(rt, who),
            body=body,
            now=MONDAY_10 + timedelta(minutes=minutes),
        )
        assert c.id is not None
        return c.id


def attach(rt: Runtime, iid: int, who: str, name: str, content: bytes, minutes: int = 0) -> int:
    with unit_of_work(rt.db) as s:
        a = add_attachment(
            s,
            instance_id=iid,
            actor=actor(rt, who),
            filename=name,
            content=content,
            now=MONDAY_10 + timedelta(minutes=minutes),
            max_bytes=20 * MB,
        )
        assert a.id is not None
        return a.id


def test_mention_names_in_text() -> None:
    assert mentioned_names("请@sales_head 看看价格，@merch.") == ["sales_head", "merch"]
    assert mentioned_names("mail me: wang@factory.example, cc @gm and @gm") == ["gm"]
    assert mentioned_names("no one here") == []


def test_a_comment_mentioning_a_colleague_copies_and_notifies_them(rt: Runtime) -> None:
    iid = started(rt)
    engineer = actor(rt, "engineer")
    with Session(rt.db) as s:
        assert not can_view(s, engineer, iid)  # not one of the review's people
    cid = comment(rt, iid, "clerk", "图纸见附件，请 @engineer 确认 @sales_head", minutes=5)
    with Session(rt.db) as s:
        copies = s.exec(select(InstanceCopy).where(InstanceCopy.instance_id == iid)).all()
        assert {(c.user_id, c.reason, c.by_id) for c in copies} == {
            (engineer.user_id, "mention", actor(rt, "clerk").user_id),
            (actor(rt, "sales_head").user_id, "mention", actor(rt, "clerk").user_id),
        }
        assert can_view(s, engineer, iid)  # copied in: may read and answer
        notes = s.exec(select(Notification).where(Notification.template == "mention")).all()
        assert {(n.user_id, n.channel) for n in notes} == {
            (u, ch)
            for u in (engineer.user_id, actor(rt, "sales_head").user_id)
            for ch in ("email", "sms")
        }
        assert all(n.context["instance_id"] == iid and n.context["author"] for n in notes)
        ev = s.exec(select(AuditEvent).where(AuditEvent.action == "comment")).one()
        assert ev.instance_id == iid and ev.order_no == "SO-C1"
        assert ev.detail["comment_id"] == cid
        assert ev.detail["mentions"] == ["engineer", "sales_head"]
        assert ev.at == MONDAY_10 + timedelta(minutes=5)
        assert audit.verify(rt.db).ok
    # the engineer answers without a mention: nothing more is copied or sent
    comment(rt, iid, "engineer", "已确认 / confirmed", minutes=7)
    items = discussion(rt, iid, "engineer")
    assert [(i.kind, i.author.split(" ")[0]) for i in items] == [
        ("comment", "王丽"),
        ("comment", "冯涛"),
    ]
    assert items[0].mentions == ["engineer", "sales_head"]


def discussion(rt: Runtime, iid: int, who: str):  # noqa: ANN201
    with Session(rt.db) as s:
        return for_instance(s, iid, actor(rt, who))


@pytest.mark.parametrize(
    ("body", "field_text"),
    [
        ("请 @nobody 和 @engineer 看看", "@nobody"),
        ("   ", "write a comment"),
        ("x" * 4001, "at most 4000"),
    ],
)
def test_a_bad_comment_writes_nothing(rt: Runtime, body: str, field_text: str) -> None:
    iid = started(rt)
    before = counts(rt)
    with pytest.raises(InvalidForm) as err:
        comment(rt, iid, "clerk", body)
    assert field_text in err.value.errors["body"]
    assert counts(rt) == before


def test_a_deactivated_colleague_cannot_be_mentioned(rt: Runtime) -> None:
    iid = started(rt)
    with unit_of_work(rt.db) as s:
        user = s.exec(select(User).where(User.username == "buyer")).one()
        user.is_active = False
    before = counts(rt)
    with pytest.raises(InvalidForm) as err:
        comment(rt, iid, "clerk", "@buyer 请报价")
    assert "@buyer" in err.value.errors["body"]
    assert counts(rt) == before


def test_only_readers_comment_or_attach(rt: Runtime) -> None:
    iid = started(rt)
    before = counts(rt)
    with pytest.raises(NotAllowed):
        comment(rt, iid, "engineer", "hello")
    with pytest.raises(NotAllowed):
        attach(rt, iid, "engineer", "po.png", PNG)
    assert counts(rt) == before


def test_an_attachment_is_stored_with_its_checksum_and_audited(rt: Runtime) -> None:
    iid = started(rt)
    aid = attach(rt, iid, "clerk", r"C:\扫描\客户订单 PO-778.png", PNG, minutes=3)
    with Session(rt.db) as s:
        att, content = read_attachment(s, aid, actor(rt, "sales_head"))
        assert content == PNG
        assert att.sha256 == hashlib.sha256(PNG).hexdigest() and att.size == len(PNG)
        assert att.filename == "客户订单 PO-778.png" and att.content_type == "image/png"
        ev = s.exec(select(AuditEvent).where(AuditEvent.action == "attachment_added")).one()
        assert ev.detail == {
            "attachment_id": aid,
            "filename": "客户订单 PO-778.png",
            "size": len(PNG),
            "sha256": att.sha256,
            "content_type": "image/png",
        }
        assert ev.instance_id == iid and audit.verify(rt.db).ok
        with pytest.raises(NotAllowed) as err:
            read_attachment(s, aid, actor(rt, "engineer"))
        assert "PO-778" not in str(err.value)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("drawing.exe", b"MZ\x90\x00", "not allowed"),
        ("page.html", b"<script>alert(1)</script>", "not allowed"),
        ("photo.png", b"<html><script>alert(1)</script>", "not PNG"),
        ("scan.pdf", PNG, "not PDF"),
        ("noextension", PDF, "not allowed"),
        ("empty.pdf", b"", "non-empty"),
        ("....", PDF, "non-empty"),
    ],
)
def test_disallowed_or_disguised_files_are_refused(
    rt: Runtime, name: str, content: bytes, reason: str
) -> None:
    iid = started(rt)
    before = counts(rt)
    with pytest.raises(InvalidForm) as err:
        attach(rt, iid, "clerk", name, content)
    assert reason in err.value.errors["file"]
    assert counts(rt) == before


def test_a_file_over_the_limit_is_refused(rt: Runtime) -> None:
    iid = started(rt)
    before = counts(rt)
    with unit_of_work(rt.db) as s, pytest.raises(TooLarge):
        add_attachment(
            s,
            instance_id=iid,
            actor=actor(rt, "clerk"),
            filename="big.pdf",
            content=PDF + b"0" * 2000,
            now=MONDAY_10,
            max_bytes=2000,
        )
    assert counts(rt) == before


def test_filenames_are_cleaned() -> None:
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename('a<b>:"c|d?*.pdf') == "a_b___c_d__.pdf"
    assert clean_filename(".hidden.txt") == "hidden.txt"
    assert clean_filename("line\r\nbreak.txt") == "line__break.txt"
    long = clean_filename("图" * 300 + ".pdf")
    assert len(long) == 200 and long.endswith(".pdf")


def test_the_order_lists_what_the_reader_may_read(rt: Runtime) -> None:
    review = started(rt, "SO-C2")
    comment(rt, review, "clerk", "客户要求加急", minutes=1)
    attach(rt, review, "clerk", "po.pdf", PDF, minutes=2)
    items = lambda who: [(i.kind, i.instance_id) for i in for_order_of(rt, "SO-C2", who)]  # noqa: E731
    assert items("sales_head") == [("comment", review), ("attachment", review)]
    assert items("engineer") == []  # nothing of an instance they may not read


def for_order_of(rt: Runtime, order_no: str, who: str):  # noqa: ANN201
    with Session(rt.db) as s:
        return for_order(s, order_no, actor(rt, who))
