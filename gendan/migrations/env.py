"""Alembic environment: runs on the connection ``gendan.migrate`` hands over."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from gendan import migrate

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - always called through gendan.migrate
    raise RuntimeError("run migrations with `gendan migrate` (gendan.migrate.upgrade)")

migrate.import_models()
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    user_module_prefix="gendan.db.",
)
with context.begin_transaction():
    context.run_migrations()
