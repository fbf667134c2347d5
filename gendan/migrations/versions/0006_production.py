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
    pass


def downgrade() -> None:
    raise NotImplementedError("downgrades are not supported; restore the backup instead")
