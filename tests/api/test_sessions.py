"""Sessions and logins as OWASP ASVS L2 asks (issue 7, item 3), through HTTP on loopback.

Server-side sessions end at logout, password reset and deactivation; idle and absolute
timeouts and token expiry on the injected clock; revocation; throttling per account and
source that a stranger cannot turn against the GM; the parallel-login limit; aggregated
unknown-username failures; Origin/Referer on page POSTs; no-store and HSTS.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta

import httpx
from sqlalchemy import func
from sqlmodel import Session, select

from api.app import create_app
from gendan.accounts import UNKNOWN_ACTION, dummy_hash
from gendan.db import reader
from gendan.demo import DEMO_PASSWORD
from gendan.models import AuditEvent, UnknownLoginCount, User, UserSession
from gendan.runtime import Runtime
from tests.api.conftest import Clock, api_client
from tests.api.test_pages import csrf_of, login
from tests.support.app_server import serve_app

NEW_PASSWORD = "a-new-long-password-2026"


def from_source(base: str, address: str) -> httpx.Client:
    """A client whose connections come from another loopback address: another source."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=base, transport=transport, timeout=30)


def web_login(c: httpx.Client, username: str, password: str = DEMO_PASSWORD) -> int:
    token = csrf_of(c.get("/login").text)
    data = {"csrf_token": token, "username": username, "password": password, "next": "/"}
    return c.post("/login", data=data).status_code


def token_status(c: httpx.Client, username: str, password: str = DEMO_PASSWORD) -> int:
    return c.post("/api/token", json={"username": username, "password": password}).status_code


def events(rt: Runtime, action: str, name: str | None = None) -> int:
    with Session(reader(rt.db)) as s:
        stmt = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        if name is not None:
            stmt = stmt.where(AuditEvent.actor_name == name)
        return s.exec(stmt).one()


def signed_in(c: httpx.Client) -> bool:
    r = c.get("/")
    return r.status_code == 200 and "/login" not in r.headers.get("location", "")


def user_id(rt: Runtime, username: str) -> int:
    with Session(reader(rt.db)) as s:
        return s.exec(select(User.id).where(User.username == username)).one()


# -- sessions ---------------------------------------------------------------------------


def test_the_cookie_carries_only_the_session_id_and_logout_ends_it(
    server: str, rt: Runtime
) -> None:
    c = login(server, "clerk")
    cookie = c.cookies["gendan_session"]
    with Session(reader(rt.db)) as s:
        (rec,) = s.exec(select(UserSession)).all()
        assert rec.user_id == user_id(rt, "clerk") and rec.ended_at is None
        assert len(rec.sid_hash) == 64  # SHA-256 of the id, never the id itself
    replay = httpx.Client(base_url=server, cookies={"gendan_session": cookie})
    assert signed_in(replay)
    assert c.post("/logout", data={"csrf_token": csrf_of(c.get("/").text)}).status_code == 303
    after = replay.get("/")
    assert after.status_code == 303 and after.headers["location"].startswith("/login")
    with Session(reader(rt.db)) as s:
        (rec,) = s.exec(select(UserSession)).all()
        assert rec.ended_at is not None and rec.end_reason == "logout"


def admin_post(admin: httpx.Client, path: str, **data: str) -> httpx.Response:
    token = csrf_of(admin.get("/admin/users").text)
    return admin.post(path, data={"csrf_token": token, **data})


def test_password_reset_ends_sessions_and_tokens(server: str, rt: Runtime) -> None:
    page, api = login(server, "buyer"), api_client(server, "buyer")
    assert signed_in(page) and api.get("/api/tasks").status_code == 200
    admin = login(server, "admin")
    uid = user_id(rt, "buyer")
    r = admin_post(
        admin, f"/admin/users/{uid}/password", password=NEW_PASSWORD, password_repeat=NEW_PASSWORD
    )
    assert r.status_code == 303
    assert not signed_in(page)
    assert api.get("/api/tasks").status_code == 401
    assert signed_in(login_as(server, "buyer", NEW_PASSWORD))  # the new password works


def login_as(base: str, username: str, password: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=30)
    assert web_login(c, username, password) == 303
    return c


def test_deactivation_ends_sessions_and_tokens(server: str, rt: Runtime) -> None:
    page, api = login(server, "buyer"), api_client(server, "buyer")
    admin = login(server, "admin")
    r = admin_post(admin, f"/admin/users/{user_id(rt, 'buyer')}/active", is_active="0")
    assert r.status_code == 303
    assert not signed_in(page)
    assert api.get("/api/tasks").status_code == 401
    with Session(reader(rt.db)) as s:
        reasons = {r.end_reason for r in s.exec(select(UserSession)).all() if r.ended_at}
    assert "deactivated" in reasons


def test_idle_and_absolute_timeouts(server: str, rt: Runtime, clock: Clock) -> None:
    c = login(server, "clerk")
    for _ in range(2):  # active every 29 minutes: the session holds
        clock.now += timedelta(minutes=29)
        assert signed_in(c)
    clock.now += timedelta(minutes=31)  # idle for longer than 30 minutes
    assert not signed_in(c)

    c = login(server, "clerk")
    started = clock.now
    for _ in range(28):  # active every 25 minutes for 11 h 40
        clock.now += timedelta(minutes=25)
        assert signed_in(c), clock.now - started
    clock.now = started + timedelta(hours=12)
    assert not signed_in(c)
    with Session(reader(rt.db)) as s:
        reasons = sorted(r.end_reason for r in s.exec(select(UserSession)).all())
    assert reasons == ["absolute", "idle"]


def test_tokens_expire_and_can_be_revoked(server: str, clock: Clock) -> None:
    api = api_client(server, "clerk")
    clock.now += timedelta(hours=11, minutes=59)
    assert api.get("/api/tasks").status_code == 200
    clock.now += timedelta(minutes=1)
    r = api.get("/api/tasks")
    assert r.status_code == 401 and "expired" in r.text

    api = api_client(server, "clerk")
    assert api.post("/api/token/revoke").status_code == 204
    r = api.get("/api/tasks")
    assert r.status_code == 401 and "revoked" in r.text
    api = api_client(server, "clerk")
    assert api.delete("/api/token").status_code == 204
    assert api.get("/api/tasks").status_code == 401


# -- throttling -------------------------------------------------------------------------


def test_a_stranger_cannot_lock_the_gm_out(server: str, rt: Runtime) -> None:
    office = from_source(server, "127.0.0.1")
    assert token_status(office, "gm") == 200  # the GM's office PC: a known source
    stranger = from_source(server, "127.0.0.2")
    for _ in range(5):
        assert token_status(stranger, "gm", "guess") == 401
    assert token_status(stranger, "gm", "guess") == 429  # that source, that account: stopped
    assert token_status(stranger, "gm") == 429  # even with the right password
    assert events(rt, "login_failed", "gm") == 5  # the 6th and 7th checked nothing
    assert token_status(from_source(server, "127.0.0.3"), "gm") == 200  # GM's phone, new
    assert token_status(stranger, "mc") == 200  # the stranger's other accounts are theirs

    # spread over many addresses: past 20 attempts from unknown sources only known ones try
    unknown_attempts = 9  # the office PC's and the phone's first logins, the stranger's 7
    for n in range(4, 40):
        status = token_status(from_source(server, f"127.0.0.{n}"), "gm", "guess")
        if status == 429:
            break
        assert status == 401
        unknown_attempts += 1
    assert unknown_attempts == rt.settings.login_max_account == 20
    assert token_status(from_source(server, "127.0.0.99"), "gm") == 429
    assert token_status(office, "gm") == 200  # the known office PC still gets in
    assert token_status(from_source(server, "127.0.0.3"), "gm") == 200  # and the phone
    assert web_login(from_source(server, "127.0.0.1"), "gm") == 303  # pages alike


def test_parallel_wrong_passwords_get_at_most_the_limit_of_checks(server: str, rt: Runtime) -> None:
    limit = rt.settings.login_max_account_source

    def attempt(_: int) -> int:
        with httpx.Client(base_url=server, timeout=60) as c:
            return token_status(c, "gm", "wrong")

    with ThreadPoolExecutor(40) as pool:
        statuses = list(pool.map(attempt, range(40)))
    assert statuses.count(401) == limit and statuses.count(429) == 40 - limit, statuses
    assert events(rt, "login_failed", "gm") == limit  # one event per password check


def test_unknown_usernames_are_aggregated_per_source_and_minute(
    server: str, rt: Runtime, clock: Clock
) -> None:
    c = httpx.Client(base_url=server, timeout=30)
    dummy_hash.cache_clear()  # the server runs in this process: its argon2 check is seen here
    for n in range(12):
        assert token_status(c, f"ghost{n}", "x") == 401
    used = dummy_hash.cache_info()
    assert used.hits + used.misses == 12  # an unknown name costs an argon2 check, as a known one
    assert web_login(c, "ghost-web", "x") == 401
    assert events(rt, UNKNOWN_ACTION) == 1
    with Session(reader(rt.db)) as s:
        (tally,) = s.exec(select(UnknownLoginCount)).all()
        assert tally.count == 13 and tally.source == "127.0.0.1" and tally.event_seq
    clock.now += timedelta(minutes=1)
    assert token_status(c, "ghost-next", "x") == 401
    assert events(rt, UNKNOWN_ACTION) == 2
    assert events(rt, "login_failed") == 0  # no event per attempt


# -- Origin, headers, cookies -----------------------------------------------------------


def test_page_posts_from_another_site_are_refused(server: str) -> None:
    c = login(server, "clerk")
    token = csrf_of(c.get("/").text)
    data = {"csrf_token": token, "lang": "en"}
    evil = {"Origin": "https://evil.example"}
    assert c.post("/lang", data=data, headers=evil).status_code == 403
    assert c.post("/lang", data=data, headers={"Origin": "null"}).status_code == 403
    ref = {"Referer": "https://evil.example/page"}
    assert c.post("/lang", data=data, headers=ref).status_code == 403
    assert c.post("/lang", data=data, headers={"Origin": server}).status_code == 303
    assert c.post("/lang", data=data, headers={"Referer": f"{server}/"}).status_code == 303
    assert c.post("/lang", data=data).status_code == 303  # neither: the CSRF token decides
    assert c.post("/lang", data={"lang": "en"}).status_code == 403  # … and must be there
    # another site's login form is refused too (login CSRF)
    fresh = httpx.Client(base_url=server)
    t = csrf_of(fresh.get("/login").text)
    login_data = {"csrf_token": t, "username": "clerk", "password": DEMO_PASSWORD}
    assert fresh.post("/login", data=login_data, headers=evil).status_code == 403


def test_no_store_on_pages_and_api_and_no_hsts_on_plain_loopback(server: str) -> None:
    page, api = login(server, "clerk"), api_client(server, "clerk")
    for r in (page.get("/"), page.get("/login"), api.get("/api/tasks")):
        assert r.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in r.headers
    assert "secure" not in httpx.get(f"{server}/login").headers["set-cookie"].lower()


@contextmanager
def serve(rt: Runtime, clock: Clock) -> Iterator[str]:
    with serve_app(create_app(rt, clock=clock)) as base:
        yield base


def test_https_base_url_sends_hsts_and_secure_cookies(rt: Runtime, clock: Clock) -> None:
    https = Runtime(
        rt.db, rt.calendar, rt.settings.model_copy(update={"base_url": "https://gd.example"})
    )
    with serve(https, clock) as base:
        r = httpx.get(f"{base}/login")
        assert r.headers["strict-transport-security"].startswith("max-age=31536000")
        assert re.search(r";\s*secure", r.headers["set-cookie"], re.I)
        assert r.headers["cache-control"] == "no-store"
    off = rt.settings.model_copy(update={"base_url": "https://gd.example", "hsts_seconds": 0})
    with serve(Runtime(rt.db, rt.calendar, off), clock) as base:
        assert "strict-transport-security" not in httpx.get(f"{base}/login").headers


def test_a_refused_logout_is_audited_under_the_session_s_person(server: str, rt: Runtime) -> None:
    c = login(server, "clerk")
    assert c.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert signed_in(c)  # nothing ended
    with Session(reader(rt.db)) as s:
        (event,) = s.exec(select(AuditEvent).where(AuditEvent.action == "refused")).all()
    assert event.actor_id == user_id(rt, "clerk") and event.detail["url"] == "/logout"
