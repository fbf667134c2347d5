"""Urgent SMS must be acknowledged within 30 minutes of 08:00-22:00, else the GM office hears.

Seed 004R 四. The SMS goes through the loopback SMS gateway, the mails through
the aiosmtpd sink; time is injected everywhere (sweep, delivery, the app's clock).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import Session, select

from api.app import create_app
from flows.delivery import deliver_pending
from gendan.acknowledgements import SmsAck, ack_due, urgent_calendar
from gendan.db import reader, unit_of_work
from gendan.demo import DEMO_PASSWORD, Driver, seed_organisation
from gendan.escalation import escalate_due
from gendan.models import AuditEvent, Notification, Order, Task
from gendan.runtime import Runtime
from gendan.security import token_digest
from gendan.timespec import Sla
from tests.flows.conftest import BASE_URL, MakeRuntime
from tests.support.app_server import serve_app
from tests.support.servers import SmsGateway, SmtpSink

SHANGHAI = ZoneInfo("Asia/Shanghai")
ACK_LINK = re.compile(re.escape(BASE_URL) + r"/ack/([A-Za-z0-9_-]{20,})")
SALES_HEAD_PHONE = "13800000002"
GM_PHONE = "13800000021"


def sh(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant given as Shanghai wall-clock time in November 2026 (the 23rd is a Monday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def serve(rt: Runtime, clock: Clock) -> Iterator[httpx.Client]:
    """The app on a real uvicorn on loopback, with the injected clock; a client for it."""
    # the base URL is https, served here over plain HTTP on loopback: say so, or the session
    # cookie is Secure and the client never sends it back
    plain = Runtime(rt.db, rt.calendar, rt.settings.model_copy(update={"secure_cookies": False}))
    with serve_app(create_app(plain, clock=clock)) as base:
        with httpx.Client(base_url=base, timeout=30) as client:
            yield client


def urgent_task(rt: Runtime, received: datetime, order_no: str = "SO-70") -> Task:
    """A released order whose customer change arrives at ``received``: 30 minutes to classify."""
    with unit_of_work(rt.db) as s:
        seed_organisation(s)
        s.add(
            Order(
                order_no=order_no,
                customer="宁波华东机电有限公司",
                product="配电柜",
                model_spec="GGD-2200",
                quantity=12,
                unit="台",
                delivery_date=date(2027, 1, 15),
                kind="regular",
                status="released",
                created_at=received - timedelta(days=3),
            )
        )
    iid = Driver(rt, received).start(
        "order_change",
        "clerk",
        {
            "order_no": order_no,
            "received_at": received.isoformat(),
            "requested_by": "陈经理",
            "source": "customer",
            "change_description": "改为 380V / voltage change",
        },
    )
    with Session(reader(rt.db)) as s:
        (task,) = s.exec(select(Task).where(Task.instance_id == iid, Task.status == "open")).all()
        return task


def sweep_and_deliver(rt: Runtime, now: datetime, times: int = 2) -> None:
    for _ in range(times):  # each run twice: nothing may go out twice
        escalate_due(rt, now=now)
        deliver_pending(rt, now=now)


def acks(rt: Runtime) -> list[SmsAck]:
    with Session(reader(rt.db)) as s:
        return list(s.exec(select(SmsAck).order_by(SmsAck.id)).all())  # type: ignore[arg-type]


def events(rt: Runtime, action: str) -> list[AuditEvent]:
    with Session(reader(rt.db)) as s:
        stmt = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        return list(s.exec(stmt).all())


def unacknowledged_mails(sink: SmtpSink) -> list[str]:
    return [m.to for m in sink.messages if "Unacknowledged" in m.subject]


def unacknowledged_sms(gateway: SmsGateway) -> list[str]:
    return [e["to"] for e in gateway.received if "未确认" in (e["text"] or "")]


def token_from(gateway: SmsGateway) -> str:
    (text,) = [e["text"] for e in gateway.received if e["to"] == SALES_HEAD_PHONE]
    match = ACK_LINK.search(text)
    assert match, text
    return match.group(1)


@pytest.fixture
def rt(make_runtime: MakeRuntime, smtp_sink: SmtpSink, sms_gateway: SmsGateway) -> Runtime:
    return make_runtime(smtp_url=smtp_sink.url, sms_url=sms_gateway.url)


def escalated_at_17_50(rt: Runtime, sms_gateway: SmsGateway) -> str:
    """Change received Monday 17:20, due 17:50: the SMS to the sales head; returns its token."""
    task = urgent_task(rt, sh(23, 17, 20))
    assert task.due_at == sh(23, 17, 50)
    sweep_and_deliver(rt, sh(23, 17, 50))
    sms_gateway.wait_for(1)
    return token_from(sms_gateway)


# --- the urgent calendar ------------------------------------------------------------------


def test_the_urgent_calendar_is_08_to_22_every_day() -> None:
    cal = urgent_calendar("Asia/Shanghai")
    half_hour = Sla.minutes(30)
    local = lambda *a: datetime(*a, tzinfo=SHANGHAI)  # noqa: E731
    assert cal.add(local(2026, 11, 23, 10, 0), half_hour) == local(2026, 11, 23, 10, 30)
    assert cal.add(local(2026, 11, 23, 21, 50), half_hour) == local(2026, 11, 24, 8, 20)
    assert cal.add(local(2026, 11, 23, 23, 0), half_hour) == local(2026, 11, 24, 8, 30)
    assert cal.add(local(2026, 11, 24, 6, 0), half_hour) == local(2026, 11, 24, 8, 30)
    # Weekends and statutory holidays count: Saturday evening, National Day.
    assert cal.add(local(2026, 11, 28, 21, 45), half_hour) == local(2026, 11, 29, 8, 15)
    assert cal.add(local(2026, 10, 1, 12, 0), half_hour) == local(2026, 10, 1, 12, 30)
    assert all(cal.is_working_day(date(2026, 10, 1) + timedelta(days=i)) for i in range(14))
    assert cal.working_minutes_between(local(2026, 11, 23, 0, 0), local(2026, 11, 24, 0, 0)) == 840
    assert ack_due(sh(23, 21, 50), "Asia/Shanghai") == sh(24, 8, 20)


# --- escalation, SMS, GM office -----------------------------------------------------------


def test_unacknowledged_sms_reaches_the_gm_office_once(
    rt: Runtime, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    token = escalated_at_17_50(rt, sms_gateway)
    smtp_sink.wait_for(1)
    escalated = [m.to for m in smtp_sink.messages if not m.subject.startswith("【新任务】")]
    assert escalated == ["sales_head@demo.gendan.local"]  # new-task mails to holders aside
    (sms,) = sms_gateway.received
    assert sms["to"] == SALES_HEAD_PHONE and len(sms["text"]) <= 140
    assert f"{BASE_URL}/ack/{token}" in sms["text"]
    (ack,) = acks(rt)
    # 30 minutes on the 08:00-22:00 calendar, although the working day ends at 18:00.
    assert (ack.status, ack.sent_at, ack.due_at) == ("pending", sh(23, 17, 50), sh(23, 18, 20))
    assert ack.token_hash == token_digest(token) != token  # only the hash is kept

    sweep_and_deliver(rt, sh(23, 18, 19))
    assert events(rt, "ack_missed") == [] and unacknowledged_mails(smtp_sink) == []

    sweep_and_deliver(rt, sh(23, 18, 21))  # 31 minutes after the SMS, twice
    assert unacknowledged_mails(smtp_sink) == ["gm@demo.gendan.local"]
    assert unacknowledged_sms(sms_gateway) == [GM_PHONE]
    (missed,) = events(rt, "ack_missed")
    assert missed.actor_name == "system" and missed.order_no == "SO-70"
    assert (missed.detail["recipient"], missed.detail["recipients"]) == ("sales_head", ["gm"])
    (ack,) = acks(rt)
    assert (ack.status, ack.escalated_at) == ("escalated", sh(23, 18, 21))
    mail = next(m for m in smtp_sink.messages if "Unacknowledged" in m.subject)
    assert "SO-70" in mail.subject and f"{BASE_URL}/tasks/{ack.task_id}" in mail.body
    assert "当前处理人" in mail.body and "超时" in mail.body  # the holder and how late

    sweep_and_deliver(rt, sh(23, 19, 30))  # later sweeps add nothing
    assert unacknowledged_mails(smtp_sink) == ["gm@demo.gendan.local"]
    assert unacknowledged_sms(sms_gateway) == [GM_PHONE]
    assert len(events(rt, "ack_missed")) == 1
    with Session(reader(rt.db)) as s:
        rows = s.exec(select(Notification).where(Notification.template == "ack_missed")).all()
        assert sorted((n.channel, n.address) for n in rows) == [
            ("email", "gm@demo.gendan.local"),
            ("sms", GM_PHONE),
        ]


def test_acknowledged_in_time_tells_the_gm_office_nothing(
    rt: Runtime, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    token = escalated_at_17_50(rt, sms_gateway)
    clock = Clock(sh(23, 18, 5))
    with serve(rt, clock) as web:
        assert web.post(f"/ack/{token}").status_code == 303
    sweep_and_deliver(rt, sh(23, 18, 21))
    sweep_and_deliver(rt, sh(23, 21, 0))
    assert events(rt, "ack_missed") == []
    assert unacknowledged_mails(smtp_sink) == [] and unacknowledged_sms(sms_gateway) == []
    (ack,) = acks(rt)
    assert (ack.status, ack.acked_at, ack.acked_how) == ("acknowledged", sh(23, 18, 5), "link")


def test_an_sms_sent_at_21_50_has_until_08_20_next_morning(
    rt: Runtime, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    task = urgent_task(rt, sh(23, 17, 20))
    sweep_and_deliver(rt, sh(23, 21, 50), times=1)  # the sweep was down until 21:50
    sms_gateway.wait_for(1)  # urgent: not held until the morning
    (ack,) = acks(rt)
    assert (ack.task_id, ack.sent_at, ack.due_at) == (task.id, sh(23, 21, 50), sh(24, 8, 20))
    sweep_and_deliver(rt, sh(23, 23, 0))
    sweep_and_deliver(rt, sh(24, 8, 19))
    assert events(rt, "ack_missed") == []
    sweep_and_deliver(rt, sh(24, 8, 21))
    assert len(events(rt, "ack_missed")) == 1
    assert unacknowledged_mails(smtp_sink) == ["gm@demo.gendan.local"]


def test_a_task_done_before_the_time_runs_out_tells_no_one(
    rt: Runtime, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    escalated_at_17_50(rt, sms_gateway)
    with unit_of_work(rt.db) as s:
        task = s.exec(select(Task).where(Task.status == "open")).one()
        task.status, task.closed_at = "cancelled", sh(23, 18, 0)
        s.add(task)
    sweep_and_deliver(rt, sh(23, 18, 21))
    assert events(rt, "ack_missed") == [] and unacknowledged_mails(smtp_sink) == []
    assert [a.status for a in acks(rt)] == ["void"]


# --- the acknowledgement link ---------------------------------------------------------------


def test_get_shows_post_records_once_and_unknown_tokens_are_404(
    rt: Runtime, sms_gateway: SmsGateway
) -> None:
    token = escalated_at_17_50(rt, sms_gateway)
    clock = Clock(sh(23, 18, 2))
    with serve(rt, clock) as web:
        page = web.get(f"/ack/{token}")  # as an SMS app's link preview would
        assert page.status_code == 200 and "SO-70" in page.text
        assert f'action="/ack/{token}"' in page.text
        assert page.headers["cache-control"] == "no-store"
        assert acks(rt)[0].acked_at is None and events(rt, "acknowledged") == []

        first = web.post(f"/ack/{token}")
        assert (first.status_code, first.headers["location"]) == (303, f"/ack/{token}")
        assert 'id="ack-status"' in web.get(f"/ack/{token}").text
        clock.now = sh(23, 18, 7)
        assert web.post(f"/ack/{token}").status_code == 303
        again = web.post(f"/api/acks/{token}")
        assert again.status_code == 200
        assert again.json()["recorded"] is False and again.json()["status"] == "acknowledged"

        for bad in ("nope", token[:-1] + ("A" if token[-1] != "A" else "B")):
            assert web.get(f"/ack/{bad}").status_code == 404
            assert web.post(f"/ack/{bad}").status_code == 404
            assert web.post(f"/api/acks/{bad}").status_code == 404

    (ack,) = acks(rt)
    assert (ack.acked_at, ack.acked_how) == (sh(23, 18, 2), "link")
    (event,) = events(rt, "acknowledged")
    assert event.actor_name.startswith("张敏") and event.at == sh(23, 18, 2)
    assert event.detail["notification_id"] == ack.notification_id
    assert (event.detail["how"], event.detail["late"]) == ("link", False)


def test_json_acknowledgement_after_the_gm_office_was_told_is_recorded_as_late(
    rt: Runtime, sms_gateway: SmsGateway
) -> None:
    token = escalated_at_17_50(rt, sms_gateway)
    sweep_and_deliver(rt, sh(23, 18, 21))
    with serve(rt, Clock(sh(23, 18, 40))) as web:
        answer = web.post(f"/api/acks/{token}")
    assert answer.status_code == 200
    assert answer.json()["recorded"] is True and answer.json()["acked_how"] == "link"
    (event,) = events(rt, "acknowledged")
    assert event.detail["late"] is True
    (ack,) = acks(rt)
    assert ack.escalated_at == sh(23, 18, 21) and ack.acked_at == sh(23, 18, 40)


# --- confirmed by phone ---------------------------------------------------------------------


def bearer(web: httpx.Client, username: str) -> dict[str, str]:
    token = web.post("/api/token", json={"username": username, "password": DEMO_PASSWORD})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_the_holder_records_the_phone_confirmation_others_may_not(
    rt: Runtime, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    escalated_at_17_50(rt, sms_gateway)
    (ack,) = acks(rt)
    with serve(rt, Clock(sh(23, 18, 10))) as web:
        listed = web.get(f"/api/tasks/{ack.task_id}/acks", headers=bearer(web, "clerk"))
        assert [a["status"] for a in listed.json()] == ["pending"]
        refused = web.post(f"/api/acks/{ack.id}/phone", headers=bearer(web, "buyer"))
        assert refused.status_code == 403
        assert web.post(f"/api/acks/{ack.id}/phone").status_code == 401
        done = web.post(f"/api/acks/{ack.id}/phone", headers=bearer(web, "clerk"))
        assert done.status_code == 200 and done.json()["recorded"] is True
        assert done.json()["acked_how"] == "phone" and done.json()["acked_by"].startswith("王丽")
        twice = web.post(f"/api/acks/{ack.id}/phone", headers=bearer(web, "clerk"))
        assert twice.json()["recorded"] is False
    (event,) = events(rt, "acknowledged")
    assert event.actor_name.startswith("王丽") and event.reason.startswith("confirmed by phone")
    assert event.detail["how"] == "phone" and event.detail["recipient"] == "sales_head"
    sweep_and_deliver(rt, sh(23, 18, 21))
    assert events(rt, "ack_missed") == [] and unacknowledged_mails(smtp_sink) == []


def test_the_phone_confirmation_page_needs_login_and_csrf(
    rt: Runtime, sms_gateway: SmsGateway
) -> None:
    escalated_at_17_50(rt, sms_gateway)
    (ack,) = acks(rt)
    page_url = f"/tasks/{ack.task_id}/acks"
    with serve(rt, Clock(sh(23, 18, 10))) as web:
        assert web.get(page_url).status_code == 303  # to /login
        login = web.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)  # type: ignore[union-attr]
        r = web.post(
            "/login",
            data={"csrf_token": csrf, "username": "clerk", "password": DEMO_PASSWORD},
        )
        assert r.status_code == 303
        assert f'href="{page_url}"' in web.get(f"/tasks/{ack.task_id}").text  # escalated task
        page = web.get(page_url)
        assert page.status_code == 200 and f"/acks/{ack.id}/phone" in page.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        phone_url = f"{page_url}/{ack.id}/phone"
        assert web.post(phone_url, data={}).status_code == 403
        assert acks(rt)[0].acked_at is None
        done = web.post(phone_url, data={"csrf_token": csrf})
        assert (done.status_code, done.headers["location"]) == (303, page_url)
    (ack,) = acks(rt)
    assert (ack.status, ack.acked_how, ack.acked_at) == ("acknowledged", "phone", sh(23, 18, 10))
