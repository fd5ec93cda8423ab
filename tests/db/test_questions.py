"""The question log and votes (bot/db/questions.py), on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from bot.db import Database, schema, utcnow
from bot.db.questions import AskedQuestion, QuestionLog, Vote
from bot.models import Answer, Citation, ShortAnswer

ROCKET = Citation(1, "spacewalk", "Spacewalk", 3, 0, 58, "It was launched on a Long March-2F rocket.")


def answered(question: str = "which rocket?", abstained: bool = False) -> Answer:
    if abstained:
        return Answer(question, "The article does not say.", True, 0.1, related=(ROCKET,))
    short = ShortAnswer("Long March-2F", "spacewalk", 120, 133)
    return Answer(question, "**Long March-2F** — ... [1]", False, 0.8, citations=(ROCKET,), short=short)


def rows(db: Database, table: sa.Table) -> list[sa.Row[tuple[object, ...]]]:
    with db.begin() as connection:
        return list(connection.execute(sa.select(table)).all())


def test_a_question_is_logged_with_its_answer_and_citations(database: Database) -> None:
    log = QuestionLog(database)
    asked = AskedQuestion("which rocket?", answered(), 84.5, guild_id=1, channel_id=2, thread_id=3,
                          user_id=99, follow_up=True)
    question_id = log.record(asked, [501, 502])
    [row] = rows(database, schema.questions)
    assert row.id == question_id and row.question == "which rocket?" and row.short_answer == "Long March-2F"
    assert (row.guild_id, row.channel_id, row.thread_id) == ("1", "2", "3")
    assert row.user_hash == database.user_hash(99) and row.follow_up and not row.abstained
    assert row.latency_ms == 84.5 and row.confidence == 0.8 and row.source == "discord"
    [cited] = rows(database, schema.citations)
    assert (cited.n, cited.article, cited.paragraph, cited.related) == (1, "spacewalk", 3, False)
    assert sorted(m.message_id for m in rows(database, schema.answer_messages)) == ["501", "502"]


def test_an_abstention_keeps_its_closest_passages(database: Database) -> None:
    QuestionLog(database).record(AskedQuestion("how much did it cost", answered(abstained=True), 30.0,
                                               source="cli"))
    [row] = rows(database, schema.questions)
    assert row.abstained and row.user_hash is None and row.source == "cli"
    [closest] = rows(database, schema.citations)
    assert closest.related and closest.text.startswith("It was launched")


def test_a_vote_finds_its_question_by_message_and_replaces_the_voters_last(database: Database) -> None:
    log = QuestionLog(database)
    question_id = log.record(AskedQuestion("which rocket?", answered(), 10.0, user_id=1), [700])
    log.record_vote(Vote("down", 5, 700, question="which rocket?"))
    log.record_vote(Vote("up", 5, 700, question="which rocket?"))
    log.record_vote(Vote("up", 6, 700))
    votes = rows(database, schema.votes)
    assert sorted((v.vote, v.user_hash) for v in votes) == sorted(
        [("up", database.user_hash(5)), ("up", database.user_hash(6))]
    )
    assert {v.question_id for v in votes} == {question_id}


def test_old_rows_expire_and_a_user_can_be_forgotten(database: Database) -> None:
    log = QuestionLog(database)
    now = utcnow()
    log.record(AskedQuestion("old", answered(), 1.0, user_id=1, asked_at=now - timedelta(days=91)), [1])
    log.record(AskedQuestion("new", answered(), 1.0, user_id=1, asked_at=now - timedelta(days=89)), [2])
    log.record(AskedQuestion("other", answered(), 1.0, user_id=2), [3])
    log.record_vote(Vote("up", 2, 1, voted_at=now - timedelta(days=100)))
    log.record_vote(Vote("down", 1, 3))
    assert log.expire(0) == (0, 0)  # 0 keeps everything
    assert log.expire(10**9) == (0, 0)  # reaching before year 1 (was an OverflowError): keeps all
    assert log.expire(90, now) == (1, 1)
    assert sorted(q.question for q in rows(database, schema.questions)) == ["new", "other"]
    assert len(rows(database, schema.citations)) == 2  # the old question's went with it
    assert log.forget_user(1) == (1, 1)
    assert [q.question for q in rows(database, schema.questions)] == ["other"]
    assert rows(database, schema.votes) == []


def test_the_feedback_file_is_imported_once(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    lines = [
        {"time": "2026-11-01T10:00:00+00:00", "vote": "up", "user_id": "7", "message_id": "9",
         "question": "who?", "answer": "Wang Yaping", "abstained": False},
        {"time": "2026-11-02T10:00:00", "vote": "down", "user_id": "8", "message_id": "9"},
        {"vote": "sideways"},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n{broken\n", encoding="utf-8")
    log = QuestionLog(database)
    assert log.import_feedback(path) == 2
    assert log.import_feedback(path) == 0
    assert log.import_feedback(tmp_path / "missing.jsonl") == 0
    votes = sorted(rows(database, schema.votes), key=lambda v: v.voted_at)
    assert [(v.vote, v.question) for v in votes] == [("up", "who?"), ("down", "")]
    assert votes[1].voted_at.hour == 10 and votes[1].voted_at.tzinfo is not None
