"""The operators' database (SQLite or PostgreSQL): the question log and votes
(bot/db/questions.py), feeds, pins and leases; schema in bot/db/schema.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.db.database import Database, sqlite_url, utcnow

if TYPE_CHECKING:
    from bot.settings import Settings


def open_database(settings: Settings) -> Database:
    """The operators' database of DATABASE_URL, with LOG_SALT for the user hashes when set.
    Raises StorageError when it cannot be opened."""
    salt = settings.log_salt.get_secret_value() if settings.log_salt is not None else None
    return Database(settings.reveal_database_url(), salt=salt)


__all__ = ["Database", "open_database", "sqlite_url", "utcnow"]
