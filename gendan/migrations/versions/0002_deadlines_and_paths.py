"""Deadlines with kind and start, escalation chains, pauses; intake facts on the order;
document revisions; finished stock, refusal tallies, SMS acknowledgements (issue 6).

Existing rows get what release 0.1 meant: tasks escalate to the head then the GM office,
one deadline-length apart (their period computed from the old ``sla`` text); an open
change classification offers the decisions of its classifier's role.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import re

import sqlalchemy as sa
import sqlmodel
from alembic import op

import gendan.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString
#: Working minutes of one working day on the default calendar (08-12, 13-18).
DAY_MINUTES = 540


def upgrade() -> None:
    op.create_table(
        "finishedstock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product", S(), nullable=False),
        sa.Column("model_spec", S(), nullable=False),
        sa.Column("warehouse", S(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("updated_at", gendan.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("product", "model_spec", "warehouse"),
    )
    op.create_table(
        "refusalcount",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("minute", gendan.db.UTCDateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=True),
        sa.Column("first_at", gendan.db.UTCDateTime(), nullable=False),
        sa.Column("last_at", gendan.db.UTCDateTime(), nullable=False),
        sa.Column("first_url", S(), nullable=False),
        sa.Column("last_url", S(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("actor_id", "minute"),
    )
    op.create_index(op.f("ix_refusalcount_event_seq"), "refusalcount", ["event_seq"])
    op.create_table(
        "smsack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("cause", S(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", S(), nullable=False),
        sa.Column("sent_at", gendan.db.UTCDateTime(), nullable=False),
        sa.Column("due_at", gendan.db.UTCDateTime(), nullable=False),
        sa.Column("status", S(), nullable=False),
        sa.Column("acked_at", gendan.db.UTCDateTime(), nullable=True),
        sa.Column("acked_by_id", sa.Integer(), nullable=True),
        sa.Column("acked_how", S(), nullable=True),
        sa.Column("escalated_at", gendan.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["acked_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["notification_id"], ["notification.id"]),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notification_id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_smsack_status_due", "smsack", ["status", "due_at"])
    op.create_index(op.f("ix_smsack_task_id"), "smsack", ["task_id"])

    def add(table: str, name: str, type_: sa.types.TypeEngine, default: str | None) -> None:
        nullable = default is None
        server_default = None if nullable else sa.text(default)
        op.add_column(
            table, sa.Column(name, type_, nullable=nullable, server_default=server_default)
        )

    add("document", "revision", sa.Integer(), "1")
    add("document", "superseded_by", S(), None)
    for name, type_, default in (
        ("received_at", gendan.db.UTCDateTime(), None),
        ("channel", S(), "''"),
        ("colour", S(), None),
        ("new_design", sa.Boolean(), "false"),
        ("discontinued", sa.Boolean(), "false"),
        ("above_standard", sa.Boolean(), "false"),
        ("tight_date", sa.Boolean(), "false"),
        ("special", sa.Boolean(), "false"),
        ("repeat_of", S(), None),
        ("outsourced_work", sa.Boolean(), "false"),
        ("urgent", sa.Boolean(), "false"),
        ("complete_set", sa.Boolean(), "false"),
        ("project", S(), None),
        ("penalty_clause", sa.Boolean(), "false"),
        ("technical_requirements", S(length=4000), None),
        ("quality_requirements", S(length=4000), None),
        ("attachment", S(), None),
        ("credit_terms", sa.Boolean(), "false"),
    ):
        add("order", name, type_, default)
    for name, type_, default in (
        ("deadline_zh", S(), "''"),
        ("deadline_en", S(), "''"),
        ("deadline_kind", S(), "''"),
        ("clock_start", gendan.db.UTCDateTime(), None),
        ("period_minutes", sa.Integer(), "0"),
        ("chain", sa.JSON(), """'["head", "gm_office"]'"""),
        ("decisions", sa.JSON(), "'[]'"),
        ("pauses_for", S(), None),
        ("paused_at", gendan.db.UTCDateTime(), None),
        ("waited_minutes", sa.Integer(), "0"),
    ):
        add("task", name, type_, default)
    _old_tasks()


def _old_tasks() -> None:
    """Open tasks of release 0.1: their deadline in words and period from the ``sla`` text; a
    change classification offers its classifier's decisions."""
    conn = op.get_bind()
    task = sa.table(
        "task",
        sa.column("id", sa.Integer),
        sa.column("sla", sa.String),
        sa.column("role", sa.String),
        sa.column("state", sa.String),
        sa.column("status", sa.String),
        sa.column("instance_id", sa.Integer),
        sa.column("deadline_en", sa.String),
        sa.column("deadline_zh", sa.String),
        sa.column("period_minutes", sa.Integer),
        sa.column("decisions", sa.JSON),
    )
    instance = sa.table("instance", sa.column("id", sa.Integer), sa.column("procedure", sa.String))
    rows = conn.execute(
        sa.select(task.c.id, task.c.sla, task.c.role, task.c.state, instance.c.procedure)
        .join(instance, instance.c.id == task.c.instance_id)
        .where(task.c.status == "open")
    ).all()
    for tid, sla, role, state, procedure in rows:
        values: dict[str, object] = {"deadline_en": sla or "", "deadline_zh": sla or ""}
        m = re.fullmatch(r"(\d+) (minute|hour|working day)s?", sla or "")
        if m:
            n, unit = int(m.group(1)), m.group(2)
            values["period_minutes"] = n * {"minute": 1, "hour": 60}.get(unit, DAY_MINUTES)
        if procedure == "order_change" and state == "received":
            values["decisions"] = (
                ["tech_minor", "tech_major"]
                if role == "engineering"
                else [
                    "classify_minor",
                    "classify_delivery",
                    "classify_structural",
                    "classify_cancel",
                ]
            )
        conn.execute(sa.update(task).where(task.c.id == tid).values(**values))


def downgrade() -> None:
    raise NotImplementedError("downgrades are not supported; restore the backup instead")
