"""Fixtures of the Discord tests: a stand-in per test, settings pointing at it, a core, a bot.

After every test the stand-in checks that nothing broke a Discord limit, no
unknown route was called, and every message was sent with no mention allowed
(so that, by Discord's rules, it notified nobody).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.discord import ArticleBot
from bot.engine import ArticleQA
from bot.settings import Settings
from tests.discord.harness import pings_nobody, running
from tests.fakes import FakeEmbedder
from tests.standin import BOT_ID, OPERATOR_ROLE_ID, DiscordStandIn


@pytest.fixture
async def standin() -> AsyncIterator[DiscordStandIn]:
    server = DiscordStandIn()
    await server.start()
    yield server
    await server.close()
    assert server.violations == [], "a message broke a Discord limit"
    assert server.unknown_routes == []
    for payload in server.sent_payloads():
        if payload.get("content") or payload.get("embeds"):
            assert pings_nobody(payload.get("allowed_mentions")), payload
    for message in server.messages.values():  # whom Discord would have notified: nobody
        if message["author"]["id"] == str(BOT_ID):
            assert not message["mention_everyone"] and not message["mentions"], message
            assert not message["mention_roles"], message


@pytest.fixture
def bot_settings(settings: Settings, standin: DiscordStandIn, tmp_path: Path) -> Settings:
    return settings.with_overrides(
        discord_token=standin.token,
        discord_api_base=standin.api_base,
        discord_gateway_url=standin.gateway_url,
        cooldown_seconds=0,
        feedback_log=tmp_path / "feedback.jsonl",
        database_url=f"sqlite:///{tmp_path / 'bot.db'}",
        operator_role_ids=(OPERATOR_ROLE_ID,),
    )


@pytest.fixture
def core(bot_settings: Settings, fake_embedder: FakeEmbedder) -> ArticleQA:
    qa = ArticleQA(bot_settings.core, fake_embedder)
    qa.open()
    return qa


@pytest.fixture
async def bot(core: ArticleQA, bot_settings: Settings, standin: DiscordStandIn) -> AsyncIterator[ArticleBot]:
    async with running(core, bot_settings, standin) as client:
        yield client
