"""Declarations a procedure is made of: who waits on which state, what each event needs.

A procedure is data for the engine: a python-statemachine class whose waiting
states carry a :class:`Wait` (the tasks they open and their SLA) and whose
events are described by :class:`Step` (form, reason, signature, four-eyes,
documents). The engine reads these; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from statemachine import State, StateMachine

from gendan.timespec import Deadline, Sla

#: Escalation levels (PROCEDURES.md "Escalation", dflt): L1 the head of the task's
#: department at the deadline, L2 the GM office one deadline-length later.
#: A level is "head" (the task's department), "head:<department>", "role:<role>"
#: (everyone holding it) or "gm_office".
DEFAULT_CHAIN: tuple[str, ...] = ("head", "gm_office")

#: Outside parties a step may wait on with its clock paused (the seeds bind none of them).
OUTSIDE_PARTIES = {
    "customer": ("客户", "the customer"),
    "supplier": ("供应商", "the supplier"),
    "subcontractor": ("外协厂", "the subcontractor"),
}


@dataclass(frozen=True)
class Subject:
    """What an instance is about when it is not one customer order (issue 10): a requisition,
    a purchase order, a supplier's month, a stock count, a customer complaint.

    ``kind`` is stored on the instance (``Instance.subject_kind``) with its key
    (``Instance.subject_key``): the start form's ``key_field`` when given (e.g. an item code,
    ``"2026-11"``), else a number the engine makes from ``prefix`` and the instance id
    (``PO-000042``). ``orders_field`` names a start-form field listing the customer orders it
    serves (one order number, or several separated by commas/spaces, or a list): each must
    exist and be open, else a 422 on that field; the first becomes ``Instance.order_no`` (so
    the order's pages and read rules find it) and all are linked (``InstanceOrder``). Without
    orders ``Instance.order_no`` is ``""``. ``orders_required``: at least one order.
    ``one_open``: one open instance per key (a second start is a 409; e.g. one chase slip per
    item until it is answered).
    """

    kind: str
    label_zh: str
    label_en: str
    prefix: str = ""
    key_field: str | None = None
    orders_field: str | None = None
    orders_required: bool = False
    one_open: bool = False


@dataclass(frozen=True)
class OpensAt:
    """A task that opens on a business date counted back in working days (提前N个工作日).

    ``field`` names the date: ``"order.<field>"`` (read from the order as it is now, e.g.
    ``"order.delivery_date"``) or ``"<form>.<field>"``, a date field of a form the instance
    holds: the start form (``Procedure.start_key``) or the latest form of an event (e.g.
    ``"plan.packing_date"`` after the event ``plan``), or a date in its repeating rows
    (``"plan.rows.2.finish"`` by index, ``"plan.rows.packing.finish"``: the first row whose
    first cell is ``packing``). At state entry the task is created
    ``scheduled``; the SLA sweep opens it at the start of the working day ``days_before``
    WD before the date (Choice: the start of that day, as PROCEDURES.md "date-anchored"
    says: the holder gets the whole day), and its deadline's clock starts then. An opening
    instant already past at entry opens it at once. A date not set yet keeps it scheduled
    until the date is set. When the date moves, the opening, the due time and the timers
    move (one ``deadline_moved`` audit event per task); a task already open stays open.
    A date-anchored deadline of the same task names the field the same way
    (``Deadline.before_date("order.delivery_date", 3, 2)``).
    """

    field: str
    days_before: int = 0

    def __post_init__(self) -> None:
        scope, _, name = self.field.partition(".")
        if not scope or not name:
            raise ValueError(f"OpensAt needs '<order|form>.<field>', not {self.field!r}")
        if self.days_before < 0:
            raise ValueError("OpensAt counts back: days_before >= 0")


@dataclass(frozen=True)
class TaskSpec:
    """One task a waiting state opens: offered to ``role`` in ``department``."""

    role: str
    department: str
    title_zh: str
    title_en: str
    deadline: Deadline | None = None
    #: Name of a predicate on the instance data; the task is opened only when it holds.
    when: str | None = None
    #: Who hears of a missed deadline, level by level (see DEFAULT_CHAIN).
    chain: tuple[str, ...] = DEFAULT_CHAIN
    #: The answer awaited from this outside party pauses the clock ("paused" in PROCEDURES.md).
    pauses_for: str | None = None
    #: Seed reference for the step ("001M 1.5.1"), shown to people and auditors.
    seed: str = ""
    #: The events this task may fire (empty: every event leaving the state).
    decisions: tuple[str, ...] = ()
    #: Opens on a business date instead of at state entry (created ``scheduled``).
    opens: OpensAt | None = None
    #: ``"form:<field>"``: offered to whom a form field of the move that entered the state
    #: names (the start form in the initial state): one task per name. A username → a task
    #: assigned to that person; a department key → offered to ``role`` there when someone
    #: there holds it, else to that department's head (Choice: the declared role first, so
    #: the step's own role answers; a department without one still answers, by its head).
    #: The field may hold one name or a list of names.
    participants: str | None = None
    #: ``"form:<field>"``: due at the instant a datetime field of the entering move's form
    #: names (the 跨部门工作联系单's due time), instead of ``deadline``.
    due: str | None = None

    def __post_init__(self) -> None:
        for name, value in (("participants", self.participants), ("due", self.due)):
            if value is not None and not (value.startswith("form:") and len(value) > 5):
                raise ValueError(f"TaskSpec.{name} is 'form:<field>', not {value!r}")
        if self.pauses_for is not None and self.pauses_for not in OUTSIDE_PARTIES:
            raise ValueError(f"unknown outside party {self.pauses_for!r}")
        for level in self.chain:
            kind, _, arg = level.partition(":")
            if kind not in ("head", "role", "gm_office") or (kind == "role" and not arg):
                raise ValueError(f"unknown escalation level {level!r}")


@dataclass(frozen=True)
class Countersign:
    """会签: each open task gives an opinion with ``form``; ``join`` picks the event."""

    form: str
    join: Callable[[list[dict[str, Any]]], str]
    #: [A] At the join, compile the round into a document: (kind, build(rows, data, event) →
    #: form values); each row is an opinion with its department, reviewer and signed-at.
    compiles: tuple[str, Callable[..., dict[str, Any]]] | None = None


@dataclass(frozen=True)
class Child:
    """A sub-procedure an instance starts on entering a state (``OnEnter.starts``).

    The engine starts it in the same transaction, as the system actor, on the parent's order:
    the child's start form is ``data(parent_data)`` (default: just the order number), validated
    like a person's start form; the parent/child link is stored (``gendan.links``), audited on
    both instances (``child_started`` / ``started_by``) and shown on both pages and the order's.
    ``urgent`` marks the child urgent (its escalations go out at once and are acknowledged, as
    an urgent order's). ``when`` names a predicate of the PARENT procedure (its ``predicates``):
    the child starts only when it holds (§4: §1b only for a special order). It is skipped when
    its procedure is not registered in ``states.PROCEDURES`` (a parent may be declared before
    its child procedure exists) or when the order already runs an open instance of it (§4
    started the plan urgent; §1's confirmed notice then starts none). A child whose start form
    is invalid is a declaration error: the parent's move fails (422) and nothing is written.
    """

    procedure: str
    urgent: bool = False
    #: Parent instance data → the child's start form values (order_no is filled in if missing).
    data: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    when: str | None = None
    #: One child per start form this returns (parent data → forms), each on the order its
    #: form's ``order_no`` names — another order than the parent's (§4: a §2 delivery change
    #: for each displaced order whose date moved). Replaces ``data``.
    each: Callable[[dict[str, Any]], list[dict[str, Any]]] | None = None
    #: The state the child starts in instead of its initial one, when the parent has done the
    #: steps before it itself (§4 took the urgent need in and had it approved: its §1 review
    #: starts at the urgent board, not at the requirements). Must be a state of the child.
    enters: str | None = None


@dataclass(frozen=True)
class Automatic:
    """A step done by a Prefect flow, not a person (``Wait(automatic=...)``).

    Entering the state writes a job row in the same transaction; the ``automatic-steps`` flow
    claims it (a lease; SKIP LOCKED on PostgreSQL), runs the function registered under ``job``
    (``gendan.jobs``: ``@job("rank_displaced") def f(session, inst, now) -> (event, data)``)
    and fires the returned event — one of ``outcomes`` — through the transition service as the
    system actor, exactly once per job (the job's status and the move commit together).
    A failure is retried ``attempts`` times in all with back-off (``gendan.jobs.BACKOFF``) and
    shown on the instance page; after the last an incident task is offered to ``owner_role``
    in ``owner_department`` (the process owner), who may fire one of ``outcomes`` by hand.
    """

    job: str
    outcomes: tuple[str, ...]
    attempts: int = 3
    owner_role: str = "production_manager"
    owner_department: str = "production"
    #: The incident task's title; default "自动步骤失败：<job>" / "Automatic step failed: <job>".
    title_zh: str = ""
    title_en: str = ""
    seed: str = ""

    def __post_init__(self) -> None:
        if not self.outcomes:
            raise ValueError(f"automatic step {self.job!r} declares no outcomes")
        if self.attempts < 1:
            raise ValueError(f"automatic step {self.job!r}: attempts must be at least 1")


#: Period granularities of a :class:`Scheduled` start and how their labels look.
SCHEDULE_PERIODS = {
    "day": "2026-11-29",
    "week": "2026-W48",
    "month": "2026-11",
    "quarter": "2026-Q4",
    "half": "2026-H2",
    "year": "2026",
}


@dataclass(frozen=True)
class Scheduled:
    """A start the system makes on a calendar (issue 10 mechanism 2), declared on a procedure
    in ``Procedure.schedules``: the safety-stock review by the 25th, the on-time rate by the
    3rd, QDPS per supplier, the A/B/C counts per warehouse.

    ``cron`` is a five-field cron expression read in company time (the business calendar's
    zone, Asia/Shanghai by default), e.g. ``"0 8 1 * *"`` = 08:00 on the 1st. Each firing
    belongs to a ``period`` of the given granularity (see ``SCHEDULE_PERIODS``; label of the
    firing's company-time date, e.g. ``"2026-12"``): ``gendan.schedules.run_due`` starts each
    period once (``ScheduleRun`` unique on (key, period)) — a later firing in the same period
    starts nothing. ``form(period, due)`` gives the start form (``due``: the firing instant,
    UTC-aware); it returns None when nothing is to be started for that period. ``each`` names
    a fan-out (``@gendan.schedules.fanout("suppliers")``): one start per row it returns, each
    form ``form(period, due)`` updated with the row (e.g. ``{"supplier_code": "S01"}``).
    ``when`` names a gate ``@gendan.schedules.gate("<name>")``: (session, due) → bool, read
    from master settings (a monthly or quarterly review); a closed gate records the period as
    skipped. The instance is started by the system (``gendan.system_starts``) with the
    schedule and period as its cause. ``key`` is global (unique across procedures) and names
    the Prefect deployment ``scheduled-<key>``.
    """

    key: str
    cron: str
    form: Callable[[str, datetime], dict[str, Any] | None]
    each: str | None = None
    period: str = "month"
    when: str | None = None
    title_zh: str = ""
    title_en: str = ""

    def __post_init__(self) -> None:
        if self.period not in SCHEDULE_PERIODS:
            raise ValueError(f"Scheduled.period is one of {list(SCHEDULE_PERIODS)}")
        if len(self.cron.split()) != 5:
            raise ValueError(f"Scheduled.cron has five fields, not {self.cron!r}")


#: Conditions a stock level may trigger a start on (``gendan.stock_triggers`` evaluates them).
STOCK_CONDITIONS = {
    "below_safety": ("库存达到安全存量或以下", "stock at or under the safety stock"),
    "above_max": ("库存达到最高库存警戒线或以上", "stock at or over the maximum"),
}


@dataclass(frozen=True)
class StockTrigger:
    """A start the stock levels make (issue 10 mechanism 3), declared on a procedure in
    ``Procedure.stock_trigger``: the 物料跟催单 when stock falls to the safety stock (§5b),
    the 仓库物料异常预警报告 when it reaches the maximum (§5i).

    After every stock movement, import or count correction (``gendan.stock``) the watcher in
    ``gendan.stock_triggers`` checks ``condition`` (a key of ``STOCK_CONDITIONS``) for the
    item and starts the procedure as the system with ``form(facts)`` as its start form;
    ``facts`` has ``item_code``, ``item_name``, ``unit``, ``on_hand``, ``in_transit``,
    ``unissued``, ``threshold`` (the safety stock of the season, or the maximum), ``season``
    and ``raised_at`` (ISO instant). The procedure's ``subject`` must be keyed by the item
    (``key_field`` = the form's item code, ``one_open=True``): one open instance per item
    until it is answered, and after it is answered a new one only when the level crosses
    again (it was back on the other side of the threshold in between).
    """

    condition: str
    form: Callable[[dict[str, Any]], dict[str, Any]]

    def __post_init__(self) -> None:
        if self.condition not in STOCK_CONDITIONS:
            raise ValueError(f"StockTrigger.condition is one of {list(STOCK_CONDITIONS)}")


#: The trail's words when a window closes because nobody objected.
SILENCE_ZH, SILENCE_EN = "无异议视为接受", "no objection: accepted by silence"


@dataclass(frozen=True)
class Window:
    """A window that closes by itself (异议期): silence is consent.

    Every task of the state goes to a recipient who may use it to object (its decisions
    are ``(objection,)`` unless the spec names others); the tasks are due when the window
    closes and do not escalate. An objection fires ``objection`` at once (the others' tasks
    close with the state). If nobody objected by ``deadline`` (counted from state entry),
    the SLA sweep fires ``on_silence`` as the system actor; the trail says so
    (``SILENCE_ZH`` / ``SILENCE_EN``, ``detail.by_silence``).
    """

    deadline: Deadline
    on_silence: str
    objection: str


@dataclass(frozen=True)
class Wait:
    tasks: tuple[TaskSpec, ...] = ()
    countersign: Countersign | None = None
    #: Urgent procedures may send SMS outside 08:00-22:00; their SMS acknowledgement runs on
    #: ``gendan.acknowledgements.urgent_calendar`` (08:00-22:00 every day).
    urgent: bool = False
    #: A window that closes by itself as ``on_silence`` unless someone objects.
    window: Window | None = None
    #: What the people of this state judge, shown above their decision (oldest first):
    #: an event's form (a countersign event: the round's opinions as a table), "start" (the
    #: start form) or "doc:<kind>" (the order's current document of that kind). Empty: the
    #: move that entered the state (the start form in the initial state).
    shows: tuple[str, ...] = ()
    #: Sub-procedures (keys of ``Child.procedure``) this state waits for: once every child of
    #: those procedures this instance started is closed (finished or stopped), the engine fires
    #: ``when_done`` as the system actor. The children's outcomes are in the instance data
    #: under ``children`` ({procedure: {"id", "state", "stopped"}}) for the machine's guards.
    children: tuple[str, ...] = ()
    when_done: str | None = None
    #: The state is done by a flow (see :class:`Automatic`); its events are the outcomes.
    automatic: Automatic | None = None

    def __post_init__(self) -> None:
        if bool(self.children) != bool(self.when_done):
            raise ValueError("Wait.children and Wait.when_done go together")


class Waiting(State):
    """A state in which the procedure waits for people; carries its :class:`Wait`."""

    def __init__(self, name: str = "", *, wait: Wait, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.wait = wait


@dataclass(frozen=True)
class Step:
    """What firing an event demands of the person and what it records."""

    label_zh: str
    label_en: str
    form: str | None = None
    reason_required: bool = False
    #: Electronic signature meaning ("approved", "reviewed", "rejected"): password re-entry.
    signature: str | None = None
    #: Events whose actor on this instance may not fire this one (four-eyes).
    four_eyes: tuple[str, ...] = ()
    #: Kind of document issued from the submitted form (e.g. "production_notice").
    issues: str | None = None
    #: Form field → order field updated from it (audited with old and new values).
    order_fields: Mapping[str, str] = field(default_factory=dict)
    #: May be decided for several tasks at once from the inbox (no per-task form).
    bulk: bool = False
    #: Form values the event itself decides (e.g. the change category of ``classify_minor``).
    fixed: Mapping[str, Any] = field(default_factory=dict)
    #: Form field → the fact it must equal: "order.<field>" or "agreed.<key>" (values the
    #: procedure agreed earlier, see ``Procedure.agreed``). A locked, prefilled value; a
    #: mismatch is a 422; a fact that is not set means the field must stay empty.
    locked: Mapping[str, str] = field(default_factory=dict)
    #: Record the instant this step fires under this name: a later deadline may start there.
    marks: str | None = None
    #: The issued document supersedes the order's earlier one of its kind (a new revision;
    #: the old one is recalled).
    supersedes: bool = False
    #: The issued document reserves finished goods for the order (发货单, §1c).
    reserves_stock: bool = False
    #: ``"module:function"`` writing the move to the procedure's own tables in its
    #: transaction (issue 10: the 采购单's lines, stock in transit; ``gendan.step_effects``).
    effect: str | None = None


@dataclass(frozen=True)
class Inform:
    """[A] People told on entering a state (e-mail, 抄送), when the predicate ``when`` holds.

    ``heads``: department keys whose heads are told; ``roles``: role keys whose holders are
    told (e.g. the inspectors hear a quality exception's resolution). ``when`` names one of
    ``Procedure.predicates`` (None: always), e.g. a batch defect that threatens delivery.
    """

    heads: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    when: str | None = None


@dataclass(frozen=True)
class OnEnter:
    """Engine effects on entering a state: the order's status, recalling issued documents."""

    order_status: str | None = None
    recall_documents: bool = False
    #: Departments whose heads are informed (报告部门领导), by e-mail and SMS.
    inform_heads: tuple[str, ...] = ()
    #: Further people informed, each group under its own condition (see :class:`Inform`).
    informs: tuple[Inform, ...] = ()
    #: Stop the order's other running procedures (their open tasks are cancelled).
    stop_order_procedures: bool = False
    #: Record the instant of entering under this name (e.g. "gate": the payment gate passed).
    marks: str | None = None
    #: Give back finished goods the order's shipping note reserved (a cancelled order).
    release_stock: bool = False
    #: [A] Issue a new revision of the order's document of this kind from the order's current
    #: facts; the earlier revision is recalled (a change supersedes the production notice).
    reissue: str | None = None
    #: Sub-procedures started on entering (see :class:`Child`), linked to this instance.
    starts: tuple[Child, ...] = ()


class Procedure(StateMachine):
    """Base for procedure machines; class attributes describe the procedure to the engine."""

    key: ClassVar[str]
    title_zh: ClassVar[str]
    title_en: ClassVar[str]
    #: Form submitted to start an instance, and who may start one.
    start_form: ClassVar[str]
    start_roles: ClassVar[tuple[str, ...]]
    #: Key under which the start form is kept in the instance data; never one the engine
    #: writes itself (``order``, ``forms``, ``at``, ``agreed``, ``stock``): the start form
    #: would be overwritten and what was typed at intake lost.
    start_key: ClassVar[str] = "start"
    #: True: the start form registers a new order; False: it refers to an existing one.
    creates_order: ClassVar[bool] = False
    #: Not about one customer order (see :class:`Subject`); None: the start form names an
    #: existing order in ``order_no`` (or registers one, ``creates_order``).
    subject: ClassVar[Subject | None] = None
    steps: ClassVar[dict[str, Step]]
    entering: ClassVar[dict[str, OnEnter]] = {}
    #: Values the start form takes whatever is typed (e.g. the change source).
    start_fixed: ClassVar[dict[str, Any]] = {}
    #: The order must be in one of these statuses to start (empty: any but closed ones).
    order_statuses: ClassVar[tuple[str, ...]] = ()
    status_hint: ClassVar[str] = ""
    #: Snapshot finished-goods stock for the order at start (reviewers see it; §1c).
    checks_stock: ClassVar[bool] = False
    #: Deadline for typing the request in after it arrived (recorded as late, not refused).
    entry_deadline: ClassVar[Sla | None] = None
    #: Procedures sharing a group key allow one open instance per order among them
    #: (e.g. one open change per order: notices must not contradict).
    exclusive: ClassVar[str | None] = None
    #: ``"module:function"`` run when an instance starts, like ``Step.effect`` (event "start").
    start_effect: ClassVar[str | None] = None
    #: "<form>.<field>" dates (or a row's cell, "<form>.rows.<line>.<cell>") of this
    #: procedure's forms that keep their distance in working days to the order's delivery
    #: date when it moves (§3: the plan's packing and dispatch dates and its packing line;
    #: ``gendan.delivery_follow``), audited ``dates_shifted``; the form's document reissued.
    follows_delivery: ClassVar[tuple[str, ...]] = ()
    #: Predicates named by ``TaskSpec.when``: instance data → bool.
    predicates: ClassVar[dict[str, Callable[[dict[str, Any]], bool]]] = {}
    #: Starts the system makes on a calendar (see :class:`Scheduled`; ``gendan.schedules``).
    schedules: ClassVar[tuple[Scheduled, ...]] = ()
    #: A start the stock levels make (see :class:`StockTrigger`; ``gendan.stock_triggers``).
    stock_trigger: ClassVar[StockTrigger | None] = None

    @classmethod
    def agreed(cls, event: str, values: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """Values this move agrees for later locked fields (e.g. the date the customer took)."""
        return {}

    @classmethod
    def step_errors(
        cls, event: str, values: dict[str, Any], data: dict[str, Any]
    ) -> dict[str, str]:
        """Rules a decision's form must meet on this path (field → reason; a 422)."""
        return {}

    @classmethod
    def start_refusal(cls, roles: set[str], values: dict[str, Any]) -> str | None:
        """Why this person may not start this instance (403), or None."""
        return None

    @classmethod
    def wait_for(cls, state_id: str) -> Wait | None:
        state = cls.states_map[state_id]
        return state.wait if isinstance(state, Waiting) else None

    @classmethod
    def tasks_for(cls, state_id: str, data: dict[str, Any]) -> list[TaskSpec]:
        wait = cls.wait_for(state_id)
        if wait is None:
            return []
        return [t for t in wait.tasks if t.when is None or cls.predicates[t.when](data)]

    @classmethod
    def events_from(cls, state_id: str) -> list[str]:
        """Event ids leaving ``state_id``, in declaration order, without duplicates."""
        seen: list[str] = []
        for t in cls.states_map[state_id].transitions:
            for ev in str(t.event).split():
                if ev not in seen:
                    seen.append(ev)
        return seen
