"""Pages people work from (issue 8): copies (抄送), comments and attachments on instances,
and the indexes behind "done by me" and "started by me".

Existing instances get no copies: heads informed before this release see those instances
through their tasks and the order list, not under "copied to me".

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import gendan.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString
T = gendan.db.UTCDateTime


def upgrade() -> None:
    op.create_index("ix_task_closed_by", "task", ["closed_by_id", "closed_at", "id"])
    op.create_index("ix_instance_created_by", "instance", ["created_by_id", "created_at", "id"])
    op.create_table(
        "instancecopy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("order_no", S(), nullable=False),
        sa.Column("reason", S(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", T(), nullable=False),
        sa.Column("seen_at", T(), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["instance.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instance_id", "user_id"),
    )
    op.create_index(op.f("ix_instancecopy_instance_id"), "instancecopy", ["instance_id"])
    op.create_index(op.f("ix_instancecopy_order_no"), "instancecopy", ["order_no"])
    op.create_index(
        "ix_instancecopy_user_created", "instancecopy", ["user_id", "created_at", "id"]
    )
    op.create_table(
        "comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("order_no", S(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("mentions", sa.JSON(), nullable=False),
        sa.Column("created_at", T(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["instance.id"]),
        sa.ForeignKeyConstraint(["author_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_comment_instance", "comment", ["instance_id", "id"])
    op.create_index("ix_comment_order", "comment", ["order_no", "id"])
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("order_no", S(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("filename", S(), nullable=False),
        sa.Column("content_type", S(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", S(), nullable=False),
        sa.Column("note", S(), nullable=False),
        sa.Column("created_at", T(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["instance.id"]),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_attachment_instance", "attachment", ["instance_id", "id"])
    op.create_index("ix_attachment_order", "attachment", ["order_no", "id"])
    op.create_table(
        "attachmentblob",
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["attachment_id"], ["attachment.id"]),
        sa.PrimaryKeyConstraint("attachment_id"),
    )
    # the order list's sorts (gendan/orders.py): keyset on (column, id)
    op.create_index("ix_order_created_id", "order", ["created_at", "id"])
    op.create_index("ix_order_delivery_id", "order", ["delivery_date", "id"])
    op.create_index("ix_order_customer_id", "order", ["customer", "id"])


def downgrade() -> None:
    raise NotImplementedError("downgrades are not supported; restore the backup instead")
