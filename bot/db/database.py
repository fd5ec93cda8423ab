"""The operators' database: the question log, votes, feeds, pins and leases.

SQLite (WAL) is the embedded default; a `postgresql://` DATABASE_URL selects
PostgreSQL (through psycopg 3), for bots whose shards run on several machines.
Opening a database upgrades its schema to the newest migration (Alembic,
bot/db/migrations/), so every process of one deployment runs the same schema.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.db import schema
from bot.errors import StorageError
from bot.settings import DATABASE_URL_FORMS

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


def utcnow() -> datetime:
    """Now, in UTC, to the microsecond (the database's clock for every row)."""
    return datetime.now(timezone.utc)


def engine_url(url: str) -> str:
    """`url` with PostgreSQL's driver named (psycopg 3): `postgresql://` and
    `postgres://` become `postgresql+psycopg://`; other URLs are returned as they are."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of the SQLite file at `path`."""
    return f"sqlite:///{path}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")  # ms a writer waits for another process's lock
    cursor.close()


def migrate(connection: Connection, revision: str = "head") -> None:
    """Upgrade the schema on `connection` to `revision` (Alembic; "head": the newest)."""
    from alembic import command  # imported here: a third of a second, only at opening
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


class Database:
    """One database, opened from its URL; safe to share between threads.

    `url`: a SQLAlchemy URL (`sqlite:///path`, `postgresql://user@host/db`).
    `salt`: the secret mixed into user hashes; None keeps one generated at the
    first start in the database itself (table `meta`), which every process of a
    deployment then shares. Raises StorageError when the database cannot be
    opened or migrated.
    """

    def __init__(self, url: str, salt: str | None = None) -> None:
        self.url = engine_url(url)
        try:
            self.engine: Engine = sa.create_engine(self.url, future=True, pool_pre_ping=True)
            if self.engine.dialect.name == "sqlite":
                database = self.engine.url.database
                if database and database != ":memory:":
                    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
                sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            with self.engine.begin() as connection:
                migrate(connection)
            self._salt = (salt or self._stored_salt()).encode()
        except (SQLAlchemyError, OSError) as exc:
            raise StorageError(f"cannot open the database {self.describe()}: {_reason(exc)}") from None
        except ImportError as exc:  # a driver that is not installed (mysql://, postgresql+asyncpg://)
            raise StorageError(
                f"cannot open the database {self.describe()}: its driver is not installed ({exc}); "
                f"give {DATABASE_URL_FORMS}"
            ) from None

    def describe(self) -> str:
        """The URL without its password, for messages and logs."""
        try:
            return sa.make_url(self.url).render_as_string(hide_password=True)
        except Exception:
            return "(a bad DATABASE_URL)"

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self.engine.dialect.name

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection in a transaction, committed on leaving, rolled back on an error.
        Database errors become StorageError."""
        try:
            with self.engine.begin() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise StorageError(f"database {self.describe()}: {_reason(exc)}") from None

    # ---- users -------------------------------------------------------------------------

    def user_hash(self, user_id: int | str) -> str:
        """The salted SHA-256 (HMAC, 64 hex characters) under which `user_id` is stored."""
        return hmac.new(self._salt, str(user_id).encode(), hashlib.sha256).hexdigest()

    def _stored_salt(self) -> str:
        with self.engine.begin() as connection:
            found = connection.execute(
                sa.select(schema.meta.c.value).where(schema.meta.c.key == "salt")
            ).scalar_one_or_none()
            if found is not None:
                return str(found)
        salt = secrets.token_hex(32)
        try:
            with self.engine.begin() as connection:
                connection.execute(sa.insert(schema.meta).values(key="salt", value=salt))
            return salt
        except IntegrityError:  # another process stored one first
            with self.engine.begin() as connection:
                value = connection.execute(
                    sa.select(schema.meta.c.value).where(schema.meta.c.key == "salt")
                ).scalar_one()
            return str(value)

    # ---- meta --------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """The value stored under `key` in the meta table, or None."""
        with self.begin() as connection:
            value = connection.execute(
                sa.select(schema.meta.c.value).where(schema.meta.c.key == key)
            ).scalar_one_or_none()
        return None if value is None else str(value)

    def set_meta(self, key: str, value: str) -> None:
        """Store `value` under `key`, replacing what was there."""
        with self.begin() as connection:
            connection.execute(sa.delete(schema.meta).where(schema.meta.c.key == key))
            connection.execute(sa.insert(schema.meta).values(key=key, value=value))

    # ---- leases ------------------------------------------------------------------------

    def acquire_lease(self, name: str, holder: str, seconds: float) -> bool:
        """Take or renew the lease `name` for `holder` for `seconds`; False while another
        holder's lease has not expired. One holder at a time across every process that
        uses this database."""
        now = utcnow()
        expires = now + timedelta(seconds=seconds)
        leases = schema.leases
        with self.begin() as connection:
            taken = connection.execute(
                sa.update(leases)
                .where(leases.c.name == name)
                .where(sa.or_(leases.c.holder == holder, leases.c.expires_at < now))
                .values(holder=holder, expires_at=expires)
            ).rowcount
            if taken:
                return True
        try:
            with self.engine.begin() as connection:
                connection.execute(sa.insert(leases).values(name=name, holder=holder, expires_at=expires))
            return True
        except IntegrityError:  # held by someone else (or just taken)
            return False
        except SQLAlchemyError as exc:
            raise StorageError(f"database {self.describe()}: {_reason(exc)}") from None

    def take_over_lease(self, name: str, holder: str, gone: str, seconds: float) -> bool:
        """Take the lease `name` from `gone` (a holder known to have died) for `holder` for
        `seconds`; False when `gone` does not hold it any more (another process took it)."""
        expires = utcnow() + timedelta(seconds=seconds)
        leases = schema.leases
        with self.begin() as connection:
            taken = connection.execute(
                sa.update(leases)
                .where(leases.c.name == name, leases.c.holder == gone)
                .values(holder=holder, expires_at=expires)
            ).rowcount
        return bool(taken)

    def release_lease(self, name: str, holder: str) -> None:
        """Give the lease back (nothing happens when `holder` does not hold it)."""
        leases = schema.leases
        with self.begin() as connection:
            connection.execute(sa.delete(leases).where(leases.c.name == name, leases.c.holder == holder))


def _reason(exc: BaseException) -> str:
    """The first line of a database error, without SQLAlchemy's background link."""
    original = getattr(exc, "orig", None)
    text = str(original if original is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
