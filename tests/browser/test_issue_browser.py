"""The warehouse's issue against the quota sheet in real Chromium on a phone (390x844, §5j):
the keeper types the 定额发料单's rows; a row above the open quota is refused at that row and
in the summary at the top (nothing issued); corrected, the issue moves the stock."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect
from sqlmodel import Session, select

from gendan.db import unit_of_work
from gendan.demo import DEMO_PASSWORD, Driver
from gendan.demo_issue import ensure_masters
from gendan.models import Stock
from gendan.runtime import Runtime
from tests.browser.conftest import log_in, new_page
from tests.browser.test_rows_browser import PHONE
from tests.conftest import MONDAY_10
from tests.engine.helpers import open_tasks
from tests.engine.test_material_issue import to_issuing

CELL = "#f-issue_slip-rows-{row}-{cell}"


def rm(rt: Runtime, code: str) -> float:
    with Session(rt.db) as s:
        q = select(Stock).where(Stock.item_code == code, Stock.warehouse == "RM")
        return s.exec(q).one().on_hand


def test_keeper_issues_on_a_phone_error_at_the_row(
    browser: Browser, server: str, rt: Runtime, artifacts: Path
) -> None:
    d = Driver(rt, MONDAY_10)
    with unit_of_work(rt.db) as s:
        ensure_masters(s, d.now)
    iid = to_issuing(d)
    [task] = [t for t in open_tasks(rt, iid) if t.role == "warehouse_keeper"]
    page = new_page(browser, **PHONE)
    log_in(page, server, "keeper", DEMO_PASSWORD)
    page.goto(f"{server}/tasks/{task.id}")
    page.locator("#claim").click()
    page.wait_for_load_state()
    page.locator(CELL.format(row=0, cell="item_code")).fill("CT-01")
    page.locator(CELL.format(row=0, cell="qty")).fill("10")
    page.locator(CELL.format(row=1, cell="item_code")).fill("BD-18")
    page.locator(CELL.format(row=1, cell="qty")).fill("200")  # the quota is 105
    page.locator("form#form-issue button[type=submit]").last.click()
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("超出定额")
    expect(summary.locator("a[href='#f-issue_slip-rows-1-qty']")).to_contain_text("第2行")
    bad = page.locator("form#form-issue fieldset.gd-row[data-row='1']")
    expect(bad.locator(".gd-error")).to_contain_text("超出定额")
    expect(page.locator(CELL.format(row=1, cell="qty"))).to_have_value("200")  # kept
    bad.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "issue-row-error-phone.png"), full_page=False)
    assert rm(rt, "CT-01") == 120 and rm(rt, "BD-18") == 400  # nothing issued
    page.locator(CELL.format(row=1, cell="qty")).fill("100")
    page.locator("form#form-issue button[type=submit]").last.click()
    page.wait_for_load_state()
    assert rm(rt, "CT-01") == 110 and rm(rt, "BD-18") == 300
