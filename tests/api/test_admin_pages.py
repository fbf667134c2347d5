"""The administrator's pages over HTTP (real uvicorn, real SMTP sink and SMS gateway).

Each test drives the pages as a browser would (login, CSRF, forms) and then
checks the effect where it matters: who can log in and sees which tasks, who
gets escalations, which due times the calendar gives, what arrives at the
mail server and the SMS gateway, and what the audit trail recorded.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlmodel import Session, func, select

from api.routes_admin import router as admin_router
from flows.delivery import deliver_pending
from gendan.db import reader
from gendan.demo import DEMO_PASSWORD, Driver, order_form
from gendan.models import (
    AuditEvent,
    CalendarDay,
    ChannelSetting,
    Department,
    Notification,
    Task,
    User,
    UserRole,
)
from gendan.org import escalation_targets
from gendan.runtime import Runtime
from gendan.timespec import Sla
from tests.api.test_pages import csrf_of, login
from tests.conftest import MONDAY_10
from tests.support.servers import SmsGateway, SmtpSink

NEW_PASSWORD = "Werkstatt-2026!"


def login_with(base: str, username: str, password: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=30)
    token = csrf_of(c.get("/login").text)
    r = c.post(
        "/login",
        data={"csrf_token": token, "username": username, "password": password, "next": "/"},
    )
    assert r.status_code == 303, f"login of {username} failed: {r.status_code}"
    return c


def login_fails(base: str, username: str, password: str) -> bool:
    c = httpx.Client(base_url=base, timeout=30)
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"csrf_token": token, "username": username, "password": password})
    return r.status_code == 401


def post(c: httpx.Client, url: str, page: str = "/admin", **data: Any) -> httpx.Response:
    """POST a form with the CSRF token from ``page`` (as the browser would)."""
    token = csrf_of(c.get(page).text)
    return c.post(url, data={"csrf_token": token, **{k: str(v) for k, v in data.items()}})


def ids(rt: Runtime) -> dict[str, int]:
    with Session(reader(rt.db)) as s:
        out = {f"user:{u.username}": u.id for u in s.exec(select(User)).all()}
        out.update({f"dep:{d.key}": d.id for d in s.exec(select(Department)).all()})
    return out  # type: ignore[return-value]


def admin_events(rt: Runtime, action: str | None = None) -> list[AuditEvent]:
    with Session(reader(rt.db)) as s:
        stmt = select(AuditEvent).order_by(AuditEvent.seq)
        if action:
            stmt = stmt.where(AuditEvent.action == action)
        else:
            stmt = stmt.where(AuditEvent.action.startswith("admin."))  # type: ignore[attr-defined]
        return list(s.exec(stmt).all())


def counts(rt: Runtime) -> dict[str, int]:
    with Session(reader(rt.db)) as s:
        return {
            t.__name__: s.exec(select(func.count()).select_from(t)).one()
            for t in (User, UserRole, Department, CalendarDay, ChannelSetting)
        } | {"admin_events": len(admin_events(rt))}


def field_error(html: str, form: str, field: str) -> str:
    m = re.search(rf'id="f-{re.escape(form)}-{re.escape(field)}-error"[^>]*>([^<]*)<', html)
    assert m, f"no error shown at {form}.{field}"
    return m.group(1)


# --- users and roles ---------------------------------------------------------------------


def test_admin_creates_a_user_with_a_role_who_logs_in_and_sees_the_roles_tasks(
    server: str, rt: Runtime
) -> None:
    known = ids(rt)
    admin = login(server, "admin")
    r = post(
        admin,
        "/admin/users",
        page="/admin/users",
        username="clerk2",
        display_name="钱红 (销售内勤)",
        email="clerk2@factory.example",
        phone="13900000001",
        department_id=known["dep:sales"],
        language="en",
        password=NEW_PASSWORD,
        role="sales_clerk",
        role_department_id="",
    )
    assert r.status_code == 303, r.text
    user_url = r.headers["location"].split("?")[0]
    assert "done=user_created" in r.headers["location"]
    page = admin.get(user_url)
    assert page.status_code == 200 and 'data-role="sales_clerk"' in page.text

    Driver(rt, MONDAY_10).start(
        "order_review", "clerk", order_form("SO-70", "regular", now=MONDAY_10)
    )
    newcomer = login_with(server, "clerk2", NEW_PASSWORD)
    inbox = newcomer.get("/")
    assert inbox.status_code == 200 and "SO-70" in inbox.text
    assert '<html lang="en">' in inbox.text  # the language chosen by the admin
    assert login_fails(server, "clerk2", DEMO_PASSWORD)

    created, granted = admin_events(rt)
    assert created.action == "admin.user_created" and created.actor_name == "系统管理员"
    assert created.actor_id == known["user:admin"]
    assert created.changes["username"] == {"old": None, "new": "clerk2"}
    assert created.changes["department_id"] == {"old": None, "new": known["dep:sales"]}
    assert granted.action == "admin.role_granted"
    assert granted.changes == {"roles": {"old": [], "new": ["sales_clerk@sales"]}}
    trail = json.dumps([(e.changes, e.detail) for e in admin_events(rt)], ensure_ascii=False)
    assert NEW_PASSWORD not in trail and "argon2" not in trail
    assert "argon2" not in page.text and "password_hash" not in page.text


def test_user_changes_are_audited_with_old_and_new_values(server: str, rt: Runtime) -> None:
    known = ids(rt)
    buyer = known["user:buyer"]
    admin = login(server, "admin")
    page = f"/admin/users/{buyer}"

    r = post(
        admin,
        page,
        page=page,
        display_name="马超 (高级采购员)",
        email="ma.chao@factory.example",
        phone="13800000012",
        department_id=known["dep:purchasing"],
        language="zh",
    )
    assert r.status_code == 303
    (updated,) = admin_events(rt, "admin.user_updated")
    assert updated.changes == {
        "display_name": {"old": "马超 (采购员)", "new": "马超 (高级采购员)"},
        "email": {"old": "buyer@demo.gendan.local", "new": "ma.chao@factory.example"},
    }
    assert updated.detail["username"] == "buyer"

    r = post(
        admin,
        f"{page}/roles",
        page=page,
        role="purchasing_lead",
        department_id=known["dep:purchasing"],
    )
    assert r.status_code == 303
    (granted,) = admin_events(rt, "admin.role_granted")
    assert granted.changes["roles"] == {
        "old": ["buyer@purchasing"],
        "new": ["buyer@purchasing", "purchasing_lead@purchasing"],
    }
    with Session(reader(rt.db)) as s:
        grant = s.exec(
            select(UserRole).where(UserRole.user_id == buyer, UserRole.role == "buyer")
        ).one()
    assert post(admin, f"{page}/roles/{grant.id}/revoke", page=page).status_code == 303
    (revoked,) = admin_events(rt, "admin.role_revoked")
    assert revoked.changes["roles"] == {
        "old": ["buyer@purchasing", "purchasing_lead@purchasing"],
        "new": ["purchasing_lead@purchasing"],
    }

    r = post(
        admin, f"{page}/password", page=page, password=NEW_PASSWORD, password_repeat=NEW_PASSWORD
    )
    assert r.status_code == 303
    (reset,) = admin_events(rt, "admin.password_reset")
    assert reset.changes == {"password": {"old": "***", "new": "***"}}
    assert login_fails(server, "buyer", DEMO_PASSWORD)
    login_with(server, "buyer", NEW_PASSWORD)

    assert post(admin, f"{page}/active", page=page, is_active=0).status_code == 303
    (off,) = admin_events(rt, "admin.user_deactivated")
    assert off.changes == {"is_active": {"old": True, "new": False}}
    assert login_fails(server, "buyer", NEW_PASSWORD)
    assert 'data-active="0"' in admin.get(page).text
    assert post(admin, f"{page}/active", page=page, is_active=1).status_code == 303
    (on,) = admin_events(rt, "admin.user_activated")
    assert on.changes == {"is_active": {"old": False, "new": True}}
    login_with(server, "buyer", NEW_PASSWORD)

    r = post(
        admin,
        "/admin/departments",
        page="/admin/departments",
        key="paint_shop",
        name_zh="喷涂车间",
        name_en="Paint shop",
    )
    assert r.status_code == 303
    dep_id = ids(rt)["dep:paint_shop"]
    r = post(
        admin,
        f"/admin/departments/{dep_id}",
        page="/admin/departments",
        name_zh="喷漆车间",
        name_en="Paint shop",
    )
    assert r.status_code == 303
    (renamed,) = admin_events(rt, "admin.department_renamed")
    assert renamed.changes == {"name_zh": {"old": "喷涂车间", "new": "喷漆车间"}}
    assert "喷漆车间" in admin.get("/admin/departments").text

    assert all(e.actor_id == known["user:admin"] for e in admin_events(rt))
    from gendan.audit import verify

    assert verify(rt.db).ok


# --- who may ----------------------------------------------------------------------------


def _admin_urls(rt: Runtime) -> tuple[list[str], list[tuple[str, dict[str, Any]]]]:
    """Every admin page (GET) and form target (POST) with real ids and plausible data."""
    known = ids(rt)
    with Session(reader(rt.db)) as s:
        grant = s.exec(select(UserRole).where(UserRole.user_id == known["user:buyer"])).first()
    assert grant is not None
    path_ids = {
        "user_id": known["user:buyer"],
        "role_id": grant.id,
        "department_id": known["dep:sales"],
    }
    data = {
        "/admin/users": {
            "username": "intruder",
            "display_name": "x",
            "password": NEW_PASSWORD,
            "role": "admin",
            "department_id": known["dep:gm_office"],
        },
        "/admin/users/{user_id}": {"display_name": "hacked"},
        "/admin/users/{user_id}/active": {"is_active": "0"},
        "/admin/users/{user_id}/password": {
            "password": NEW_PASSWORD,
            "password_repeat": NEW_PASSWORD,
        },
        "/admin/users/{user_id}/roles": {"role": "admin", "department_id": known["dep:sales"]},
        "/admin/users/{user_id}/roles/{role_id}/revoke": {},
        "/admin/departments": {"key": "rogue", "name_zh": "x", "name_en": "x"},
        "/admin/departments/{department_id}": {"name_zh": "x", "name_en": "x"},
        "/admin/departments/{department_id}/head": {"head_user_id": known["user:clerk"]},
        "/admin/calendar": {"day": "2026-11-24", "working": "0"},
        "/admin/calendar/remove": {"day": "2026-11-24"},
        "/admin/channels": {"key": "smtp_url", "value": "smtp://evil.example:25?from=a@b.cn"},
        "/admin/channels/test": {"address": "someone@example.com"},
        "/admin/master/customers": {"code": "X1", "name": "x", "customer_class": "A"},
        "/admin/master/lines": {"key": "rogue", "name_zh": "x", "name_en": "x"},
        "/admin/master/teams": {"line": "rogue", "key": "xx", "name_zh": "x", "name_en": "x"},
        "/admin/master/settings": {"key": "urgent_small_order_max", "value": "1"},
        "/admin/master/import": {"kind": "customers"},
        "/admin/materials/save": {"kind": "items", "code": "X1", "name": "x"},
        "/admin/materials-import": {"kind": "items"},
    }
    gets, posts = [], []
    for route in admin_router.routes:
        path: str = route.path  # type: ignore[attr-defined]
        methods: set[str] = route.methods  # type: ignore[attr-defined]
        url = path.format(**path_ids)
        if "GET" in methods:
            gets.append(url)
        if "POST" in methods:
            assert path in data, f"no test data for POST {path}"
            posts.append((url, data[path]))
    return gets, posts


def test_every_admin_url_is_403_for_everyone_else_and_needs_a_login(
    server: str, rt: Runtime
) -> None:
    gets, posts = _admin_urls(rt)
    assert len(gets) >= 6 and len(posts) >= 12
    before = counts(rt)
    for username in ("clerk", "auditor", "gm"):
        c = login(server, username)
        token = csrf_of(c.get("/").text)  # a valid token: the role check must refuse
        for url in gets:
            r = c.get(url)
            assert r.status_code == 403, (username, url, r.status_code)
        for url, data in posts:
            r = c.post(url, data={"csrf_token": token, **data})
            assert r.status_code == 403, (username, url, r.status_code)
            assert "admin" in r.text  # refused for the role, not for the CSRF token
    assert counts(rt) == before
    anonymous = httpx.Client(base_url=server)
    for url in gets:
        r = anonymous.get(url)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    admin = login(server, "admin")
    for url in gets:
        assert admin.get(url).status_code == 200, url
    assert "/admin" in admin.get("/").text  # the menu shows the way in


def test_bad_input_is_422_at_the_field_and_writes_nothing(server: str, rt: Runtime) -> None:
    known = ids(rt)
    admin = login(server, "admin")
    before = counts(rt)
    buyer = f"/admin/users/{known['user:buyer']}"
    typed_secret = "tops3cret-typed"
    cases: list[tuple[str, str, dict[str, Any], str, str]] = [
        (
            "/admin/users",
            "/admin/users",
            {"username": "newbie", "display_name": "新人", "password": "short"},
            "create_user",
            "password",
        ),
        (
            "/admin/users",
            "/admin/users",
            {"username": "clerk", "display_name": "x", "password": NEW_PASSWORD},
            "create_user",
            "username",
        ),
        (
            "/admin/users",
            "/admin/users",
            {"username": "newbie", "display_name": "x", "password": NEW_PASSWORD, "email": "x@"},
            "create_user",
            "email",
        ),
        (
            "/admin/users",  # a valid user but an unknown role: the user is not created either
            "/admin/users",
            {
                "username": "newbie",
                "display_name": "新人",
                "password": NEW_PASSWORD,
                "role": "wizard",
                "department_id": known["dep:sales"],
            },
            "create_user",
            "role",
        ),
        (buyer, buyer, {"display_name": "  "}, "details", "display_name"),
        (buyer, buyer, {"display_name": "x", "language": "fr"}, "details", "language"),
        (
            f"{buyer}/roles",
            buyer,
            {"role": "buyer", "department_id": known["dep:purchasing"]},
            "grant",
            "role",
        ),
        (
            f"{buyer}/password",
            buyer,
            {"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD + "x"},
            "password",
            "password_repeat",
        ),
        (
            f"/admin/users/{known['user:admin']}/active",  # no locking oneself out
            f"/admin/users/{known['user:admin']}",
            {"is_active": "0"},
            "active",
            "is_active",
        ),
        (
            "/admin/departments",
            "/admin/departments",
            {"key": "Paint Shop", "name_zh": "喷涂", "name_en": "Paint"},
            "create_department",
            "key",
        ),
        (
            "/admin/departments",
            "/admin/departments",
            {"key": "sales", "name_zh": "销售", "name_en": "Sales"},
            "create_department",
            "key",
        ),
        (
            f"/admin/departments/{known['dep:sales']}",
            "/admin/departments",
            {"name_zh": "", "name_en": "Sales"},
            f"rename-{known['dep:sales']}",
            "name_zh",
        ),
        (
            f"/admin/departments/{known['dep:sales']}/head",
            "/admin/departments",
            {"head_user_id": "999999"},
            f"head-{known['dep:sales']}",
            "head_user_id",
        ),
        (
            "/admin/calendar",
            "/admin/calendar",
            {"day": "2026-13-01", "working": "0"},
            "set_day",
            "day",
        ),
        ("/admin/calendar/remove", "/admin/calendar", {"day": "2026-11-24"}, "remove_day", "day"),
        (
            "/admin/channels",
            "/admin/channels",
            {"key": "smtp_url", "value": f"ftp://mailer:{typed_secret}@mail.example"},
            "channel-smtp_url",
            "value",
        ),
        (
            "/admin/channels",
            "/admin/channels",
            {"key": "smtp_url", "value": f"smtp://mailer:{typed_secret}@mail.example:25"},
            "channel-smtp_url",
            "value",  # no from= address
        ),
        (
            "/admin/channels",
            "/admin/channels",
            {"key": "sms_url", "value": "gateway.example/sms"},
            "channel-sms_url",
            "value",
        ),
        ("/admin/channels/test", "/admin/channels", {"address": "nobody"}, "test", "address"),
    ]
    for url, page, data, form, field in cases:
        r = post(admin, url, page=page, **data)
        assert r.status_code == 422, (url, data, r.status_code)
        assert field_error(r.text, form, field), (url, field)
        assert typed_secret not in r.text
    assert counts(rt) == before


# --- escalation targets ------------------------------------------------------------------


def test_setting_a_department_head_changes_who_gets_level_1_escalations(
    server: str, rt: Runtime
) -> None:
    known = ids(rt)
    Driver(rt, MONDAY_10).start(
        "order_review", "clerk", order_form("SO-71", "regular", now=MONDAY_10)
    )

    def level1() -> list[str]:
        with Session(reader(rt.db)) as s:
            task = s.exec(select(Task).where(Task.status == "open", Task.role == "sales_clerk"))
            return [u.username for u in escalation_targets(s, task.one(), 1)]

    assert level1() == ["sales_head"]
    admin = login(server, "admin")
    sales = known["dep:sales"]
    r = post(
        admin,
        f"/admin/departments/{sales}/head",
        page="/admin/departments",
        head_user_id=known["user:merch_lead"],
    )
    assert r.status_code == 303
    assert level1() == ["merch_lead"]
    (ev,) = admin_events(rt, "admin.department_head_set")
    assert ev.changes == {"head": {"old": "sales_head", "new": "merch_lead"}}
    assert ev.detail["department"] == "sales"

    # An inactive person cannot become a head; the head stays who it was.
    clerk = known["user:clerk"]
    deactivate = post(admin, f"/admin/users/{clerk}/active", page="/admin/users", is_active=0)
    assert deactivate.status_code == 303
    r = post(
        admin, f"/admin/departments/{sales}/head", page="/admin/departments", head_user_id=clerk
    )
    assert r.status_code == 422
    assert "不是" in field_error(r.text, f"head-{sales}", "head_user_id") or "active" in r.text
    assert level1() == ["merch_lead"]

    # No head: level-1 escalations reach no one, and the page says so.
    r = post(admin, f"/admin/departments/{sales}/head", page="/admin/departments", head_user_id="")
    assert r.status_code == 303 and level1() == []
    assert "Level-1 escalations reach no one" in admin.get("/admin/departments").text or (
        "无人接收一级升级" in admin.get("/admin/departments").text
    )


# --- calendar -----------------------------------------------------------------------------


def test_a_company_day_off_moves_due_times_computed_afterwards(server: str, rt: Runtime) -> None:
    tuesday = date(2026, 11, 24)
    one_day = Sla.working_days(1)
    due_tuesday = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 Shanghai
    due_wednesday = due_tuesday + timedelta(days=1)
    assert rt.calendar.add(MONDAY_10, one_day) == due_tuesday

    admin = login(server, "admin")
    page = admin.get("/admin/calendar")
    assert 'data-day="2026-11-24" data-working="1"' in page.text
    new_year = re.search(r'data-day="2027-01-01" data-working="0">(.*?)</tr>', page.text, re.S)
    assert new_year and "元旦" in new_year.group(1)  # statutory holiday, with its name

    r = post(
        admin, "/admin/calendar", page="/admin/calendar", day="2026-11-24", working=0, note="厂庆"
    )
    assert r.status_code == 303
    assert rt.calendar.add(MONDAY_10, one_day) == due_wednesday
    iid = Driver(rt, MONDAY_10).start(
        "order_review", "clerk", order_form("SO-72", "regular", now=MONDAY_10)
    )
    with Session(reader(rt.db)) as s:
        task = s.exec(select(Task).where(Task.instance_id == iid)).one()
    assert task.due_at == due_wednesday
    page = admin.get("/admin/calendar")
    assert 'data-day="2026-11-24" data-working="0"' in page.text
    assert 'data-company-day="2026-11-24"' in page.text and "厂庆" in page.text

    (ev,) = admin_events(rt, "admin.calendar_day_set")
    assert ev.changes == {
        "working": {"old": None, "new": False},
        "note": {"old": None, "new": "厂庆"},
    }
    assert ev.detail == {"day": tuesday.isoformat()}

    r = post(admin, "/admin/calendar/remove", page="/admin/calendar", day="2026-11-24")
    assert r.status_code == 303
    assert rt.calendar.add(MONDAY_10, one_day) == due_tuesday
    (gone,) = admin_events(rt, "admin.calendar_day_removed")
    assert gone.changes["working"] == {"old": False, "new": None}

    # A company working day on a Saturday (e.g. to catch up) counts as working time.
    saturday = "2026-11-28"
    r = post(admin, "/admin/calendar", page="/admin/calendar", day=saturday, working=1)
    assert r.status_code == 303
    assert rt.calendar.is_working_day(date(2026, 11, 28))
    assert f'data-day="{saturday}" data-working="1"' in admin.get("/admin/calendar").text


# --- channels -----------------------------------------------------------------------------


def test_channels_set_on_the_page_carry_the_test_send_and_the_delivery(
    server: str, rt: Runtime, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    admin = login(server, "admin")
    assert rt.settings.smtp_url != smtp_sink.url  # the environment points elsewhere
    for key, url in (("smtp_url", smtp_sink.url), ("sms_url", sms_gateway.url)):
        r = post(admin, "/admin/channels", page="/admin/channels", key=key, value=url)
        assert r.status_code == 303, r.text
    page = admin.get("/admin/channels")
    assert smtp_sink.url in page.text and sms_gateway.url in page.text  # no password: as is
    set_events = admin_events(rt, "admin.channel_set")
    assert [e.changes for e in set_events] == [
        {"smtp_url": {"old": None, "new": smtp_sink.url}},
        {"sms_url": {"old": None, "new": sms_gateway.url}},
    ]

    r = post(admin, "/admin/channels/test", page="/admin/channels", address="qa@factory.example")
    assert r.status_code == 200 and 'data-test-result="ok"' in r.text
    (mail,) = smtp_sink.wait_for(1)
    assert mail.to == "qa@factory.example" and "test message" in mail.subject
    r = post(admin, "/admin/channels/test", page="/admin/channels", address="13900001111")
    assert r.status_code == 200 and 'data-test-result="ok"' in r.text
    assert [s["to"] for s in sms_gateway.received] == ["13900001111"]
    tests = admin_events(rt, "admin.channel_test")
    assert [(e.detail["channel"], e.detail["address"], e.detail["ok"]) for e in tests] == [
        ("email", "qa@factory.example", True),
        ("sms", "13900001111", True),
    ]

    # The delivery flow reads the same settings: an outbox row reaches the sink.
    with Session(rt.db) as w:
        w.add(
            Notification(
                cause="admin-test",
                channel="email",
                address="head@factory.example",
                template="inform",
                context={"instance_id": 1, "order_no": "SO-1", "state_name": "x"},
                next_attempt_at=MONDAY_10,
            )
        )
        w.commit()
    assert deliver_pending(rt, now=MONDAY_10).sent == 1
    assert smtp_sink.wait_for(2)[1].to == "head@factory.example"

    # A failing channel shows the reason and is audited as failed.
    sms_gateway.fail = True
    r = post(admin, "/admin/channels/test", page="/admin/channels", address="13900002222")
    assert r.status_code == 200 and 'data-test-result="error"' in r.text
    assert admin_events(rt, "admin.channel_test")[-1].detail["ok"] is False

    # Saving an empty value goes back to the environment's setting.
    r = post(admin, "/admin/channels", page="/admin/channels", key="sms_url", value="")
    assert r.status_code == 303
    assert admin_events(rt, "admin.channel_set")[-1].changes == {
        "sms_url": {"old": sms_gateway.url, "new": None}
    }
    with Session(reader(rt.db)) as s:
        assert s.get(ChannelSetting, "sms_url") is None


def test_a_channel_password_is_never_shown_and_kept_when_left_masked(
    server: str, rt: Runtime
) -> None:
    password = "p@ss:w/rd%"
    sink = SmtpSink(credentials=("mailer@factory.example", password))
    try:
        admin = login(server, "admin")
        r = post(admin, "/admin/channels", page="/admin/channels", key="smtp_url", value=sink.url)
        assert r.status_code == 303
        secrets = [password, "p%40ss%3Aw%2Frd%25", "rd%"]
        masked = f"smtp://mailer%40factory.example:***@127.0.0.1:{sink.port}"
        for url in ("/admin/channels", "/admin"):
            text = admin.get(url).text
            assert masked in text, url
            assert not any(secret in text for secret in secrets), url
        trail = json.dumps([(e.changes, e.detail) for e in admin_events(rt)])
        assert masked in trail and not any(secret in trail for secret in secrets)

        # Posting back the masked URL with another sender keeps the stored password ...
        shown = f"{masked}?from=alerts@factory.example"
        r = post(admin, "/admin/channels", page="/admin/channels", key="smtp_url", value=shown)
        assert r.status_code == 303
        with Session(reader(rt.db)) as s:
            stored = s.get(ChannelSetting, "smtp_url")
            assert stored is not None and "p%40ss%3Aw%2Frd%25@" in stored.value
        r = post(admin, "/admin/channels/test", page="/admin/channels", address="a@b.example")
        assert 'data-test-result="ok"' in r.text, r.text
        assert sink.logins[-1] == ("mailer@factory.example", password, True)
        assert sink.wait_for(1)[0].from_.endswith("alerts@factory.example")

        # ... but never for another server: there the password must be typed again.
        other = "smtp://mailer%40factory.example:***@mail.elsewhere.example:25?from=a@b.example"
        r = post(admin, "/admin/channels", page="/admin/channels", key="smtp_url", value=other)
        assert r.status_code == 422
        assert field_error(r.text, "channel-smtp_url", "value")
        # A wrong password is reported without the password.
        wrong = sink.url.replace("rd%25@", "rdX@")
        r = post(admin, "/admin/channels", page="/admin/channels", key="smtp_url", value=wrong)
        r = post(admin, "/admin/channels/test", page="/admin/channels", address="a@b.example")
        assert 'data-test-result="error"' in r.text
        assert "p%40ss%3Aw%2FrdX" not in r.text and "p@ss:w/rdX" not in r.text
        trail = json.dumps([(e.changes, e.detail) for e in admin_events(rt)])
        assert "rdX" not in trail and not any(secret in trail for secret in secrets)
    finally:
        sink.stop()
