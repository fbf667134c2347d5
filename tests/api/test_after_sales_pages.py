"""§8a on the pages: the sales clerk types QR/JY-2005 (a bad form is a 422 at its field, nothing
written); the outcome's task page offers the outcomes in both languages; a remake naming a
taken order number is a 422 at that field and nothing moves."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from gendan.demo import Driver
from gendan.models import Instance
from gendan.runtime import Runtime
from tests.api.test_pages import csrf_of, login
from tests.conftest import MONDAY_10
from tests.engine.helpers import instance, open_tasks
from tests.engine.plan_driver import released
from tests.engine.test_after_sales import to_deciding

FEEDBACK = {
    "customer": "宁波华东机电有限公司",
    "order_no": "SO-KP1",
    "received_at": "2026-11-23 09:40",  # company time, as typed
    "description": "柜门变形",
    "fax": "FAX-01",
}


def test_feedback_form_then_the_outcome_page(server: str, rt: Runtime) -> None:
    d = Driver(rt, MONDAY_10)
    released(d, "SO-KP1")
    clerk = login(server, "clerk")
    page = clerk.get("/start/customer_service")
    assert page.status_code == 200 and "用户服务、质量信息反馈接受单" in page.text
    token = csrf_of(page.text)
    bad = clerk.post("/start/customer_service",
                     data={"csrf_token": token, **FEEDBACK, "description": ""})  # fmt: skip
    assert bad.status_code == 422 and "description" in bad.text
    with Session(rt.db) as s:
        assert s.exec(select(Instance).where(Instance.procedure == "customer_service")).all() == []
    r = clerk.post("/start/customer_service", data={"csrf_token": token, **FEEDBACK})
    assert r.status_code == 303, r.text[:500]
    iid = int(r.headers["location"].rsplit("/", 1)[1])
    assert instance(rt, iid).subject_key == f"KF-{iid:06d}"
    to_deciding(d, iid)
    [task] = [t for t in open_tasks(rt, iid) if t.role == "dept_head"]
    head = login(server, "sales_head")
    token = csrf_of(head.get(f"/tasks/{task.id}").text)
    assert head.post(f"/tasks/{task.id}/claim", data={"csrf_token": token}).status_code == 303
    zh = head.get(f"/tasks/{task.id}").text
    # the outcomes share one form with a choice (decisions sharing a form are one form)
    assert re.search(r'data-decision="[^"]*\border_remake\b', zh) and "补单生产" in zh
    assert "原因分析" in zh  # what was decided before: the cause and countermeasure
    en = head.get(f"/tasks/{task.id}?lang=en").text
    assert "Remake" in en
    taken = head.post(f"/tasks/{task.id}/complete", data={
        "csrf_token": token, "decision": "order_remake", "details": "补发",
        "new_order_no": "SO-KP1", "quantity": "2", "delivery_date": "2026-12-30"})  # fmt: skip
    assert taken.status_code == 422 and "new_order_no" in taken.text
    assert instance(rt, iid).state == "outcome_decision"
    done = head.post(f"/tasks/{task.id}/complete", data={
        "csrf_token": token, "decision": "order_remake", "details": "补发",
        "new_order_no": "SO-KP1-BD1", "quantity": "2", "delivery_date": "2026-12-30"})
    assert done.status_code == 303
    assert instance(rt, iid).state == "remake_running"
    assert head.get(f"/instances/{iid}").status_code == 200
