"""The question log: every question asked, its answer or abstention, and the votes on it.

Rows hold no user id in clear (see `Database.user_hash`). `expire` deletes what
is older than LOG_RETENTION_DAYS; `forget_user` deletes one person's rows on
request; `import_feedback` moves the votes of the old JSON-lines feedback file
in, once per file content.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from bot.db import schema
from bot.db.database import Database, utcnow
from bot.errors import StorageError
from bot.models import Answer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AskedQuestion:
    """One question and what the bot answered, as logged.

    `latency_ms`: milliseconds from the question's arrival to the answer. Ids are
    Discord snowflakes (None from the CLI); `user_id` is hashed before storing.
    `article`: the article the question was put to (`/ask article:`, a pinned
    channel), None for all articles.
    """

    question: str
    answer: Answer
    latency_ms: float
    source: str = "discord"  # "discord" or "cli"
    guild_id: int | None = None
    channel_id: int | None = None
    thread_id: int | None = None
    user_id: int | None = None
    article: str | None = None
    follow_up: bool = False
    asked_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class Vote:
    """A 👍 ("up") or 👎 ("down") by `user_id` on the answer shown in `message_id`.

    `question`, `answer`, `abstained`: what the vote was about, as far as known
    (an answer sent before a restart is known only by its message's text).
    """

    vote: str
    user_id: int | str | None
    message_id: int | str | None
    channel_id: int | str | None = None
    guild_id: int | str | None = None
    question: str = ""
    answer: str = ""
    abstained: bool | None = None
    question_id: int | None = None  # the logged question, when the voter's bot knows it
    voted_at: datetime = field(default_factory=utcnow)


def _id(value: int | str | None) -> str | None:
    return None if value is None else str(value)


class QuestionLog:
    """Writes and prunes the question log and votes of one `Database`. Thread-safe."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, asked: AskedQuestion, message_ids: Iterable[int] = ()) -> int:
        """Store `asked` with its citations (or, for an abstention, its closest passages)
        and the ids of the messages that show it; the new row's id. Raises StorageError."""
        answer = asked.answer
        row = {
            "asked_at": asked.asked_at,
            "source": asked.source,
            "guild_id": _id(asked.guild_id),
            "channel_id": _id(asked.channel_id),
            "thread_id": _id(asked.thread_id),
            "user_hash": self.db.user_hash(asked.user_id) if asked.user_id is not None else None,
            "question": asked.question,
            "answer": answer.text,
            "short_answer": answer.short.text if answer.short is not None else None,
            "abstained": answer.abstained,
            "confidence": float(answer.confidence),
            "latency_ms": float(asked.latency_ms),
            "article": asked.article,
            "follow_up": asked.follow_up,
        }
        quoted = [(c, False) for c in answer.citations] + [(c, True) for c in answer.related]
        with self.db.begin() as connection:
            inserted = connection.execute(sa.insert(schema.questions).values(row))
            question_id = int(inserted.inserted_primary_key[0])  # type: ignore[index]
            if quoted:
                connection.execute(
                    sa.insert(schema.citations),
                    [
                        {
                            "question_id": question_id,
                            "n": n,
                            "related": related,
                            "article": c.article,
                            "paragraph": c.paragraph,
                            "start": c.start,
                            "end": c.end,
                            "text": c.text,
                        }
                        for n, (c, related) in enumerate(quoted, 1)
                    ],
                )
            self._link(connection, question_id, message_ids)
        return question_id

    def link_messages(self, question_id: int, message_ids: Iterable[int]) -> None:
        """Note that these messages show the answer to question `question_id`."""
        with self.db.begin() as connection:
            self._link(connection, question_id, message_ids)

    @staticmethod
    def _link(connection: sa.Connection, question_id: int, message_ids: Iterable[int]) -> None:
        rows = [{"message_id": str(m), "question_id": question_id} for m in dict.fromkeys(message_ids)]
        if rows:
            connection.execute(sa.insert(schema.answer_messages), rows)

    def record_vote(self, vote: Vote) -> None:
        """Store `vote`, replacing the same user's earlier vote on the same message, and
        tie it to the logged question shown by that message when there is one."""
        if vote.vote not in ("up", "down"):
            raise ValueError(f"a vote is 'up' or 'down', not {vote.vote!r}")
        user_hash = self.db.user_hash(vote.user_id) if vote.user_id is not None else None
        message_id = _id(vote.message_id)
        votes, messages = schema.votes, schema.answer_messages
        with self.db.begin() as connection:
            question_id = vote.question_id
            if message_id is not None and question_id is None:
                question_id = connection.execute(
                    sa.select(messages.c.question_id).where(messages.c.message_id == message_id)
                ).scalar_one_or_none()
            if message_id is not None and user_hash is not None:
                same = (votes.c.message_id == message_id) & (votes.c.user_hash == user_hash)
                connection.execute(sa.delete(votes).where(same))
            connection.execute(
                sa.insert(votes).values(
                    voted_at=vote.voted_at,
                    vote=vote.vote,
                    user_hash=user_hash,
                    question_id=question_id,
                    message_id=message_id,
                    guild_id=_id(vote.guild_id),
                    channel_id=_id(vote.channel_id),
                    question=vote.question,
                    answer=vote.answer,
                    abstained=vote.abstained,
                )
            )

    def expire(self, days: int, now: datetime | None = None) -> tuple[int, int]:
        """Delete the questions and votes older than `days` days (0: keep everything);
        how many of each were deleted."""
        if days <= 0:
            return 0, 0
        try:
            cutoff = (now or utcnow()) - timedelta(days=days)
        except OverflowError:  # before year 1: nothing is that old
            return 0, 0
        with self.db.begin() as connection:
            old_votes = connection.execute(sa.delete(schema.votes).where(schema.votes.c.voted_at < cutoff))
            old = connection.execute(sa.delete(schema.questions).where(schema.questions.c.asked_at < cutoff))
        if old.rowcount or old_votes.rowcount:
            log.info("question log: deleted %d questions and %d votes older than %d days",
                     old.rowcount, old_votes.rowcount, days)
        return old.rowcount, old_votes.rowcount

    def forget_user(self, user_id: int | str) -> tuple[int, int]:
        """Delete every question and vote of one user (by Discord id); how many of each."""
        user_hash = self.db.user_hash(user_id)
        with self.db.begin() as connection:
            votes = connection.execute(sa.delete(schema.votes).where(schema.votes.c.user_hash == user_hash))
            asked = connection.execute(
                sa.delete(schema.questions).where(schema.questions.c.user_hash == user_hash)
            )
        return asked.rowcount, votes.rowcount

    def import_feedback(self, path: Path) -> int:
        """Import the votes of a JSON-lines feedback file (FEEDBACK_LOG, one object per
        line as the bot wrote before the database); how many were imported. A file whose
        content was imported before is skipped (0); the file itself is left as it is.
        Lines that are not a vote are skipped with a warning. Raises StorageError when
        the file cannot be read."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return 0
        except OSError as exc:
            raise StorageError(f"cannot read {path}: {exc.strerror or exc}") from None
        key = "feedback-import:" + hashlib.sha256(data).hexdigest()
        if self.db.get_meta(key) is not None:
            return 0
        count = 0
        for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                vote = Vote(
                    vote=str(entry["vote"]),
                    user_id=entry.get("user_id"),
                    message_id=entry.get("message_id"),
                    channel_id=entry.get("channel_id"),
                    guild_id=entry.get("guild_id"),
                    question=str(entry.get("question") or ""),
                    answer=str(entry.get("answer") or ""),
                    abstained=entry.get("abstained"),
                    voted_at=_parse_time(entry.get("time")),
                )
                self.record_vote(vote)
                count += 1
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("%s line %d is not a vote (%s); skipped", path, number, exc)
        self.db.set_meta(key, f"{path} {count} votes, {utcnow().isoformat(timespec='seconds')}")
        log.info("imported %d votes from %s", count, path)
        return count


def _parse_time(value: object) -> datetime:
    """An ISO 8601 time from the feedback file, in UTC (naive ones taken as UTC)."""
    if not isinstance(value, str):
        return utcnow()
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment
