"""The measures page, its exports and its API through HTTP (real uvicorn on loopback):
"Done when" — the purchase on-time rate for a month matches a hand count in the test data
(``tests/engine/measures_data``), is approved, and appears on the measures page and its
export; strangers get 403; the PMC manager's approval is a signature (wrong password 422,
nothing written) and the MC cannot approve (403)."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlmodel import Session, select

from gendan.db import unit_of_work
from gendan.demo import DEMO_PASSWORD, Driver
from gendan.models import Measure, Task
from gendan.runtime import Runtime
from gendan.schedules import run_due
from tests.api.conftest import Clock, api_client
from tests.api.test_pages import login
from tests.engine.measures_data import HAND_COUNT, at, build


def _open_task(rt: Runtime, iid: int) -> int:
    with Session(rt.db) as s:
        [task] = s.exec(select(Task).where(Task.instance_id == iid, Task.status == "open")).all()
        assert task.id is not None
        return task.id


def _measure(rt: Runtime) -> Measure:
    with Session(rt.db) as s:
        company = select(Measure).where(Measure.kind == "purchase_on_time", Measure.subject == "")
        return s.exec(company).one()


def test_on_time_rate_counted_approved_shown_and_exported(
    rt: Runtime, server: str, clock: Clock
) -> None:
    build(rt)
    clock.now = at(12, 1, 8, 5)
    with unit_of_work(rt.db) as s:
        [run] = run_due(s, clock.now, rt.calendar, only="purchase_on_time")
    [iid] = run.instance_ids

    clock.now = at(12, 2, 10)
    mc, pmc = api_client(server, "mc"), api_client(server, "pmc")
    task = _open_task(rt, iid)
    assert mc.post(f"/api/tasks/{task}/claim").status_code == 200
    sent = mc.post(
        f"/api/tasks/{task}/complete",
        json={"decision": "submit", "form": {"analysis": "PO-T2/1 产能不足"}},
    )
    assert sent.status_code == 200, sent.text
    task = _open_task(rt, iid)
    assert mc.post(f"/api/tasks/{task}/claim").status_code == 403  # the MC is not the manager
    assert pmc.post(f"/api/tasks/{task}/claim").status_code == 200
    wrong = pmc.post(f"/api/tasks/{task}/complete",
                     json={"decision": "approve", "password": "not-it"})  # fmt: skip
    assert wrong.status_code == 422 and "password" in wrong.text  # nothing signed
    assert _measure(rt).status == "computed"
    ok = pmc.post(f"/api/tasks/{task}/complete",
                  json={"decision": "approve", "password": DEMO_PASSWORD})  # fmt: skip
    assert ok.status_code == 200, ok.text
    measure = _measure(rt)
    assert (measure.period, measure.value, measure.status) == ("2026-11", 50.0, "approved")
    assert measure.detail["lines_due"] == HAND_COUNT["lines_due"]

    api = pmc.get("/api/measures").json()
    assert api[0] == {
        "kind": "purchase_on_time", "period": "2026-11", "subject": "", "subject_name": "",
        "value": 50.0, "grade": "", "status": "approved", "approved_by": "严明 (PMC 主管)",
        "approved_at": "2026-12-02 10:00", "lines_due": 4, "lines_on_time": 2,
    }  # fmt: skip
    assert [(r["subject"], r["subject_name"], r["value"]) for r in api[1:]] == [
        ("buyer", "马超 (采购员)", 66.7)  # the buyer's own KPI
    ]

    page = login(server, "pmc").get("/measures")
    assert page.status_code == 200
    html = page.text
    assert 'id="nav-measures"' in html and "<svg" in html
    assert "<script>" not in html  # no inline script (CSP): the chart is SVG
    assert 'data-period="2026-11" data-status="approved"' in html and "50.0%" in html
    assert f'<a href="/instances/{iid}">2026-11</a>' in html  # to the month's instance

    c = login(server, "buyer")  # the buyers' KPI: they read it
    exported = c.get("/measures.csv")
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    row, _buyer = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert (row["period"], row["value"], row["status"]) == ("2026-11", "50.0", "approved")
    assert (row["lines_due"], row["lines_on_time"]) == ("4", "2")
    book = load_workbook(io.BytesIO(c.get("/measures.xlsx").content))
    sheet = list(book.active.iter_rows(values_only=True))
    assert sheet[1][:7] == ("purchase_on_time", "2026-11", None, None, 50.0, None, "approved")


def test_strangers_get_403(rt: Runtime, server: str) -> None:
    clerk = login(server, "clerk")
    assert clerk.get("/measures").status_code == 403
    assert clerk.get("/measures.csv").status_code == 403
    assert 'id="nav-measures"' not in clerk.get("/").text
    assert api_client(server, "clerk").get("/api/measures").status_code == 403


def test_qdps_grades_on_the_page_and_in_the_export(rt: Runtime, server: str, clock: Clock) -> None:
    build(rt)
    with unit_of_work(rt.db) as s:
        [run] = run_due(s, at(12, 1, 8, 5), rt.calendar, only="qdps")
    d = Driver(rt, at(12, 2, 10))
    scored = ((13, "reasonable", 4, 5), (10, "normal", 3, 3))  # S01, S02 (the fan-out's order)
    for iid, scores in zip(run.instance_ids, scored, strict=True):
        d.act(iid, "qa_lead", "score_service", {"service": scores[0]})
        d.act(iid, "buyer", "score_buyer",
              {"price": scores[1], "cooperation": scores[2], "support": scores[3]})  # fmt: skip
        d.act(iid, "purch_lead", "approve")
    clock.now = at(12, 3, 9)
    html = login(server, "purch_lead").get("/measures").text
    assert 'data-period="2026-11" data-supplier="S01"' in html
    assert '<td class="grade">A</td>' in html and '<td class="grade">C</td>' in html
    assert "2026-11 A: 1" in html and "2026-11 C: 1" in html  # the chart's bars
    rows = list(load_workbook(io.BytesIO(login(server, "qa_lead").get("/measures.xlsx").content))
                .active.iter_rows(values_only=True))  # fmt: skip
    assert {(r[2], r[4], r[5], r[6]) for r in rows[1:]} == {
        ("S01", 85.0, "A", "approved"),
        ("S02", 66.0, "C", "approved"),
    }


def test_task_pages_show_the_computed_figures(rt: Runtime, server: str, clock: Clock) -> None:
    """The MC's task shows the month's computed table (rate, lines); the instance page opens."""
    build(rt)
    clock.now = at(12, 1, 8, 5)
    with unit_of_work(rt.db) as s:
        [run] = run_due(s, clock.now, rt.calendar, only="purchase_on_time")
    [iid] = run.instance_ids
    clock.now = at(12, 2, 10)
    mc = login(server, "mc")
    page = mc.get(f"/tasks/{_open_task(rt, iid)}")
    assert page.status_code == 200, page.text[:500]
    assert "采购准时交货率统计表" in page.text and "50.0" in page.text and "PO-T2" in page.text
    assert mc.get(f"/instances/{iid}").status_code == 200
