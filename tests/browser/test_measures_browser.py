"""The measures page in real Chromium: the PMC manager follows the nav link, sees November's
approved on-time rate in the table and its bar in the chart, the QDPS grades, switches to
English, and downloads the Excel export; no CSP refusal (the page has no inline script)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from gendan.db import unit_of_work
from gendan.demo import DEMO_PASSWORD, Driver
from gendan.runtime import Runtime
from gendan.schedules import run_due
from tests.api.conftest import Clock
from tests.browser.conftest import log_in, new_page
from tests.engine.measures_data import at, build


def approved_month(rt: Runtime) -> None:
    build(rt)
    with unit_of_work(rt.db) as s:
        runs = run_due(s, at(12, 1, 8, 5), rt.calendar)
    ids = {r.schedule: r.instance_ids for r in runs}
    d = Driver(rt, at(12, 2, 10))
    [rate] = ids["purchase_on_time"]
    d.act(rate, "mc", "submit", {"analysis": "PO-T2/1 产能不足"})
    d.act(rate, "pmc", "approve")
    for iid in ids["qdps"]:
        d.act(iid, "qa_lead", "score_service", {"service": 13})
        d.act(iid, "buyer", "score_buyer", {"price": "reasonable", "cooperation": 4, "support": 5})


def test_measures_page_in_chromium(
    browser: Browser, server: str, rt: Runtime, clock: Clock, artifacts: Path
) -> None:
    approved_month(rt)
    clock.now = at(12, 3, 9)
    page = new_page(browser, viewport={"width": 1280, "height": 900}, accept_downloads=True)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, server, "pmc", DEMO_PASSWORD)
    page.locator("#nav-measures").click()
    expect(page).to_have_url(f"{server}/measures")
    row = page.locator("#on-time-table tr[data-period='2026-11'][data-subject='']")
    expect(row).to_contain_text("50.0%")
    expect(row).to_contain_text("已审批")
    expect(page.locator("#on-time-chart svg rect")).to_have_count(1)  # the company's rate
    buyer = page.locator("#on-time-table tr[data-period='2026-11'][data-subject='buyer']")
    expect(buyer).to_contain_text("66.7%")  # the buyer's KPI: 2 of PO-T1's 3 lines
    expect(page.locator("#qdps-table tbody tr")).to_have_count(2)
    expect(page.locator("#qdps-chart svg")).to_be_visible()
    page.screenshot(path=str(artifacts / "measures-zh.png"), full_page=True)
    page.locator("#lang-switch").click()
    expect(page.locator("h1")).to_contain_text("Measures")
    expect(row).to_contain_text("approved")
    page.screenshot(path=str(artifacts / "measures-en.png"), full_page=True)
    with page.expect_download() as got:
        page.locator("#export-xlsx").click()
    assert got.value.suggested_filename.endswith(".xlsx")
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
