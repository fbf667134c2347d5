"""§7 in real Chromium on a phone (390x844): the counter opens round 1 of a stock count, the
盘点清单 rows come prefilled with the generated list (item, location, round); a mistyped item
(not on the round's list) is shown at its row and nothing is written; corrected, the round
goes to finance."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect
from sqlmodel import Session, select

from gendan.demo import DEMO_PASSWORD, Driver
from gendan.models import Task
from gendan.runtime import Runtime
from tests.api.conftest import Clock
from tests.browser.conftest import log_in, new_page
from tests.engine.count_driver import (
    count_lines,
    items_in_stock,
    local,
    start_count,
    sweep,
    to_counting,
)
from tests.engine.plan_driver import state

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
CELL = "#f-count_list-rows-{row}-{cell}"


def test_counter_fills_the_prefilled_list_on_a_phone_and_sees_a_row_error_at_its_row(
    browser: Browser, server: str, rt: Runtime, clock: Clock, artifacts: Path
) -> None:
    d = Driver(rt, local(2026, 11, 23, 10))
    items_in_stock(d, d.now)
    iid = start_count(d)
    to_counting(d, iid)
    sweep(d, local(2026, 11, 27, 9))
    clock.now = d.now
    with Session(rt.db) as s:
        task = s.exec(select(Task).where(Task.instance_id == iid, Task.status == "open")).one()
    page = new_page(browser, **PHONE)
    log_in(page, server, "wh_staff", DEMO_PASSWORD)
    page.goto(f"{server}/tasks/{task.id}")
    page.locator("#claim").click()
    page.wait_for_load_state()
    for row, code in enumerate(("RM-BOLT", "RM-PAINT", "RM-STEEL")):  # the generated list
        expect(page.locator(CELL.format(row=row, cell="item_code"))).to_have_value(code)
        expect(page.locator(CELL.format(row=row, cell="location"))).to_have_value("RM")
    for row, qty in ((0, "500"), (1, "40"), (2, "100")):  # the round: the list's by default
        page.locator(CELL.format(row=row, cell="counted")).fill(qty)
        page.locator(CELL.format(row=row, cell="counter")).fill("wh_staff")
    page.locator(CELL.format(row=2, cell="item_code")).fill("RM-STEAL")  # a typo
    page.locator("form#form-count_round button[type=submit]").last.click()
    page.wait_for_load_state()

    bad = page.locator("fieldset.gd-row[data-row='2']")
    expect(bad).to_have_class("gd-row gd-has-error")
    expect(page.locator("#error-summary")).to_be_visible()
    box = bad.bounding_box()
    assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= 390
    bad.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "count-round-error-phone.png"), full_page=False)
    assert state(d, iid) == "counting"
    assert all(ln.counted_qty is None for ln in count_lines(d, iid))  # nothing written

    expect(bad.locator(".gd-error")).to_contain_text("不在本轮盘点清单中")
    page.locator(CELL.format(row=2, cell="item_code")).fill("RM-STEEL")
    page.locator("form#form-count_round button[type=submit]").last.click()
    page.wait_for_load_state()
    assert state(d, iid) == "supervising"
    assert [ln.counted_qty for ln in count_lines(d, iid)] == [500, 40, 100]
