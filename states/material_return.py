"""Defective material return and replenishment 不良料退补 (PROCEDURES.md §8d; seed 003
5.8.1-5.8.3).

Production labels the defective material and writes the 退/补领料单 (rows: item, qty,
defect, return, replenish, short); QC confirms the defect and its cause; MC signs the return
and decides whether to replenish — otherwise the warehouse does not accept it (否则仓库不予
受理). The warehouse returns the material to the defective store and issues the
replacements as far as stock goes (``gendan.issue_register.execute_return``, stock
movements); what it cannot give is noted as short on the row and gets a 物料跟催单 to MC
(a linked ``issue_shortage`` child, 5.8.2). Supplier-caused defects go to MC and the buyer,
who hand them to the supplier return (§8c) and tell the warehouse and production when the
replacement arrives. Every step's paper is copied to MC (5.8.3). 4 WH* each.

The supplier return (§8c, ``supplier_return``) starts as a linked child when the buyer has
handed it over (``Child``; its 来料检验验退报告 carries the slip's rows and the supplier).
"""

from __future__ import annotations

from typing import Any

from statemachine import State

from gendan.timespec import Deadline
from states.base import Child, Inform, OnEnter, Procedure, Step, Subject, TaskSpec, Wait, Waiting

SEED = "003 5.8.1"
EACH = Deadline.wh(4, assumed=True)  # 4 WH* each
SLIP = Subject(kind="return_slip", label_zh="退/补领料单", label_en="Return/replenish slip",
               key_field="slip_key")  # fmt: skip
TO_MC = Inform(roles=("material_controller",))  # 5.8.3 所有不良退补作业相关单位应传物控一份
R = "gendan.issue_register:"


def _forms(d: dict[str, Any]) -> dict[str, Any]:
    return d.get("forms", {})


def short_slips(data: dict[str, Any]) -> list[dict[str, Any]]:
    """5.8.2: a 物料跟催单 for each row the warehouse could not replenish in full."""
    executed = _forms(data).get("execute", {})
    return [
        {"batch_no": data.get("slip", {}).get("batch_no"), "item_code": r["item_code"],
         "on_hand": r["on_hand"], "quota_qty": r["needed"], "short_qty": r["short"],
         "reason": "return_short", "received_at": data.get("at", {}).get("executed")}  # fmt: skip
        for r in executed.get("short", [])
    ]


def supplier_report(data: dict[str, Any]) -> dict[str, Any]:
    """§8c's 来料检验验退报告 from the slip and the buyer's hand-over (the supplier named).
    Choice: ``from_stock`` false: the defective material sits in the defective store, and
    §8c moves stock out of the raw-material store only."""
    handover = _forms(data).get("handed_over", {})
    return {
        "supplier": handover.get("supplier") or "未填 / not given",
        "received_at": data.get("at", {}).get("handed_over"),
        "from_stock": False,
        "rows": [{"item_code": r["item_code"], "qty": r["qty"], "defect": r["defect"][:100]}
                 for r in data.get("slip", {}).get("rows", [])],
        "remarks": f"退/补领料单 {data.get('slip', {}).get('batch_no') or ''}".strip(),
    }


def supplier_caused(data: dict[str, Any]) -> bool:
    return _forms(data).get("qc_confirms", {}).get("cause") == "supplier"


def _one(name: str, role: str, dep: str, zh: str, en: str, seed: str,
         shows: tuple[str, ...]) -> Waiting:  # fmt: skip
    task = TaskSpec(role, dep, zh, en, EACH, seed=seed)
    return Waiting(name, wait=Wait((task,), shows=shows))


class MaterialReturn(Procedure):
    key = "material_return"
    title_zh = "不良料退/补料"
    title_en = "Defective material return and replenishment"
    start_form = "material_return_slip"
    start_roles = ("workshop_director", "production_manager")
    start_key = "slip"
    subject = SLIP

    qc_check = _one("品质确认 / QC confirms", "qc_inspector", "quality",
                    "检验确认不良料（原因：生产或供应商）",
                    "Confirm the defective material (cause: production or supplier)", SEED,
                    ("start",))  # fmt: skip
    mc_sign = _one("物控签字 / MC signs", "material_controller", "material_control",
                   "签字确认退库并确定是否补料", "Sign the return and decide on replenishing",
                   SEED, ("start", "qc_confirms"))  # fmt: skip
    replenishing = _one("仓库退补料 / Warehouse returns and replenishes", "warehouse_keeper",
                     "warehouse", "对照退/补领料单收发料（不够补料注明欠料）",
                     "Take back and replenish per the slip (note what is short)", "003 5.8.2",
                     ("start", "mc_signs"))  # fmt: skip
    short_chased = Waiting(
        "欠料跟催中 / Short replenishment chased",
        wait=Wait(children=("issue_shortage",), when_done="shortage_answered"),
    )
    supplier_handover = _one(
        "供应商来料不良：物控与采购 / Supplier-caused: MC and buyer", "buyer", "purchasing",
        "与物控完成退/补料（转供应商退货），回复补料到位时间",
        "With MC, return to the supplier (→ §8c) and tell when the replacement arrives", SEED,
        ("start", "qc_confirms", "execute"),
    )  # fmt: skip
    done = State("已完成 / Done", final=True)
    refused = State("仓库不予受理 / Refused", final=True)

    qc_confirms = qc_check.to(mc_sign)
    qc_rejects = qc_check.to(refused)
    mc_signs = mc_sign.to(replenishing)
    mc_refuses = mc_sign.to(refused)
    # the short rows are known after the warehouse's effect: the chase state starts one
    # slip per short row and moves on at once when there is none
    execute = replenishing.to(short_chased)
    shortage_answered = (
        short_chased.to(supplier_handover, cond="by_supplier") | short_chased.to(done)
    )
    handed_over = supplier_handover.to(done)

    steps = {
        "qc_confirms": Step("确认不良", "Confirm the defect", form="return_inspection"),
        "qc_rejects": Step("非不良料：退回", "Not defective: back", reason_required=True),
        "mc_signs": Step("签字（退库；是否补料）", "Sign (return; replenish?)", form="return_sign",
                         signature="approved"),  # fmt: skip
        "mc_refuses": Step("不签：仓库不予受理", "Not signed: the warehouse refuses",
                           reason_required=True),  # fmt: skip
        "execute": Step("退料入库、补料发出", "Returned and replenished", form="material_note",
                        marks="executed", effect=R + "execute_return"),  # fmt: skip
        "shortage_answered": Step("跟催单已回复", "Chase slips answered"),
        "handed_over": Step("已交接供应商退/补料", "Handed to the supplier return",
                            form="supplier_handover", marks="handed_over"),  # fmt: skip
    }
    entering = {
        "mc_sign": OnEnter(informs=(TO_MC,)),
        "short_chased": OnEnter(starts=(Child("issue_shortage", each=short_slips),)),
        "supplier_handover": OnEnter(informs=(TO_MC,)),
        "done": OnEnter(
            informs=(TO_MC,),
            starts=(Child("supplier_return", data=supplier_report, when="supplier_caused"),),
        ),
        "refused": OnEnter(informs=(TO_MC,)),
    }
    predicates = {"supplier_caused": supplier_caused}

    def by_supplier(self, form: dict[str, Any] | None = None) -> bool:
        return supplier_caused(self.model.data)
