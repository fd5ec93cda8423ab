"""News feeds in the bot: /feed add|list|remove for operators, and the poller behind them.

`FeedWatcher` polls the followed feeds every FEED_POLL_MINUTES (and at once after
/feed add) in a worker thread (bot/feeds.py): new entries go to the corpus, then one
reindex swaps the new index in while the bot keeps answering from the old one. With
shards in several processes, the database lease lets one of them poll at a time.

The commands are checked again when they run, like those of OperatorsCog: Manage
Server, a role in OPERATOR_ROLE_IDS or a user in OPERATOR_USER_IDS. Replies are ephemeral.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.discord.access import OperatorCommands
from bot.discord.render import CHOICE_NAME_LIMIT, CONTENT_LIMIT, md, paginate, safe_url
from bot.discord.replies import send_pages
from bot.errors import IndexUnusableError, StorageError
from bot.feeds import Feed, FeedList, FeedPoller, PollReport, check_feed_url, lease_holder
from bot.index import IndexSnapshot

if TYPE_CHECKING:
    from bot.discord.client import ArticleBot

log = logging.getLogger(__name__)

MAX_LIST_PAGES = 3  # of /feed list


class FeedWatcher:
    """Polls the feeds for `bot` (in `run`, a task started when the bot is ready) and keeps
    the one line /status shows about them."""

    def __init__(self, bot: ArticleBot) -> None:
        self.bot = bot
        self.feeds = FeedList(bot.db)
        shards = f", shards {','.join(map(str, bot.settings.shard_ids))}" if bot.settings.shard_ids else ""
        self.holder = lease_holder("bot", shards)
        self.status = "not read yet"  # /status's "Feeds" row
        self.last_report: PollReport | None = None
        self.polls = 0  # polls finished (or failed) since the start
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Poll now rather than at the end of the interval (after /feed add)."""
        self._wake.set()

    async def run(self) -> None:
        """Poll, then wait FEED_POLL_MINUTES (or until woken); until cancelled."""
        interval = self.bot.settings.feed_poll_minutes * 60
        while True:
            self._wake.clear()
            await self.poll()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), interval)

    async def poll(self) -> PollReport | None:
        """One poll of the feeds due, then a reindex if anything was added; None when it
        failed (the database is down: logged, tried again at the next interval)."""
        report: PollReport | None = None
        try:
            report = await asyncio.to_thread(self._poll)
        except Exception:
            log.exception("the feed poll failed")
        else:
            if report.feeds and report.busy is None:
                log.info("feeds: %s", report.summary())
            if report.reindex is not None:
                log.info("reindex after the feed poll: %s", report.reindex.summary())
            self.last_report = report
        await self.refresh_status()
        self.polls += 1
        return report

    def _poll(self) -> PollReport:
        core = self.bot.core
        snapshot: IndexSnapshot | None
        try:
            snapshot = core.snapshot
        except IndexUnusableError:
            snapshot = None
        poller = FeedPoller(self.bot.db, core.corpus, self.bot.settings.feed_poll_minutes, self.holder)
        return poller.poll_and_reindex(snapshot, core.reindex)

    async def refresh_status(self) -> None:
        try:
            self.status = await asyncio.to_thread(self.feeds.status_line)
        except StorageError as exc:
            self.status = f"unknown: {exc}"


def feed_block(feed: Feed) -> str:
    """One feed in /feed list: its title and link, its state, its entries."""
    title = f"**{md(feed.title)}** " if feed.title else ""
    link = safe_url(feed.url) or f"`{md(feed.url)}`"
    state = md(feed.state())
    if feed.failing:
        state = f"\u26a0\ufe0f {state}"
    return f"{title}{link}\n{state}\nEntries: {feed.counts()}"


class FeedsCog(OperatorCommands, name="Feeds"):
    feed = app_commands.Group(
        name="feed",
        description="Follow news feeds: their new entries become articles (operators)",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    @property
    def watcher(self) -> FeedWatcher:
        return self.bot.feed_watcher

    @feed.command(name="add", description="Follow an RSS or Atom feed; its new entries are added as articles")
    @app_commands.describe(url="the feed's http(s) address")
    async def feed_add(self, interaction: discord.Interaction, url: str) -> None:
        url = check_feed_url(url)  # a mistyped URL is answered at once
        await interaction.response.defer(thinking=True, ephemeral=True)
        feed = await asyncio.to_thread(self.watcher.feeds.add, url)
        log.info("user %s followed the feed %s", interaction.user.id, feed.url)
        self.watcher.wake()
        minutes = self.bot.settings.feed_poll_minutes
        text = (
            f"Following {safe_url(feed.url) or md(feed.url)}. Its entries are being added now, then "
            f"new ones every {minutes:g} minutes; `/feed list` shows how it went."
        )
        await send_pages(interaction, [text], ephemeral=True)

    @feed.command(name="list", description="The feeds followed, when each was polled, and their errors")
    async def feed_list(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        feeds = await asyncio.to_thread(self.watcher.feeds.all)
        if not feeds:
            pages = ["No feeds are followed; add one with `/feed add`."]
        else:
            failing = sum(1 for f in feeds if f.failing)
            minutes = self.bot.settings.feed_poll_minutes
            heading = f"**{len(feeds)} feeds followed**, {failing} failing; polled every {minutes:g} minutes."
            pages = paginate([heading, *map(feed_block, feeds)], CONTENT_LIMIT, MAX_LIST_PAGES)
        await send_pages(interaction, pages, ephemeral=True)

    @feed.command(name="remove", description="Stop following a feed (its articles stay)")
    @app_commands.describe(url="the feed's address, as /feed list shows it")
    async def feed_remove(self, interaction: discord.Interaction, url: str) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        feed = await asyncio.to_thread(self.watcher.feeds.remove, url)
        log.info("user %s stopped following the feed %s", interaction.user.id, feed.url)
        await self.watcher.refresh_status()
        text = (
            f"Stopped following {safe_url(feed.url) or md(feed.url)}. "
            f"The {feed.added} articles it added stay; `/article remove` takes one out."
        )
        await send_pages(interaction, [text], ephemeral=True)

    @feed_remove.autocomplete("url")
    async def _followed(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            feeds = await asyncio.to_thread(self.watcher.feeds.all)
        except StorageError:
            return []
        return [
            app_commands.Choice(name=f.url, value=f.url)
            for f in feeds
            if current.lower() in f.url.lower() and len(f.url) <= CHOICE_NAME_LIMIT
        ][:25]
