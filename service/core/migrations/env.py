"""Alembic environment: the service runs migrations itself at start (``core.db.Database.migrate``)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
