"""Alembic environment: runs on the connection handed in by ``core.migrate``."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    transaction_per_migration=True,
    # LangGraph's checkpoint tables share the database; they are not ours to migrate.
    include_name=lambda name, type_, parent: not (name or "").startswith("checkpoint"),
)
with context.begin_transaction():
    context.run_migrations()
