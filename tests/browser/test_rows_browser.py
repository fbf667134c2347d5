"""Repeating rows in real Chromium, on the production manager's 生产计划表 (§3's plan task):
on a desktop and a phone (390x844) the rows are filled, a row is added and one removed with
the buttons (/static/rows.js), a bad row's error shows at that row and in the summary at the
top, and once corrected the plan is submitted with its rows in order. Without JavaScript the
page offers empty rows and they are enough."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from gendan.demo import DEMO_PASSWORD, Driver
from gendan.models import Instance, Task
from gendan.runtime import Runtime
from tests.browser.conftest import log_in, new_page
from tests.conftest import MONDAY_10
from tests.engine.plan_driver import plan_instance, released

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
CELL = "#f-production_plan-rows-{row}-{cell}"


def planning_task(rt: Runtime, order_no: str) -> tuple[int, int]:
    d = Driver(rt, MONDAY_10)
    released(d, order_no)
    iid = plan_instance(d, order_no)
    with Session(rt.db) as s:
        task = s.exec(
            select(Task).where(
                Task.instance_id == iid, Task.status == "open", Task.role == "production_manager"
            )
        ).one()
        assert task.id is not None
        return iid, task.id


def fill_row(page: Page, row: int, line: str, dep: str, start: str, finish: str, who: str) -> None:
    page.locator(CELL.format(row=row, cell="line")).select_option(line)
    page.locator(CELL.format(row=row, cell="department")).select_option(dep)
    page.locator(CELL.format(row=row, cell="start")).fill(start)
    page.locator(CELL.format(row=row, cell="finish")).fill(finish)
    page.locator(CELL.format(row=row, cell="signer")).fill(who)


def fill_dates(page: Page) -> None:
    page.locator("#f-production_plan-planned_start").fill("2026-12-01")
    page.locator("#f-production_plan-packing_date").fill("2026-12-08")
    page.locator("#f-production_plan-dispatch_date").fill("2026-12-09")
    page.locator("#f-production_plan-parts_stock_checked").check()


def rows_of(page: Page) -> int:
    return page.locator("fieldset.gd-rows[data-rows='rows'] > fieldset.gd-row").count()


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_production_manager_fills_the_plan_rows_and_sees_a_row_error_at_its_row(
    browser: Browser, server: str, rt: Runtime, artifacts: Path, device: str
) -> None:
    iid, task_id = planning_task(rt, f"SO-RB-{device}")
    page = new_page(browser, **(PHONE if device == "phone" else DESKTOP))
    log_in(page, server, "prod_mgr", DEMO_PASSWORD)
    page.goto(f"{server}/tasks/{task_id}")
    page.locator("#claim").click()
    page.wait_for_load_state()
    form = page.locator("form#form-plan")
    add = form.locator("[data-rows-add]")
    expect(add).to_be_visible()  # the script runs: the buttons show
    assert rows_of(page) == 3
    add.click()
    assert rows_of(page) == 4
    expect(page.locator(CELL.format(row=3, cell="line"))).to_be_focused()
    fill_row(page, 0, "purchase", "purchasing", "2026-11-24", "2026-11-30", "林峰")
    fill_row(page, 1, "assembly", "workshop", "2026-12-01", "2026-11-28", "周勇")  # finish < start
    fill_row(page, 2, "packing", "workshop", "2026-12-08", "2026-12-08", "孔亮")
    form.locator("fieldset.gd-row[data-row='3'] [data-rows-remove]").click()  # the spare one
    assert rows_of(page) == 3
    fill_dates(page)
    form.locator("button[type=submit]").last.click()
    page.wait_for_load_state()

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    link = summary.locator("a[href='#f-production_plan-rows-1-finish']")
    expect(link).to_contain_text("第2行")
    bad = page.locator("fieldset.gd-row[data-row='1']")
    expect(bad).to_have_class("gd-row gd-has-error")
    expect(bad.locator(".gd-error")).to_contain_text("不得早于开始日期")
    cell = page.locator(CELL.format(row=1, cell="finish"))
    expect(cell).to_have_attribute("aria-invalid", "true")
    expect(cell).to_have_value("2026-11-28")  # what was typed is kept
    expect(page.locator("fieldset.gd-row[data-row='0']")).to_have_class("gd-row")  # no error
    box = bad.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= (
        390 if device == "phone" else 1280
    )  # the row fits the screen
    link.click()
    expect(cell).to_be_focused()
    bad.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"plan-rows-error-{device}.png"), full_page=False)
    with Session(rt.db) as s:  # nothing written
        inst = s.get(Instance, iid)
        assert inst is not None and inst.state == "planning"
        assert "plan" not in inst.data.get("forms", {})

    cell.fill("2026-12-07")
    page.locator("form#form-plan button[type=submit]").last.click()
    page.wait_for_load_state()
    with Session(rt.db) as s:
        inst = s.get(Instance, iid)
        assert inst is not None and inst.state != "planning"
        rows = inst.data["forms"]["plan"]["rows"]
    assert [(r["line"], r["finish"]) for r in rows] == [
        ("purchase", "2026-11-30"),
        ("assembly", "2026-12-07"),
        ("packing", "2026-12-08"),
    ]


def test_without_javascript_the_offered_empty_rows_are_enough(
    browser: Browser, server: str, rt: Runtime
) -> None:
    iid, task_id = planning_task(rt, "SO-RB-nojs")
    page = new_page(browser, java_script_enabled=False, **DESKTOP)
    log_in(page, server, "prod_mgr", DEMO_PASSWORD)
    page.goto(f"{server}/tasks/{task_id}")
    page.locator("#claim").click()
    page.wait_for_load_state()
    expect(page.locator("form#form-plan [data-rows-add]")).to_be_hidden()
    assert rows_of(page) == 3
    fill_row(page, 0, "assembly", "workshop", "2026-12-01", "2026-12-07", "周勇")
    fill_row(page, 2, "packing", "workshop", "2026-12-08", "2026-12-08", "孔亮")  # row 2 empty
    fill_dates(page)
    page.locator("form#form-plan button[type=submit]").last.click()
    page.wait_for_load_state()
    with Session(rt.db) as s:
        inst = s.get(Instance, iid)
        assert inst is not None and inst.state != "planning"
        assert [r["line"] for r in inst.data["forms"]["plan"]["rows"]] == ["assembly", "packing"]
