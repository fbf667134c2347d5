"""The approver's path in real Chromium: log in, claim, field error, fix, sign, hand-over."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, expect

from flows.delivery import deliver_pending
from gendan.demo import DEMO_PASSWORD, Driver, order_form, step_forms
from gendan.escalation import escalate_due
from gendan.runtime import Runtime
from tests.api.conftest import Clock
from tests.browser.conftest import log_in, new_page
from tests.conftest import MONDAY_10
from tests.support.servers import SmtpSink


def test_claim_fix_a_field_error_and_hand_over(browser: Browser, server: str, rt: Runtime) -> None:
    Driver(rt, MONDAY_10).start(
        "order_review", "clerk", order_form("SO-70", "regular", now=MONDAY_10)
    )
    page = new_page(browser)
    log_in(page, server, "clerk", DEMO_PASSWORD)
    row = page.locator("tr[data-order='SO-70']")
    expect(row).to_be_visible()
    row.get_by_role("button", name="认领").click()
    page.locator("details#diagram summary").click()  # the state diagram is folded
    expect(page.locator("[data-state='requirements'][data-current='true']")).to_be_visible()
    form = page.locator("form[data-decision='confirm']")
    form.get_by_label(re.compile("数量")).fill("0")
    form.get_by_label(re.compile("客户联系人|确认人|联系")).fill("陈经理")
    form.get_by_role("button").click()
    error = page.locator("#f-requirements_confirmation-quantity-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("数量")
    form = page.locator("form[data-decision='confirm']")
    form.get_by_label(re.compile("数量")).fill("8")
    form.get_by_role("button").click()
    expect(page).to_have_url(f"{server}/")
    # The confirmation task left the inbox; the clerk now sits on the review board too.
    expect(page.locator("tr[data-order='SO-70']")).not_to_contain_text("确认订单要求")
    expect(page.locator("tr[data-order='SO-70']")).to_contain_text("订单评审（交期可行性）")
    mc = new_page(browser)
    log_in(mc, server, "mc", DEMO_PASSWORD)
    expect(mc.locator("tr[data-order='SO-70']")).to_be_visible()


def test_approval_is_an_electronic_signature(browser: Browser, server: str, rt: Runtime) -> None:
    d = Driver(rt, MONDAY_10)
    form = order_form("SO-71", "regular", now=MONDAY_10)
    f = step_forms(form, MONDAY_10)
    iid = d.start("order_review", "clerk", form)
    d.act(iid, "clerk", "confirm", f["confirm"])
    for who in ("clerk", "prod_mgr", "mc"):
        d.act(iid, who, "opinion", f["feasible"])
    d.act(iid, "clerk", "submit_quote", f["quote"])
    page = new_page(browser)
    log_in(page, server, "sales_head", DEMO_PASSWORD)
    page.locator("tr[data-order='SO-71']").get_by_role("button", name="认领").click()
    approve = page.locator("form[data-decision='approve_quote']")
    approve.get_by_label(re.compile("电子签名")).fill("not my password")
    approve.get_by_role("button").click()
    expect(page.locator("form[data-decision='approve_quote'] .gd-error")).to_contain_text("密码")
    approve = page.locator("form[data-decision='approve_quote']")
    approve.get_by_label(re.compile("电子签名")).fill(DEMO_PASSWORD)
    approve.get_by_role("button").click()
    expect(page).to_have_url(f"{server}/")
    expect(page.locator("tr[data-order='SO-71']")).to_have_count(0)
    page.goto(f"{server}/instances/{iid}")
    expect(page.locator("body")).to_contain_text("张敏")  # the signer's name on the record
    clerk = new_page(browser)
    log_in(clerk, server, "clerk", DEMO_PASSWORD)
    expect(clerk.locator("tr[data-order='SO-71']")).to_contain_text("订单购销单")


def test_escalation_link_opens_the_task_after_login(
    browser: Browser, server: str, rt: Runtime, smtp_sink: SmtpSink, clock: Clock
) -> None:
    rt.settings.smtp_url, rt.settings.base_url = smtp_sink.url, server
    Driver(rt, MONDAY_10).start(
        "order_review", "clerk", order_form("SO-72", "regular", now=MONDAY_10)
    )
    later = MONDAY_10.replace(day=24, hour=3)  # Tuesday 11:00 Shanghai: 1 working day is over
    escalate_due(rt, now=later)
    deliver_pending(rt, now=later)
    mail = next(m for m in smtp_sink.wait_for(1, timeout=10) if "L1" in m.subject)
    link = re.search(rf"{re.escape(server)}/tasks/\d+", mail.body).group(0)
    clock.now = later
    page = new_page(browser)
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("用户名 / Username").fill("sales_head")
    page.get_by_label("密码 / Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录 / Log in").click()
    expect(page).to_have_url(link)
    expect(page.locator("h1")).to_contain_text("与客户确认订单要求")
    expect(page.locator("body")).to_contain_text("SO-72")


def test_language_switch_and_phone_screenshot(
    browser: Browser, server: str, rt: Runtime, artifacts: Path
) -> None:
    Driver(rt, MONDAY_10).start(
        "order_review", "clerk", order_form("SO-73", "regular", now=MONDAY_10)
    )
    page = new_page(
        browser,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    log_in(page, server, "clerk", DEMO_PASSWORD)
    expect(page.locator("h1")).to_have_text("我的待办")
    page.screenshot(path=str(artifacts / "phone-inbox-zh.png"), full_page=True)
    page.locator("#lang-switch").click()
    expect(page.locator("h1")).to_have_text("My inbox")
    page.reload()
    expect(page.locator("h1")).to_have_text("My inbox")  # remembered for the user
    page.locator("tr[data-order='SO-73'] a").first.click()
    page.screenshot(path=str(artifacts / "phone-task-en.png"), full_page=True)
    assert (artifacts / "phone-inbox-zh.png").stat().st_size > 10_000
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the page scrolls sideways on a phone ({width}px)"
