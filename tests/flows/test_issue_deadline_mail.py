"""Every deadline of §5j (material issue against quotas), §8d (defective material return) and
§8e (batch close) sends its reminder and its escalation by real e-mail to the loopback SMTP
sink, each exactly once though the sweep and the delivery run twice at every instant: the
shortage check's 物料跟催单 (4 WH from the slip), the quota sheet (plan start −2 WD), kitting
(−1 WD), the 物控科长 above the request (4 WH*), over-issue supervisor and MC (4 WH* each),
the shortage at issue (4 WH*) and PMC with marketing, the quota difference (1 WD*); QC, MC,
the warehouse and the buyer on a return slip and its short row's slip (4 WH* each); the
batch close's leftovers (24 hours from completion), QA and MC."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.demo_issue import ensure_masters, plan_form
from gendan.jobs import run_due
from gendan.links import children_of
from tests.engine.plan_driver import state
from tests.flows.test_plan_deadline_mail import Deadlines, walk  # noqa: F401

START = "2026-12-01"


def masters(d: Driver) -> None:
    with unit_of_work(d.rt.db) as s:
        ensure_masters(s, d.now)


def kids(d: Driver, iid: int, procedure: str) -> list[int]:
    with Session(d.rt.db) as s:
        return [k.id for k in children_of(s, iid) if k.procedure == procedure]


def test_material_issue_deadlines_mail_once(walk: Callable[[], tuple[Driver, Deadlines]]) -> None:  # noqa: F811
    d, dl = walk()
    masters(d)
    iid = d.start("material_issue", "mc", plan_form("WP-M1", START, 50))
    run_due(d.rt, now=d.now)
    [chase] = kids(d, iid, "issue_shortage")
    dl.run(chase)  # MC replies the arrival date: 4 WH from the slip
    d.act(chase, "mc", "reply", {"arrival_date": "2026-11-30"})
    dl.run(iid)  # the quota sheet: opens start −2 WD, due that day
    late = [m for m in dl.sink.messages if "定额领料登记表" in m.body and "升级" in m.subject]
    assert {"keeper@demo.gendan.local", "mc_head@demo.gendan.local"} <= {m.to for m in late}
    d.act(iid, "mc", "prepare_sheet", {"rows": []})
    dl.run(iid)  # kitting: start −1 WD
    d.act(iid, "keeper", "materials_prepared", {})
    assert state(d, iid) == "issuing"
    req = {"department": "车间一组", "item_code": "SC-M4", "requested": 10, "qty": 20}
    d.act(iid, "keeper", "request_above", req)
    dl.run(iid)  # the MC section head: 4 WH*
    d.act(iid, "mc_head", "refuse_above", {}, reason="超出申请")
    d.act(iid, "workshop", "request_over_issue", {
        "rows": [{"item_code": "GL-5", "qty": 1}], "reason": "loss", "explanation": "损耗"})
    dl.run(iid)  # supervisor: 4 WH*
    d.act(iid, "workshop", "supervisor_approves", {})
    dl.run(iid)  # MC: 4 WH*
    d.act(iid, "mc", "mc_approves_over", {})
    d.act(iid, "keeper", "report_quota_difference", {"rows": [
        {"product_code": "CAB-100", "item_code": "GL-5", "quota": 1, "actual": 1.1}]})
    dl.run(iid)  # the MC section head fixes the standard: 1 WD*
    d.act(iid, "mc_head", "keep_standard", {}, reason="个别损耗")
    d.act(iid, "keeper", "report_shortage",
          {"rows": [{"item_code": "GL-5", "needed": 50, "on_hand": 29}]})  # fmt: skip
    at_issue = kids(d, iid, "issue_shortage")[-1]
    dl.run(at_issue)  # MC with production: 4 WH* from the slip
    d.act(at_issue, "mc", "date_affected", {"arrival_date": "2026-12-20"})
    dl.run(at_issue)  # PMC with marketing: 4 WH*
    assert len(dl.checked) >= 9
    assert escalated_titles(dl) == {t for _, t in dl.checked}  # every one of them escalated


def test_return_and_batch_close_deadlines_mail_once(
    walk: Callable[[], tuple[Driver, Deadlines]],  # noqa: F811
) -> None:
    d, dl = walk()
    masters(d)
    slip = {"batch_no": "WP-M2", "received_at": d.now.isoformat(), "labelled": True,
            "rows": [{"item_code": "GL-5", "qty": 40, "defect": "来料划痕"}]}  # fmt: skip
    iid = d.start("material_return", "workshop", slip)
    dl.run(iid)  # QC: 4 WH*
    d.act(iid, "iqc", "qc_confirms", {"cause": "supplier"})
    dl.run(iid)  # MC signs: 4 WH*
    d.act(iid, "mc", "mc_signs", {"replenish": True})
    dl.run(iid)  # the warehouse: 4 WH*
    d.act(iid, "keeper", "execute", {})
    [chase] = kids(d, iid, "issue_shortage")  # 30 on hand for 40: 10 short
    dl.run(chase)  # MC replies: 4 WH*
    d.act(chase, "mc", "reply", {"arrival_date": "2026-12-02"})
    dl.run(iid)  # the buyer with MC: 4 WH*
    d.act(iid, "buyer", "handed_over", {"supplier": "S-GLASS"})
    close = d.start("batch_close", "workshop",
                    {"batch_no": "WP-M3", "received_at": d.now.isoformat()})  # fmt: skip
    dl.run(close)  # leftovers: 24 hours from the batch's completion
    d.act(close, "workshop", "list_leftovers", {"rows": [{"item_code": "SC-M4", "qty": 5}]})
    dl.run(close)  # QA: 4 WH*
    d.act(close, "qa_lead", "qa_judges", {"usable": True})
    dl.run(close)  # MC: 4 WH*
    d.act(close, "mc", "mc_accepts", {})
    assert state(d, close) == "closed"
    assert len(dl.checked) >= 8
    assert escalated_titles(dl) == {t for _, t in dl.checked}


def escalated_titles(dl: Deadlines) -> set[str]:
    """Task titles whose escalation (升级) or overdue mail reached the sink."""
    return {t for _, t in dl.checked if any(
        t in m.body and ("升级" in m.subject or "已超时" in m.subject) for m in dl.sink.messages)}
