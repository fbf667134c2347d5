"""§9 on the pages: the inspector records a quality exception; the record prints in both
languages with its computed pass rate."""

from __future__ import annotations

from datetime import timedelta

from gendan.demo import Driver, order_form
from gendan.runtime import Runtime
from tests.api.test_pages import csrf_of, login
from tests.conftest import MONDAY_10
from tests.engine.helpers import open_tasks

RECORD = {
    "order_no": "SO-QP",
    "received_at": "2026-11-23 09:50",  # company time, as typed
    "stage": "incoming",
    "item": "断路器",
    "inspected": "200",
    "failed": "20",
    "description": "脱扣试验不合格",
}


def test_inspector_records_it_and_the_record_prints(server: str, rt: Runtime) -> None:
    d = Driver(rt, MONDAY_10 - timedelta(hours=1))
    d.start("order_review", "clerk", order_form("SO-QP", "regular", now=d.now))
    iqc = login(server, "iqc")
    page = iqc.get("/start/quality_exception")
    assert page.status_code == 200 and "质量异常记录" in page.text
    token = csrf_of(page.text)
    bad = iqc.post(
        "/start/quality_exception", data={"csrf_token": token, **RECORD, "failed": "201"}
    )
    assert bad.status_code == 422 and "failed" in bad.text
    r = iqc.post("/start/quality_exception", data={"csrf_token": token, **RECORD})
    assert r.status_code == 303, r.text[:500]
    iid = int(r.headers["location"].rsplit("/", 1)[1])
    d.now = MONDAY_10
    d.act(iid, "iqc", "classify_purchased", {**RECORD, "received_at": "2026-11-23T01:50:00+00:00"})
    doc = iqc.get("/documents/ZY-SO-QP-01")
    assert doc.status_code == 200
    assert "质量异常记录" in doc.text and "Quality exception record" in doc.text
    # the QA lead's task page shows the record with its pass rate, computed
    [task] = [t for t in open_tasks(rt, iid) if t.role == "qa_lead"]
    assert "90.0 %" in login(server, "qa_lead").get(f"/tasks/{task.id}").text
    assert login(server, "clerk").get("/start/quality_exception").status_code == 403
