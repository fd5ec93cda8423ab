"""The operators' database (bot/db/database.py), on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.db import Database, schema
from bot.db.database import engine_url
from bot.errors import StorageError


def test_the_migrations_build_the_schema_in_schema_py(database: Database) -> None:
    with database.begin() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, schema.metadata)
    assert differences == [], "bot/db/schema.py changed without a migration (tools/db_revision.py)"


def test_opening_again_keeps_the_data_and_the_salt(database_url: str) -> None:
    first = Database(database_url)
    first.set_meta("answer", "42")
    hashed = first.user_hash(1234)
    first.close()
    again = Database(database_url)  # migrating an up-to-date database changes nothing
    assert again.get_meta("answer") == "42"
    assert again.user_hash(1234) == hashed
    again.close()


def test_user_hashes_are_salted_and_hide_the_id(database: Database, database_url: str) -> None:
    hashed = database.user_hash(123456789012345678)
    assert len(hashed) == 64 and "123456789012345678" not in hashed
    assert database.user_hash("123456789012345678") == hashed
    assert database.user_hash(2) != hashed
    salted = Database(database_url, salt="another secret")
    assert salted.user_hash(123456789012345678) != hashed
    salted.close()


def test_times_come_back_in_utc(database: Database) -> None:
    moment = datetime(2026, 5, 6, 7, 8, 9, tzinfo=timezone(timedelta(hours=2)))
    with database.begin() as connection:
        connection.execute(sa.insert(schema.leases).values(name="x", holder="h", expires_at=moment))
        stored = connection.execute(sa.select(schema.leases.c.expires_at)).scalar_one()
    assert stored == moment and stored.tzinfo is not None and stored.utcoffset() == timedelta(0)


def test_a_lease_has_one_holder_until_it_expires(database: Database) -> None:
    assert database.acquire_lease("feed-poll", "shard 0", 60)
    assert not database.acquire_lease("feed-poll", "shard 1", 60)
    assert database.acquire_lease("feed-poll", "shard 0", 60)  # renewed by its holder
    database.release_lease("feed-poll", "shard 0")
    assert database.acquire_lease("feed-poll", "shard 1", -1)  # expired at once
    assert database.acquire_lease("feed-poll", "shard 0", 60)


def test_a_bad_database_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "not-a-db").write_text("plain text, not SQLite\n" * 100)
    with pytest.raises(StorageError, match="cannot open the database"):
        Database(f"sqlite:///{tmp_path / 'not-a-db'}")
    with pytest.raises(StorageError, match="cannot open the database") as caught:
        Database("postgresql://someone:hunter2@127.0.0.1:1/nothing")
    assert "hunter2" not in str(caught.value)
    with pytest.raises(StorageError, match="driver is not installed") as caught:
        Database("postgresql+asyncpg://someone:hunter2@127.0.0.1:1/nothing")  # ImportError, not a traceback
    assert "hunter2" not in str(caught.value)


def test_postgres_urls_use_psycopg_3() -> None:
    assert engine_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert engine_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert engine_url("sqlite:///x.db") == "sqlite:///x.db"
