"""/feed add|list|remove and the bot's feed poller (bot/discord/feeds.py), with a news site
on 127.0.0.1 (tests/feedserver.py) beside the Discord stand-in."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.corpus import CorpusFolder
from bot.discord import ArticleBot
from bot.engine import ArticleQA
from bot.feeds import FeedList
from bot.settings import Settings
from tests.discord.harness import answer_to, mention, running
from tests.feedserver import FeedServer, feed_server, serve_coast_news
from tests.standin import ALICE_ID, OLIVIA_ID, DiscordStandIn


@pytest.fixture
def site() -> Iterator[FeedServer]:
    with feed_server() as server:
        yield server


@pytest.fixture
def feed_settings(bot_settings: Settings, core: ArticleQA) -> Settings:
    """The news site is on 127.0.0.1: private addresses allowed, for the core's corpus too."""
    allowed = bot_settings.with_overrides(allow_private_urls=True, url_timeout_seconds=2.0)
    core.corpus = CorpusFolder(allowed.core)
    return allowed


async def eventually(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Wait until `predicate()` is truthy (the poller works without talking to Discord)."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)
    return value


def status_fields(sent: Any) -> dict[str, str]:
    return {f["name"]: f["value"] for f in sent.callbacks[0]["data"]["embeds"][0]["fields"]}


async def test_an_operator_follows_a_feed_and_its_entries_are_answered(
    core: ArticleQA, feed_settings: Settings, standin: DiscordStandIn, site: FeedServer
) -> None:
    url = serve_coast_news(site)
    async with running(core, feed_settings, standin) as bot:
        sent = await standin.answered(await standin.slash(OLIVIA_ID, "feed", {"url": url}, subcommand="add"))
        assert sent.ephemeral
        assert sent.text == (
            f"Following <{url}>. Its entries are being added now, then new ones every 30 minutes; "
            "`/feed list` shows how it went."
        )
        # Polled at once, without a restart: new entries in /sources, and answered.
        await eventually(lambda: core.snapshot.article("lighthouse") is not None)
        sources = await standin.answered(await standin.slash(ALICE_ID, "sources"))
        description = sources.callbacks[0]["data"]["embeds"][0]["description"]
        assert "**Lighthouse restored by volunteers**\n`lighthouse`" in description
        assert "**Harbour reopens after the storm**\n`harbour`" in description
        question = await standin.say(
            ALICE_ID, mention("How many volunteers restored the Old Point lighthouse?")
        )
        content = (await answer_to(standin, question))[0]["content"]
        assert "restored by 40 volunteers" in content and "Lighthouse restored by volunteers" in content

        await eventually(lambda: bot.feed_watcher.status == "1 followed, 0 failing")
        listed = await standin.answered(await standin.slash(OLIVIA_ID, "feed", subcommand="list"))
        assert listed.ephemeral
        assert listed.text.startswith("**1 feeds followed**, 0 failing; polled every 30 minutes.\n")
        assert f"**Coast news** <{url}>\nok, polled " in listed.text
        assert listed.text.endswith("\nEntries: 2 added, 0 duplicate, 0 failed")
        status = await standin.answered(await standin.slash(OLIVIA_ID, "status"))
        assert status_fields(status)["Feeds"] == "1 followed, 0 failing"

        removed = await standin.answered(
            await standin.slash(OLIVIA_ID, "feed", {"url": url}, subcommand="remove")
        )
        assert removed.text == (
            f"Stopped following <{url}>. The 2 articles it added stay; `/article remove` takes one out."
        )
        assert FeedList(bot.db).all() == [] and bot.feed_watcher.status == "none followed"
    assert core.snapshot.article("lighthouse") is not None


async def test_a_failing_feed_is_shown_with_its_error(
    core: ArticleQA, feed_settings: Settings, standin: DiscordStandIn, site: FeedServer
) -> None:
    url = site.serve("/not-a-feed", b"Hello! This page is plain text, not a news feed.", "text/plain")
    async with running(core, feed_settings, standin) as bot:
        await standin.answered(await standin.slash(OLIVIA_ID, "feed", {"url": url}, subcommand="add"))
        status_line = await eventually(
            lambda: "1 failing" in bot.feed_watcher.status and bot.feed_watcher.status
        )
        assert status_line.startswith(
            f"1 followed, 1 failing (last error: {url}: {url} is not an RSS or Atom feed"
        )
        status = await standin.answered(await standin.slash(OLIVIA_ID, "status"))
        assert status_fields(status)["Feeds"].startswith("1 followed, 1 failing (last error: ")
        listed = await standin.answered(await standin.slash(OLIVIA_ID, "feed", subcommand="list"))
        assert listed.text.startswith("**1 feeds followed**, 1 failing;")
        assert f"<{url}>\n\u26a0\ufe0f FAILING (1 in a row; next try " in listed.text
        assert "is not an RSS or Atom feed" in listed.text
        # Backing off: a second wake-up does not fetch it again before its time.
        fetched = len(site.requested("/not-a-feed"))
        bot.feed_watcher.wake()
        polls = bot.feed_watcher.polls
        await eventually(lambda: bot.feed_watcher.polls > polls)
        assert len(site.requested("/not-a-feed")) == fetched == 1


async def test_feed_add_refuses_what_is_not_a_feed_address(bot: ArticleBot, standin: DiscordStandIn) -> None:
    sent = await standin.answered(
        await standin.slash(OLIVIA_ID, "feed", {"url": "ftp://news.example.com/rss"}, subcommand="add")
    )
    assert sent.response_type == 4 and sent.ephemeral
    assert "'ftp://news.example.com/rss' is not an http(s) URL" in sent.callbacks[0]["data"]["content"]
    assert FeedList(bot.db).all() == []


@pytest.mark.parametrize(("subcommand", "options"), [("add", True), ("list", False), ("remove", True)])
async def test_feed_commands_refuse_members(
    bot: ArticleBot, standin: DiscordStandIn, site: FeedServer, subcommand: str, options: bool
) -> None:
    url = serve_coast_news(site)
    await eventually(lambda: bot.feed_watcher.polls >= 1)  # the poll at the start is over
    if subcommand == "remove":
        FeedList(bot.db).add(url)
    before = [f.url for f in FeedList(bot.db).all()]
    sent = await standin.answered(
        await standin.slash(ALICE_ID, "feed", {"url": url} if options else {}, subcommand=subcommand)
    )
    assert sent.response_type == 4 and sent.ephemeral
    assert sent.callbacks[0]["data"]["content"].startswith("Only operators can use this command")
    assert [f.url for f in FeedList(bot.db).all()] == before
    assert site.requested("/rss.xml") == []
