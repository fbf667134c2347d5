"""Outsourcing 委外 / 外协 (PROCEDURES.md §6; seeds 001W 3.5.1-3.5.2, 001M 2.2.2(3), 002 1.2.6,
3.4.8, 3.4.9).

The company GM proposes on the 外协签批单 when capacity is saturated, a requirement exceeds the
company, or a subcontractor is better and cheaper (001W 3.5.1); the group GM approves (001M
2.2.2(3)). The planner makes the outsourcing plan from R&D's BOM (3.5.2.2), the GM signs the
contract (3.5.2.3), purchasing executes it per the technical agreement (3.5.2.4). Then one of
two levels (002 1.2.6):

* material-level (002 3.4.8): 委外订单 → the subcontractor confirms (paused) → 材料出库单 (stock
  leaves the store) → processing (paused) → 委外到货单 → inspection → fail: 到货退回单, back to
  processing / pass: 采购入库单 (stock in) → more to come: processing again / all: 委外发票;
* operation-level (002 3.4.9): 委外加工单 (operation, qty, price, issue batch) → the workshop
  reports the previous operation's done quantity; [A] once it reaches the issue batch the
  move goes on by itself to "subcontractor called" (a declared guard on the report, no
  special case) → 委外发料单 → processing (paused) → 委外收料单 + 报检单 → inspection, good to
  the next operation → more batches, or the 委外发票, [A] passed to AP.

Each step is 1 WD* with the default chain. Quantities go to ``OutsourcingLine``
(``gendan.outsourcing``) for the monthly 挂账单 and leftover lists.

Choice: group_gm is the GM where there is no group (PROCEDURES.md); the demo has one.
Choice: an outsourcing approved within §3 (the group GM signed there) starts at the plan
(``Child.enters``), so nobody approves it twice.
Choice: 核销, 结算 and AP are ERP postings (PROCEDURES.md §6): the closing move issues the
委外发票 as a document and finance is informed; the month's issued and received lines are
exported for the ERP (``GET /api/outsourcing/{code}/{period}.csv|.xlsx``); nothing is posted.
Choice: an inspection failure returns the whole arrival (到货退回单) and waits for the
subcontractor again; a partly good arrival passes, its 工废/料废 recorded on the line. The
inspector records a §9 quality exception by hand where the problem needs one (§9 is about an
order's batch); the 到货退回单 starts the supplier return (§8c) as a linked instance with the
subcontractor in the supplier's place, and the subcontractor's wait starts again here.
"""

from __future__ import annotations

from typing import Any

from statemachine import State

from gendan.timespec import Deadline
from states.base import Inform, OnEnter, Procedure, Step, Subject, TaskSpec, Wait, Waiting

WORK = Deadline.wd(1, assumed=True)  # 1 WD*: PROCEDURES.md §6 "1 WD* each"
FX = "gendan.outsourcing:"
MATERIAL, OPERATION = "002 3.4.8", "002 3.4.9"


def _task(role: str, dep: str, zh: str, en: str, seed: str, **kw: Any) -> TaskSpec:
    return TaskSpec(role, dep, zh, en, WORK, seed=seed, **kw)


def _one(name: str, *tasks: TaskSpec, shows: tuple[str, ...] = ()) -> Waiting:
    return Waiting(name, wait=Wait(tasks, shows=shows))


def _forms(d: dict[str, Any]) -> dict[str, Any]:
    return d.get("forms", {})


class Outsourcing(Procedure):
    key = "outsourcing"
    title_zh = "委外 / 外协"
    title_en = "Outsourcing"
    start_form = "outsourcing_request"
    start_roles = ("general_manager",)
    start_key = "request"
    subject = Subject("outsourcing", "外协", "outsourcing", prefix="WW", orders_field="orders")

    approval = Waiting(
        "待集团总经理签批 / Awaiting the group GM",
        initial=True,
        wait=Wait(
            (
                _task("group_gm", "gm_office", "签批外协（总经理提议）",
                      "Approve the outsourcing the GM proposes", "001W 3.5.1; 001M 2.2.2(3)"),
            ),  # fmt: skip
            shows=("start",),
        ),
    )
    planning = _one(
        "编制外协计划 / Outsourcing plan",
        _task("production_planner", "production", "按研发部 BOM 编制外购、外加工计划",
              "Make the outsourcing plan from R&D's BOM", "001W 3.5.2.2"),
        shows=("start",),
    )  # fmt: skip
    contract_signing = _one(
        "合同签批 / Contract",
        _task("general_manager", "gm_office", "外协合同报公司领导签批",
              "Sign the outsourcing contract", "001W 3.5.2.3"),
        shows=("plan",),
    )  # fmt: skip
    execution = _one(
        "采购部实施 / Purchasing executes",
        _task("buyer", "purchasing", "按技术协议（合同）实施外购或外加工（→ §5）",
              "Execute per the technical agreement (→ §5)", "001W 3.5.2.4"),
        shows=("plan", "sign_contract"),
    )  # fmt: skip
    # -- material-level (002 3.4.8)
    ordering = _one(
        "下委外订单 / Outsourcing order",
        _task("production_planner", "production", "下委外订单", "Issue the outsourcing order",
              f"{MATERIAL} step 1"),
        shows=("plan",),
    )  # fmt: skip
    confirming = _one(
        "待外协厂确认 / Awaiting the subcontractor's confirmation",
        _task("outsourcing_coordinator", "outsourcing", "委外订单交外协厂确认",
              "Get the subcontractor's confirmation", f"{MATERIAL} step 2",
              pauses_for="subcontractor"),
        shows=("place_order",),
    )  # fmt: skip
    issuing = _one(
        "材料出库 / Material issue",
        _task("warehouse_keeper", "warehouse", "按确认的委外订单开材料出库单发料",
              "Issue the material (材料出库单)", f"{MATERIAL} step 2"),
        shows=("place_order",),
    )  # fmt: skip
    processing = _one(
        "外协加工中 / At the subcontractor",
        _task("outsourcing_coordinator", "outsourcing", "外协加工：完工送货后录入委外到货单",
              "Record the arrival (委外到货单) when the work comes back", f"{MATERIAL} step 3",
              pauses_for="subcontractor"),
        shows=("place_order",),
    )  # fmt: skip
    inspecting = _one(
        "委外到货检验 / Inspection",
        _task("qc_inspector", "quality", "委外到货检验，出具检验单和不良品处理单（→ §9）",
              "Inspect the arrival (→ §9)", f"{MATERIAL} step 4"),
        shows=("arrived",),
    )  # fmt: skip
    returning = _one(
        "到货退回 / Return",
        _task("outsourcing_coordinator", "outsourcing", "检验不合格：录入到货退回单（→ §8c）",
              "Failed: record the return (→ §8c)", f"{MATERIAL} step 5"),
        shows=("failed",),
    )  # fmt: skip
    stocking = _one(
        "委外入库 / Stock-in",
        _task("warehouse_keeper", "warehouse", "合格品清点入库（采购入库单）",
              "Count the good quantity into stock", f"{MATERIAL} step 6"),
        shows=("inspection_passed",),
    )  # fmt: skip
    invoicing = _one(
        "委外发票 / Invoice",
        _task("outsourcing_coordinator", "outsourcing", "根据入库及订单填制委外发票",
              "Enter the outsourcing invoice", f"{MATERIAL} step 7"),
        shows=("place_order",),
    )  # fmt: skip
    # -- operation-level (002 3.4.9)
    op_ordering = _one(
        "下委外加工单 / Operation order",
        _task("outsourcing_coordinator", "outsourcing", "根据工序计划下达委外加工单",
              "Issue the operation outsourcing order", f"{OPERATION} step 3"),
        shows=("plan",),
    )  # fmt: skip
    op_batch = _one(
        "待上道工序完工 / Waiting for the issue batch",
        _task("workshop_director", "workshop", "报上道工序完工数量（达到发出批量即通知外协厂）",
              "Report the previous operation's done quantity", f"{OPERATION} step 4"),
        shows=("process_order",),
    )  # fmt: skip
    op_calling = _one(
        "通知外协厂领料 / Subcontractor called",
        _task("outsourcing_coordinator", "outsourcing", "通知外协厂来车间领料，开委外发料单",
              "Call the subcontractor; issue the batch (委外发料单)", f"{OPERATION} step 4"),
        shows=("process_order", "report_done"),
    )  # fmt: skip
    op_processing = _one(
        "工序外协加工中 / At the subcontractor",
        _task("outsourcing_coordinator", "outsourcing", "外协完工送回：委外收料并报检",
              "Receive the work back and send it for inspection", f"{OPERATION} steps 5-6",
              pauses_for="subcontractor"),
        shows=("issue_batch",),
    )  # fmt: skip
    op_inspecting = _one(
        "工序外协检验 / Inspection",
        _task("qc_inspector", "quality", "按报检单检验，合格品转下道工序",
              "Inspect; good goes to the next operation", f"{OPERATION} step 7"),
        shows=("received",),
    )  # fmt: skip
    op_invoicing = _one(
        "委外发票 / Invoice",
        _task("outsourcing_coordinator", "outsourcing", "参照委外挂账单录入委外发票（传应付）",
              "Enter the invoice from the statement (to AP)", f"{OPERATION} steps 9-10"),
        shows=("process_order",),
    )  # fmt: skip
    refused = State("未批准 / Not approved", final=True)
    done = State("已完成 / Done", final=True)

    approve = approval.to(planning)
    refuse = approval.to(refused)
    plan = planning.to(contract_signing)
    sign_contract = contract_signing.to(execution)
    execute = execution.to(ordering, cond="material_level") | execution.to(op_ordering)
    place_order = ordering.to(confirming)
    subcontractor_confirmed = confirming.to(issuing)
    declined = confirming.to(ordering)
    issue_material = issuing.to(processing)
    arrived = processing.to(inspecting)
    inspection_passed = inspecting.to(stocking)
    failed = inspecting.to(returning)
    return_goods = returning.to(processing)
    stock_in = stocking.to(invoicing, cond="all_accounted") | stocking.to(processing)
    invoice = invoicing.to(done) | op_invoicing.to(done)
    process_order = op_ordering.to(op_batch)
    report_done = op_batch.to(op_calling, cond="batch_reached") | op_batch.to.itself()
    issue_batch = op_calling.to(op_processing)
    received = op_processing.to(op_inspecting)
    inspected = (
        op_inspecting.to(op_invoicing, cond="all_accounted")
        | op_inspecting.to(op_processing, cond="all_issued")
        | op_inspecting.to(op_batch)
    )

    steps = {
        "approve": Step("批准外协", "Approve", signature="approved"),
        "refuse": Step("不批准", "Refuse", reason_required=True, signature="rejected"),
        "plan": Step("提交外协计划", "Submit the plan", form="outsourcing_plan",
                     effect=f"{FX}check_plan"),
        "sign_contract": Step("签批合同", "Sign the contract", form="outsourcing_contract",
                              signature="approved", issues="outsourcing_contract"),
        "execute": Step("实施", "Execute"),
        "place_order": Step("下达委外订单", "Issue the order", form="outsourcing_order",
                            issues="outsourcing_order", effect=f"{FX}check_order"),
        "subcontractor_confirmed": Step("外协厂已确认", "Confirmed",
                                        form="subcontractor_confirmation"),
        "declined": Step("外协厂不接受", "Declined", reason_required=True),
        "issue_material": Step("材料出库", "Issue the material", form="outsourcing_material_issue",
                               issues="outsourcing_material_issue", effect=f"{FX}issue_material"),
        "arrived": Step("录入委外到货单", "Record the arrival", form="outsourcing_arrival"),
        "inspection_passed": Step("检验合格", "Passed", form="outsourcing_inspection"),
        "failed": Step("检验不合格", "Failed", form="outsourcing_inspection"),
        "return_goods": Step("退回外协厂", "Return", form="outsourcing_return",
                             issues="outsourcing_return",
                             effect=f"{FX}return_to_subcontractor"),
        "stock_in": Step("入库", "Into stock", form="outsourcing_receipt",
                         issues="outsourcing_receipt", effect=f"{FX}receive_into_stock"),
        "invoice": Step("录入委外发票", "Enter the invoice", form="outsourcing_invoice",
                        issues="outsourcing_invoice"),
        "process_order": Step("下达委外加工单", "Issue the operation order", form="process_order",
                              issues="process_order", effect=f"{FX}check_process_order"),
        "report_done": Step("报完工数量", "Report done", form="operation_progress"),
        "issue_batch": Step("开委外发料单", "Issue the batch", form="process_issue",
                            effect=f"{FX}issue_operation_batch"),
        "received": Step("委外收料并报检", "Received, sent for inspection",
                         form="outsourcing_arrival"),
        "inspected": Step("检验完成", "Inspected", form="outsourcing_inspection",
                          effect=f"{FX}record_operation_receipt"),
    }  # fmt: skip
    entering = {
        # [A] the subcontractor is called: the coordinator hears it at once (002 3.4.9 step 4)
        "op_calling": OnEnter(informs=(Inform(roles=("outsourcing_coordinator",)),)),
        # [A] the invoice goes to finance for 核销/结算 and AP (exported, 3.4.8 steps 8-9)
        "done": OnEnter(informs=(Inform(roles=("finance",), when="invoiced"),)),
    }
    predicates = {
        "invoiced": lambda d: "invoice" in _forms(d),
    }

    def material_level(self, form: dict[str, Any] | None = None) -> bool:
        return _forms(self.model.data).get("plan", {}).get("level") == "material"

    def batch_reached(self, form: dict[str, Any] | None = None) -> bool:
        """[A] 002 3.4.9 step 4: the previous operation's done quantity not yet issued covers
        the issue batch (or all that is left to issue)."""
        order = _forms(self.model.data).get("process_order", {})
        issued = self.model.data.get("totals", {}).get("issued", 0.0)
        left = order.get("qty", 0.0) - issued
        return (form or {}).get("done_qty", 0.0) - issued >= min(order.get("issue_batch", 0), left)

    def all_issued(self, form: dict[str, Any] | None = None) -> bool:
        """Every piece of the 委外加工单 is out: the rest of the work is awaited, not issued."""
        order = _forms(self.model.data).get("process_order", {})
        issued = self.model.data.get("totals", {}).get("issued", 0.0)
        return issued >= order.get("qty", 0.0) - 1e-6

    def all_accounted(self, form: dict[str, Any] | None = None) -> bool:
        """Everything ordered came back (good, scrapped or lost) with this move."""
        data = self.model.data
        forms = _forms(data)
        if "process_order" in forms:
            ordered = forms["process_order"]["qty"]
            now = sum(r["good"] + r["scrap_work"] + r["scrap_material"] + r["loss"]
                      for r in (form or {}).get("rows", []))  # fmt: skip
        else:
            ordered = sum(r["qty"] for r in forms.get("place_order", {}).get("rows", []))
            now = sum(r["good"] + r["scrap_work"] + r["scrap_material"] + r["loss"]
                      for r in forms.get("inspection_passed", {}).get("rows", []))  # fmt: skip
        return data.get("totals", {}).get("accounted", 0.0) + now >= ordered - 1e-6
