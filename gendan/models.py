"""SQLModel tables: organisation, orders, procedure instances, tasks, timers, audit, outbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from gendan.db import UTCDateTime, utcnow

GENESIS_HASH = "0" * 64


def _ts(*, nullable: bool, index: bool = False) -> Any:
    col = Column(UTCDateTime(), nullable=nullable, index=index)
    if nullable:
        return Field(default=None, sa_column=col)
    return Field(default_factory=utcnow, sa_column=col)


def _json() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Department(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True)
    name_zh: str
    name_en: str
    #: 部门领导: level-1 escalation target for every task of this department.
    head_user_id: int | None = Field(default=None, foreign_key="user.id")


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True)
    display_name: str
    password_hash: str
    email: str = ""
    phone: str = ""
    department_id: int | None = Field(default=None, foreign_key="department.id")
    language: str = "zh"
    is_active: bool = True


class UserRole(SQLModel, table=True):
    """A person holds a role in a department (岗位); several per person are allowed."""

    __table_args__ = (UniqueConstraint("user_id", "role", "department_id"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    role: str = Field(index=True)
    department_id: int = Field(foreign_key="department.id")


class ApiToken(SQLModel, table=True):
    """A bearer token (stored hashed); it works until ``expires_at`` unless revoked before."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(unique=True, index=True)
    created_at: datetime = _ts(nullable=False)
    #: None (a token from before expiry existed) counts as expired.
    expires_at: datetime | None = _ts(nullable=True)
    revoked_at: datetime | None = _ts(nullable=True)
    #: logout | password | deactivated | revoked (the holder) …
    revoked_reason: str = ""


class UserSession(SQLModel, table=True):
    """A signed-in page session (``gendan.sessions``): the cookie carries only the random id,
    stored here as its SHA-256; ended by logout, a password reset, deactivation or a timeout."""

    id: int | None = Field(default=None, primary_key=True)
    sid_hash: str = Field(unique=True, index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = _ts(nullable=False)
    last_seen_at: datetime = _ts(nullable=False)
    ended_at: datetime | None = _ts(nullable=True)
    #: logout | password | deactivated | idle | absolute
    end_reason: str = ""
    #: The client address it was opened from.
    source: str = ""


class LoginCounter(SQLModel, table=True):
    """Login attempts within a window, per scope and key (``gendan.accounts``): one row,
    updated by a single atomic upsert before each password check."""

    __table_args__ = (UniqueConstraint("scope", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    #: account_source | account | source
    scope: str
    key: str
    window_start: datetime = _ts(nullable=False)
    attempts: int = 0


class KnownSource(SQLModel, table=True):
    """A client address an account has logged in from: it may still try when the account is
    under attack from elsewhere."""

    __table_args__ = (UniqueConstraint("user_id", "source"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    source: str
    last_login_at: datetime = _ts(nullable=False)


class UnknownLoginCount(SQLModel, table=True):
    """Failed logins with unknown usernames from one source in one (UTC) minute: the tally
    beside the minute's one ``login_failed_unknown`` audit event (as ``refusalcount``)."""

    __table_args__ = (UniqueConstraint("source", "minute"),)
    id: int | None = Field(default=None, primary_key=True)
    source: str
    minute: datetime = _ts(nullable=False)
    count: int = 1
    event_seq: int | None = Field(default=None, index=True)
    first_at: datetime = _ts(nullable=False)
    last_at: datetime = _ts(nullable=False)
    last_username: str = ""


class Order(SQLModel, table=True):
    """The customer's order: the business key every procedure instance refers to."""

    #: The order list's sorts walk an index each (keyset on (column, id); order_no is unique).
    __table_args__ = (
        Index("ix_order_created_id", "created_at", "id"),
        Index("ix_order_delivery_id", "delivery_date", "id"),
        Index("ix_order_customer_id", "customer", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_no: str = Field(unique=True, index=True)
    customer: str
    customer_class: str = "B"
    product: str
    model_spec: str = ""
    quantity: int
    unit: str = ""
    delivery_date: date
    kind: str  # regular | non_regular | repeat | stock (生产库存订单)
    #: reviewing | contracted | released | ready_to_ship | declined | cancelled
    status: str = "reviewing"
    created_at: datetime = _ts(nullable=False)
    # -- intake facts (订单登记), kept on the order and shown on its pages --
    received_at: datetime | None = _ts(nullable=True)
    channel: str = ""
    colour: str | None = None
    new_design: bool = False  # ①
    discontinued: bool = False  # ②
    above_standard: bool = False  # ③
    tight_date: bool = False  # ④
    special: bool = False
    repeat_of: str | None = None
    outsourced_work: bool = False
    urgent: bool = False
    complete_set: bool = False
    project: str | None = None
    penalty_clause: bool = False
    technical_requirements: str | None = Field(default=None, max_length=4000)
    quality_requirements: str | None = Field(default=None, max_length=4000)
    attachment: str | None = None
    #: Marked by the sales head (报价审核): the payment gate passes at signing.
    credit_terms: bool = False


class FinishedStock(SQLModel, table=True):
    """Finished goods on hand per product and model (成品库存), as imported or counted.

    Reviewers see it (001W 3.1.1 优先考虑库存现料); an order it covers ships from stock (§1c).
    """

    __table_args__ = (UniqueConstraint("product", "model_spec", "warehouse"),)
    id: int | None = Field(default=None, primary_key=True)
    product: str
    model_spec: str
    warehouse: str = "FG"
    on_hand: int = 0
    #: Reserved by shipping notes (发货单) not yet shipped.
    reserved: int = 0
    updated_at: datetime = _ts(nullable=False)


class Instance(SQLModel, table=True):
    """One running procedure; ``version`` makes concurrent moves fail instead of doubling."""

    #: "Started by me": a person's instances, newest first.
    __table_args__ = (Index("ix_instance_created_by", "created_by_id", "created_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    procedure: str = Field(index=True)
    #: The customer order it is about (or the first it serves); "" when it serves none.
    order_no: str = Field(index=True)
    #: What it is about (``states.base.Subject``): "order", or e.g. "po", "count", "item".
    subject_kind: str = Field(default="order", index=True)
    #: The key of that subject: the order number, a PO number, an item code, a month.
    subject_key: str = Field(default="", index=True)
    state: str
    data: dict = _json()
    version: int = 1
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)
    closed_at: datetime | None = _ts(nullable=True)

    @property
    def reference(self) -> str:
        """What people call it: the order number, or the subject's key (``PO-000042``,
        an item code) for an instance about something else (issue 10)."""
        return self.order_no if self.subject_kind == "order" else self.subject_key


class Task(SQLModel, table=True):
    """A person's work item: offered to a role in a department, claimed by one person."""

    #: The inbox reads open tasks by role+department or by assignee, in due order (keyset
    #: pagination on due_at, id); moves read an instance's open tasks.
    __table_args__ = (
        Index("ix_task_queue", "status", "role", "department_id", "due_at", "id"),
        Index("ix_task_assignee_due", "assignee_id", "status", "due_at", "id"),
        Index("ix_task_instance_status", "instance_id", "status"),
        #: "Done by me": a person's closed tasks, newest first.
        Index("ix_task_closed_by", "closed_by_id", "closed_at", "id"),
        #: The sweep opens scheduled tasks whose day has come (gendan.dated_tasks).
        Index("ix_task_opens", "status", "opens_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    instance_id: int = Field(foreign_key="instance.id")
    state: str
    #: The instance version when the state was entered: groups one countersign round.
    round: int = 1
    role: str
    department_id: int = Field(foreign_key="department.id")
    title_zh: str
    title_en: str
    assignee_id: int | None = Field(default=None, foreign_key="user.id")
    #: scheduled (a date-anchored task not open yet: ``opens_at``) | open | done | cancelled
    status: str = "open"
    #: The deadline in words, with its kind and start (e.g. "4 working hours from signing +
    #: payment"); ``sla`` keeps the bare length ("4 hours") for older readers.
    sla: str = ""
    deadline_zh: str = ""
    deadline_en: str = ""
    deadline_kind: str = ""
    created_at: datetime = _ts(nullable=False)
    #: When the deadline's clock started (the opening, the received-at, an event).
    clock_start: datetime | None = _ts(nullable=True)
    #: A date-anchored task (``states.base.OpensAt``): when it opens (None: not anchored, or
    #: its date is not set yet); it is ``scheduled`` until then.
    opens_at: datetime | None = _ts(nullable=True)
    due_at: datetime | None = _ts(nullable=True)
    #: Working minutes of one deadline length: each next escalation level fires that much later.
    period_minutes: int = 0
    #: Escalation levels (states.base.DEFAULT_CHAIN keys), level 1 first.
    chain: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    #: Events this task may fire (empty: any event leaving the state).
    decisions: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    escalation_level: int = 0
    #: Waiting on an outside party: the clock is stopped since ``paused_at``.
    pauses_for: str | None = None
    paused_at: datetime | None = _ts(nullable=True)
    #: Working minutes spent waiting on the outside party, summed over every pause.
    waited_minutes: int = 0
    closed_at: datetime | None = _ts(nullable=True)
    closed_by_id: int | None = Field(default=None, foreign_key="user.id")
    decision: str | None = None
    form_data: dict = _json()


class Timer(SQLModel, table=True):
    """A deadline's point: level 0 the 75 % reminder, 1.. the escalation chain's levels,
    -1 the daily reminder while the clock is paused on an outside party."""

    __table_args__ = (
        UniqueConstraint("task_id", "level"),
        Index("ix_timer_task_status", "task_id", "status"),
        Index("ix_timer_due", "status", "due_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id")
    level: int
    due_at: datetime = _ts(nullable=False)
    #: pending | fired | cancelled | paused
    status: str = "pending"
    fired_at: datetime | None = _ts(nullable=True)


class Document(SQLModel, table=True):
    """A paper form the procedure issued (生产通知单, 更改通知单); recalled on cancellation."""

    id: int | None = Field(default=None, primary_key=True)
    doc_no: str = Field(unique=True, index=True)
    kind: str
    order_no: str = Field(index=True)
    instance_id: int = Field(foreign_key="instance.id")
    data: dict = _json()
    issued_by_id: int = Field(foreign_key="user.id")
    issued_at: datetime = _ts(nullable=False)
    #: issued | recalled (a recalled notice's printable page says so)
    status: str = "issued"
    recalled_at: datetime | None = _ts(nullable=True)
    #: Revision of this kind of document for the order (生产通知单 rev. 2 supersedes rev. 1).
    revision: int = 1
    superseded_by: str | None = None


class AuditHead(SQLModel, table=True):
    """The chain's tip; locking this row serialises appends on every database."""

    id: int = Field(primary_key=True)
    seq: int
    hash: str


class AuditEvent(SQLModel, table=True):
    """Append-only, hash-chained record: who, what, when, why (ISO 9001 records)."""

    #: The auditor searches by order, person, action or instance, newest first (keyset on seq).
    __table_args__ = (
        Index("ix_audit_order_seq", "order_no", "seq"),
        Index("ix_audit_actor_seq", "actor_id", "seq"),
        Index("ix_audit_action_seq", "action", "seq"),
        Index("ix_audit_instance_seq", "instance_id", "seq"),
    )

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True, index=True)
    at: datetime = _ts(nullable=False, index=True)
    actor_id: int | None = None
    actor_name: str
    action: str
    instance_id: int | None = None
    task_id: int | None = None
    order_no: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    changes: dict = _json()
    reason: str = ""
    detail: dict = _json()
    prev_hash: str
    hash: str


class Notification(SQLModel, table=True):
    """Outbox row, written with its cause; ``cause`` + channel + address is sent at most once."""

    __table_args__ = (UniqueConstraint("cause", "channel", "address"),)
    id: int | None = Field(default=None, primary_key=True)
    cause: str = Field(index=True)
    channel: str  # email | sms
    user_id: int | None = Field(default=None, foreign_key="user.id")
    address: str
    #: What to say, rendered at delivery by ``notifications.messages`` (e.g. "escalation").
    template: str
    context: dict = _json()
    #: Filled at delivery, kept for the record.
    subject: str = ""
    urgent: bool = False
    #: pending | sending | sent | dead
    status: str = Field(default="pending", index=True)
    attempts: int = 0
    next_attempt_at: datetime = _ts(nullable=False, index=True)
    created_at: datetime = _ts(nullable=False)
    sent_at: datetime | None = _ts(nullable=True)
    last_error: str | None = None


class DeliveryAttempt(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notification.id", index=True)
    at: datetime = _ts(nullable=False)
    ok: bool
    error: str | None = None


class CalendarDay(SQLModel, table=True):
    """A company-announced day off or working day, overriding the statutory calendar."""

    day: date = Field(primary_key=True)
    working: bool
    note: str = ""


class ChannelSetting(SQLModel, table=True):
    """A notification channel URL set by the administrator; overrides the environment's."""

    #: "smtp_url" | "sms_url" (the ``Settings`` field it overrides).
    key: str = Field(primary_key=True)
    value: str
    updated_at: datetime = _ts(nullable=False)


class ChainCheck(SQLModel, table=True):
    """One verification of the whole audit chain; pages show the latest instead of re-hashing."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(nullable=False)
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    problem: str = ""
    #: The last seal whose signature held, when this check ran (``gendan.seal``).
    sealed_seq: int | None = None
    sealed_at: datetime | None = _ts(nullable=True)
    #: Events after the last seal ("not yet sealed").
    unsealed: int | None = None
    #: Whether the anchor file and the database hold the same seals (None: no seals yet).
    anchor_ok: bool | None = None


class AuditSeal(SQLModel, table=True):
    """A signed checkpoint of the audit chain: events ``first_seq..seq`` ending in ``hash``.

    The signature (Ed25519, key in a file outside the database) covers seq, first_seq, hash,
    time, key id and ``leaves`` (the SHA-256 of ``hashes``, every covered event's hash in
    order), so whoever rewrites the chain cannot make a seal agree, and a verifier names the
    first event that differs from what was sealed. Each seal is also a line of the anchor file.
    """

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True, index=True)
    first_seq: int
    hash: str
    at: datetime = _ts(nullable=False)
    leaves: str
    #: The covered events' hashes, 64 hex characters each, concatenated.
    hashes: str = Field(sa_column=Column(Text, nullable=False))
    key_id: str
    #: A copy for reading; verification trusts the key file and the anchor, not this.
    public_key: str
    signature: str


class InstanceCopy(SQLModel, table=True):
    """抄送: a person copied on an instance — a procedure informed the heads (``OnEnter``
    ``inform_heads``) or a colleague @mentioned them; it lists the instance under the person's
    "copied to me" (抄送我)."""

    __table_args__ = (
        UniqueConstraint("instance_id", "user_id"),
        Index("ix_instancecopy_user_created", "user_id", "created_at", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    instance_id: int = Field(foreign_key="instance.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    order_no: str = Field(index=True)
    #: informed (a procedure copied the head) | mention (@name in a comment)
    reason: str
    #: Who copied them (None: the procedure itself).
    by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = _ts(nullable=False)
    #: When the person first opened the instance after being copied (None: not yet).
    seen_at: datetime | None = _ts(nullable=True)


class Comment(SQLModel, table=True):
    """A remark on an instance (备注/评论), shown in its timeline and the order's; audited."""

    __table_args__ = (
        Index("ix_comment_instance", "instance_id", "id"),
        Index("ix_comment_order", "order_no", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    instance_id: int = Field(foreign_key="instance.id")
    order_no: str
    author_id: int = Field(foreign_key="user.id")
    body: str = Field(sa_column=Column(Text, nullable=False))
    #: User ids @mentioned (each was copied in).
    mentions: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _ts(nullable=False)


class Attachment(SQLModel, table=True):
    """A file on an instance (drawing, the customer's PO photo, a signed scan): its facts;
    the bytes are in ``AttachmentBlob`` so listings stay cheap. Checksum kept for the record."""

    __table_args__ = (
        Index("ix_attachment_instance", "instance_id", "id"),
        Index("ix_attachment_order", "order_no", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    instance_id: int = Field(foreign_key="instance.id")
    order_no: str
    uploaded_by_id: int = Field(foreign_key="user.id")
    filename: str
    content_type: str
    size: int
    #: SHA-256 of the bytes, hex.
    sha256: str
    note: str = ""
    created_at: datetime = _ts(nullable=False)


class AttachmentBlob(SQLModel, table=True):
    """The bytes of one attachment, in the database so every app server sees them."""

    attachment_id: int = Field(
        sa_column=Column(Integer, ForeignKey("attachment.id"), primary_key=True)
    )
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class InstanceLink(SQLModel, table=True):
    """A sub-procedure an instance started (``states.base.Child``): parent → child, on the
    same order. The child's own row says whether it is still running (``closed_at``)."""

    id: int | None = Field(default=None, primary_key=True)
    parent_id: int = Field(foreign_key="instance.id", index=True)
    child_id: int = Field(foreign_key="instance.id", unique=True)
    order_no: str = Field(index=True)
    #: The child's procedure key and the parent's state whose entry started it.
    procedure: str
    parent_state: str
    urgent: bool = False
    created_at: datetime = _ts(nullable=False)


class Job(SQLModel, table=True):
    """An automatic step's work (``states.base.Automatic``), written on entering its state and
    done by the ``automatic-steps`` flow (``gendan.jobs``).

    pending → running (claimed: ``lease_until``; a crashed runner's job is retaken after it)
    → done (its outcome fired in the same transaction) | pending again after a failure
    (``next_attempt_at``, back-off) | incident (the last attempt failed: a task for the
    process owner) | void (the instance moved on without it)."""

    __table_args__ = (
        UniqueConstraint("instance_id", "state", "round"),
        Index("ix_job_due", "status", "next_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    instance_id: int = Field(foreign_key="instance.id", index=True)
    #: The state it does and the instance version on entering it (a loop back is a new job).
    state: str
    round: int
    job: str
    #: pending | running | done | failed | incident | void
    status: str = "pending"
    attempts: int = 0
    max_attempts: int = 3
    lease_until: datetime | None = _ts(nullable=True)
    next_attempt_at: datetime = _ts(nullable=False)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    #: The event fired and the data the job returned.
    result: dict = _json()
    created_at: datetime = _ts(nullable=False)
    done_at: datetime | None = _ts(nullable=True)


class Customer(SQLModel, table=True):
    """A customer of the master data (PROCEDURES.md "Master data"): the class sales gives it
    (A/B/C, 000/3 排期原则 2), the credit terms the sales head grants, a contact."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True)
    #: The name orders carry (订单登记's customer): how intake finds the class.
    name: str = Field(unique=True, index=True)
    customer_class: str = "B"
    credit_terms: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    updated_at: datetime = _ts(nullable=False)


class ProductionLine(SQLModel, table=True):
    """A production line (生产线), run by a department (e.g. the workshop)."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True)
    name_zh: str
    name_en: str
    department_key: str = ""
    updated_at: datetime = _ts(nullable=False)


class ProductionTeam(SQLModel, table=True):
    """A team (班组) of a line; its kind: sample team (样品组), dedicated, regular."""

    __table_args__ = (UniqueConstraint("line_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    line_id: int = Field(foreign_key="productionline.id", index=True)
    key: str
    name_zh: str
    name_en: str
    #: sample | dedicated | regular
    kind: str = "regular"
    updated_at: datetime = _ts(nullable=False)


class MasterSetting(SQLModel, table=True):
    """A setting planning reads (e.g. the urgent-order size threshold), never hard-coded."""

    key: str = Field(primary_key=True)
    value: str
    updated_at: datetime = _ts(nullable=False)


class InstanceOrder(SQLModel, table=True):
    """A customer order an instance with its own subject serves (a PO serves several orders;
    ``states.base.Subject.orders_field``): the order's page lists it."""

    __table_args__ = (UniqueConstraint("instance_id", "order_no"),)
    id: int | None = Field(default=None, primary_key=True)
    instance_id: int = Field(foreign_key="instance.id", index=True)
    order_no: str = Field(index=True)


# -- Materials (issue 10): master data, stock and line items, queried as tables ----------
# Quantities are floats rounded to 3 places by the code that writes them (counts and
# weights; Choice: float over Decimal because SQLite has no decimal type and the seeds'
# quantities carry at most three places).


class Item(SQLModel, table=True):
    """A material or product of the master data (PROCEDURES.md "Master data", items)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True)
    name: str
    spec: str = ""
    #: Stock unit (count, e.g. 张) and settlement unit (weight, e.g. kg) with the factor
    #: settlement = count × factor (002 1.2.7).
    stock_unit: str = "pcs"
    settle_unit: str = ""
    factor: float = 1.0
    #: A/B/C (§7, yearly by annual cost); material class (主料/辅料/...); requisition class
    #: safety | order | temporary (003 5.1).
    abc_class: str = "C"
    material_class: str = ""
    requisition_class: str = "order"
    #: Working days (原物料采购周期表) and the emergency purchase time.
    lead_days: int = 0
    emergency_days: int = 0
    daily_use: float = 0.0
    #: Safety stock in the peak and off season (003 5.1.1), maximum, minimum order quantity.
    safety_peak: float = 0.0
    safety_off: float = 0.0
    max_qty: float = 0.0
    moq: float = 0.0
    price: float = 0.0
    #: Urgent (on the 欠缺/急需 list): a receipt alerts MC, production and QA (003 5.6.2).
    urgent: bool = False
    active: bool = True
    updated_at: datetime = _ts(nullable=False)


class Supplier(SQLModel, table=True):
    """A supplier; ``approved``: on the 合格供方名录 (001P 4.2.2)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True)
    name: str
    approved: bool = True
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    updated_at: datetime = _ts(nullable=False)


class SupplierPrice(SQLModel, table=True):
    """The price file (价格档案): the price agreed per supplier and item (§5f price check)."""

    __table_args__ = (UniqueConstraint("supplier_code", "item_code"),)
    id: int | None = Field(default=None, primary_key=True)
    supplier_code: str = Field(index=True)
    item_code: str = Field(index=True)
    price: float
    updated_at: datetime = _ts(nullable=False)


class Subcontractor(SQLModel, table=True):
    """A subcontractor (外协厂): the operations it does; its prices and leftovers (§6)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True)
    name: str
    operations: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    updated_at: datetime = _ts(nullable=False)


class BomLine(SQLModel, table=True):
    """A BOM line: ``qty_per`` of the component per parent, and its issue quota (定额)."""

    __table_args__ = (UniqueConstraint("parent_code", "component_code"),)
    id: int | None = Field(default=None, primary_key=True)
    parent_code: str = Field(index=True)
    component_code: str = Field(index=True)
    qty_per: float
    unit: str = ""
    #: Issue quota per parent unit incl. allowed loss (定额, 003 5.7.2); 0 = qty_per.
    quota: float = 0.0
    updated_at: datetime = _ts(nullable=False)


class Stock(SQLModel, table=True):
    """Stock of an item in a warehouse: on hand, in transit (ordered, not received), unissued
    (生产未领料: needed by released orders, not yet issued), as of the last movement/import."""

    __table_args__ = (UniqueConstraint("item_code", "warehouse"),)
    id: int | None = Field(default=None, primary_key=True)
    item_code: str = Field(index=True)
    warehouse: str = "RM"
    on_hand: float = 0.0
    in_transit: float = 0.0
    unissued: float = 0.0
    as_of: datetime = _ts(nullable=False)


class StockMovement(SQLModel, table=True):
    """One change of stock (receipt, issue, return, borrow, count adjustment, import), signed
    ``qty`` in the stock unit; ``ref`` names the document (e.g. "PO-000012/1", "count:7")."""

    __table_args__ = (Index("ix_stockmovement_item_at", "item_code", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    item_code: str
    warehouse: str = "RM"
    qty: float
    #: receipt | issue | return | borrow | adjust | import | supplier_return
    kind: str
    ref: str = ""
    instance_id: int | None = Field(default=None, foreign_key="instance.id")
    by_id: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = _ts(nullable=False)


class PurchaseOrder(SQLModel, table=True):
    """A purchase order (采购单, §5f): its own subject; lines serve customer orders."""

    id: int | None = Field(default=None, primary_key=True)
    po_no: str = Field(unique=True, index=True)
    supplier_code: str = Field(index=True)
    instance_id: int | None = Field(default=None, foreign_key="instance.id", index=True)
    #: draft | approved | closed | cancelled
    status: str = "draft"
    buyer_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = _ts(nullable=False)
    approved_at: datetime | None = _ts(nullable=True)


class PoLine(SQLModel, table=True):
    """A PO line; receipts fill ``received`` (never above ``qty``), IQC splits accepted and
    rejected. Open quantity = qty - received."""

    __table_args__ = (UniqueConstraint("po_id", "line_no"),)
    id: int | None = Field(default=None, primary_key=True)
    po_id: int = Field(foreign_key="purchaseorder.id", index=True)
    line_no: int
    item_code: str = Field(index=True)
    qty: float
    unit: str = ""
    price: float = 0.0
    due_date: date
    order_no: str = ""
    received: float = 0.0
    accepted: float = 0.0
    rejected: float = 0.0
    #: When the line was fully received (on time if ≤ due_date: §5k, §5l D).
    completed_at: datetime | None = _ts(nullable=True)


class Receipt(SQLModel, table=True):
    """A delivery received (来料入库单, §5h) against one PO, with the supplier's delivery note."""

    id: int | None = Field(default=None, primary_key=True)
    receipt_no: str = Field(unique=True, index=True)
    po_id: int = Field(foreign_key="purchaseorder.id", index=True)
    supplier_code: str = Field(index=True)
    delivery_note_no: str = ""
    instance_id: int | None = Field(default=None, foreign_key="instance.id", index=True)
    received_at: datetime = _ts(nullable=False)
    by_id: int | None = Field(default=None, foreign_key="user.id")


class ReceiptLine(SQLModel, table=True):
    """A received line: count (stock unit) and weight (settlement unit); IQC's verdict."""

    id: int | None = Field(default=None, primary_key=True)
    receipt_id: int = Field(foreign_key="receipt.id", index=True)
    po_line_id: int = Field(foreign_key="poline.id", index=True)
    item_code: str
    qty: float
    weight: float = 0.0
    accepted: float = 0.0
    rejected: float = 0.0
    #: pending | passed | failed | pick_and_use
    iqc: str = "pending"
    inspected_at: datetime | None = _ts(nullable=True)


class ScheduleRun(SQLModel, table=True):
    """One period of a scheduled start (``states.base.Scheduled``) that ran: (schedule,
    period) is unique, so a catch-up after downtime starts a missed period once, never twice."""

    __table_args__ = (UniqueConstraint("schedule", "period"),)
    id: int | None = Field(default=None, primary_key=True)
    schedule: str
    period: str
    due_at: datetime = _ts(nullable=False)
    ran_at: datetime = _ts(nullable=False)
    instance_ids: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    #: started (instances started, possibly none: an empty fan-out) | skipped (a missed
    #: period superseded by a later one at catch-up) | gated (the schedule's gate was closed) |
    #: existing (every instance it would start was there already, started by hand).
    outcome: str = Field(default="started", sa_column_kwargs={"server_default": "started"})


class Measure(SQLModel, table=True):
    """A monthly measure (purchase on-time rate, QDPS per supplier): computed by a flow,
    approved by the named superior (§5k, §5l), shown on the measures page and exported."""

    __table_args__ = (UniqueConstraint("kind", "period", "subject"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str
    period: str
    #: "" for the company, else a supplier code or a buyer's username.
    subject: str = ""
    value: float
    detail: dict = _json()
    #: computed | approved
    status: str = "computed"
    instance_id: int | None = Field(default=None, foreign_key="instance.id")
    computed_at: datetime = _ts(nullable=False)
    approved_by_id: int | None = Field(default=None, foreign_key="user.id")
    approved_at: datetime | None = _ts(nullable=True)


# -- Outsourcing (issue 10, §6): what went to and came back from each subcontractor -------


class OutsourcingLine(SQLModel, table=True):
    """One line of an outsourcing document (§6; 002 3.4.8-3.4.9, 003 5.7.8-5.7.9): material
    issued to a subcontractor (``kind="issue"``: 材料出库单, 委外发料单, 外协物料调拨单) or work
    received back and inspected (``kind="receipt"``: good, 工废 scrapped by the work, 料废
    scrapped by bad material, unreasonable loss; the agreed price). The monthly 委外挂账单 sums
    the receipts per subcontractor and item; the 余料明细清单's book leftover is what was issued
    less what the receipts used (BOM ``qty_per``, or 1:1 for an operation)."""

    __table_args__ = (Index("ix_outsourcingline_sub_at", "subcontractor_code", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    instance_id: int | None = Field(default=None, foreign_key="instance.id", index=True)
    #: The outsourcing's own number (WW-000042) or the pick-up list's.
    ref: str = ""
    subcontractor_code: str
    #: material (物料级委外) | operation (工序外协)
    level: str = "material"
    #: issue | receipt
    kind: str
    item_code: str = Field(index=True)
    operation: str = ""
    issued: float = 0.0
    good: float = 0.0
    scrap_work: float = 0.0
    scrap_material: float = 0.0
    loss: float = 0.0
    price: float = 0.0
    at: datetime = _ts(nullable=False)


# -- Stock counts (issue 10, §7): the count and its lines per round, queried as tables ----


class StockCount(SQLModel, table=True):
    """A stock count 盘点 (§7, 002 3.4.10): its scope (warehouses, ABC classes), count day and
    the instant the book was snapshotted (财务在指定时间点备份库存帐)."""

    id: int | None = Field(default=None, primary_key=True)
    instance_id: int = Field(foreign_key="instance.id", unique=True, index=True)
    count_no: str = Field(index=True)
    #: cycle (A/B/C cycle count) | month_end | ad_hoc
    kind: str = "cycle"
    warehouses: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    abc_classes: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    count_date: date
    snapshot_at: datetime | None = _ts(nullable=True)
    #: planned | snapshotted | counting | counted | posted
    status: str = "planned"
    posted_at: datetime | None = _ts(nullable=True)


class CountLine(SQLModel, table=True):
    """One item at one location in one round of a count: the book at the snapshot, what was
    counted and by whom. Round 0 holds the list generated from the book (no count); a recount
    round has rows only for the items whose last two rounds differed."""

    __table_args__ = (UniqueConstraint("count_id", "item_code", "location", "round"),)
    id: int | None = Field(default=None, primary_key=True)
    count_id: int = Field(foreign_key="stockcount.id", index=True)
    item_code: str = Field(index=True)
    #: The warehouse (Stock has no bins; Choice: the warehouse is the location counted).
    location: str
    round: int
    #: The book at the snapshot (None until the set time has passed and it was taken).
    book_qty: float | None = None
    counted_qty: float | None = None
    counter: str = ""
    counted_at: datetime | None = _ts(nullable=True)


# -- Material issue against quotas (issue 10, §5j, §8d, §8e): the 定额领料登记表 as tables ---


class QuotaSheet(SQLModel, table=True):
    """定额领料登记表 of one weekly plan / production batch (003 5.7.1-2): made by MC two
    working days before the plan starts; the warehouse issues against its lines."""

    id: int | None = Field(default=None, primary_key=True)
    batch_no: str = Field(unique=True, index=True)
    instance_id: int | None = Field(default=None, foreign_key="instance.id", index=True)
    plan_start: date
    created_at: datetime = _ts(nullable=False)
    #: When the batch was closed (§8e): leftovers and borrowed packs returned.
    closed_at: datetime | None = _ts(nullable=True)


class QuotaLine(SQLModel, table=True):
    """One item of a quota sheet: the quota (BOM quota × planned quantity), what was issued
    against it, what was lent above it in whole packs (借料单) and what of that was settled
    (offset at a later issue or returned at batch close). Open to issue = quota − issued."""

    __table_args__ = (UniqueConstraint("sheet_id", "item_code"),)
    id: int | None = Field(default=None, primary_key=True)
    sheet_id: int = Field(foreign_key="quotasheet.id", index=True)
    item_code: str = Field(index=True)
    quota: float
    issued: float = 0.0
    borrowed: float = 0.0
    settled: float = 0.0


class IssueLine(SQLModel, table=True):
    """One issue-side movement of a batch, queryable beside its quota: ``kind`` quota (定额领料),
    borrow (借料单), offset (borrow deducted at a later issue: no stock moves), non_quota (领料单),
    over_issue (超额领料单), return / replenish (退/补领料单), leftover (批号结案余料退仓),
    borrow_return (borrowed pack returned at batch close). ``qty`` is positive; the stock
    movement (if any) carries the sign."""

    __table_args__ = (Index("ix_issueline_batch_item", "batch_no", "item_code"),)
    id: int | None = Field(default=None, primary_key=True)
    batch_no: str = ""
    sheet_id: int | None = Field(default=None, foreign_key="quotasheet.id")
    instance_id: int | None = Field(default=None, foreign_key="instance.id", index=True)
    item_code: str
    qty: float
    kind: str
    reason: str = ""
    movement_id: int | None = Field(default=None, foreign_key="stockmovement.id")
    by_id: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = _ts(nullable=False)
