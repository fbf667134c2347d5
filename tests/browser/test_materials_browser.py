"""/admin/materials in Chromium: the administrator checks an XLSX with three bad rows (all
three listed, nothing written), imports the clean items file, enters the stock of an item
under its safety stock and sees its 物料跟催单 linked; MC opens the slip's task from there."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser

from gendan.demo import DEMO_PASSWORD
from tests.browser.conftest import log_in, new_page
from tests.engine.test_materials_import import EXAMPLES, three_bad_rows


def test_materials_page_import_and_stock(
    browser: Browser, server: str, artifacts: Path, tmp_path: Path
) -> None:
    page = new_page(browser)
    log_in(page, server, "admin", DEMO_PASSWORD)
    page.goto(f"{server}/admin/materials")
    bad = tmp_path / "items.xlsx"
    bad.write_bytes(three_bad_rows())
    form = page.locator("form[action='/admin/materials-import']")
    form.get_by_label("数据类型").select_option("items")
    form.get_by_label("文件（CSV 或 XLSX）").set_input_files(str(bad))
    form.get_by_role("button", name="上传").click()
    page.wait_for_load_state()
    rows = page.locator("tr[data-row]")
    assert [rows.nth(i).get_attribute("data-row") for i in range(rows.count())] == ["2", "4", "6"]
    page.screenshot(path=str(artifacts / "materials-import-errors.png"), full_page=True)

    form = page.locator("form[action='/admin/materials-import']")
    form.get_by_label("数据类型").select_option("items")
    form.get_by_label("文件（CSV 或 XLSX）").set_input_files(str(EXAMPLES / "items.xlsx"))
    form.get_by_label("仅检查（试运行，不写入）").uncheck()
    form.get_by_role("button", name="上传").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").first.inner_text().startswith("已保存物料主数据")
    assert page.locator("section[data-kind='items'] td", has_text="BUS-TMY60").count() == 1

    stock = page.locator("section[data-kind='stock']")
    stock.locator("summary").click()
    entry = stock.locator("form")
    entry.get_by_label("物料编码").fill("BUS-TMY60")
    entry.get_by_label("库存数量").fill("100")
    entry.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    row = page.locator("tr[data-stock='BUS-TMY60']")
    assert "已到安全存量" in row.inner_text()
    link = row.get_by_role("link", name="物料跟催单 #")
    slip_url = link.get_attribute("href")
    page.screenshot(path=str(artifacts / "materials-stock-chase-slip.png"), full_page=True)

    mc = new_page(browser)
    log_in(mc, server, "mc", DEMO_PASSWORD)
    mc.goto(f"{server}{slip_url}")
    assert "物料跟催单" in mc.content() and "BUS-TMY60" in mc.content()
