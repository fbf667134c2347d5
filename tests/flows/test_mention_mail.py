"""An @mention reaches the colleague: one e-mail through the aiosmtpd sink on loopback and one
SMS through the stand-in gateway, naming author, order and procedure, quoting the comment,
in company time, linking to the instance's discussion; delivering twice sends it once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, select

from flows.delivery import deliver_pending
from gendan.comments import add_comment
from gendan.db import unit_of_work
from gendan.demo import Driver, order_form
from gendan.models import User
from gendan.org import load_actor
from tests.conftest import make_runtime
from tests.support.servers import SmsGateway, SmtpSink

#: Monday 2026-11-23 12:09 UTC = 20:09 in Shanghai (SMS quiet hours start at 22:00).
AT = datetime(2026, 11, 23, 12, 9, tzinfo=UTC)


def test_a_mention_is_mailed_and_texted_once(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    rt = make_runtime(tmp_path / "g.db", smtp_url=smtp_sink.url, sms_url=sms_gateway.url)
    iid = Driver(rt, AT).start("order_review", "clerk", order_form("SO-M1", "regular", now=AT))
    with unit_of_work(rt.db) as s:
        clerk = load_actor(s, s.exec(select(User.id).where(User.username == "clerk")).one())
        add_comment(s, instance_id=iid, actor=clerk, body="客户改了图纸，请 @engineer 确认", now=AT)
    for _ in range(2):
        deliver_pending(rt, now=AT)
    mails = [m for m in smtp_sink.messages if m.to == "engineer@demo.gendan.local"]
    assert len(mails) == 1
    mail = mails[0]
    assert "【@提及】" in mail.subject and "SO-M1" in mail.subject and "王丽" in mail.subject
    assert "客户改了图纸，请 @engineer 确认" in mail.body
    assert "2026-11-23 20:09" in mail.body and "12:09" not in mail.body
    assert f"/instances/{iid}#discussion" in mail.body
    with Session(rt.db) as s:
        phone = s.exec(select(User.phone).where(User.username == "engineer")).one()
    texts = [m for m in sms_gateway.received if m["to"] == phone]
    assert len(texts) == 1 and f"/instances/{iid}#discussion" in texts[0]["text"]
