"""The operators' database (SQLite or PostgreSQL): the question log and votes
(bot/db/questions.py), feeds, pins and leases; schema in bot/db/schema.py."""

from bot.db.database import Database, sqlite_url, utcnow

__all__ = ["Database", "sqlite_url", "utcnow"]
