"""The ISO auditor in real Chromium: find an order's trail, verify the chain, export it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
from playwright.sync_api import Browser, expect

from gendan.demo import DEMO_PASSWORD, Driver, order_form, review_to_release
from gendan.runtime import Runtime
from tests.browser.conftest import log_in, new_page
from tests.conftest import MONDAY_10


def test_auditor_finds_a_trail_and_exports_it(
    browser: Browser, server: str, rt: Runtime, tmp_path: Path
) -> None:
    d = Driver(rt, MONDAY_10)
    form = order_form("SO-80", "regular", now=MONDAY_10)
    review_to_release(d, d.start("order_review", "clerk", form), form)
    page = new_page(browser, accept_downloads=True)
    log_in(page, server, "auditor", DEMO_PASSWORD)
    page.goto(f"{server}/audit")
    page.locator("#verify-now").click()
    expect(page.locator("[data-chain='ok']")).to_be_visible()
    page.locator("input[name='order_no']").fill("SO-80")
    page.get_by_role("button", name="查询").click()
    # The order has two runs now (its confirmed notice started the production plan): the
    # review's is the one with the notice.
    page.locator("tr", has_text="订单评审").locator("a", has_text="SO-80").first.click()
    expect(page.locator("body")).to_contain_text("SC-SO-80-01")  # the production notice
    with page.expect_download() as dl:
        page.get_by_role("link", name="CSV").click()
    csv_path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(csv_path)
    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    assert "SO-80" in csv_path.name and len(rows) > 10
    assert any("issue_notice" in " ".join(r) for r in rows)
    with page.expect_download() as dl:
        page.get_by_role("link", name="XLSX").click()
    xlsx_path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(xlsx_path)
    sheet = openpyxl.load_workbook(xlsx_path).active
    assert sheet.max_row == len(rows)
