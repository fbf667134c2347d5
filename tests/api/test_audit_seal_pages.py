"""The auditor's "verify now" (a POST that verifies and seals) and the last seal on the page."""

from __future__ import annotations

import html

import httpx
from sqlmodel import Session, func, select

from gendan import seal
from gendan.models import AuditHead, AuditSeal, ChainCheck
from gendan.runtime import Runtime
from tests.api.test_pages import csrf_of, login
from tests.engine.test_audit_seal import add_events


def counts(rt: Runtime) -> tuple[int, int]:
    with Session(rt.db) as s:
        checks = s.exec(select(func.count()).select_from(ChainCheck)).one()
        seals = s.exec(select(func.count()).select_from(AuditSeal)).one()
    return checks, seals


def post_verify(c: httpx.Client, back: str = "/audit") -> httpx.Response:
    token = csrf_of(c.get("/audit").text)
    return c.post("/audit/verify", data={"csrf_token": token, "back": back})


def test_verify_now_is_a_post_that_seals_and_the_page_shows_the_last_seal(
    server: str, rt: Runtime
) -> None:
    seal.init_key(seal.key_path(rt.settings))
    add_events(rt, 6)
    c = login(server, "auditor")
    page = c.get("/audit").text
    assert 'data-chain="unknown"' in page
    assert '<form method="post" action="/audit/verify"' in page

    r = post_verify(c, back="/audit/instances/1")
    assert r.status_code == 303 and r.headers["location"] == "/audit/instances/1"
    with Session(rt.db) as s:
        head = s.get(AuditHead, 1)
    assert head is not None
    assert counts(rt) == (1, 1)
    body = html.unescape(c.get("/audit").text)
    assert 'data-chain="ok"' in body
    assert f'data-sealed-seq="{head.seq}"' in body and 'data-anchor="match"' in body
    assert f"Last seal: #{head.seq}" in body or f"最近封存: #{head.seq}" in body

    add_events(rt, 2)
    post_verify(c)
    assert counts(rt) == (2, 2)


def test_get_verify_changes_nothing_and_the_post_needs_csrf_and_the_role(
    server: str, rt: Runtime
) -> None:
    seal.init_key(seal.key_path(rt.settings))
    add_events(rt, 3)
    c = login(server, "auditor")
    assert c.get("/audit/verify").status_code == 405
    assert c.get("/audit/verify?back=/audit").status_code == 405
    assert c.post("/audit/verify", data={"back": "/audit"}).status_code == 403  # no CSRF token
    clerk = login(server, "clerk")
    token = csrf_of(clerk.get("/").text)
    assert clerk.post("/audit/verify", data={"csrf_token": token}).status_code == 403
    assert counts(rt) == (0, 0)
    assert not seal.anchor_path(rt.settings).exists()


def test_an_anchor_that_lost_a_seal_shows_on_the_page(server: str, rt: Runtime) -> None:
    seal.init_key(seal.key_path(rt.settings))
    add_events(rt, 4)
    c = login(server, "auditor")
    post_verify(c)
    seal.anchor_path(rt.settings).write_text("")  # the anchor no longer holds the seal
    post_verify(c)
    body = html.unescape(c.get("/audit").text)
    assert 'data-chain="broken"' in body and 'data-anchor="mismatch"' in body
    with Session(rt.db) as s:
        [sealed] = s.exec(select(AuditSeal.seq)).all()  # the auditor's login is event 5
    assert f"Seals BROKEN: seal #{sealed} is in the database but not in the anchor" in body
    assert counts(rt) == (2, 1)  # a broken trail is never sealed again
