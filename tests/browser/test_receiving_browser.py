"""Registering a delivery in real Chromium (§5h, /receipts/new): MC types the 送货单 with its
rows; a row above the PO line's open quantity is refused at that row (and nothing received);
corrected, the delivery is registered and the instance page shows the three-way match."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from gendan.demo import DEMO_PASSWORD
from gendan.runtime import Runtime
from tests.browser.conftest import log_in, new_page
from tests.conftest import MONDAY_10
from tests.engine.receiving_driver import STEEL, po_line, seed_po

CELL = "#f-receipt_registration-rows-0-{cell}"


def test_register_a_delivery_error_at_the_row(
    browser: Browser, server: str, rt: Runtime, artifacts: Path
) -> None:
    seed_po(rt, MONDAY_10)
    page = new_page(browser, viewport={"width": 1280, "height": 900})
    log_in(page, server, "mc", DEMO_PASSWORD)
    page.goto(f"{server}/receipts/new")
    page.locator("#f-delivery_arrival-supplier").fill("宁波钢材贸易")
    page.locator("#f-delivery_arrival-received_at").fill("2026-11-23T09:50")
    page.locator("#f-receipt_registration-po_no").fill("PO-T1")
    page.locator("#f-receipt_registration-delivery_note_no").fill("DN-B1")
    for cell, value in (("line_no", "1"), ("item_code", STEEL), ("note_qty", "120"),
                        ("qty", "120"), ("weight", "3000")):  # fmt: skip
        page.locator(CELL.format(cell=cell)).fill(value)
    page.get_by_role("button", name="登记并核对").click()
    page.wait_for_load_state()
    row = page.locator(CELL.format(cell="qty")).locator("xpath=ancestor::fieldset[1]")
    expect(row).to_contain_text("超出采购单未交数量")  # at the row
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("超出采购单未交数量")
    expect(summary.locator("a")).to_have_attribute("href", "#f-receipt_registration-rows-0-qty")
    expect(page.locator("fieldset", has_text="送货到货登记")).not_to_contain_text("超出")
    page.screenshot(path=str(artifacts / "receipt-row-error.png"), full_page=True)
    assert po_line(rt, 1).received == 0
    page.locator(CELL.format(cell="note_qty")).fill("100")
    page.locator(CELL.format(cell="qty")).fill("100")
    page.locator(CELL.format(cell="weight")).fill("2500")
    page.get_by_role("button", name="登记并核对").click()
    page.wait_for_url("**/instances/*")
    expect(page.locator("main")).to_contain_text("三方核对")
    assert po_line(rt, 1).received == 100
