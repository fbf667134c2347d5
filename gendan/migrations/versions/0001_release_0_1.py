"""Release 0.1: the schema ``create_all`` made before migrations existed (commit 89b63a4).

A database made by that release has these tables but no ``alembic_version``:
``gendan.migrate`` stamps it with this revision, then upgrades it.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import gendan.db

#: The read-only guard of release 0.1, as it was (later revisions change it, not this one).
READ_ONLY_AUDIT = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS auditevent_read_only_u BEFORE UPDATE ON auditevent "
        "BEGIN SELECT RAISE(ABORT, 'audit events are read-only'); END",
        "CREATE TRIGGER IF NOT EXISTS auditevent_read_only_d BEFORE DELETE ON auditevent "
        "BEGIN SELECT RAISE(ABORT, 'audit events are read-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION gendan_audit_read_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'audit events are read-only'; END $$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS auditevent_read_only ON auditevent",
        "CREATE TRIGGER auditevent_read_only BEFORE UPDATE OR DELETE ON auditevent "
        "FOR EACH ROW EXECUTE FUNCTION gendan_audit_read_only()",
    ],
}

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    sqlite = dialect == "sqlite"
    op.create_table(
        "auditevent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", gendan.db.UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("order_no", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("from_state", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("to_state", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_action_seq", "auditevent", ["action", "seq"], unique=False)
    op.create_index("ix_audit_actor_seq", "auditevent", ["actor_id", "seq"], unique=False)
    op.create_index("ix_audit_instance_seq", "auditevent", ["instance_id", "seq"], unique=False)
    op.create_index("ix_audit_order_seq", "auditevent", ["order_no", "seq"], unique=False)
    op.create_index(op.f("ix_auditevent_at"), "auditevent", ["at"], unique=False)
    op.create_index(op.f("ix_auditevent_seq"), "auditevent", ["seq"], unique=True)
    op.create_table(
        "audithead",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "calendarday",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "chaincheck",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", gendan.db.UTCDateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("first_broken_seq", sa.Integer(), nullable=True),
        sa.Column("problem", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "channelsetting",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("updated_at", gendan.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "department",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name_zh", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("head_user_id", sa.Integer(), nullable=True),
        *([sa.ForeignKeyConstraint(["head_user_id"], ["user.id"])] if sqlite else []),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_department_key"), "department", ["key"], unique=True)
    op.create_table(
        "order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_no", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("customer", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("customer_class", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("product", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("model_spec", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("delivery_date", sa.Date(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", gendan.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_order_order_no"), "order", ["order_no"], unique=True)
    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    if not sqlite:
        op.create_foreign_key(
            "department_head_user_id_fkey", "department", "user", ["head_user_id"], ["id"]
        )
    op.create_index(op.f("ix_user_username"), "user", ["username"], unique=True)
    op.create_table(
        "apitoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", gendan.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_apitoken_token_hash"), "apitoken", ["token_hash"], unique=True)
    op.create_table(
        "instance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("order_no", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", gendan.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", gendan.db.UTCDateTime(), nullable=False),
        sa.Column("closed_at", gendan.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_instance_order_no"), "instance", ["order_no"], unique=False)
    op.create_index(op.f("ix_instance_procedure"), "instance", ["procedure"], unique=False)
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cause", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("template", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", gendan.db.UTCDateTime(), nullable=False),
        sa.Column("created_at", gendan.db.UTCDateTime(), nullable=False),
        sa.Column("sent_at", gendan.db.UTCDateTime(), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cause", "channel", "address"),
    )
    op.create_index(op.f("ix_notification_cause"), "notification", ["cause"], unique=False)
    op.create_index(
        op.f("ix_notification_next_attempt_at"), "notification", ["next_attempt_at"], unique=False
    )
    op.create_index(op.f("ix_notification_status"), "notification", ["status"], unique=False)
    op.create_table(
        "userrole",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "role", "department_id"),
    )
    op.create_index(op.f("ix_userrole_role"), "userrole", ["role"], unique=False)
    op.create_index(op.f("ix_userrole_user_id"), "userrole", ["user_id"], unique=False)
    op.create_table(
        "deliveryattempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("at", gendan.db.UTCDateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notification.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_deliveryattempt_notification_id"),
        "deliveryattempt",
        ["notification_id"],
        unique=False,
    )
    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("doc_no", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("order_no", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", gendan.db.UTCDateTime(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("recalled_at", gendan.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["instance.id"],
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_document_doc_no"), "document", ["doc_no"], unique=True)
    op.create_index(op.f("ix_document_order_no"), "document", ["order_no"], unique=False)
    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("title_zh", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("title_en", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("sla", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", gendan.db.UTCDateTime(), nullable=False),
        sa.Column("due_at", gendan.db.UTCDateTime(), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("closed_at", gendan.db.UTCDateTime(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("form_data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["instance.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_task_assignee_due", "task", ["assignee_id", "status", "due_at", "id"], unique=False
    )
    op.create_index("ix_task_instance_status", "task", ["instance_id", "status"], unique=False)
    op.create_index(
        "ix_task_queue", "task", ["status", "role", "department_id", "due_at", "id"], unique=False
    )
    op.create_table(
        "timer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("due_at", gendan.db.UTCDateTime(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("fired_at", gendan.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["task.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_id", "level"),
    )
    op.create_index("ix_timer_due", "timer", ["status", "due_at"], unique=False)
    op.create_index("ix_timer_task_status", "timer", ["task_id", "status"], unique=False)
    for stmt in READ_ONLY_AUDIT.get(dialect, []):
        op.execute(stmt)


def downgrade() -> None:
    raise NotImplementedError("no downgrade below the first release")
