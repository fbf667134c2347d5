"""Texts about tasks: lateness in working time, digests, new task, urge, and the order facts
every other message carries; a reminder past its deadline has nothing left to say."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flows.delivery import inform_message
from notifications.messages import (
    ack_missed_message,
    lateness,
    waiting_reminder_message,
)
from notifications.task_messages import facts_for, is_stale, render_task_message

SHANGHAI = ZoneInfo("Asia/Shanghai")
BASE = "https://gendan.factory.example"
ITEM = {
    "level": 1,
    "task_id": 7,
    "instance_id": 3,
    "order_no": "SO-9",
    "customer": "宁波华东机电",
    "product": "配电柜 GGD",
    "delivery_date": "2026-12-30",
    "task_title_zh": "下达生产通知单",
    "task_title_en": "Issue the production notice",
    "procedure_zh": "订单评审",
    "procedure_en": "Order review",
    "holder_zh": "王丽",
    "holder_en": "Wang Li",
    "due_at": "2026-11-23T06:00:00+00:00",
    "late_minutes": 135,
    "overdue": True,
}


def test_lateness_reads_in_working_hours_and_minutes() -> None:
    assert lateness(135) == ("超时 2 工作小时 15 分", "2 working hours 15 min late")
    assert lateness(60) == ("超时 1 工作小时", "1 working hour late")
    assert lateness(5) == ("超时 5 工作分钟", "5 working min late")
    assert lateness(0) == ("", "")


def test_a_lone_escalation_names_everything_in_company_time() -> None:
    subject, body, link = render_task_message("escalation", ITEM, base_url=BASE, tz=SHANGHAI)
    assert link == f"{BASE}/tasks/7"
    assert "已超时 2 工作小时 15 分" in subject and "2 working hours 15 min late" in subject
    for text in ("宁波华东机电", "配电柜 GGD", "2026-12-30", "王丽", "Wang Li", "14:00", link):
        assert text in body


def test_a_digest_lists_each_item_and_links_the_view() -> None:
    second = {**ITEM, "task_id": 8, "order_no": "SO-10", "late_minutes": 20}
    ctx = {"items": [ITEM, second], "order_no": None}
    subject, body, link = render_task_message(
        "digest", ctx, base_url=BASE, tz=SHANGHAI, lang="en"
    )
    assert subject.startswith("[Escalations] 2 tasks") and "SO-9" in subject
    assert link == f"{BASE}/escalations"
    assert f"{BASE}/tasks/7" in body and f"{BASE}/tasks/8" in body
    assert "20 working min late" in body and "超时 20 工作分钟" in body


def test_a_reminder_past_its_deadline_is_stale_and_left_out_of_a_digest() -> None:
    reminder = {**ITEM, "level": 0, "overdue": False, "late_minutes": 0}
    after = datetime(2026, 11, 23, 6, 1, tzinfo=UTC)
    before = datetime(2026, 11, 23, 5, 59, tzinfo=UTC)
    assert is_stale("escalation", reminder, after) and not is_stale("escalation", reminder, before)
    assert not is_stale("escalation", ITEM, after)  # an escalation is never stale
    digest = {"items": [reminder, ITEM]}
    assert not is_stale("digest", digest, after)
    subject, _, link = render_task_message("digest", digest, base_url=BASE, tz=SHANGHAI, now=after)
    assert "L1" in subject and link.endswith("/tasks/7")  # only the escalation is left


def test_new_task_and_urge_texts() -> None:
    subject, body, _ = render_task_message(
        "new_task", {**ITEM, "queue": True}, base_url=BASE, tz=SHANGHAI
    )
    assert subject.startswith("【新任务】订单 SO-9") and "待您的岗位认领" in body
    subject, body, _ = render_task_message(
        "urge", {**ITEM, "by_name": "张敏", "note": "今天发出"}, base_url=BASE, tz=SHANGHAI
    )
    assert "【催办】张敏" in subject and "今天发出" in body and "超时 2 工作小时 15 分" in body


def test_other_messages_carry_the_order_and_task_facts() -> None:
    ctx = {**ITEM, "task_due_at": ITEM["due_at"]}
    facts = facts_for(ctx, SHANGHAI)
    assert facts["due_local"] == "2026-11-23 14:00"
    _, body = ack_missed_message(
        order_no="SO-9",
        task_title_zh="下达",
        task_title_en="Issue",
        recipient="张敏",
        sent_at_local="2026-11-23 14:00",
        due_at_local="2026-11-23 14:30",
        link="L",
        facts=facts,
    )
    assert "宁波华东机电" in body and "当前处理人：王丽" in body and "Held by: Wang Li" in body
    assert "2 工作小时 15 分" in body
    _, body = waiting_reminder_message(
        task_title_zh="确认",
        task_title_en="Confirm",
        order_no="SO-9",
        procedure_zh="订单评审",
        procedure_en="Order review",
        party_zh="客户",
        party_en="the customer",
        since_local="2026-11-23 10:00",
        waited_minutes=90,
        link="L",
        facts=facts,
    )
    assert "配电柜 GGD" in body and "Task due: 2026-11-23 14:00" in body
    _, body = inform_message(
        order_no="SO-9",
        procedure_zh="订单更改",
        procedure_en="Order change",
        state_name="评估",
        link="L",
        facts=facts_for({"customer": "宁波华东机电", "product": "配电柜"}, SHANGHAI),
    )
    assert "客户：宁波华东机电" in body and "Customer: 宁波华东机电" in body
