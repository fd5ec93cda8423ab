"""The tables of the operators' database, in SQLAlchemy Core.

One schema for SQLite and PostgreSQL. Times are UTC (`UtcDateTime`,
timezone-aware when read from either database). Discord ids are kept as text (snowflakes exceed
what some clients read as a double). User ids are never stored in clear: the
`user_hash` columns hold `Database.user_hash(id)`, a salted SHA-256 (64 hex
characters). Changes go through a migration in bot/db/migrations/versions/, never
here alone: the test tests/db/test_migrations.py checks that the two agree.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)


class UtcDateTime(TypeDecorator[datetime]):
    """A moment in UTC, timezone-aware on both databases (SQLite keeps no zone: it is
    stored as UTC text and read back with UTC attached). Naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a naive datetime; give one in UTC")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if not isinstance(value, datetime):
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)

metadata = MetaData()

# Settings kept with the data, e.g. the salt of the user hashes (`salt`) and which
# feedback files were imported (`feedback-import:<sha256>`).
meta = Table(
    "meta",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
)

# One row per question asked: on Discord, or from the CLI when asked to log.
questions = Table(
    "questions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("asked_at", UtcDateTime(), nullable=False),
    Column("source", String(16), nullable=False),  # "discord" or "cli"
    Column("guild_id", String(32)),
    Column("channel_id", String(32)),
    Column("thread_id", String(32)),  # the thread the question was asked in, if any
    Column("user_hash", String(64)),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),  # the text shown, or the abstention message
    Column("short_answer", Text),  # the exact answer span, when there is one
    Column("abstained", Boolean, nullable=False),
    Column("confidence", Float, nullable=False),  # 0…1, as in Answer.confidence
    Column("latency_ms", Float, nullable=False),  # from the question's arrival to the answer
    Column("article", String(500)),  # the article asked about (/ask article:, a pinned channel)
    Column("follow_up", Boolean, nullable=False, default=False),
    Index("ix_questions_asked_at", "asked_at"),
    Index("ix_questions_user_hash", "user_hash"),
)

# What an answer quoted ([n] citations) or, when abstaining, the closest passages.
citations = Table(
    "citations",
    metadata,
    Column("question_id", Integer, ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True),
    Column("n", Integer, primary_key=True),  # 1-based, in the answer's order
    Column("related", Boolean, nullable=False),  # True: a closest passage of an abstention
    Column("article", String(500), nullable=False),
    Column("paragraph", Integer, nullable=False),  # 1-based; 0 for the article's metadata
    Column("start", Integer, nullable=False),  # characters in the paragraph
    Column("end", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Index("ix_citations_article", "article"),
)

# The Discord messages that show an answer: a vote on any of them finds its question.
answer_messages = Table(
    "answer_messages",
    metadata,
    Column("message_id", String(32), primary_key=True),
    Column("question_id", Integer, ForeignKey("questions.id", ondelete="CASCADE"), nullable=False),
)

# 👍/👎 on answers; one per user and message (a second vote replaces the first).
votes = Table(
    "votes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("voted_at", UtcDateTime(), nullable=False),
    Column("vote", String(8), nullable=False),  # "up" or "down"
    Column("user_hash", String(64)),
    Column("question_id", Integer, ForeignKey("questions.id", ondelete="SET NULL")),
    Column("message_id", String(32)),
    Column("guild_id", String(32)),
    Column("channel_id", String(32)),
    # The question and answer as the vote saw them (also when the question was not logged).
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("abstained", Boolean),
    Index("ix_votes_voted_at", "voted_at"),
    Index("ix_votes_user_hash", "user_hash"),
    Index("ix_votes_message_user", "message_id", "user_hash"),
)

# News feeds followed (bot/feeds.py).
feeds = Table(
    "feeds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False, unique=True),
    Column("added_at", UtcDateTime(), nullable=False),
    Column("title", Text),
    Column("etag", Text),  # from the last 200 response, sent back as If-None-Match
    Column("last_modified", Text),  # sent back as If-Modified-Since
    Column("last_polled_at", UtcDateTime()),
    Column("last_ok_at", UtcDateTime()),
    Column("last_error", Text),
    Column("failures", Integer, nullable=False, default=0),  # in a row; sets the back-off
    Column("next_poll_at", UtcDateTime()),
)

# Each entry seen in a feed, and what became of it.
feed_entries = Table(
    "feed_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("feed_id", Integer, ForeignKey("feeds.id", ondelete="CASCADE"), nullable=False),
    Column("entry_key", Text, nullable=False),  # the entry's id (guid), else its link
    Column("url", Text, nullable=False),
    Column("title", Text),
    Column("seen_at", UtcDateTime(), nullable=False),
    Column("status", String(16), nullable=False),  # "added", "duplicate", "failed"; "pending" mid-fetch
    Column("article", String(500)),  # the corpus file it became
    Column("error", Text),
    UniqueConstraint("feed_id", "entry_key", name="uq_feed_entries_feed_key"),
)

# A channel's article: questions there are answered from it first.
pins = Table(
    "pins",
    metadata,
    Column("channel_id", String(32), primary_key=True),
    Column("guild_id", String(32)),
    Column("article", String(500), nullable=False),
    Column("pinned_at", UtcDateTime(), nullable=False),
    Column("pinned_by", String(64)),  # user hash
)

# Leases: one holder at a time across processes (e.g. the feed poller of sharded bots).
leases = Table(
    "leases",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)
