"""§5l supplier QDPS (002 1.2.9) through the engine, real DB, time injected: one sheet per
supplier that delivered, started by the schedule on the 1st; Q and D computed and matching
the hand count in ``measures_data``; QA then the buyer score; total, grade and the approval
by the purchasing lead land in ``Measure``."""

from __future__ import annotations

from sqlmodel import Session, select

from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.measures import grade
from gendan.models import Instance, Measure
from gendan.runtime import Runtime
from gendan.schedules import run_due
from tests.engine.helpers import open_tasks
from tests.engine.measures_data import S01_D, S01_Q, at, build


def sheets(rt: Runtime) -> dict[str, int]:
    with Session(rt.db) as s:
        rows = s.exec(select(Instance).where(Instance.procedure == "qdps")).all()
        return {i.data["sheet"]["supplier_code"]: i.id for i in rows}


def test_grades_are_lower_bounds() -> None:
    assert [grade(x) for x in (100, 80, 79.99, 70, 60, 59.9, 0)] == list("AABBCDD")


def test_qdps_per_supplier_scored_and_approved(rt: Runtime) -> None:
    build(rt)
    with unit_of_work(rt.db) as s:
        [run] = run_due(s, at(12, 1, 8, 5), rt.calendar, only="qdps")
    assert (run.period, len(run.instance_ids)) == ("2026-12", 2)
    ids = sheets(rt)
    assert set(ids) == {"S01", "S02"}
    with Session(rt.db) as s:
        s01 = s.get(Instance, ids["S01"])
        assert s01.subject_key == "2026-11-S01"
        sheet = s01.data["sheet"]
    assert (sheet["q"], sheet["d"]) == (S01_Q, S01_D)
    assert (sheet["inspected"], sheet["accepted"], sheet["lines_rated"]) == (400, 380, 2)
    [qa_task] = open_tasks(rt, ids["S01"])
    assert (qa_task.role, qa_task.due_at) == ("qa_lead", at(12, 4, 18))  # the 5th is a Saturday

    d = Driver(rt, at(12, 2, 10))
    d.act(ids["S01"], "qa_lead", "score_service", {"service": 13})
    d.act(ids["S01"], "buyer", "score_buyer",
          {"price": "reasonable", "cooperation": 4, "support": 5})  # fmt: skip
    d.act(ids["S02"], "qa_lead", "score_service", {"service": 10})
    d.act(ids["S02"], "buyer", "score_buyer", {"price": "normal", "cooperation": 3, "support": 3})
    d.act(ids["S01"], "purch_lead", "approve")
    with Session(rt.db) as s:
        rows = {m.subject: m for m in s.exec(select(Measure).where(Measure.kind == "qdps"))}
    # S01: 38 + 10 + 15 + 13 + 4 + 5 = 85 → A, approved; S02: 40 + 0 + 10 + 10 + 3 + 3 = 66 → C
    assert (rows["S01"].value, rows["S01"].detail["grade"], rows["S01"].status) == (
        85,
        "A",
        "approved",
    )
    assert (rows["S02"].value, rows["S02"].detail["grade"], rows["S02"].status) == (
        66,
        "C",
        "computed",
    )
    assert rows["S01"].period == "2026-11"


def test_a_sheet_started_by_hand_is_not_started_again(rt: Runtime) -> None:
    build(rt)
    Driver(rt, at(11, 30, 17)).start(
        "qdps", "qa_lead", {"month": "2026-11", "supplier_code": "S01"}
    )
    with unit_of_work(rt.db) as s:
        [run] = run_due(s, at(12, 1, 8, 5), rt.calendar, only="qdps")
    assert len(run.instance_ids) == 1  # S02's only: S01's November is already being scored
    assert set(sheets(rt)) == {"S01", "S02"}
