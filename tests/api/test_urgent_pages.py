"""The urgent order's page shows the line rule, the displaced-order ranking and, closed, the
data summary (004P 9) — in both languages, times in company time."""

from __future__ import annotations

from datetime import timedelta

from gendan.demo import Driver
from gendan.runtime import Runtime
from tests.api.conftest import Clock
from tests.api.test_pages import login
from tests.engine import test_urgent_order as walk


def test_ranking_and_summary_on_the_instance_page(rt: Runtime, clock: Clock, server: str) -> None:
    d = Driver(rt, clock.now)
    iid = walk.start(d)
    walk.walk_to_production(rt, d, iid)
    gm = login(server, "gm")
    page = gm.get(f"/instances/{iid}").text
    assert "被挤占订单排序（建议）" in page and 'href="/orders/SO-MOVE-1"' in page
    assert "urgent-summary" not in page  # not closed yet
    d.now += timedelta(hours=1)
    walk.stock_in(d, iid)
    d.act(iid, "sales_head", "shipping_arranged")
    drawings = [{"drawing": "TZ-1", "issued_to": "样品组", "returned_at": d.now.isoformat()}]
    d.act(iid, "fg_keeper", "drawings_returned", {"rows": drawings})
    walk.run_jobs(rt, d.now)
    page = gm.get(f"/instances/{iid}").text
    assert 'id="urgent-summary"' in page and "紧急订单数据汇总" in page
    assert "2026-11-23 10:00" in page  # started at 10:00 Shanghai (02:00 UTC stored)
    assert "样品组一班" in page


def test_urgent_pages_show_words_not_keys(rt: Runtime, clock: Clock, server: str) -> None:
    """The urgent order's instance, task, order, document and audit pages in both languages:
    no state, event or procedure key where people read (as tests/api/test_no_raw_keys.py)."""
    from sqlmodel import Session, select

    from gendan.db import reader
    from gendan.models import Document, Task
    from tests.api.test_no_raw_keys import offenders, raw_keys, switch_to_english

    d = Driver(rt, clock.now)
    iid = walk.start(d)
    walk.walk_to_production(rt, d, iid)
    d.act(iid, "workshop", "exception_found", reason="焊接变形")
    with Session(reader(rt.db)) as s:
        tasks = s.exec(select(Task).where(Task.instance_id == iid)).all()
        docs = s.exec(select(Document.doc_no).where(Document.order_no == walk.URGENT)).all()
    open_task = next(t.id for t in tasks if t.status == "open")
    pages = {
        "workshop": [f"/tasks/{open_task}", f"/instances/{iid}", "/"],
        "gm": [f"/instances/{iid}", f"/orders/{walk.URGENT}", *(f"/documents/{n}" for n in docs)],
        "auditor": [f"/audit/instances/{iid}", f"/audit/orders/{walk.URGENT}"],
    }
    underscored, plain = raw_keys()
    # this procedure's own states and events (others' keys are tests/api/test_no_raw_keys.py's)
    from states.urgent_order import UrgentOrder

    mine = {*(st.id for st in UrgentOrder.states), *UrgentOrder.steps}
    underscored, plain = underscored & mine, plain & mine
    problems: list[str] = []
    for who, urls in pages.items():
        client = login(server, who)
        for lang, keys in (("zh", underscored | plain), ("en", underscored)):
            if lang == "en":
                switch_to_english(client)
            for url in urls:
                r = client.get(url)
                assert r.status_code == 200, (who, url, r.status_code)
                problems += [f"{who} {lang} {url}: {o}" for o in offenders(r.text, keys)]
    assert not problems, "\n".join(problems[:40])


def test_a_bad_displaced_row_is_a_422_naming_row_and_cell(
    rt: Runtime, clock: Clock, server: str
) -> None:
    """The planner's moved dates through the API: an unchanged date in row 2 is refused at
    rows.1.new_date, nothing written; a clean body moves the urgent order on."""
    from tests.api.conftest import api_client
    from tests.engine.helpers import instance, open_tasks

    d = Driver(rt, clock.now)
    walk.released(d, "SO-A", days=12)
    walk.released(d, "SO-B", days=20)
    iid = walk.start(d)
    walk.line_chosen(d, iid)
    walk.run_jobs(rt, d.now)
    (task,) = open_tasks(rt, iid)
    planner = api_client(server, "planner")
    assert planner.post(f"/api/tasks/{task.id}/claim").status_code == 200
    rows = [
        {"order_no": "SO-A", "old_date": "2026-12-05", "new_date": "2026-12-08"},
        {"order_no": "SO-B", "old_date": "2026-12-13", "new_date": "2026-12-13"},
    ]
    body = {"decision": "plans_adjusted", "form": {"report": "顺延", "rows": rows}}
    r = planner.post(f"/api/tasks/{task.id}/complete", json=body)
    assert r.status_code == 422
    assert "rows.1.new_date" in r.text
    assert instance(rt, iid).state == "plan_adjust"
    stranger = api_client(server, "clerk")
    assert stranger.post(f"/api/tasks/{task.id}/complete", json=body).status_code == 403
    body["form"]["rows"] = [{**rows[0], "order_no": "SO-NOT-DISPLACED"}]
    r = planner.post(f"/api/tasks/{task.id}/complete", json=body)
    assert r.status_code == 422 and "rows.0.order_no" in r.text
    body["form"]["rows"] = rows[:1]
    assert planner.post(f"/api/tasks/{task.id}/complete", json=body).status_code == 200
    assert instance(rt, iid).state == "notice_issue"
