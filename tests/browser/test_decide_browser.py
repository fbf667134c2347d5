"""See before you sign, in real Chromium on a desktop and a phone: the sales head reads the
quote's amount on the task and in the bulk list; the GM reads the reviewers' opinions and the
negotiation record before approving a decline; a validation error is summarized at the top,
takes focus and links to each field; the change classification is one form."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from gendan.demo import (
    DEMO_PASSWORD,
    Driver,
    change_request,
    order_form,
    review_to_release,
    step_forms,
)
from gendan.runtime import Runtime
from tests.browser.conftest import log_in, new_page
from tests.conftest import MONDAY_10
from tests.engine.helpers import order

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
#: 12 × 18,500.00 (the demo quote) with no surcharge.
TOTAL = "222,000.00 CNY"


def _quoted(d: Driver, order_no: str) -> int:
    """A regular order whose quote waits for the sales head's check."""
    form = order_form(order_no, "regular", now=MONDAY_10)
    f = step_forms(form, MONDAY_10)
    iid = d.start("order_review", "clerk", form)
    d.act(iid, "clerk", "confirm", f["confirm"])
    for who in ("clerk", "prod_mgr", "mc"):
        d.act(iid, who, "opinion", f["feasible"])
    d.act(iid, "clerk", "submit_quote", f["quote"])
    return iid


def _open_task(page: Page, base: str, order_no: str) -> None:
    page.goto(f"{base}/")
    page.locator(f"tr[data-order='{order_no}'] a").first.click()
    page.wait_for_load_state()


def _top(page: Page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not laid out"
    return box["y"]


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_sales_head_sees_the_quote_amount_before_signing(
    browser: Browser, server: str, rt: Runtime, artifacts: Path, device: str
) -> None:
    d = Driver(rt, MONDAY_10)
    _quoted(d, "SO-Q1")
    page = new_page(browser, **(PHONE if device == "phone" else DESKTOP))
    log_in(page, server, "sales_head", DEMO_PASSWORD)
    _open_task(page, server, "SO-Q1")
    quote = page.locator("#decided [data-shows='submit_quote']")
    expect(quote).to_contain_text("提交报价")
    expect(quote.locator("tr[data-field='total']")).to_contain_text(TOTAL)
    expect(quote.locator("tr[data-field='unit_price']")).to_contain_text("18500.00")
    # what is decided, then the decision, before the order facts; the diagram folded
    page.locator("#claim").click()
    approve = page.locator("form[data-decision='approve_quote']")
    expect(approve).to_be_visible()
    assert _top(page, "#decided") < _top(page, "#decisions") < _top(page, "#order-facts")
    expect(page.locator("details#diagram")).not_to_have_attribute("open", "")
    expect(page.locator("details#diagram svg")).not_to_be_visible()
    if device == "phone":
        button = approve.get_by_role("button")
        assert _top(page, "form[data-decision='approve_quote'] button") < 2200
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 391, f"the task page scrolls sideways on a phone ({width}px)"
        expect(button).to_be_visible()
    # the tick box sits beside its label, not above it
    tick = approve.locator("input[name='credit_terms']")
    label = approve.locator("label[for='f-quote_check-credit_terms']")
    tick_box, label_box = tick.bounding_box(), label.bounding_box()
    assert tick_box and label_box
    assert label_box["y"] <= tick_box["y"] <= label_box["y"] + label_box["height"]
    page.screenshot(path=str(artifacts / f"task-quote-check-{device}.png"), full_page=True)
    page.locator("details#diagram summary").click()
    expect(page.locator("details#diagram svg")).to_be_visible()
    approve.get_by_label(re.compile("电子签名")).fill(DEMO_PASSWORD)
    approve.get_by_role("button").click()
    expect(page).to_have_url(f"{server}/")


def test_sales_head_sees_amounts_in_the_bulk_list(
    browser: Browser, server: str, rt: Runtime, artifacts: Path
) -> None:
    d = Driver(rt, MONDAY_10)
    _quoted(d, "SO-Q2")
    _quoted(d, "SO-Q3")
    for device, context in (("desktop", DESKTOP), ("phone", PHONE)):
        page = new_page(browser, **context)
        log_in(page, server, "sales_head", DEMO_PASSWORD)
        page.locator("#bulk-link").click()
        table = page.locator("form[data-bulk='approve_quote']")
        for order_no in ("SO-Q2", "SO-Q3"):
            row = table.locator(f"tr[data-order='{order_no}']")
            expect(row.locator("[data-amount]")).to_contain_text(TOTAL)
            expect(row).to_contain_text("宁波华东机电有限公司")
            expect(row).to_contain_text("GGD-2200")
            expect(row).to_contain_text("12 台")
        page.screenshot(path=str(artifacts / f"bulk-list-{device}.png"), full_page=True)
    table.locator("tr[data-order='SO-Q2'] input[name='task_id']").check()
    table.locator("tr[data-order='SO-Q3'] input[name='task_id']").check()
    table.locator("input[name='password']").fill(DEMO_PASSWORD)
    table.get_by_role("button").click()
    expect(page.locator("h1")).to_contain_text("批量处理结果")
    expect(page.locator("tr[data-task]")).to_have_count(2)
    expect(page.locator("body")).not_to_contain_text("✘")


def _declined_by_the_board(d: Driver, order_no: str) -> dict[str, Any]:
    form = order_form(order_no, "regular", now=MONDAY_10)
    f = step_forms(form, MONDAY_10)
    iid = d.start("order_review", "clerk", form)
    d.act(iid, "clerk", "confirm", f["confirm"])
    d.act(iid, "clerk", "opinion", f["feasible"])
    d.act(iid, "prod_mgr", "opinion", {**f["infeasible"], "comments": "产能已满，最早两月后"})
    d.act(iid, "mc", "opinion", {**f["feasible"], "comments": "物料齐套"})
    d.act(
        iid,
        "clerk",
        "record_negotiation",
        {"customer_accepts": False, "contact_record": "陈经理不接受延期，坚持原交期"},
    )
    return {"iid": iid, "later": f["infeasible"]["earliest_delivery_date"]}


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_gm_reads_the_opinions_and_the_negotiation_before_declining(
    browser: Browser, server: str, rt: Runtime, artifacts: Path, device: str
) -> None:
    facts = _declined_by_the_board(Driver(rt, MONDAY_10), "SO-D1")
    page = new_page(browser, **(PHONE if device == "phone" else DESKTOP))
    log_in(page, server, "gm", DEMO_PASSWORD)
    _open_task(page, server, "SO-D1")
    expect(page.locator("h1")).to_contain_text("核准不接订单")
    opinions = page.locator("#decided [data-shows='infeasible'] table.gd-view-rows")
    expect(opinions.locator("thead")).to_contain_text("部门")
    expect(opinions.locator("tbody tr")).to_have_count(3)
    prod = opinions.locator("tbody tr", has_text="生产部")
    expect(prod).to_contain_text("孙伟")  # the reviewer
    expect(prod).to_contain_text("产能已满，最早两月后")
    expect(prod).to_contain_text(facts["later"])  # the earliest feasible date
    expect(prod).to_contain_text("2026-11-23 10:00")  # signed at, company time
    expect(opinions.locator("tbody tr", has_text="物控部")).to_contain_text("物料齐套")
    record = page.locator("#decided [data-shows='record_negotiation']")
    expect(record).to_contain_text("陈经理不接受延期，坚持原交期")
    expect(record).to_contain_text("王丽")
    page.locator("#claim").click()
    decide = page.locator("form[data-decision='approve_decline']")
    expect(decide).to_be_visible()
    assert _top(page, "#decided") < _top(page, "#decisions") < _top(page, "#order-facts")
    page.screenshot(path=str(artifacts / f"task-decline-{device}.png"), full_page=True)
    decide.get_by_label(re.compile("理由")).fill("客户不接受延期，产能不足 / no capacity")
    decide.get_by_label(re.compile("电子签名")).fill(DEMO_PASSWORD)
    decide.get_by_role("button").click()
    expect(page).to_have_url(f"{server}/")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_errors_are_summarized_at_the_top_with_focus(
    browser: Browser, server: str, rt: Runtime, artifacts: Path, lang: str
) -> None:
    d = Driver(rt, MONDAY_10)
    d.start("order_review", "clerk", order_form("SO-E1", "regular", now=MONDAY_10))
    page = new_page(browser, **PHONE)
    log_in(page, server, "clerk", DEMO_PASSWORD)
    if lang == "en":
        page.locator("#lang-switch").click()
    _open_task(page, server, "SO-E1")
    page.locator("#claim").click()
    form = page.locator("form[data-decision='confirm']")
    form.locator("#f-requirements_confirmation-quantity").fill("0")
    form.locator("#f-requirements_confirmation-confirmed_with").fill("")
    form.get_by_role("button").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("请更正" if lang == "zh" else "Please correct")
    focused = page.evaluate("document.activeElement && document.activeElement.id")
    assert focused == "error-summary", f"focus is on {focused!r}, not the error summary"
    links = summary.locator("a")
    hrefs = {links.nth(i).get_attribute("href") for i in range(links.count())}
    assert {
        "#f-requirements_confirmation-quantity",
        "#f-requirements_confirmation-confirmed_with",
    } <= hrefs
    for href in hrefs:
        expect(page.locator(href)).to_have_count(1)  # every link reaches its field
    assert _top(page, "#error-summary") < _top(page, "#f-requirements_confirmation-quantity")
    summary.locator("a[href='#f-requirements_confirmation-quantity']").click()
    expect(page).to_have_url(re.compile("#f-requirements_confirmation-quantity$"))
    page.screenshot(path=str(artifacts / f"task-error-summary-phone-{lang}.png"), full_page=True)


def test_change_classification_is_one_form_with_a_category(
    browser: Browser, server: str, rt: Runtime, artifacts: Path
) -> None:
    d = Driver(rt, MONDAY_10)
    form = order_form("SO-C1", "regular", now=MONDAY_10)
    review_to_release(d, d.start("order_review", "clerk", form), form)
    d.start("order_change", "clerk", change_request("SO-C1", MONDAY_10, "改为 380V"))
    page = new_page(browser, **PHONE)
    log_in(page, server, "clerk", DEMO_PASSWORD)
    _open_task(page, server, "SO-C1")
    expect(page.locator("#decided [data-shows='start']")).to_contain_text("改为 380V")
    page.locator("#claim").click()
    expect(page.locator("fieldset.gd-form-change_notice")).to_have_count(1)
    expect(page.locator("select[name='category']")).to_have_count(0)  # chosen with the decision
    choice = page.locator("fieldset.decision-choice input[type='radio']")
    expect(choice).to_have_count(4)
    form = page.locator("form#form-classify_minor")
    box = form.bounding_box()
    assert box and box["height"] < 1600, f"the classification form is {box}px tall on a phone"
    form.get_by_role("button").click()  # no category chosen
    expect(page.locator("#error-summary")).to_contain_text("决定")
    later = (MONDAY_10 + timedelta(days=40)).date().isoformat()
    page.locator("#choice-classify_delivery").check()
    page.locator("#f-change_notice-new_delivery_date").fill(later)
    page.screenshot(path=str(artifacts / "task-change-classify-phone.png"), full_page=True)
    page.locator("form#form-classify_minor").get_by_role("button").click()
    expect(page).to_have_url(f"{server}/")


def test_intake_errors_are_summarized_and_times_typed_in_company_time(
    browser: Browser, server: str, rt: Runtime
) -> None:
    page = new_page(browser, **PHONE)
    log_in(page, server, "clerk", DEMO_PASSWORD)
    page.goto(f"{server}/start/order_review")
    field = "#f-order_intake-{}".format
    page.locator(field("order_no")).fill("SO-I1")
    page.locator(field("customer")).fill("宁波华东机电有限公司")
    page.locator(field("received_at")).fill("2026-11-23T09:40")  # company time, 20 min ago
    page.locator(field("product")).fill("配电柜")
    page.locator(field("model_spec")).fill("GGD-2200")
    page.locator(field("quantity")).fill("0")
    page.locator(field("delivery_date")).fill("2027-01-15")
    page.get_by_role("button", name="提交").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("数量")
    focused = page.evaluate("document.activeElement && document.activeElement.id")
    assert focused == "error-summary", f"focus is on {focused!r}, not the error summary"
    expect(summary.locator("a[href='#f-order_intake-quantity']")).to_have_count(1)
    expect(summary).not_to_contain_text("接单时间")  # 09:40 Shanghai is not in the future
    page.locator(field("quantity")).fill("12")
    page.get_by_role("button", name="提交").click()
    expect(page).to_have_url(re.compile(r"/instances/\d+$"))
    assert order(rt, "SO-I1").received_at == MONDAY_10 - timedelta(minutes=20)
