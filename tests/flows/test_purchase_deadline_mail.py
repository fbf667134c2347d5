"""Every deadline of the 采购单 (§5f, §5g) sends its reminder and escalation by real e-mail to
the loopback SMTP sink, each exactly once though the sweep and the delivery run twice at every
instant: MC's check, the buyer's revision, the excess approval, the date talk, the planner,
the coordination meeting, the price check and its approval, the lead's approval, MC's date
check after approval, the buyer's dispatch confirmation (due −5 WD), the dispatch-day call,
the lead's remedy (30 WM), the planning head, MC noting a cancellation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.demo_purchasing import PO_CHECK, ensure_master, po_form
from gendan.jobs import run_due
from gendan.models import MasterSetting
from gendan.settings import get_settings
from tests.conftest import make_runtime
from tests.engine.plan_driver import act, local, released, state
from tests.flows.test_plan_deadline_mail import Deadlines
from tests.support.servers import SmsGateway, SmtpSink

MONDAY_10 = local(2026, 11, 23, 10)


@pytest.fixture
def walk(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> Iterator[Callable[[], tuple[Driver, Deadlines]]]:
    made: list[object] = []

    def make() -> tuple[Driver, Deadlines]:
        rt = make_runtime(
            tmp_path / f"p{len(made)}.db", smtp_url=smtp_sink.url, sms_url=sms_gateway.url
        )
        made.append(rt)
        d = Driver(rt, MONDAY_10)
        with unit_of_work(rt.db) as s:
            ensure_master(s, d.now)
        return d, Deadlines(d, smtp_sink)

    yield make
    get_settings.cache_clear()


def test_check_and_approval_deadlines_mail_once(
    walk: Callable[[], tuple[Driver, Deadlines]],
) -> None:
    d, dl = walk()
    # above the maximum, sooner than the lead time, above the price file
    first = po_form(date(2026, 11, 26), item="RM-BREAKER-630", qty=50, price=2500)
    iid = d.start("purchase_order", "buyer", first)
    dl.run(iid)  # MC checks: 4 WH*
    act(d, iid, "mc", "return_po", reason="规格 / spec")
    dl.run(iid)  # the buyer revises: 1 WD*
    act(d, iid, "buyer", "po", po_form(date(2027, 1, 26), item="RM-BREAKER-630", qty=50,
                                       price=2500))  # fmt: skip
    act(d, iid, "mc", "mc_checked", PO_CHECK)
    assert state(d, iid) == "excess_approval"
    dl.run(iid)  # PMC manager: 4 WH*
    act(d, iid, "pmc", "approve_excess")
    assert state(d, iid) == "price_check"  # the revised date meets the lead time
    dl.run(iid)  # finance: 4 WH*
    act(d, iid, "finance", "price_checked", {"opinion": "属实 / fair"})
    dl.run(iid)  # finance director: 4 WH*
    act(d, iid, "fin_dir", "approve_price")
    dl.run(iid)  # purchasing lead: 4 WH*
    act(d, iid, "purch_lead", "approve")
    assert state(d, iid) == "placed"
    dl.run(iid)  # MC's date check: 1 WD* from approval (then the chasing, up to the due date)

    short = d.start("purchase_order", "buyer", po_form(d.now.date()))
    act(d, short, "mc", "mc_checked", PO_CHECK)
    dl.run(short)  # the buyer talks to the supplier: 1 WD*
    act(d, short, "buyer", "date_unmet", {"answer": "做不到 / cannot"})
    dl.run(short)  # the planner with marketing: 1 WD*
    act(d, short, "planner", "dates_fixed_not", reason="不能改 / fixed")
    dl.run(short)  # the coordination meeting: 1 WD*
    assert {title for _, title in dl.checked} >= {
        "复核采购单：数量、代码、规格、重复、超量", "按意见修改采购单", "逾量采购审核",
        "核对采购交期与生产通知书，到料日期回复生产部",
        "单价高于价格档案：核价", "审批高于价格档案的单价", "审核采购单",
        "交期不满足：与供应商沟通", "与营销中心调整生产通知书入库时间", "组织生产协调会作出决议",
    }


def test_chasing_deadlines_mail_once(walk: Callable[[], tuple[Driver, Deadlines]]) -> None:
    d, dl = walk()
    iid = d.start("purchase_order", "buyer", po_form(date(2026, 12, 21)))
    act(d, iid, "mc", "mc_checked", PO_CHECK)
    act(d, iid, "purch_lead", "approve")
    risky = {"matches_notice": False, "told_production": True, "risky_items": "钢板晚到"}
    act(d, iid, "mc", "arrival_checked", risky)
    dl.run(iid)  # MC's superior decides the emergency measures: 1 WD*
    act(d, iid, "mc_head", "risk_decided", {"decision": "调整周计划"})
    dl.run(iid)  # the follow task, due −5 WD opening
    act(d, iid, "buyer", "confirm_dispatch", {"dispatch_date": "2026-12-18", "on_plan": False,
                                              "contact": "王经理"})  # fmt: skip
    assert state(d, iid) == "remedy"
    dl.run(iid)  # the purchasing lead: 30 WM
    act(d, iid, "purch_lead", "remedies_exhausted", reason="无货 / none")
    dl.run(iid)  # the planning head: 1 WD (及时)
    act(d, iid, "prod_mgr", "planning_told", {"outcome": "延期 / delayed"})
    dl.run(iid)  # the dispatch-day call: 当天
    short = {"item": "RM-STEEL-1.5", "ordered": 50, "received": 45, "difference": "少5张"}
    act(d, iid, "buyer", "receipt_differs", short)
    dl.run(iid)  # received ≠ plan: 1 WD* from the report
    act(d, iid, "buyer", "difference_settled", {"remedy": "urge"})
    act(d, iid, "buyer", "cancel_po", reason="另购 / elsewhere")
    dl.run(iid)  # MC notes the cancellation: 4 WH*
    titles = {title for _, title in dl.checked}
    assert {
        "物料交期影响生产：决定应急处理方法",
        "与供应商确认实际发货时间（交期前5个工作日）",
        "发货当天电话确认：是否发出、承运方及联系方式",
        "跟踪到货（更改、取消须经物控）",
        "供应商不能按期：采取补救措施（30分钟内）",
        "采购补救无效：与销售沟通客户延期",
        "采购单取消：更改物料需求计划",
        "到货数量/质量与计划不符：退货补发、追补或降价让步",
    } <= titles, titles


def test_requirement_plan_deadlines_mail_once(
    walk: Callable[[], tuple[Driver, Deadlines]],
) -> None:
    """§5c: MC's plan (1 WD* from the notice's receipt), the PMC manager (4 WH*), the buyer's
    POs (2 WD from the hand-over, to the PMC manager) with MC following."""
    d, dl = walk()
    released(d, "SO-P1")
    start = {"order_no": "SO-P1", "received_at": (d.now - timedelta(hours=2)).isoformat()}
    iid = d.start("requirement_plan", "mc", start)
    dl.run(iid)
    rows = [{"item": "RM-STEEL-1.5", "qty": 60, "need_date": "2026-12-18"}]
    act(d, iid, "mc", "plan", {"rows": rows})
    dl.run(iid)
    act(d, iid, "pmc", "approve")
    dl.run(iid)
    pmc_mails = [m for m in dl.sink.messages if m.to == "pmc@demo.gendan.local"
                 and "升级" in m.subject and "采购单" in m.subject]  # fmt: skip
    assert len(pmc_mails) == 1, [m.subject for m in pmc_mails]
    assert {title for _, title in dl.checked} >= {
        "编制物料需求计划表（BOM、库存、在途、未领、采购周期、最小采购量）",
        "审核审批物料需求计划表",
        "依物料需求计划表下采购单并回传物控（二天内）",
        "追踪采购下单（逾期提报采购单未下单明细表）；更改须书面下发",
    }


def _routed(d: Driver, who: str, path: str, department: str = "production") -> int:
    form = {"req_class": "temporary", "path": path, "department": department,
            "rows": [{"item": "RM-STEEL-1.5", "qty": 5, "need_date": "2026-12-18"}]}  # fmt: skip
    iid = d.start("requisition", who, form)
    run_due(d.rt, now=d.now)  # the automatic route, as the flow runs it
    return iid


def test_requisition_deadlines_mail_once(walk: Callable[[], tuple[Driver, Deadlines]]) -> None:
    """§5b/§5d: every review 4 WH*, the buyer's POs 2 WD from the hand-over."""
    d, dl = walk()
    iid = _routed(d, "mc", "standard")
    dl.run(iid)  # supervisor
    act(d, iid, "mc_head", "reviewed")
    dl.run(iid)  # PMC manager
    act(d, iid, "pmc", "approve")
    dl.run(iid)  # the buyer's POs
    iid = _routed(d, "mc", "sample")
    dl.run(iid)  # MC reviews
    iid = _routed(d, "prod_mgr", "chemical")
    dl.run(iid)  # department head and keeper
    iid = _routed(d, "eng_head", "fixed_asset", "engineering")
    dl.run(iid)  # top head
    act(d, iid, "eng_head", "reviewed")
    dl.run(iid)  # designated leader
    assert {title for _, title in dl.checked} >= {
        "审核申购单（部门主管）", "审批申购单", "依申购单下采购单并回传物控（二天内）",
        "审核临时请购（样品/非库存/研发）", "确认化工/不常用辅料用量（部门负责人）",
        "确认化工/不常用辅料用量（仓管）", "审核固定资产请购（部门最高主管）",
        "审批固定资产请购（公司指定高层领导）",
    }


def test_requisition_002_variant_deadlines_mail_once(
    walk: Callable[[], tuple[Driver, Deadlines]],
) -> None:
    """§5e: workshop director, consolidation, the joint review, the contract: 4 WH* each
    (signing a contract: 1 WD*)."""
    d, dl = walk()
    with unit_of_work(d.rt.db) as s:
        s.add(MasterSetting(key="requisition_variant_002", value="1", updated_at=d.now))
    iid = _routed(d, "workshop", "standard", "workshop")
    dl.run(iid)
    act(d, iid, "workshop", "approve_need")
    dl.run(iid)
    act(d, iid, "buyer", "consolidated", {"kind": "mrp", "summary": "MRP 采购需求"})
    dl.run(iid)
    for who in ("purch_lead", "prod_mgr", "planner", "finance"):
        act(d, iid, who, "opinion", {"agrees": True})
    dl.run(iid)
    act(d, iid, "buyer", "sign_contract")
    dl.run(iid)
    assert {title for _, title in dl.checked} >= {
        "审批采购需求（车间主任）", "汇总采购需求（战略物资、MRP、临时用料）", "采购需求评审",
        "查有无采购合同：有则依合同下单，无则签订", "与供应商签订采购合同",
    }


def test_shortage_list_deadlines_mail_once(walk: Callable[[], tuple[Driver, Deadlines]]) -> None:
    """§5g: MC reports or answers at once (30 WM; production's list to MC's superior), the
    daily progress (the same day, then 1 WD after each), the superior's help (及时)."""
    d, dl = walk()
    rows = [{"item": "RM-BUSBAR-60", "qty": 30, "need_date": "2026-12-01"}]
    answer = {"rows": [{**rows[0], "eta": "2026-11-30"}], "progress": "已催"}
    late = d.start("shortage_list", "buyer", {"source": "purchasing", "rows": rows})
    dl.run(late)
    made = d.start("shortage_list", "prod_mgr", {"source": "production", "rows": rows})
    dl.run(made)
    act(d, made, "mc", "answered", answer)
    dl.run(made)
    act(d, made, "mc", "progress", answer)
    dl.run(made)
    act(d, made, "mc", "cannot_supply", reason="停产 / discontinued")
    dl.run(made)
    assert {title for _, title in dl.checked} >= {
        "第一时间提报欠缺/急需物料统计表（采购延期）", "第一时间回复生产部门的欠缺/急需物料统计表",
        "每日追踪进度报上级、仓库、生产部门和计划员",
        "每日追踪进度报上级、仓库、生产部门和计划员（次日）", "协助跟踪无法满足生产的物料",
    }


def test_material_chase_deadlines_mail_once(walk: Callable[[], tuple[Driver, Deadlines]]) -> None:
    """§5g: the chase list 1 WD* from the weekly plan, the booking at line start −3/−1 WD, MC
    following until the line start."""
    d, dl = walk()
    start = {"batch_no": "B-49", "plan_start": "2026-12-07",
             "received_at": (d.now - timedelta(hours=1)).isoformat(),
             "rows": [{"item": "RM-STEEL-1.5", "qty": 72, "need_date": "2026-12-07",
                       "main": True}]}  # fmt: skip
    iid = d.start("material_chase", "mc", start)
    dl.run(iid)
    act(d, iid, "mc", "sent", {"rows": start["rows"]})
    dl.run(iid)
    act(d, iid, "buyer", "booked", {"rows": start["rows"]})
    dl.run(iid)
    assert {title for _, title in dl.checked} >= {
        "按周生产计划及上线时间制作物料追催表，传采购", "预约主料到料时间并回复实际到料时间",
        "与采购保持沟通，跟进到料至上线",
    }
