"""§7 through HTTP (real uvicorn on loopback): a count's rounds are queryable (the recount
round lists exactly the differing items), a round naming an item not on its list is a 422 at
the row and writes nothing, strangers get 403, and the posted corrections download as
其他入库单 / 其他出库单 in CSV and XLSX."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlmodel import Session, select

from gendan import jobs
from gendan.demo import Driver
from gendan.models import Task
from gendan.runtime import Runtime
from tests.api.conftest import Clock, api_client
from tests.api.test_pages import login
from tests.engine.count_driver import (
    count_lines,
    items_in_stock,
    local,
    round_form,
    start_count,
    sweep,
    to_counting,
)

NO = "PD-20261127-RM-ABC"


def _rounds(d: Driver, iid: int, *counted: dict[str, float]) -> None:
    for n, values in enumerate(counted, start=1):
        d.act(iid, "wh_staff" if n % 2 else "keeper", "count_round", round_form(n, values))
        d.act(iid, "finance", "supervise")
        jobs.run_due(d.rt, now=d.now)


def _open_task(rt: Runtime, iid: int) -> int:
    with Session(rt.db) as s:
        [task] = s.exec(select(Task).where(Task.instance_id == iid, Task.status == "open")).all()
        assert task.id is not None
        return task.id


def test_rounds_queryable_bad_round_refused_and_postings_exported(
    rt: Runtime, server: str, clock: Clock
) -> None:
    d = Driver(rt, local(2026, 11, 23, 10))
    items_in_stock(d, d.now)
    iid = start_count(d)
    to_counting(d, iid)
    sweep(d, local(2026, 11, 27, 9))  # count day: the counting task opens
    _rounds(d, iid, {"RM-BOLT": 500, "RM-PAINT": 40, "RM-STEEL": 100},
            {"RM-BOLT": 498, "RM-PAINT": 40, "RM-STEEL": 99})  # fmt: skip
    clock.now = d.now

    finance, keeper = api_client(server, "finance"), api_client(server, "keeper")
    assert api_client(server, "clerk").get(f"/api/counts/{NO}").status_code == 403
    assert finance.get("/api/counts/PD-NONE").status_code == 404
    got = finance.get(f"/api/counts/{NO}")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["current_round"] == 3 and body["status"] == "counting"
    assert [(ln["item_code"], ln["counted_qty"]) for ln in body["lines"] if ln["round"] == 3] == [
        ("RM-BOLT", None),
        ("RM-STEEL", None),
    ]  # the recount list: exactly the items whose two rounds differ
    assert {ln["round"] for ln in body["lines"]} == {1, 2, 3}

    before = count_lines(d, iid)
    task = _open_task(rt, iid)
    assert keeper.post(f"/api/tasks/{task}/claim").status_code == 200
    page = login(server, "keeper").get(f"/tasks/{task}")  # the round's page, recount prefilled
    assert page.status_code == 200 and "盘点清单" in page.text
    assert 'value="RM-STEEL"' in page.text and 'value="RM-PAINT"' not in page.text
    bad = keeper.post(
        f"/api/tasks/{task}/complete",
        json={"decision": "count_round",
              "form": round_form(3, {"RM-BOLT": 498, "RM-PAINT": 40}, counter="keeper")},
    )  # fmt: skip
    assert bad.status_code == 422, bad.text
    assert "rows.1.item_code" in bad.text and "不在本轮盘点清单中" in bad.text
    assert [(ln.round, ln.counted_qty) for ln in count_lines(d, iid)] == [
        (ln.round, ln.counted_qty) for ln in before
    ]  # nothing written
    ok = keeper.post(
        f"/api/tasks/{task}/complete",
        json={"decision": "count_round",
              "form": round_form(3, {"RM-BOLT": 498, "RM-STEEL": 99}, counter="keeper")},
    )  # fmt: skip
    assert ok.status_code == 200, ok.text
    d.act(iid, "finance", "supervise")
    jobs.run_due(d.rt, now=d.now)
    d.act(iid, "fin_dir", "review_sheet")
    d.act(iid, "finance", "report_variance", {"reconciled": True, "analysis": "短少 / short"})
    d.act(iid, "gm", "approve_count")
    jobs.run_due(d.rt, now=d.now)

    text = finance.get(f"/api/counts/{NO}/postings.csv")
    assert text.status_code == 200 and "attachment" in text.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
    assert [(r[0][:5], r[2], r[5]) for r in rows[1:]] == [
        ("其他出库单", "RM-BOLT", "2.0"),
        ("其他出库单", "RM-STEEL", "1.0"),
    ]
    book = load_workbook(io.BytesIO(finance.get(f"/api/counts/{NO}/postings.xlsx").content))
    assert [c.value for c in book["其他出库单"]["C"]][1:3] == ["RM-BOLT", "RM-STEEL"]
    assert book["其他入库单"].max_row == 3  # headers, a blank line and the line count: no gains
    assert finance.get(f"/api/counts/{NO}").json()["status"] == "posted"
    page = login(server, "finance").get(f"/instances/{iid}")  # the count's trail and forms
    assert page.status_code == 200 and NO in page.text and "盘点单" in page.text
