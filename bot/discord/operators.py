"""Operator commands: /reindex, /article add|remove|pin|unpin, /status.

`default_member_permissions` (Manage Server) only hides these from members,
and server admins can change who sees them; so every command in this cog is
checked again when it runs (`interaction_check`): Manage Server, a role in
OPERATOR_ROLE_IDS, or a user in OPERATOR_USER_IDS. Replies are ephemeral.

While a reindex runs (in a worker thread) the bot keeps answering from the
current index; the core switches to the new one the moment it is complete.

`/article pin` pins an article to the channel it is used in (in a thread: to the
thread's parent channel); questions there are answered from it first (bot/pins.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.articles import SUPPORTED_SUFFIXES
from bot.discord.access import OperatorCommands
from bot.discord.asking import pin_channel_id
from bot.discord.errors import NO_MENTIONS
from bot.discord.render import CONTENT_LIMIT, clip, format_duration, md, one_line, status_embed
from bot.discord.replies import article_autocomplete, resolve_article, send_pages
from bot.errors import StorageError, UserError
from bot.index import ReindexReport
from bot.pins import Pin

if TYPE_CHECKING:
    from bot.discord.client import ArticleBot

log = logging.getLogger(__name__)

MANAGE_SERVER = discord.Permissions(manage_guild=True)


def _names(items: list[str], limit: int = 10) -> str:
    if not items:
        return ""
    shown = ", ".join(f"`{Path(item).stem}`" for item in items[:limit])
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return f" ({shown}{more})"


def reindex_text(report: ReindexReport, shared_index: bool = False) -> str:
    """What a reindex did, for an operator: at most 2,000 characters (one message)."""
    lines = [f"**Reindex done** in {report.seconds:.1f} s."]
    if report.rebuilt_because:
        lines.append(f"Rebuilt from scratch: {report.rebuilt_because}.")
    lines += [
        f"Articles: {len(report.added)} added{_names(report.added)}, "
        f"{len(report.changed)} changed{_names(report.changed)}, "
        f"{len(report.removed)} removed{_names(report.removed)}, {len(report.unchanged)} unchanged.",
        f"Passages: +{report.passages_added} \u2212{report.passages_removed}; "
        f"{report.texts_embedded} texts embedded.",
    ]
    for name, reason in list(report.skipped.items())[:5]:
        lines.append(f"Skipped `{name}`: {reason}")
    for name, twin in list(report.duplicates.items())[:5]:
        lines.append(f"`{name}` holds the same article as `{twin['same_as']}`; indexed once.")
    if report.changed_anything:
        lines.append("Questions are answered from the new index now.")
    else:
        lines.append("Nothing changed.")
    if shared_index and report.changed_anything:
        lines.append("Processes serving other shards load it within 30 seconds.")
    return clip("\n".join(lines), CONTENT_LIMIT)


class OperatorsCog(OperatorCommands, name="Operators"):
    article = app_commands.Group(
        name="article",
        description="Add, remove or pin articles (operators)",
        default_permissions=MANAGE_SERVER,
        guild_only=True,
    )

    def __init__(self, bot: ArticleBot) -> None:
        super().__init__(bot)
        self._busy = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[None]:
        """One corpus change or reindex at a time; a second one is told to wait."""
        if self._busy.locked():
            raise UserError("A reindex is already running; try again when it has finished.")
        async with self._busy:
            yield

    async def _reindex(self) -> ReindexReport:
        report = await asyncio.to_thread(self.bot.core.reindex)
        log.info("reindex: %s", report.summary())
        return report

    async def _done(self, interaction: discord.Interaction, text: str) -> None:
        await send_pages(interaction, [clip(text, CONTENT_LIMIT)], ephemeral=True)

    # ---- commands ---------------------------------------------------------------------

    @app_commands.command(name="reindex", description="Bring the index up to date with the corpus")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def reindex(self, interaction: discord.Interaction) -> None:
        async with self._exclusive():
            await interaction.response.defer(thinking=True, ephemeral=True)
            report = await self._reindex()
        await self._done(interaction, reindex_text(report, self.bot.shared_index))

    @article.command(name="add", description="Add an article from an attached file or a URL, then reindex")
    @app_commands.describe(
        file="a .txt, .md or .html file",
        url="an http(s) link to the article",
        replace="replace an article file of the same name (its old version is kept)",
    )
    async def article_add(
        self,
        interaction: discord.Interaction,
        file: discord.Attachment | None = None,
        url: str | None = None,
        replace: bool = False,
    ) -> None:
        limit = self.bot.settings.max_article_bytes
        if (file is None) == (url is None):
            raise UserError("Give either a file or a URL (one of them).")
        if file is not None:
            if Path(file.filename).suffix.lower() not in SUPPORTED_SUFFIXES:
                raise UserError(f"{file.filename}: use a .txt, .md or .html file.")
            if file.size > limit:
                raise UserError(f"{file.filename} is {file.size:,} bytes; the limit is {limit:,}.")
        async with self._exclusive():
            await interaction.response.defer(thinking=True, ephemeral=True)
            if file is not None:
                data = await file.read()
                path = await asyncio.to_thread(self.bot.core.corpus.add_bytes, file.filename, data, replace)
            else:
                assert url is not None
                path = await asyncio.to_thread(self.bot.core.corpus.add_url, url.strip(), replace)
            log.info("user %s added %s to the corpus", interaction.user.id, path.name)
            report = await self._reindex()
        await self._done(interaction, f"Added `{path.name}`.\n{reindex_text(report, self.bot.shared_index)}")

    @article.command(name="remove", description="Take an article out of the corpus and the index")
    @app_commands.describe(article="the article to remove")
    @app_commands.autocomplete(article=article_autocomplete)
    async def article_remove(self, interaction: discord.Interaction, article: str) -> None:
        async with self._exclusive():
            await interaction.response.defer(thinking=True, ephemeral=True)
            moved = await asyncio.to_thread(self.bot.core.remove_article, article)
            log.info("user %s removed %s from the corpus", interaction.user.id, moved.name)
            report = await self._reindex()
        text = f"Removed `{article}` (its file is kept in `{moved.parent.name}/`).\n"
        await self._done(interaction, text + reindex_text(report, self.bot.shared_index))

    @article.command(name="pin", description="Answer questions in this channel from one article first")
    @app_commands.describe(article="the article to pin here; leave it out to see the current pin")
    @app_commands.autocomplete(article=article_autocomplete)
    async def article_pin(self, interaction: discord.Interaction, article: str | None = None) -> None:
        channel_id = self._pin_channel(interaction)
        where = self._where(interaction, channel_id)
        if article is None:
            pin = await asyncio.to_thread(self.bot.pins.get, channel_id)
            await self._say(interaction, self._pin_text(pin, where))
            return
        record = resolve_article(self.bot.core, article)  # UserError for an unknown article
        before = await asyncio.to_thread(
            self.bot.pins.pin, channel_id, record.id, interaction.guild_id, interaction.user.id
        )
        log.info("user %s pinned %s to channel %s", interaction.user.id, record.id, channel_id)
        text = (
            f"Pinned {self._article_name(record.id)} to {where}: questions there and in its threads "
            "are answered from it first, and from other articles only when it does not say."
        )
        if before is not None and before.article != record.id:
            text += f"\nIt replaces {self._article_name(before.article)}."
        await self._say(interaction, text)

    @article.command(name="unpin", description="Answer questions in this channel from all articles again")
    async def article_unpin(self, interaction: discord.Interaction) -> None:
        channel_id = self._pin_channel(interaction)
        where = self._where(interaction, channel_id)
        before = await asyncio.to_thread(self.bot.pins.unpin, channel_id)
        if before is None:
            await self._say(interaction, f"No article is pinned to {where}.")
            return
        log.info("user %s unpinned %s from channel %s", interaction.user.id, before.article, channel_id)
        text = f"Unpinned {self._article_name(before.article)} from {where}; questions go to all articles."
        await self._say(interaction, text)

    @staticmethod
    def _pin_channel(interaction: discord.Interaction) -> int:
        channel_id = pin_channel_id(interaction.channel) or interaction.channel_id
        if channel_id is None:
            raise UserError("Use this command in the channel to pin to.")
        return channel_id

    @staticmethod
    def _where(interaction: discord.Interaction, channel_id: int) -> str:
        """The channel as Discord shows it (a channel mention pings nobody); in a thread,
        that it is the parent channel."""
        if isinstance(interaction.channel, discord.Thread):
            return f"<#{channel_id}> (the channel of this thread)"
        return f"<#{channel_id}>"

    def _article_name(self, article: str) -> str:
        """**Label** (`id`) of an indexed article; `id` alone when it is no longer indexed."""
        snapshot = self.bot.core.snapshot
        record = snapshot.article(article)
        if record is None:
            return f"`{clip(article, 100)}`"
        label = one_line(snapshot.labels.get(record.id, record.title))
        return f"**{md(clip(label, 200))}** (`{clip(record.id, 100)}`)" if label else f"`{record.id}`"

    def _pin_text(self, pin: Pin | None, where: str) -> str:
        if pin is None:
            return f"No article is pinned to {where}; questions there go to all articles."
        text = (
            f"{self._article_name(pin.article)} is pinned to {where} "
            f"since <t:{int(pin.pinned_at.timestamp())}:f>."
        )
        if self.bot.core.snapshot.article(pin.article) is None:
            text += (
                "\nIt is no longer in the index, so the pin is ignored: questions there go to all "
                "articles. Pin another article or `/article unpin`."
            )
        return text

    async def _say(self, interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(
            clip(text, CONTENT_LIMIT), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @app_commands.command(name="status", description="Index size, model, last reindex, uptime (operators)")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def status(self, interaction: discord.Interaction) -> None:
        embed = status_embed(await asyncio.to_thread(self.status_rows))
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    def status_rows(self) -> list[tuple[str, str]]:
        """(name, value) rows of /status; never the token. Reads the database (the pin
        count): call it off the event loop."""
        bot, core = self.bot, self.bot.core
        snapshot = core.snapshot
        last = core.last_reindex
        shards = (
            f"{', '.join(map(str, bot.settings.shard_ids or range(bot.shard_count or 1)))} "
            f"of {bot.shard_count}"
            if bot.settings.shard_count
            else "not sharded"
        )
        duplicates = snapshot.duplicates
        same = "; ".join(f"`{file}` = `{twin}`" for file, twin in list(duplicates.items())[:5])
        if len(duplicates) > 5:
            same += f" and {len(duplicates) - 5} more"
        try:
            pinned = f"{bot.pins.count():,}"
        except StorageError as exc:
            pinned = f"unknown ({clip(str(exc), 200)})"
        return [
            ("Articles", f"{len(snapshot.articles):,}"),
            ("Same article in two files", f"{same} (each indexed once)" if duplicates else "none"),
            ("Passages", f"{snapshot.passage_count:,}"),
            ("Model", f"{bot.settings.model} (dimension {snapshot.manifest.dimension})"),
            ("Index built", snapshot.built_at or "unknown"),
            ("Last reindex here", last.summary() if last else "none since start"),
            ("Uptime", format_duration(time.time() - core.started)),
            ("Questions answered", f"{core.questions_answered:,}"),
            ("Servers", f"{len(bot.guilds):,}"),
            ("Shards", shards),
            ("Message Content intent", "on" if bot.intents.message_content else "off (mentions only)"),
            ("Pinned channels", pinned),
            ("Feeds", bot.feed_watcher.status),
        ]
