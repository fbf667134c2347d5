"""MC fills the 物料需求计划表 in real Chromium, on a desktop and on a phone (390×844): the rows
come prefilled from the order's BOM beside stock; an unknown item code is refused by the
master data and the error shows at its row (what was typed is kept); corrected, the plan goes
to the PMC manager with the system's columns filled in."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from gendan.db import unit_of_work
from gendan.demo import DEMO_PASSWORD, Driver
from gendan.demo_purchasing import ensure_master
from gendan.models import BomLine
from gendan.runtime import Runtime
from tests.browser.conftest import log_in, new_page
from tests.conftest import MONDAY_10
from tests.engine.helpers import instance, open_tasks
from tests.engine.plan_driver import released, state

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}  # fmt: skip
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_mc_fills_the_requirement_plan_and_a_bad_item_shows_at_its_row(
    browser: Browser, server: str, rt: Runtime, artifacts: Path, device: str
) -> None:
    d = Driver(rt, MONDAY_10)
    with unit_of_work(rt.db) as s:
        ensure_master(s, d.now)
        s.add(BomLine(parent_code="GGD-2200", component_code="RM-STEEL-1.5", qty_per=6,
                      unit="张", updated_at=d.now))  # fmt: skip
        s.add(BomLine(parent_code="GGD-2200", component_code="RM-BUSBAR-60", qty_per=12,
                      unit="kg", updated_at=d.now))  # fmt: skip
    released(d, "SO-BR1")
    iid = d.start("requirement_plan", "mc", {"order_no": "SO-BR1"})
    [task] = open_tasks(rt, iid)
    page = new_page(browser, **(PHONE if device == "phone" else DESKTOP))
    log_in(page, server, "mc", DEMO_PASSWORD)
    page.goto(f"{server}/tasks/{task.id}")
    page.locator("#claim").click()
    page.wait_for_load_state()
    form = page.locator("#form-plan")
    expect(form.locator("[name='rows.0.item']")).to_have_value("RM-STEEL-1.5")  # from the BOM
    expect(form.locator("[name='rows.1.item']")).to_have_value("RM-BUSBAR-60")
    form.locator("[name='rows.0.qty']").fill("60")
    form.locator("[name='rows.0.need_date']").fill("2026-12-18")
    form.locator("[name='rows.1.item']").fill("RM-NOPE")
    form.locator("[name='rows.1.qty']").fill("5")
    form.locator("[name='rows.1.need_date']").fill("2026-12-18")
    form.locator("button[type='submit']").click()
    page.wait_for_load_state()

    bad = page.locator("#form-plan fieldset.gd-row[data-row='1']")
    expect(bad).to_have_class("gd-row gd-has-error")
    expect(bad).to_contain_text("无此物料代码")
    expect(form.locator("[name='rows.0.qty']")).to_have_value("60")  # kept
    bad.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"requirement-row-error-{device}.png"), full_page=False)
    assert state(d, iid) == "planning"  # nothing written

    page.locator("#form-plan [name='rows.1.item']").fill("RM-BUSBAR-60")
    page.locator("#form-plan button[type='submit']").click()
    page.wait_for_load_state()
    assert state(d, iid) == "approval"
    rows = instance(rt, iid).data["forms"]["plan"]["rows"]
    assert [(r["item"], r["qty"], r["gross"]) for r in rows] == [
        ("RM-STEEL-1.5", 60, 72), ("RM-BUSBAR-60", 5, 144)]  # fmt: skip
