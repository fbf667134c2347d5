"""Production (issue 9): linked instances, automatic-step jobs, tasks that open on a business
date, objection windows, master data read by planning (customers, lines and teams).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
import sqlmodel
from alembic import op  # noqa: F401

import gendan.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString
T = gendan.db.UTCDateTime


def upgrade() -> None:
    # Each part of issue 9 adds its tables and columns below, in the order of the models.
    _links_and_jobs()
    _dated_tasks()
    _master_data()
    pass


def _links_and_jobs() -> None:
    """Sub-procedure links and automatic-step jobs (gendan.links, gendan.jobs)."""
    op.create_table(
        "instancelink",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("order_no", S(), nullable=False),
        sa.Column("procedure", S(), nullable=False),
        sa.Column("parent_state", S(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("created_at", T(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["instance.id"]),
        sa.ForeignKeyConstraint(["child_id"], ["instance.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("child_id"),
    )
    op.create_index(op.f("ix_instancelink_parent_id"), "instancelink", ["parent_id"])
    op.create_index(op.f("ix_instancelink_order_no"), "instancelink", ["order_no"])
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("state", S(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("job", S(), nullable=False),
        sa.Column("status", S(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", T(), nullable=True),
        sa.Column("next_attempt_at", T(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", T(), nullable=False),
        sa.Column("done_at", T(), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["instance.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instance_id", "state", "round"),
    )
    op.create_index(op.f("ix_job_instance_id"), "job", ["instance_id"])
    op.create_index("ix_job_due", "job", ["status", "next_attempt_at"])


def _dated_tasks() -> None:
    """Date-anchored tasks (states.base.OpensAt): scheduled until ``opens_at``."""
    op.add_column("task", sa.Column("opens_at", T(), nullable=True))
    op.create_index("ix_task_opens", "task", ["status", "opens_at"])


def _master_data() -> None:
    """Master data planning reads (gendan.masterdata): customers, lines, teams, settings."""
    op.create_table(
        "customer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", S(), nullable=False),
        sa.Column("name", S(), nullable=False),
        sa.Column("customer_class", S(), nullable=False),
        sa.Column("credit_terms", S(), nullable=False),
        sa.Column("contact_name", S(), nullable=False),
        sa.Column("contact_phone", S(), nullable=False),
        sa.Column("contact_email", S(), nullable=False),
        sa.Column("updated_at", T(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_customer_code"), "customer", ["code"], unique=True)
    op.create_index(op.f("ix_customer_name"), "customer", ["name"], unique=True)
    op.create_table(
        "productionline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", S(), nullable=False),
        sa.Column("name_zh", S(), nullable=False),
        sa.Column("name_en", S(), nullable=False),
        sa.Column("department_key", S(), nullable=False),
        sa.Column("updated_at", T(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_productionline_key"), "productionline", ["key"], unique=True)
    op.create_table(
        "productionteam",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("key", S(), nullable=False),
        sa.Column("name_zh", S(), nullable=False),
        sa.Column("name_en", S(), nullable=False),
        sa.Column("kind", S(), nullable=False),
        sa.Column("updated_at", T(), nullable=False),
        sa.ForeignKeyConstraint(["line_id"], ["productionline.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("line_id", "key"),
    )
    op.create_index(op.f("ix_productionteam_line_id"), "productionteam", ["line_id"])
    op.create_table(
        "mastersetting",
        sa.Column("key", S(), nullable=False),
        sa.Column("value", S(), nullable=False),
        sa.Column("updated_at", T(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    raise NotImplementedError("downgrades are not supported; restore the backup instead")
