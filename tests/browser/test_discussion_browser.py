"""Comments and attachments in real Chromium: a scan uploaded on the task page comes back with
the same SHA-256; an @mention puts the instance in the colleague's "copied to me"."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from playwright.sync_api import Browser, expect
from sqlmodel import Session, select

from gendan.demo import DEMO_PASSWORD, Driver, order_form
from gendan.models import Task
from gendan.runtime import Runtime
from tests.browser.conftest import log_in, new_page
from tests.conftest import MONDAY_10

#: A small real PNG (1×1, red), as a phone photo of the customer's PO would start.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cf00000301010018dd8db00000000049454e44ae426082"
)
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def started(rt: Runtime, order_no: str) -> tuple[int, int]:
    iid = Driver(rt, MONDAY_10).start(
        "order_review", "clerk", order_form(order_no, "regular", now=MONDAY_10)
    )
    with Session(rt.db) as s:
        task = s.exec(select(Task).where(Task.instance_id == iid, Task.status == "open")).first()
        assert task is not None and task.id is not None
        return iid, task.id


def test_an_upload_on_the_task_page_downloads_with_the_same_checksum(
    browser: Browser, server: str, rt: Runtime, artifacts: Path
) -> None:
    iid, task_id = started(rt, "SO-DB1")
    page = new_page(browser)
    log_in(page, server, "clerk", DEMO_PASSWORD)
    page.goto(f"{server}/tasks/{task_id}")
    box = page.locator("section#discussion")
    expect(box).to_contain_text("暂无评论或附件")
    box.locator("input[type=file]").set_input_files(
        {"name": "客户PO照片.png", "mimeType": "image/png", "buffer": PNG}
    )
    box.get_by_label("说明（可选）").fill("客户传真件")
    box.get_by_role("button", name="上传").click()
    expect(page).to_have_url(f"{server}/tasks/{task_id}#discussion")
    link = page.locator("section#discussion a[download]", has_text="客户PO照片.png")
    expect(link).to_be_visible()
    expect(page.locator("section#discussion")).to_contain_text("客户传真件")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "客户PO照片.png"
    got = Path(download.path()).read_bytes()
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(PNG).hexdigest()
    assert link.get_attribute("data-sha256") == hashlib.sha256(PNG).hexdigest()
    page.screenshot(path=str(artifacts / "desktop-task-discussion-zh.png"), full_page=True)
    # the instance page shows the same file
    page.goto(f"{server}/instances/{iid}")
    expect(page.locator("section#discussion")).to_contain_text("客户PO照片.png")
    # the trail records it (the action's key, or its words once raw keys are labelled)
    expect(page.locator("body")).to_contain_text(re.compile("attachment_added|上传附件"))


def test_a_mention_copies_the_colleague_in(
    browser: Browser, server: str, rt: Runtime, artifacts: Path
) -> None:
    iid, _ = started(rt, "SO-DB2")
    clerk = new_page(browser)
    log_in(clerk, server, "clerk", DEMO_PASSWORD)
    clerk.goto(f"{server}/instances/{iid}")
    box = clerk.locator("section#discussion")
    box.get_by_label("评论（用 @用户名 抄送同事）").fill("图纸有改动，请 @engineer 确认")
    box.get_by_role("button", name="发表评论").click()
    expect(clerk).to_have_url(f"{server}/instances/{iid}#discussion")
    expect(box.locator("li.disc-comment")).to_contain_text("图纸有改动，请 @engineer 确认")
    expect(box).to_contain_text("已抄送: @engineer")
    # an unknown name is refused, naming it
    box.get_by_label("评论（用 @用户名 抄送同事）").fill("@zhangsan 看看")
    box.get_by_role("button", name="发表评论").click()
    summary = clerk.locator("#discussion-error")
    expect(summary).to_contain_text("@zhangsan")
    expect(summary).to_be_focused()
    expect(clerk.get_by_label("评论（用 @用户名 抄送同事）")).to_have_value("@zhangsan 看看")

    engineer = new_page(browser, **PHONE)
    log_in(engineer, server, "engineer", DEMO_PASSWORD)
    engineer.goto(f"{server}/inbox?tab=copied")
    row = engineer.locator(f"tr[data-instance='{iid}']")
    expect(row).to_be_visible()
    expect(row).to_contain_text("SO-DB2")
    engineer.screenshot(path=str(artifacts / "phone-copied-to-me-zh.png"), full_page=True)
    row.get_by_role("link").first.click()
    expect(engineer.locator("section#discussion")).to_contain_text("请 @engineer 确认")
    engineer.screenshot(path=str(artifacts / "phone-instance-discussion-zh.png"), full_page=True)
