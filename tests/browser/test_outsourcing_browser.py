"""The warehouse keeper issues material to a subcontractor (材料出库单, §6) in real Chromium,
on a desktop and on a phone (390×844): more than the store holds is refused and the error
shows at that row (the row typed is kept, nothing moves); corrected, the material leaves the
store and the outsourcing waits for the subcontractor."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlmodel import Session, select

from gendan import demo_outsourcing as demo
from gendan.db import unit_of_work
from gendan.demo import DEMO_PASSWORD, Driver
from gendan.models import Stock
from gendan.runtime import Runtime
from tests.api.test_outsourcing_api import at_issue
from tests.browser.conftest import log_in, new_page
from tests.browser.test_plan_browser import DESKTOP, PHONE
from tests.conftest import MONDAY_10
from tests.engine.helpers import instance, open_tasks


def sheets(rt: Runtime) -> float:
    with Session(rt.db) as s:
        return s.exec(select(Stock.on_hand).where(Stock.item_code == demo.SHEET)).one()


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_keeper_issues_material_and_a_short_row_shows_its_error(
    browser: Browser, server: str, rt: Runtime, artifacts: Path, device: str
) -> None:
    d = Driver(rt, MONDAY_10)
    with unit_of_work(rt.db) as s:
        demo.seed_master(s, now=d.now, calendar=rt.calendar)
    iid = at_issue(d)
    [task] = open_tasks(rt, iid)
    page = new_page(browser, **(PHONE if device == "phone" else DESKTOP))
    log_in(page, server, "keeper", DEMO_PASSWORD)
    page.goto(f"{server}/tasks/{task.id}")
    page.locator("#claim").click()
    page.wait_for_load_state()
    form = page.locator("#form-issue_material")
    expect(form.locator("fieldset.gd-rows[data-rows='rows']")).to_be_visible()
    form.locator("[name='rows.0.item_code']").fill(demo.SHEET)
    form.locator("[name='rows.0.qty']").fill("500")
    form.locator("button[type='submit']").click()
    page.wait_for_load_state()

    bad = page.locator("#form-issue_material fieldset.gd-row[data-row='0']")
    expect(bad).to_have_class("gd-row gd-has-error")
    expect(bad).to_contain_text("库存不足")
    expect(page.locator("#form-issue_material [name='rows.0.item_code']")).to_have_value(
        demo.SHEET
    )
    bad.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"outsourcing-issue-error-{device}.png"))
    assert instance(rt, iid).state == "issuing" and sheets(rt) == 100  # nothing moved

    page.locator("#form-issue_material [name='rows.0.qty']").fill("20")
    page.locator("#form-issue_material button[type='submit']").click()
    page.wait_for_load_state()
    assert instance(rt, iid).state == "processing" and sheets(rt) == 80
