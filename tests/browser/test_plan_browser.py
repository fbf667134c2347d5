"""The production manager fills a production plan with rows in real Chromium, on a desktop
and on a phone (390×844): a row whose finish lies before its start is refused and the error
shows at that row (the rows typed are kept); corrected, the plan goes to the countersign."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from gendan.demo import DEMO_PASSWORD, Driver
from gendan.runtime import Runtime
from tests.browser.conftest import log_in, new_page
from tests.conftest import MONDAY_10
from tests.engine.helpers import open_tasks
from tests.engine.plan_driver import plan_instance, released, state

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
ROWS = [
    ("purchase", "purchasing", "2026-11-25", "2026-11-30", "林峰"),
    ("assembly", "workshop", "2026-12-01", "2026-11-20", "周勇"),  # finish before start
    ("packing", "workshop", "2026-12-15", "2026-12-15", "孔亮"),
]


def fill_row(page: Page, n: int, row: tuple[str, str, str, str, str]) -> None:
    line, dep, start, finish, signer = row
    form = page.locator("#form-plan")
    form.locator(f"[name='rows.{n}.line']").select_option(line)
    form.locator(f"[name='rows.{n}.department']").select_option(dep)
    form.locator(f"[name='rows.{n}.start']").fill(start)
    form.locator(f"[name='rows.{n}.finish']").fill(finish)
    form.locator(f"[name='rows.{n}.signer']").fill(signer)


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_production_manager_fills_a_plan_and_a_row_error_shows_at_its_row(
    browser: Browser, server: str, rt: Runtime, artifacts: Path, device: str
) -> None:
    d = Driver(rt, MONDAY_10)
    released(d, "SO-B1")
    iid = plan_instance(d, "SO-B1")
    [task] = open_tasks(rt, iid)
    page = new_page(browser, **(PHONE if device == "phone" else DESKTOP))
    log_in(page, server, "prod_mgr", DEMO_PASSWORD)
    page.goto(f"{server}/tasks/{task.id}")
    page.locator("#claim").click()
    page.wait_for_load_state()
    form = page.locator("#form-plan")
    expect(form.locator("fieldset.gd-rows[data-rows='rows']")).to_be_visible()
    for n, row in enumerate(ROWS):
        if form.locator(f"[name='rows.{n}.line']").count() == 0:
            form.locator("[data-rows-add]").click()  # the page offers one more row
        fill_row(page, n, row)
    form.locator("[name='planned_start']").fill("2026-12-01")
    form.locator("[name='packing_date']").fill("2026-12-15")
    form.locator("[name='dispatch_date']").fill("2026-12-17")
    form.locator("[name='parts_stock_checked']").check()
    form.locator("button[type='submit']").click()
    page.wait_for_load_state()

    bad = page.locator("#form-plan fieldset.gd-row[data-row='1']")
    expect(bad).to_have_class("gd-row gd-has-error")
    expect(bad).to_contain_text("不得早于开始日期")
    expect(page.locator("#form-plan fieldset.gd-row[data-row='0']")).not_to_have_class(
        "gd-row gd-has-error"
    )
    expect(page.locator("#form-plan [name='rows.2.signer']")).to_have_value("孔亮")  # kept
    bad.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"plan-row-error-{device}.png"), full_page=False)
    assert state(d, iid) == "planning"  # nothing written

    page.locator("#form-plan [name='rows.1.finish']").fill("2026-12-14")
    page.locator("#form-plan button[type='submit']").click()
    page.wait_for_load_state()
    assert state(d, iid) == "signing"
