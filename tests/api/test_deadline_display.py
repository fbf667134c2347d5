"""Deadlines, chains and order facts as people and API clients see them (issue 6 items 1, 7).

Over HTTP: GET /api/procedures, the inbox (JSON and page), task, instance and document pages.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

import httpx

from gendan.db import unit_of_work
from gendan.demo import Driver, order_form, review_to_notice, review_to_release
from gendan.models import FinishedStock
from gendan.runtime import Runtime
from tests.api.conftest import api_client
from tests.api.test_pages import csrf_of, login
from tests.conftest import MONDAY_10


def _state(catalogue: list[dict[str, Any]], procedure: str, state: str) -> dict[str, Any]:
    proc = next(p for p in catalogue if p["key"] == procedure)
    return next(s for s in proc["states"] if s["id"] == state)


def _in_english(c: httpx.Client) -> None:
    token = csrf_of(c.get("/").text)
    assert c.post("/lang", data={"csrf_token": token, "lang": "en"}).status_code == 303


def _task_ids(html: str) -> list[int]:
    return [int(m) for m in re.findall(r'href="/tasks/(\d+)"', html)]


def _text(html: str) -> str:
    """The page's text without tags, spaces collapsed: what a reader sees."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_procedures_list_deadline_chain_pause_decisions_seed_and_person_events(
    server: str,
) -> None:
    catalogue = httpx.get(f"{server}/api/procedures").json()

    received = _state(catalogue, "order_change", "received")
    clerk = next(t for t in received["tasks"] if t["role"] == "sales_clerk")
    dl = clerk["deadline"]
    assert dl["label_en"] == "30 working minutes from receipt"
    assert (dl["kind"], dl["start"], dl["seed"]) == ("WM", "recv", "30分钟内")
    assert (dl["kind_zh"], dl["kind_en"]) == ("工作分钟", "working minutes")
    assert dl["label_zh"] == "30 分钟 自收到起"
    assert clerk["sla"] == "30 minutes"  # kept for older readers
    assert clerk["chain"] == [
        {"level": 1, "key": "head", "zh": "本部门领导", "en": "head of the task's department"},
        {"level": 2, "key": "gm_office", "zh": "总经办", "en": "the GM office"},
    ]
    assert clerk["decisions"] == [
        "classify_minor",
        "classify_delivery",
        "classify_structural",
        "classify_cancel",
    ]
    assert clerk["seed"] == "001M 1.5.2" and clerk["pauses_for"] is None
    labels = {e["event"]: e["label_en"] for e in received["events"]}
    assert labels["classify_minor"] == "Minor: issue the change notice"
    assert received["countersign"] is None and received["join_events"] == []

    notice = _state(catalogue, "order_review", "production_notice")["tasks"][0]["deadline"]
    assert notice["label_en"] == "4 working hours from signing + payment"
    assert notice["label_zh"] == "4 小时 自签约并付款起"
    assert (notice["kind"], notice["start"]) == ("WH", "event:gate")

    requirements = _state(catalogue, "order_review", "requirements")["tasks"][0]
    assert (requirements["pauses_for"], requirements["pauses_for_en"]) == (
        "customer",
        "the customer",
    )
    assert requirements["deadline"]["kind"] == "default"  # 1 WD*: the seed is silent

    # a countersign state: a person only gives an opinion; the join rule fires the rest
    acks = _state(catalogue, "order_review", "acknowledging")
    assert acks["countersign"] == {"form": "notice_receipt"}
    assert [e["event"] for e in acks["events"]] == ["opinion"]
    assert [(e["event"], e["person"]) for e in acks["join_events"]] == [("acknowledged", False)]
    assert acks["tasks"][0]["chain"][0] == {
        "level": 1,
        "key": "head:merchandising",
        "zh": "跟单主管",
        "en": "the merchandising lead",
    }
    assert acks["tasks"][0]["decisions"] == ["opinion"]

    # nothing that exists is dropped: every event of every state is listed once
    from states import PROCEDURES

    for proc in catalogue:
        machine = PROCEDURES[proc["key"]]
        for st in proc["states"]:
            listed = [
                e["event"] for e in st["events"] + st["join_events"] if e["event"] != "opinion"
            ]
            # each once; in the order its tasks offer them (a PO's holders decide in another
            # order than the machine declares its transitions)
            assert len(listed) == len(set(listed)), (proc["key"], st["id"])
            assert sorted(listed) == sorted(machine.events_from(st["id"])), (proc["key"], st["id"])


def test_inbox_json_and_page_show_the_deadline_with_kind_and_start(
    server: str, rt: Runtime
) -> None:
    d = Driver(rt, MONDAY_10)
    form = order_form("SO-DL1", "regular", now=MONDAY_10)
    review_to_notice(d, d.start("order_review", "clerk", form), form)  # paid at signing

    items = api_client(server, "clerk").get("/api/tasks").json()["items"]
    [task] = [t for t in items if t["order_no"] == "SO-DL1"]
    assert task["deadline_en"] == "4 working hours from signing + payment"
    assert task["deadline_kind"] == "WH"
    assert task["deadline"] == "4 小时 自签约并付款起"  # the clerk reads Chinese

    page = login(server, "clerk")
    row = re.search(r'<tr data-task="\d+" data-order="SO-DL1".*?</tr>', page.get("/").text, re.S)
    assert row and "4 小时 自签约并付款起" in row.group(0)
    _in_english(page)
    row = re.search(r'<tr data-task="\d+" data-order="SO-DL1".*?</tr>', page.get("/").text, re.S)
    assert row and "4 working hours from signing + payment" in row.group(0)
    en_items = api_client(server, "clerk").get("/api/tasks").json()["items"]
    assert [t["deadline"] for t in en_items if t["order_no"] == "SO-DL1"] == [
        "4 working hours from signing + payment"
    ]


def test_task_page_shows_deadline_clock_start_chain_seed_and_every_intake_fact(
    server: str, rt: Runtime
) -> None:
    with unit_of_work(rt.db) as s:
        s.add(FinishedStock(product="配电柜", model_spec="GGD-2200", on_hand=20, reserved=10))
    form = {
        **order_form("SO-DL2", "special", now=MONDAY_10),  # received 09:40 by fax
        "channel": "phone",
        "complete_set": True,
        "project": "华东变电站",
        "outsourced_work": True,
        "urgent": True,
        "penalty_clause": True,
        "colour": "RAL7035",
        "attachment": "FAX-0917",
    }
    iid = Driver(rt, MONDAY_10).start("order_review", "clerk", form)

    c = login(server, "clerk")
    [task_id] = _task_ids(c.get("/").text)
    zh = _text(c.get(f"/tasks/{task_id}").text)
    assert "时限: 1 个工作日* 自任务下达起 (未规定（默认）)" in zh
    assert "计时起点: 2026-11-23 10:00" in zh  # company local time
    assert "超时升级: L1 本部门领导（销售部） → L2 总经办" in zh
    assert "依据: 001M 1.1" in zh
    for fact in (
        "接单时间 2026-11-23 09:40",
        "接单方式 电话",
        "① 需新技术设计 是",
        "② 停产或多年未生产的产品 否",
        "③ 质量要求高于公司标准 否",
        "④ 交期紧且有违约罚款或信誉风险 否",
        "订单类别 非常规订单",
        "特殊订单 是",
        "成套产品 是（项目：华东变电站）",
        "违约罚款条款 是",
        "含外协加工 是",
        "紧急订单 是",
        "返单（原订单号） —",
        "信用账期（签约即生效） 否",
        "技术要求 按客户图纸 / per customer drawing",
        "质量要求 GB 7251.1",
        "颜色 RAL7035",
    ):
        assert fact in zh, fact
    # the reviewers' finished-goods snapshot (001W 3.1.1: stock first)
    assert "在库 20 · 已预留 10 · 可用 10 — 不足以满足本订单" in zh

    _in_english(c)
    en = _text(c.get(f"/tasks/{task_id}").text)
    assert "Deadline: 1 working day* from the task's opening (not set by the seed (default))" in en
    assert "Clock started: 2026-11-23 10:00" in en
    assert "Escalation if missed: L1 head of the task's department (Sales) → L2 the GM office" in en
    for fact in (
        "Received at 2026-11-23 09:40",
        "Received by Phone",
        "① New technical design yes",
        "Kind Non-regular order",
        "Special order yes",
        "Complete set yes (project: 华东变电站)",
        "Penalty clause yes",
        "Outsourced work yes",
        "Urgent order yes",
        "Credit terms (effective at signing) no",
        "Quality requirements GB 7251.1",
    ):
        assert fact in en, fact
    assert "On hand 20 · Reserved 10 · Available 10 — does not cover it" in en

    record = _text(c.get(f"/instances/{iid}").text)  # the order's record shows them too
    assert "Received at 2026-11-23 09:40" in record
    assert "Complete set yes (project: 华东变电站)" in record


def test_acknowledgement_shows_its_chain_and_the_repeat_order_its_origin(
    server: str, rt: Runtime
) -> None:
    d = Driver(rt, MONDAY_10)
    form = order_form("SO-DL3", "regular", now=MONDAY_10)
    iid = d.start("order_review", "clerk", form)
    review_to_notice(d, iid, form)
    d.act(iid, "clerk", "issue_notice", {k: form[k] for k in _NOTICE})
    d.act(iid, "prod_mgr", "confirm_notice", {"details_checked": True})
    d.start("order_review", "clerk", order_form("SO-DL4", "repeat", now=MONDAY_10))

    planner = login(server, "planner")
    [ack] = _task_ids(planner.get("/").text)
    page = _text(planner.get(f"/tasks/{ack}").text)
    assert "超时升级: L1 跟单主管 → L2 总经办" in page
    assert "依据: 000/4 三.7" in page

    clerk = login(server, "clerk")
    repeat = max(_task_ids(clerk.get("/?order_no=SO-DL4").text))
    assert "返单（原订单号） SO-2025-0001" in _text(clerk.get(f"/tasks/{repeat}").text)


_NOTICE = ("order_no", "customer", "product", "model_spec", "quantity", "unit", "delivery_date")


def test_superseded_notice_says_recalled_and_by_which_revision(server: str, rt: Runtime) -> None:
    d = Driver(rt, MONDAY_10)
    form = order_form("SO-DL5", "regular", now=MONDAY_10)
    review_to_release(d, d.start("order_review", "clerk", form), form)
    change = d.start(
        "order_change",
        "clerk",
        {
            "order_no": "SO-DL5",
            "received_at": (MONDAY_10 - timedelta(minutes=5)).isoformat(),
            "requested_by": "陈经理",
            "change_description": "改为 380V / voltage change",
        },
    )
    d.act(
        change,
        "clerk",
        "classify_minor",
        {
            "order_no": "SO-DL5",
            "received_at": MONDAY_10.isoformat(),
            "requested_by": "陈经理",
            "change_description": "改为 380V / voltage change",
        },
    )
    d.act(
        change,
        "prod_mgr",
        "adjusted",
        {"departments_adjusted": "装配车间", "adjusted_at": MONDAY_10.isoformat()},
    )

    c = login(server, "clerk")
    old = _text(c.get("/documents/SC-SO-DL5-01").text)
    assert "已收回" in old and "recalled" in old
    assert "superseded by SC-SO-DL5-02" in old
    assert "已被取代 / Superseded by SC-SO-DL5-02" in old
    assert "签发时间 / Issued at 2026-11-23 10:00" in old  # company local time
    new = _text(c.get("/documents/SC-SO-DL5-02").text)
    assert "版次 / Revision 2" in new and "recalled" not in new
    record = _text(c.get(f"/instances/{change}").text)
    assert "SC-SO-DL5-01 生产通知单 第1版 — 已收回, 已被 SC-SO-DL5-02 取代" in record
