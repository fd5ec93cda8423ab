"""Operator commands: /reindex, /article add, /article remove, /status.

`default_member_permissions` (Manage Server) only hides these from members,
and server admins can change who sees them; so every command in this cog is
checked again when it runs (`interaction_check`): Manage Server, a role in
OPERATOR_ROLE_IDS, or a user in OPERATOR_USER_IDS. Replies are ephemeral.

While a reindex runs (in a worker thread) the bot keeps answering from the
current index; the core switches to the new one the moment it is complete.
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
from discord.ext import commands

from bot.articles import SUPPORTED_SUFFIXES
from bot.discord.access import NotOperator, is_operator
from bot.discord.errors import NO_MENTIONS
from bot.discord.render import CONTENT_LIMIT, clip, format_duration, status_embed
from bot.discord.replies import article_autocomplete, send_pages
from bot.errors import UserError
from bot.index import ReindexReport

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


class OperatorsCog(commands.Cog, name="Operators"):
    article = app_commands.Group(
        name="article",
        description="Add or remove articles (operators)",
        default_permissions=MANAGE_SERVER,
        guild_only=True,
    )

    def __init__(self, bot: ArticleBot) -> None:
        self.bot = bot
        self._busy = asyncio.Lock()

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Every operator command, checked again when it runs."""
        if not is_operator(self.bot.settings, interaction.user, interaction.permissions):
            raise NotOperator()
        return True

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

    @app_commands.command(name="status", description="Index size, model, last reindex, uptime (operators)")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def status(self, interaction: discord.Interaction) -> None:
        embed = status_embed(self.status_rows())
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    def status_rows(self) -> list[tuple[str, str]]:
        """(name, value) rows of /status; never the token."""
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
            ("Feeds", bot.feed_watcher.status),
        ]
