"""An order's page in real Chromium (issue 8, item 3): one timeline across the review and the
change, found from the order list (desktop) and from "copied to me" (phone); the auditor's
order trail with its readable, copyable hash column (item 9). Screenshots in tests/artifacts."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from gendan.demo import DEMO_PASSWORD, Driver
from gendan.runtime import Runtime
from tests.api.test_orders import reviewed_then_changed
from tests.browser.conftest import log_in, new_page
from tests.conftest import MONDAY_10

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}


def test_order_page_shows_the_whole_timeline_desktop_and_phone(
    browser: Browser, server: str, rt: Runtime, artifacts: Path
) -> None:
    review, change = reviewed_then_changed(Driver(rt, MONDAY_10), "SO-90")

    # desktop: the clerk finds the order in the list and opens it
    page = new_page(browser, viewport={"width": 1280, "height": 900})
    log_in(page, server, "clerk", DEMO_PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="订单").click()
    page.get_by_label("搜索").fill("SO-90")
    page.get_by_role("button", name="查找").click()
    row = page.locator("tr[data-order='SO-90']")
    expect(row).to_contain_text("已下达生产")
    expect(row).to_contain_text("生产部经理")  # the current step's queue
    row.get_by_role("link", name="SO-90").click()
    expect(page.locator("h1")).to_contain_text("SO-90")
    timeline = page.locator("#timeline tbody tr")
    expect(page.locator("#timeline tr[data-procedure='order_review']").first).to_be_visible()
    expect(page.locator("#timeline tr[data-procedure='order_change']").first).to_be_visible()
    assert timeline.count() > 20
    expect(page.locator("#timeline")).to_contain_text("影响交期")  # the change's decision
    expect(page.locator("#timeline")).to_contain_text("下达生产通知单")  # the review's
    expect(page.locator("#current")).to_contain_text("重新评审交货期")
    expect(page.locator("#documents")).to_contain_text("SC-SO-90-01")
    expect(page.locator("#deadlines [data-outcome='met']").first).to_be_visible()
    page.screenshot(path=str(artifacts / "order-page-desktop.png"), full_page=True)
    page.locator("#lang-switch").click()
    expect(page.locator("#timeline-h")).to_contain_text("Timeline")
    expect(page.locator("#timeline")).to_contain_text("Order change notice")
    expect(page.locator("#order-summary")).to_contain_text("released to production")

    # phone: the sales head was copied by the change and opens the order from that tab
    phone = new_page(browser, **PHONE)
    log_in(phone, server, "sales_head", DEMO_PASSWORD)
    tab = phone.locator("a[data-tab='copied']")
    expect(tab.locator(".tab-count")).to_have_text("1")
    tab.click()
    copied = phone.locator(f"tr[data-instance='{change}']")
    expect(copied).to_contain_text("通知领导")
    copied.get_by_role("link", name="SO-90").click()
    expect(phone.locator("h1")).to_contain_text("SO-90")
    expect(phone.locator("#timeline tr[data-procedure='order_review']").first).to_be_visible()
    expect(phone.locator("#timeline tr[data-procedure='order_change']").first).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the order page scrolls sideways on a phone ({width} px)"
    phone.screenshot(path=str(artifacts / "order-page-phone.png"), full_page=True)
    assert (artifacts / "order-page-desktop.png").stat().st_size > 10_000
    assert (artifacts / "order-page-phone.png").stat().st_size > 10_000
    assert review != change


def test_auditor_reads_the_order_trail_and_copies_a_hash(
    browser: Browser, server: str, rt: Runtime, artifacts: Path
) -> None:
    reviewed_then_changed(Driver(rt, MONDAY_10), "SO-91")
    page = new_page(browser, viewport={"width": 1280, "height": 900})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    log_in(page, server, "auditor", DEMO_PASSWORD)
    page.goto(f"{server}/audit")
    page.locator("input[name='order_no']").fill("SO-91")
    page.get_by_role("button", name="查询").click()
    page.locator("a[data-order-trail='SO-91']").first.click()
    expect(page.locator("h1")).to_contain_text("SO-91")
    expect(page.locator("tr[data-procedure='order_review']").first).to_be_visible()
    expect(page.locator("tr[data-procedure='order_change']").first).to_be_visible()
    cell = page.locator("td.hash").first
    full = cell.locator("code").get_attribute("title")
    assert full and len(full) == 64
    expect(cell.locator("code")).to_have_text(full[:10] + "…")
    box = cell.bounding_box()
    assert box and box["width"] >= 100, box  # readable, not two characters wide
    cell.get_by_role("button").click()
    expect(cell.get_by_role("button")).to_have_attribute("data-copied", "yes")
    assert page.evaluate("navigator.clipboard.readText()") == full
    page.screenshot(path=str(artifacts / "audit-order-trail.png"), full_page=False)
