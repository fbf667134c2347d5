"""Sealed audit trail (issue 7, item 1): the ``auditseal`` table with its guards, TRUNCATE
refused on PostgreSQL, and what each chain check found about the seals.

Existing events are not sealed by this migration: the first seal (``gendan audit seal``, the
hourly flow or "verify now", once ``gendan keys init`` made the key) covers them all.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import gendan.db
from gendan.db import AUDIT_SEAL_GUARDS

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "auditseal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("first_seq", sa.Integer(), nullable=False),
        sa.Column("hash", S(), nullable=False),
        sa.Column("at", gendan.db.UTCDateTime(), nullable=False),
        sa.Column("leaves", S(), nullable=False),
        sa.Column("hashes", sa.Text(), nullable=False),
        sa.Column("key_id", S(), nullable=False),
        sa.Column("public_key", S(), nullable=False),
        sa.Column("signature", S(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_auditseal_seq"), "auditseal", ["seq"], unique=True)
    with op.batch_alter_table("chaincheck") as batch:
        batch.add_column(sa.Column("sealed_seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("sealed_at", gendan.db.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("unsealed", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("anchor_ok", sa.Boolean(), nullable=True))
    for stmt in AUDIT_SEAL_GUARDS.get(op.get_bind().dialect.name, []):
        op.execute(stmt)


def downgrade() -> None:
    raise NotImplementedError("downgrades are not supported; restore the backup instead")
