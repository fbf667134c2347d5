"""Response models of the JSON API: what every /api route answers, as OpenAPI shows it.

Rows of the database (tasks, timers, audit events, documents) are described from their
SQLModel tables (``row_model``), so a column added to a table is documented with it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model
from sqlmodel import SQLModel

from gendan.models import AuditEvent, Document, Task, Timer


def row_model(name: str, table: type[SQLModel], exclude: tuple[str, ...] = ()) -> type[BaseModel]:
    """A pydantic model with the table's columns (their types; every one may be absent)."""
    fields: dict[str, Any] = {
        col: (info.annotation | None, Field(None, description=info.description))
        for col, info in table.model_fields.items()
        if col not in exclude
    }
    return create_model(name, __config__=ConfigDict(extra="allow"), **fields)


TaskRow = row_model("TaskRow", Task, exclude=("form_data",))
TaskRecord = row_model("TaskRecord", Task)
TimerRow = row_model("TimerRow", Timer)
AuditEventRow = row_model("AuditEventRow", AuditEvent)
DocumentRow = row_model("DocumentRow", Document)


class TokenOut(BaseModel):
    """OAuth2 token answer (RFC 6749 5.1), with the expiry instant besides."""

    access_token: str
    token_type: str = Field("bearer", description="always 'bearer'")
    expires_in: int = Field(description="seconds until the token expires")
    expires_at: datetime = Field(description="when the token expires (UTC)")


class InstanceOut(BaseModel):
    """One procedure instance: its state, data, tasks, timers, audit trail and documents."""

    model_config = ConfigDict(extra="allow")

    id: int
    procedure: str
    procedure_zh: str
    procedure_en: str
    order_no: str
    state: str
    state_name: str
    version: int
    data: dict[str, Any] = Field(description="the forms and facts kept on the instance")
    closed_at: datetime | None = None
    allowed_events: list[str] = Field(
        description="decisions some open task of this state accepts (GET /api/tasks/{id}/form)"
    )
    tasks: list[TaskRecord]  # type: ignore[valid-type]
    timers: list[TimerRow]  # type: ignore[valid-type]
    audit: list[AuditEventRow]  # type: ignore[valid-type]
    documents: list[DocumentRow]  # type: ignore[valid-type]


class TaskDetail(TaskRecord):  # type: ignore[misc,valid-type]
    """One task with its instance."""

    instance: InstanceOut


class TaskListItem(TaskRow):  # type: ignore[misc,valid-type]
    """A task in my list, with its order, procedure and department."""

    deadline: str = Field(description="the deadline in the reader's language")
    order_no: str
    procedure: str
    department: str
    mine: bool = Field(description="claimed by me (else offered to one of my roles)")
    customer: str | None = None


class Cursor(BaseModel):
    after_due: datetime | None
    after_id: int


class TaskPage(BaseModel):
    items: list[TaskListItem]
    next: Cursor | None = Field(description="pass as after_due/after_id for the next page")


class DeadlineOut(BaseModel):
    kind: str
    kind_zh: str
    kind_en: str
    start: str
    seed: str
    label_zh: str
    label_en: str


class ChainLevelOut(BaseModel):
    level: int
    key: str
    zh: str
    en: str


class OpensAtOut(BaseModel):
    field: str = Field(description="'order.<field>', '<form>.<field>' or a row's date")
    days_before: int = Field(description="working days before the date; opens at its start")


class TaskSpecOut(BaseModel):
    role: str
    department: str
    title_zh: str
    title_en: str
    when: str | None
    sla: str
    deadline: DeadlineOut | None
    chain: list[ChainLevelOut]
    pauses_for: str | None
    pauses_for_zh: str | None
    pauses_for_en: str | None
    decisions: list[str] = Field(
        description="exactly what POST /api/tasks/{id}/complete accepts from such a task"
    )
    seed: str
    opens: OpensAtOut | None = Field(
        default=None, description="opens on a business date (created 'scheduled' until then)"
    )
    participants: str | None = Field(
        default=None, description="'form:<field>': holders named at run time by that field"
    )
    due: str | None = Field(default=None, description="'form:<field>': due at that instant")


class WindowOut(BaseModel):
    deadline: DeadlineOut
    on_silence: str = Field(description="fired by the system when nobody objected")
    objection: str = Field(description="what a recipient's task fires to object")


class EventOut(BaseModel):
    event: str
    label_zh: str
    label_en: str
    person: bool = Field(description="sent by a person (else fired by a countersign's join)")


class CountersignOut(BaseModel):
    form: str


class StateOut(BaseModel):
    id: str
    name: str
    final: bool
    countersign: CountersignOut | None
    urgent: bool
    window: WindowOut | None = Field(
        default=None, description="an objection window that closes by itself (silence: consent)"
    )
    events: list[EventOut] = Field(description="decisions some task of this state accepts")
    join_events: list[EventOut] = Field(description="fired by the join rule; not accepted")
    tasks: list[TaskSpecOut]


class StockTriggerOut(BaseModel):
    condition: str = Field(description="below_safety or above_max (states.base.StockTrigger)")
    zh: str
    en: str


class ProcedureOut(BaseModel):
    key: str
    title_zh: str
    title_en: str
    start_form: str
    start_roles: list[str]
    states: list[StateOut]
    stock_trigger: StockTriggerOut | None = Field(
        default=None, description="the system starts it when an item's stock meets this"
    )


class DecisionForm(BaseModel):
    """A decision the task accepts and what it demands."""

    decision: str
    label_zh: str
    label_en: str
    form: str | None = Field(description="the paper form's key, if the decision has one")
    form_title_zh: str | None
    form_title_en: str | None
    reason_required: bool
    signature: str | None = Field(description="meaning of the electronic signature, if any")
    password_required: bool = Field(description="the password is re-entered to sign")
    four_eyes: list[str] = Field(description="decisions whose author may not send this one")
    bulk: bool
    fixed: dict[str, Any] = Field(description="form values the decision itself sets")
    locked: dict[str, Any] = Field(description="form values that must equal the order's")
    prefill: dict[str, Any] = Field(
        description="what the form starts with: values the instance already knows (earlier "
        "forms, the order), as the task page shows them; send them back or change them"
    )
    json_schema: dict[str, Any] = Field(
        alias="schema",
        description="JSON Schema (2020-12) of the body of POST /api/tasks/{id}/complete",
    )

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class TaskForms(BaseModel):
    """What I may decide on a task, each decision with the schema of its body."""

    task_id: int
    state: str
    status: str
    may_complete: bool = Field(
        description="offered to me (or claimed by me) and not claimed by someone else"
    )
    decisions: list[DecisionForm] = Field(description="empty once the task is closed")
