"""A demo company: departments, one person per role (PROCEDURES.md), orders in several states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from gendan.assignment import claim_task
from gendan.db import unit_of_work, utcnow
from gendan.models import Department, FinishedStock, Instance, Task, User, UserRole
from gendan.org import load_actor
from gendan.runtime import Runtime
from gendan.security import hash_password
from gendan.transitions import complete_task, start_instance
from states import get_procedure

DEPARTMENTS = {
    "sales": ("销售部", "Sales"),
    "merchandising": ("跟单部", "Merchandising"),
    "production": ("生产部", "Production"),
    "workshop": ("车间", "Workshop"),
    "material_control": ("物控部", "Material control"),
    "engineering": ("技术部", "Engineering"),
    "purchasing": ("采购部", "Purchasing"),
    "warehouse": ("仓库", "Warehouse"),
    "quality": ("质管部", "Quality"),
    "outsourcing": ("外协部", "Outsourcing"),
    "finance": ("财务部", "Finance"),
    "after_sales": ("售后服务部", "After-sales"),
    "logistics": ("储运部", "Logistics"),
    "gm_office": ("总经办", "GM office"),
}

#: username → (display name, [(role, department)]); heads get the dept_head role.
PEOPLE: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "clerk": ("王丽 (销售内勤)", [("sales_clerk", "sales")]),
    "sales": ("李强 (业务员)", [("salesperson", "sales")]),
    "sales_head": ("张敏 (销售部长)", [("dept_head", "sales")]),
    "merch": ("陈静 (跟单员)", [("merchandiser", "merchandising")]),
    "merch_lead": (
        "刘洋 (跟单主管)",
        [("merchandising_lead", "merchandising"), ("dept_head", "merchandising")],
    ),  # noqa: E501
    "planner": ("赵磊 (生产计划员)", [("production_planner", "production")]),
    "prod_mgr": (
        "孙伟 (生产部经理)",
        [("production_manager", "production"), ("dept_head", "production")],
    ),  # noqa: E501
    "workshop": ("周勇 (车间主任)", [("workshop_director", "workshop"), ("dept_head", "workshop")]),  # noqa: E501
    "mc": ("吴芳 (物控计划员)", [("material_controller", "material_control")]),
    "mc_head": (
        "郑华 (物控部长)",
        [("dept_head", "material_control"), ("mc_section_head", "material_control")],
    ),
    "engineer": ("冯涛 (技术部)", [("engineering", "engineering")]),
    "eng_head": ("何军 (技术部长)", [("dept_head", "engineering")]),
    "buyer": ("马超 (采购员)", [("buyer", "purchasing")]),
    "purch_lead": (
        "林峰 (采购主管)",
        [("purchasing_lead", "purchasing"), ("dept_head", "purchasing")],
    ),  # noqa: E501
    "keeper": ("高飞 (仓管员)", [("warehouse_keeper", "warehouse"), ("dept_head", "warehouse")]),  # noqa: E501
    "iqc": ("罗琳 (品管检验员)", [("qc_inspector", "quality")]),
    "qa_lead": ("梁栋 (质管部领导)", [("qa_lead", "quality"), ("dept_head", "quality")]),
    "outsource": (
        "宋佳 (外协员)",
        [("outsourcing_coordinator", "outsourcing"), ("dept_head", "outsourcing")],
    ),  # noqa: E501
    "finance": ("唐宁 (财务)", [("finance", "finance"), ("dept_head", "finance")]),
    "service": ("许诺 (售后服务)", [("after_sales", "after_sales"), ("dept_head", "after_sales")]),  # noqa: E501
    "logistics": ("韩冰 (储运)", [("logistics", "logistics"), ("dept_head", "logistics")]),
    "gm": ("黄总 (总经理)", [("general_manager", "gm_office"), ("dept_head", "gm_office")]),
    "auditor": ("审核员 (ISO 审核)", [("auditor", "gm_office")]),
    "admin": ("系统管理员", [("admin", "gm_office")]),
    "deputy": ("钱副总 (副总经理)", [("deputy_gm", "gm_office")]),
    "fg_keeper": ("邓玲 (成品收料员)", [("fg_keeper", "warehouse")]),
    # §3 (production planning and follow-up): roles the seeds give their own people
    "dispatcher": ("钱进 (生产调度)", [("dispatcher", "production")]),
    "packer": ("孔亮 (包装组长)", [("packing_lead", "workshop")]),
    "pmc": ("严明 (PMC 主管)", [("pmc_manager", "material_control")]),
    "group_gm": ("董总 (集团总经理)", [("group_gm", "gm_office")]),
    # §7 (stocktaking): a second counter (fin_dir reviews the 盘点单)
    "wh_staff": ("钱多 (仓库员)", [("warehouse_keeper", "warehouse")]),
    # §5 (purchasing): the finance director approves prices; admin buys office supplies
    "fin_dir": ("曹敏 (财务总监)", [("finance_director", "finance")]),
    "hr": ("陆燕 (行政人事)", [("admin_hr", "gm_office")]),
}
HEADS = {
    "sales": "sales_head",
    "merchandising": "merch_lead",
    "production": "prod_mgr",
    "workshop": "workshop",
    "material_control": "mc_head",
    "engineering": "eng_head",
    "purchasing": "purch_lead",
    "warehouse": "keeper",
    "quality": "qa_lead",
    "outsourcing": "outsource",
    "finance": "finance",
    "after_sales": "service",
    "logistics": "logistics",
    "gm_office": "gm",
}
DEMO_PASSWORD = "gendan-demo"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    display_name: str
    roles: str


def seed_organisation(session: Session, *, password: str = DEMO_PASSWORD) -> dict[str, User]:
    """Departments, people, roles and department heads; skipped if already there."""
    if session.exec(select(Department)).first() is not None:
        return {u.username: u for u in session.exec(select(User)).all()}
    deps = {k: Department(key=k, name_zh=zh, name_en=en) for k, (zh, en) in DEPARTMENTS.items()}
    session.add_all(deps.values())
    session.flush()
    pw_hash = hash_password(password)  # one hash for all demo people: seeding stays fast
    users: dict[str, User] = {}
    for i, (username, (name, roles)) in enumerate(PEOPLE.items()):
        user = User(
            username=username,
            display_name=name,
            password_hash=pw_hash,
            email=f"{username}@demo.gendan.local",
            phone=f"1380000{i:04d}",
            department_id=deps[roles[0][1]].id,
        )
        session.add(user)
        session.flush()
        for role, dep in roles:
            session.add(UserRole(user_id=user.id, role=role, department_id=deps[dep].id))
        users[username] = user
    for dep_key, username in HEADS.items():
        deps[dep_key].head_user_id = users[username].id
        session.add(deps[dep_key])
    session.flush()
    return users


def demo_logins() -> list[DemoLogin]:
    return [
        DemoLogin(u, n, ", ".join(f"{r}@{d}" for r, d in roles)) for u, (n, roles) in PEOPLE.items()
    ]


def order_form(
    order_no: str, kind: str, *, days: int = 30, now: datetime | None = None
) -> dict[str, Any]:
    """An intake form; ``kind`` picks the ticks: regular, non_regular (④), special (①),
    repeat (of SO-2025-0001)."""
    at = now or utcnow()
    when = at + timedelta(days=days)
    ticks: dict[str, Any] = {
        "regular": {},
        "non_regular": {"tight_date": True, "penalty_clause": True},
        "special": {"new_design": True},
        "repeat": {"repeat_of": "SO-2025-0001"},
    }[kind]
    return {
        "order_no": order_no,
        "customer": "宁波华东机电有限公司",
        "customer_class": "A",
        "received_at": (at - timedelta(minutes=20)).isoformat(),
        "channel": "fax",
        "product": "配电柜",
        "model_spec": "GGD-2200",
        "quantity": 12,
        "unit": "台",
        "delivery_date": when.date().isoformat(),
        "technical_requirements": "按客户图纸 / per customer drawing",
        "quality_requirements": "GB 7251.1",
        **ticks,
    }


class Driver:
    """Moves demo orders along through the real transition service, as people would."""

    def __init__(self, rt: Runtime, now: datetime) -> None:
        self.rt, self.now = rt, now

    def start(self, procedure: str, username: str, form: dict[str, Any]) -> int:
        with unit_of_work(self.rt.db) as s:
            actor = load_actor(s, _uid(s, username))
            inst = start_instance(
                s,
                procedure=procedure,
                actor=actor,
                form_data=form,
                now=self.now,
                calendar=self.rt.calendar,
            )
            assert inst.id is not None
            return inst.id

    def act(
        self,
        instance_id: int,
        username: str,
        decision: str,
        form: dict[str, Any] | None = None,
        reason: str = "",
        password: str | None = DEMO_PASSWORD,
    ) -> None:
        with unit_of_work(self.rt.db) as s:
            actor = load_actor(s, _uid(s, username))
            task = self._claim(s, instance_id, actor)
            if not _signs(s, instance_id, decision):
                password = None  # no signature: skip the ~0.4 s password check (demo stays fast)
            complete_task(
                s,
                task_id=task.id,
                actor=actor,
                decision=decision,
                form_data=form,
                reason=reason,
                password=password,
                now=self.now,
                calendar=self.rt.calendar,
            )

    def _claim(self, s: Session, instance_id: int, actor: Any) -> Task:
        task = next(
            t
            for t in s.exec(
                select(Task).where(Task.instance_id == instance_id, Task.status == "open")
            ).all()
            if actor.has_role(t.role, t.department_id)
        )
        claim_task(s, task_id=task.id, actor=actor, now=self.now)
        return task

    def pause(self, instance_id: int, username: str, note: str, via: str = "phone") -> None:
        """The holder claims the task and stops its clock: the outside party's answer is due."""
        from gendan.pausing import pause_task

        with unit_of_work(self.rt.db) as s:
            actor = load_actor(s, _uid(s, username))
            task = self._claim(s, instance_id, actor)
            pause_task(
                s,
                task_id=task.id,
                actor=actor,
                note=note,
                via=via,
                now=self.now,
                calendar=self.rt.calendar,
            )


def _signs(session: Session, instance_id: int, decision: str) -> bool:
    """Whether ``decision`` is an electronic signature (the password is checked only then)."""
    inst = session.get(Instance, instance_id)
    step = get_procedure(inst.procedure).steps.get(decision) if inst else None
    return step is not None and step.signature is not None


def _uid(session: Session, username: str) -> int:
    user = session.exec(select(User).where(User.username == username)).one()
    assert user.id is not None
    return user.id


def step_forms(order: dict[str, Any], now: datetime) -> dict[str, dict[str, Any]]:
    """Plausible form values for each step of order review, derived from the intake form."""
    later = (now + timedelta(days=60)).date().isoformat()
    return {
        "confirm": {
            "model_spec": order["model_spec"],
            "quantity": order["quantity"],
            "delivery_date": order["delivery_date"],
            "confirmed_with": "陈经理",
        },
        "feasible": {"feasible": True, "stock_checked": True, "comments": "可按期交货"},
        "infeasible": {
            "feasible": False,
            "earliest_delivery_date": later,
            "comments": "产能已满 / capacity full",
        },
        "quote": {
            "price_basis": "price_list",
            "unit_price": "18500.00",
            "surcharge": "0",
            "currency": "CNY",
            "valid_until": later,
        },
        "contract": {
            "contract_no": f"HT-{order['order_no']}",
            "signed_on": now.date().isoformat(),
            "payment_received": True,
            "signed_by_customer": "陈经理",
        },
        "unpaid_contract": {
            "contract_no": f"HT-{order['order_no']}",
            "signed_on": now.date().isoformat(),
            "payment_received": False,
            "signed_by_customer": "陈经理",
        },
        "payment": {
            "amount": "222000.00",
            "received_on": now.date().isoformat(),
            "reference": f"BANK-{order['order_no']}",
        },
        "confirmation": {"details_checked": True, "remarks": "已核对"},
        "receipt": {"copies": 1},
        "notice": {  # prefilled from the order, as the task page does (nothing typed is lost)
            k: order[k]
            for k in (
                "order_no",
                "customer",
                "product",
                "model_spec",
                "quantity",
                "unit",
                "delivery_date",
                "technical_requirements",
                "quality_requirements",
                "complete_set",
                "project",
                "penalty_clause",
            )
            if order.get(k) is not None
        },
    }


#: Who acknowledges a production notice in the demo company (states.notice).
RECIPIENTS = ("planner", "mc", "buyer", "keeper", "qa_lead")


def review_to_notice(d: Driver, instance_id: int, order: dict[str, Any]) -> None:
    """A regular order from confirmation to the production notice task (paid at signing)."""
    f = step_forms(order, d.now)
    d.act(instance_id, "clerk", "confirm", f["confirm"])
    for who in ("clerk", "prod_mgr", "mc"):
        d.act(instance_id, who, "opinion", f["feasible"])
    d.act(instance_id, "clerk", "submit_quote", f["quote"])
    d.act(instance_id, "sales_head", "approve_quote")
    d.act(instance_id, "clerk", "contract_signed", f["contract"])


def notice_to_release(d: Driver, instance_id: int, order: dict[str, Any]) -> None:
    """Issue the notice, production confirms, the departments acknowledge."""
    f = step_forms(order, d.now)
    d.act(instance_id, "clerk", "issue_notice", f["notice"])
    d.act(instance_id, "prod_mgr", "confirm_notice", f["confirmation"])
    acknowledge(d, instance_id)


def acknowledge(d: Driver, instance_id: int, extra: tuple[str, ...] = ()) -> None:
    for who in (*RECIPIENTS, *extra):
        d.act(instance_id, who, "opinion", {"copies": 1})


def review_to_release(d: Driver, instance_id: int, order: dict[str, Any]) -> None:
    """A regular order from confirmation to released: notice confirmed and acknowledged."""
    review_to_notice(d, instance_id, order)
    notice_to_release(d, instance_id, order)


#: The model the demo warehouse holds as finished goods: an order for it ships from stock.
STOCK_MODEL = "GGD-1600"


def load_demo(rt: Runtime, *, now: datetime | None = None) -> list[DemoLogin]:
    """Seed the demo company and one order on each path; does nothing to a non-empty database."""
    now = now or utcnow()
    with unit_of_work(rt.db) as s:
        fresh = s.exec(select(Department)).first() is None
        seed_organisation(s)
        if fresh:
            s.add(
                FinishedStock(product="配电柜", model_spec=STOCK_MODEL, on_hand=30, updated_at=now)
            )
    if fresh:
        demo_orders(Driver(rt, now))
    return demo_logins()


def change_request(order_no: str, now: datetime, what: str, source: str = "customer") -> dict:
    """客户更改通知登记 (or engineering's technical change) as it arrived, now."""
    return {
        "order_no": order_no,
        "received_at": now.isoformat(),
        "requested_by": "陈经理" if source == "customer" else "冯涛 (技术部)",
        "source": source,
        "change_description": what,
        "written_request": "FAX-0917" if source == "customer" else None,
    }


def demo_orders(d: Driver) -> None:
    """One order on each path of PROCEDURES.md §1, §1b, §1c and §2, moved by the engine."""
    now = d.now
    # non-regular (④ tight date with a penalty clause) at the board: engineering and QA too
    board = order_form("SO-2026-0001", "non_regular", days=45, now=now)
    d.act(
        d.start("order_review", "clerk", board),
        "clerk",
        "confirm",
        step_forms(board, now)["confirm"],
    )
    # released (regular); the customer wants it 10 days earlier, production can make 4: the
    # customer is asked and the clock stands still until they answer (§2 (2), paused)
    released = order_form("SO-2026-0002", "regular", now=now)
    review_to_release(d, d.start("order_review", "clerk", released), released)
    contract = date.fromisoformat(released["delivery_date"])
    what = "交期提前 10 天 / deliver 10 days earlier"
    change = d.start("order_change", "clerk", change_request("SO-2026-0002", now, what))
    notice = change_request("SO-2026-0002", now, what)  # the notice form, as typed
    del notice["source"], notice["written_request"]
    earlier = (contract - timedelta(days=10)).isoformat()
    d.act(change, "clerk", "classify_delivery", {**notice, "new_delivery_date": earlier})
    feasible = {"feasible_delivery_date": (contract - timedelta(days=4)).isoformat()}
    d.act(change, "prod_mgr", "propose_date", {**feasible, "impact": "装配顺延 / assembly later"})
    d.pause(change, "clerk", "电话询问陈经理能否接受提前 4 天 / asked by phone: 4 days earlier?")
    # repeat order (of SO-2025-0001): no review, the GM signs at the last price
    repeat = order_form("SO-2026-0003", "repeat", now=now)
    d.act(
        d.start("order_review", "clerk", repeat),
        "clerk",
        "confirm",
        step_forms(repeat, now)["confirm"],
    )
    # special (① new design; a complete set with outsourced work): the board found it feasible,
    # handling agreed with the customer, now at the GM's sign-off (§1b follows)
    special = {
        **order_form("SO-2026-0004", "special", days=60, now=now),
        "complete_set": True,
        "project": "华东变电站二期 / East China substation, phase 2",
        "outsourced_work": True,
    }
    iid = d.start("order_review", "clerk", special)
    f = step_forms(special, now)
    d.act(iid, "clerk", "confirm", f["confirm"])
    for who in ("clerk", "prod_mgr", "mc", "engineer", "qa_lead", "merch_lead", "outsource"):
        d.act(iid, who, "opinion", f["feasible"])
    d.act(
        iid,
        "clerk",
        "agree_handling",
        {"handling": "加强绝缘 / extra insulation", "agreed_with": "陈经理"},
    )
    # contract signed, not paid: finance waits for the payment (the gate, 001M 1.4)
    unpaid = order_form("SO-2026-0005", "regular", now=now)
    iid = d.start("order_review", "clerk", unpaid)
    f = step_forms(unpaid, now)
    d.act(iid, "clerk", "confirm", f["confirm"])
    for who in ("clerk", "prod_mgr", "mc"):
        d.act(iid, who, "opinion", f["feasible"])
    d.act(iid, "clerk", "submit_quote", f["quote"])
    d.act(iid, "sales_head", "approve_quote")
    d.act(iid, "clerk", "contract_signed", f["unpaid_contract"])
    # finished goods cover it: the salesperson fills the shipping note (§1c, no review)
    stock = {**order_form("SO-2026-0006", "regular", now=now), "model_spec": STOCK_MODEL}
    d.act(
        d.start("order_review", "clerk", stock),
        "clerk",
        "confirm",
        step_forms(stock, now)["confirm"],
    )
    # make to stock: the merchandising lead's stock order waits for the GM (§1c)
    d.start(
        "stock_order",
        "merch_lead",
        {
            "order_no": "KC-2026-0001",
            "product": "配电柜",
            "model_spec": STOCK_MODEL,
            "quantity": 20,
            "unit": "台",
            "delivery_date": (now + timedelta(days=20)).date().isoformat(),
            "stock_basis": "低于成品库存量控制明细表最低量 / below the table's minimum",
        },
    )
    # released; engineering raises a technical change, to be classified in 30 minutes
    tech = order_form("SO-2026-0007", "regular", now=now)
    review_to_release(d, d.start("order_review", "clerk", tech), tech)
    what = "母排规格由 TMY-60×6 改为 TMY-80×8 / busbar upsized"
    d.start("order_change", "engineer", change_request("SO-2026-0007", now, what, "engineering"))
    from gendan.demo_quality import quality_exceptions  # the demo's §9, one per branch

    quality_exceptions(d)
    from gendan.demo_urgent import urgent_insertion  # the demo's §4: two orders moved

    urgent_insertion(d)
    from gendan.demo_plan import plan_stages  # the demo's §3: orders at its stages

    plan_stages(d)
    from gendan.demo_issue import issue_stages  # §5j/§8d/§8e: issue, a return, a batch close

    issue_stages(d)
    from gendan.demo_materials import materials  # issue 10: items, BOM, stock; a chase slip

    materials(d)
    from gendan.demo_counts import stocktaking  # §7: counts at their stages; ABC

    stocktaking(d)
    from gendan.demo_receiving import receiving  # §5h receipts, §8c returns (issue 10)

    receiving(d)
    from gendan.demo_outsourcing import outsourcing_stages  # §6: both levels, a pick-up

    outsourcing_stages(d)
    from gendan.demo_measures import measures_stages  # §5a PPE/safety, §5k, §5l measures

    measures_stages(d)
    # last: its instances take ids after the others' numbered ones (GRN-…, KF-…)
    from gendan.demo_after_sales import after_sales  # §8a, §8b, §9's daily check

    after_sales(d)
    from gendan.demo_purchasing import purchasing  # §5c-§5g: POs, MRP, requisition, shortages

    purchasing(d)
