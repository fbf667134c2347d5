"""The escalated head in real Chromium (desktop and phone): finds the task under "escalated to
me" and reassigns it; the inbox badge refreshes without a reload."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlmodel import Session, select

from gendan.demo import DEMO_PASSWORD, Driver, order_form
from gendan.escalation import escalate_due
from gendan.models import Task, User
from gendan.runtime import Runtime
from tests.api.conftest import Clock
from tests.api.test_inbox_actions import second_clerk
from tests.browser.conftest import log_in, new_page
from tests.engine.test_escalation import MONDAY_9, at_production_notice
from tests.engine.test_escalation_actions import DEADLINE

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_escalated_head_finds_the_task_and_reassigns_it(
    browser: Browser, server: str, rt: Runtime, clock: Clock, artifacts: Path, device: str
) -> None:
    second_clerk(rt)  # the salesperson holds the clerk's role too: someone to reassign to
    task = at_production_notice(rt, MONDAY_9)
    escalate_due(rt, now=DEADLINE)
    clock.now = DEADLINE + timedelta(hours=1, minutes=15)  # 15:15 Shanghai: 1 h 15 min late
    page = new_page(browser, viewport=VIEWPORTS[device])
    log_in(page, server, "sales_head", DEMO_PASSWORD)
    page.locator("#nav-escalations").click()
    expect(page).to_have_url(f"{server}/escalations")
    card = page.locator(f"#escalated article[data-task='{task.id}']")
    expect(card).to_be_visible()
    expect(card).to_contain_text("SO-30")
    expect(card).to_contain_text("L1")
    expect(card.locator(".holder")).to_contain_text("待认领")  # the clerks' queue holds it
    expect(card).to_contain_text("超时 1 工作小时 15 分")  # lateness in working time
    page.screenshot(path=str(artifacts / f"{device}-escalations-zh.png"), full_page=True)
    card.get_by_label("改派给").select_option(label="李强 (业务员)")
    card.get_by_role("button", name="改派").click()
    expect(page).to_have_url(f"{server}/escalations?done=reassigned")
    expect(page.get_by_role("status")).to_contain_text("已改派")
    card = page.locator(f"#escalated article[data-task='{task.id}']")
    expect(card.locator(".holder")).to_contain_text("李强")
    with Session(rt.db) as s:
        sales = s.exec(select(User.id).where(User.username == "sales")).one()
        assert s.get(Task, task.id).assignee_id == sales  # type: ignore[union-attr]
    page.locator("#lang-switch").click()
    expect(page.locator("h1")).to_contain_text("Escalations")
    page.screenshot(path=str(artifacts / f"{device}-escalations-en.png"), full_page=True)


def test_the_badge_counts_new_tasks_without_a_reload(
    browser: Browser, server: str, rt: Runtime, clock: Clock
) -> None:
    clock.now = MONDAY_9
    d = Driver(rt, MONDAY_9)
    d.start("order_review", "clerk", order_form("SO-B1", "regular", now=MONDAY_9))
    page = new_page(browser)
    page.clock.install()
    log_in(page, server, "clerk", DEMO_PASSWORD)
    badge = page.locator("#todo-badge")
    expect(badge).to_have_text("1")
    d.start("order_review", "clerk", order_form("SO-B2", "regular", now=MONDAY_9))
    page.clock.fast_forward("01:05")  # the page polls every minute
    expect(badge).to_have_text("2")
