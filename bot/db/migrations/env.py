"""Alembic's environment: runs the migrations on the connection `Database` hands it.

Run by `bot.db.database.migrate` (every start upgrades to the newest schema); a
new migration is written with `python tools/db_revision.py -m "what changes"` after
changing bot/db/schema.py, then read over by hand.
"""

from __future__ import annotations

from alembic import context

from bot.db.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
