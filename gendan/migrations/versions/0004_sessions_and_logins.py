"""Sessions and logins (issue 7, item 3): server-side page sessions, API tokens that expire
and can be revoked, login throttle counters, known sources, the unknown-username tally.

Tokens issued before this release have no ``expires_at`` and count as expired: their holders
log in again once (``POST /api/token``). Page sessions of the old signed cookies carry no
session id and lead to the login page.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import gendan.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString
T = gendan.db.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("apitoken") as batch:
        batch.add_column(sa.Column("expires_at", T(), nullable=True))
        batch.add_column(sa.Column("revoked_at", T(), nullable=True))
        batch.add_column(
            sa.Column("revoked_reason", S(), nullable=False, server_default=sa.text("''"))
        )
    op.create_index(op.f("ix_apitoken_user_id"), "apitoken", ["user_id"])
    op.create_table(
        "usersession",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sid_hash", S(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", T(), nullable=False),
        sa.Column("last_seen_at", T(), nullable=False),
        sa.Column("ended_at", T(), nullable=True),
        sa.Column("end_reason", S(), nullable=False),
        sa.Column("source", S(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_usersession_sid_hash"), "usersession", ["sid_hash"], unique=True)
    op.create_index(op.f("ix_usersession_user_id"), "usersession", ["user_id"])
    op.create_table(
        "logincounter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", S(), nullable=False),
        sa.Column("key", S(), nullable=False),
        sa.Column("window_start", T(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope", "key"),
    )
    op.create_table(
        "knownsource",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("source", S(), nullable=False),
        sa.Column("last_login_at", T(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "source"),
    )
    op.create_table(
        "unknownlogincount",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", S(), nullable=False),
        sa.Column("minute", T(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=True),
        sa.Column("first_at", T(), nullable=False),
        sa.Column("last_at", T(), nullable=False),
        sa.Column("last_username", S(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "minute"),
    )
    op.create_index(op.f("ix_unknownlogincount_event_seq"), "unknownlogincount", ["event_seq"])


def downgrade() -> None:
    raise NotImplementedError("downgrades are not supported; restore the backup instead")
