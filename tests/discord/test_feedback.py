"""The 👍/👎 buttons under answers, recorded in the question log (bot/discord/feedback.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from bot.db import schema
from bot.discord import ArticleBot
from bot.discord.feedback import VOTE_DOWN, VOTE_UP
from bot.engine import ArticleQA
from bot.settings import Settings
from tests.discord.harness import ROCKET_QUESTION, ROCKET_SENTENCE, answer_to, mention, running
from tests.standin import ALICE_ID, CHANNEL_ID, GUILD_ID, MANNY_ID, DiscordStandIn


async def eventually(check: Callable[[], object], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("never happened")


def rows(bot: ArticleBot, table: sa.Table) -> list[sa.Row[tuple[object, ...]]]:
    with bot.db.begin() as connection:
        return list(connection.execute(sa.select(table)).all())


async def test_questions_and_votes_are_logged(bot: ArticleBot, standin: DiscordStandIn) -> None:
    message = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
    answer = (await answer_to(standin, message))[-1]
    await eventually(lambda: rows(bot, schema.questions))  # logged once the reply is sent
    up = await standin.answered(await standin.click(MANNY_ID, answer, VOTE_UP))
    down = await standin.answered(await standin.click(ALICE_ID, answer, VOTE_DOWN))
    again = await standin.answered(await standin.click(ALICE_ID, answer, VOTE_UP))  # changes her mind
    assert (
        up.ephemeral and up.callbacks[0]["data"]["content"] == "Thanks, your \N{THUMBS UP SIGN} is recorded."
    )
    assert down.ephemeral and again.ephemeral

    [question] = rows(bot, schema.questions)
    assert question.question == ROCKET_QUESTION and question.source == "discord"
    assert question.answer.startswith(ROCKET_SENTENCE) and not question.abstained
    assert question.guild_id == str(GUILD_ID) and question.channel_id == str(CHANNEL_ID)
    assert question.user_hash == bot.db.user_hash(ALICE_ID) and str(ALICE_ID) not in question.user_hash
    assert question.latency_ms > 0 and 0 < question.confidence <= 1
    [cited] = [c for c in rows(bot, schema.citations) if not c.related]
    assert cited.article == "china-first-woman-spacewalk" and cited.text.startswith(ROCKET_SENTENCE)

    votes = sorted(rows(bot, schema.votes), key=lambda v: v.id)
    assert [(v.vote, v.user_hash) for v in votes] == [
        ("up", bot.db.user_hash(MANNY_ID)),
        ("up", bot.db.user_hash(ALICE_ID)),  # her second vote replaced the first
    ]
    assert all(v.question_id == question.id and v.message_id == answer["id"] for v in votes)
    assert votes[0].question == ROCKET_QUESTION and votes[0].guild_id == str(GUILD_ID)


async def test_the_old_feedback_file_is_imported_once(
    core: ArticleQA, bot_settings: Settings, standin: DiscordStandIn, tmp_path: Path
) -> None:
    when = datetime.now(timezone.utc) - timedelta(days=3)  # within LOG_RETENTION_DAYS
    old = {"time": when.isoformat(timespec="seconds"), "vote": "down", "user_id": str(ALICE_ID),
           "message_id": "77", "channel_id": str(CHANNEL_ID), "guild_id": str(GUILD_ID),
           "question": "who?", "answer": "nobody", "abstained": False, "citations": []}
    bot_settings.feedback_log.write_text(json.dumps(old) + "\nnot json\n", encoding="utf-8")
    async with running(core, bot_settings, standin) as bot:
        [vote] = rows(bot, schema.votes)
    async with running(core, bot_settings, standin) as bot:  # a restart imports nothing again
        assert len(rows(bot, schema.votes)) == 1
    assert vote.vote == "down" and vote.question == "who?" and vote.user_hash == bot.db.user_hash(ALICE_ID)
    assert vote.voted_at == when.replace(microsecond=0)
    assert bot_settings.feedback_log.exists()  # kept as it was


async def test_logging_can_be_turned_off(
    core: ArticleQA, bot_settings: Settings, standin: DiscordStandIn
) -> None:
    async with running(core, bot_settings.with_overrides(log_questions=False), standin) as bot:
        message = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
        await answer_to(standin, message)
        assert rows(bot, schema.questions) == []
