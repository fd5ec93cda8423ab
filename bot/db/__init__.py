"""The operators' database (SQLite or PostgreSQL): the question log and votes
(bot/db/questions.py), feeds, pins and leases; schema in bot/db/schema.py."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from bot.db.database import Database, sqlite_url, utcnow
from bot.errors import CommandError

if TYPE_CHECKING:
    from bot.settings import Settings


def open_database(settings: Settings) -> Database:
    """The operators' database of DATABASE_URL, with LOG_SALT for the user hashes when set.
    Raises StorageError when it cannot be opened."""
    salt = settings.log_salt.get_secret_value() if settings.log_salt is not None else None
    return Database(settings.reveal_database_url(), salt=salt)


def open_existing_database(settings: Settings) -> Database:
    """`open_database`, for commands that only read or delete (`report`, `forget-user`):
    CommandError for a SQLite file that does not exist rather than creating an empty one,
    where a mistyped DATABASE_URL would seem to hold nothing."""
    url = sa.make_url(settings.reveal_database_url())
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database).expanduser()
        if not path.is_file():
            raise CommandError(
                f"no question log at {path}: nothing was logged yet, or DATABASE_URL names another"
            )
    return open_database(settings)


__all__ = ["Database", "open_database", "open_existing_database", "sqlite_url", "utcnow"]
