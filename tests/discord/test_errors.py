"""Errors answered in one place: unexpected ones, and Discord refusing a reply (bot/discord/errors.py)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord.http
import pytest

from bot.discord import ArticleBot
from bot.engine import ArticleQA
from bot.settings import Settings
from tests.discord.harness import (
    MESSAGES_ROUTE,
    ROCKET_QUESTION,
    ROCKET_SENTENCE,
    answer_to,
    mention,
    running,
    short_reply_to,
)
from tests.fakes import FakeEmbedder
from tests.standin import ALICE_ID, BOT_ID, DiscordStandIn, Recorded


async def test_unexpected_errors_are_logged_and_answered(
    bot_settings: Settings,
    fake_embedder: FakeEmbedder,
    standin: DiscordStandIn,
    caplog: pytest.LogCaptureFixture,
) -> None:
    class BrokenQA(ArticleQA):
        def ask(self, question: str, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("the vector store caught fire")

    core = BrokenQA(bot_settings, fake_embedder)
    core.open()
    with caplog.at_level(logging.ERROR, logger="bot.discord"):
        async with running(core, bot_settings, standin):
            message = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
            reply = await short_reply_to(standin, message)
            slash = await standin.answered(
                await standin.slash(ALICE_ID, "ask", {"question": ROCKET_QUESTION, "private": True})
            )
    generic = "Something went wrong on my side."
    assert reply["content"].startswith(generic)
    assert slash.ephemeral and slash.text.startswith(generic)
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 2
    assert all(r.exc_info and "caught fire" in str(r.exc_info[1]) for r in failures)
    assert "on_message" in failures[0].getMessage() and "/ask" in failures[1].getMessage()


class FastRetries:
    """discord.http's asyncio, with its back-off sleeps shortened (the test's harness: 25 s → 0.05 s)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    @staticmethod
    async def sleep(delay: float, result: Any = None) -> Any:
        return await asyncio.sleep(min(delay, 0.01), result)


@pytest.mark.parametrize(
    ("status", "times", "after_work"),
    [
        (429, 2, False),  # rate limited twice, then through
        (500, 1, False),  # a server error, retried after 1 s
        (502, 1, True),  # the message was created but the response was lost: the retry must not post twice
    ],
)
async def test_a_send_that_fails_then_succeeds_is_delivered_once(
    bot: ArticleBot, standin: DiscordStandIn, status: int, times: int, after_work: bool
) -> None:
    standin.fail("POST", MESSAGES_ROUTE, status, times=times, retry_after=0.05, after_work=after_work)
    message = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
    pages = await answer_to(standin, message)

    def posts() -> list[Recorded]:
        return [r for r in standin.requests if r.method == "POST" and r.path == MESSAGES_ROUTE]

    await standin.wait_for(lambda: len(posts()) == times + 1)  # retried until it went through
    await asyncio.sleep(0.1)
    assert len(posts()) == times + 1
    assert standin.fault_responses == [("POST", MESSAGES_ROUTE, status)] * times
    assert len({r.body["nonce"] for r in posts()}) == 1  # the same nonce each time
    assert len(pages) == 1 and pages[0]["content"].startswith(ROCKET_SENTENCE)
    assert len(standin.bot_messages()) == 1


@pytest.mark.parametrize(
    ("status", "times"),
    [
        (429, 5),  # still rate limited after discord.py's five tries
        (500, 5),  # five server errors in a row
        (503, 1),  # not retried by discord.py
    ],
)
async def test_a_send_that_keeps_failing_tells_the_user(
    bot: ArticleBot,
    standin: DiscordStandIn,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    status: int,
    times: int,
) -> None:
    monkeypatch.setattr(discord.http, "asyncio", FastRetries())
    standin.fail("POST", MESSAGES_ROUTE, status, times=times, retry_after=0.02)
    with caplog.at_level(logging.WARNING, logger="bot.discord"):
        message = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
        reply = await short_reply_to(standin, message)
    assert reply["content"] == (
        f"Discord did not accept my reply (HTTP {status}); please try again in a moment."
    )
    assert len(standin.bot_messages()) == 1
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name == "bot.discord.errors"
    ]
    assert len(warnings) == 1 and f"Discord answered HTTP {status}" in warnings[0]


async def test_a_send_that_never_succeeds_is_logged_not_dropped(
    bot: ArticleBot, standin: DiscordStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    standin.fail("POST", MESSAGES_ROUTE, 503, times=100)
    with caplog.at_level(logging.WARNING, logger="bot.discord"):
        await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
        await standin.wait_for(lambda: len(standin.fault_responses) == 2)  # the answer, then the error
        await asyncio.sleep(0.1)
    assert standin.bot_messages() == []
    levels = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "bot.discord.errors"]
    assert levels[0][0] == logging.WARNING and "Discord answered HTTP 503" in levels[0][1]
    assert levels[1][0] == logging.ERROR and levels[1][1].startswith(
        "could not reply about an error in on_message"
    )


async def test_ask_edit_rate_limited_then_delivered(bot: ArticleBot, standin: DiscordStandIn) -> None:
    route = rf"/webhooks/{BOT_ID}/[\w-]+/messages/@original"
    standin.fail("PATCH", route, 429, times=2, retry_after=0.05)
    sent = await standin.answered(await standin.slash(ALICE_ID, "ask", {"question": ROCKET_QUESTION}))
    assert [f[2] for f in standin.fault_responses] == [429, 429]
    assert sent.original_edits == 1 and sent.text.startswith(f"**Q:** {ROCKET_QUESTION}\n{ROCKET_SENTENCE}")
