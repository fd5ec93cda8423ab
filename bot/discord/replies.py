"""Sending what the cogs produce, and the `article` option shared by several commands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands

from bot.discord.errors import NO_MENTIONS, edit_thinking
from bot.discord.render import CHOICE_NAME_LIMIT, clip, one_line
from bot.engine import ArticleQA
from bot.errors import UserError
from bot.models import ArticleRecord

if TYPE_CHECKING:
    from bot.discord.client import ArticleBot

AUTOCOMPLETE_CHOICES = 25  # Discord's maximum


async def send_pages(
    interaction: discord.Interaction,
    pages: Sequence[str],
    *,
    ephemeral: bool,
    view: discord.ui.View | None = None,
) -> list[discord.Message]:
    """After a defer: the first page replaces "thinking…", the others follow; `view` goes on the last.

    Follow-ups take the visibility chosen at defer time (`ephemeral`). Returns the
    messages sent, one per page; raises discord.HTTPException when Discord refuses one
    (after discord.py's own retries).
    """
    sent: list[discord.Message] = []
    for i, page in enumerate(pages):
        last = i == len(pages) - 1
        if i == 0:
            message: discord.Message = await edit_thinking(
                interaction, content=page, view=view if last else None
            )
        elif last and view is not None:
            message = await interaction.followup.send(
                page, ephemeral=ephemeral, view=view, allowed_mentions=NO_MENTIONS, wait=True
            )
        else:
            message = await interaction.followup.send(
                page, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS, wait=True
            )
        sent.append(message)
    return sent


async def reply_to_message(
    message: discord.Message, pages: Sequence[str], view: discord.ui.View | None = None
) -> list[discord.Message]:
    """Reply to `message` with the pages (a thread or channel alike); `view` goes on the last.

    Returns the messages sent, one per page; raises discord.HTTPException as `send_pages`.
    """
    sent: list[discord.Message] = []
    for i, page in enumerate(pages):
        last = i == len(pages) - 1
        if i == 0 and last and view is not None:
            reply = await message.reply(page, mention_author=False, view=view, allowed_mentions=NO_MENTIONS)
        elif i == 0:
            reply = await message.reply(page, mention_author=False, allowed_mentions=NO_MENTIONS)
        elif last and view is not None:
            reply = await message.channel.send(page, view=view, allowed_mentions=NO_MENTIONS)
        else:
            reply = await message.channel.send(page, allowed_mentions=NO_MENTIONS)
        sent.append(reply)
    return sent


def core_of(interaction: discord.Interaction) -> ArticleQA:
    """The core of the bot that received `interaction`."""
    return cast("ArticleBot", interaction.client).core


def article_choices(core: ArticleQA, current: str) -> list[app_commands.Choice[str]]:
    """Indexed articles whose id or label holds what was typed so far (case-insensitive), in
    index order: at most 25, names and values clipped to 100 characters (Discord's limits)."""
    typed = current.strip().lower()
    choices = []
    labels = core.snapshot.labels
    for record in core.snapshot.articles:
        label = labels.get(record.id, record.title)
        if typed and typed not in record.id.lower() and typed not in label.lower():
            continue
        name = clip(one_line(label) or record.id, CHOICE_NAME_LIMIT)
        choices.append(app_commands.Choice(name=name, value=record.id[:CHOICE_NAME_LIMIT]))
        if len(choices) == AUTOCOMPLETE_CHOICES:
            break
    return choices


async def article_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """The `article` option's autocomplete: `article_choices` for what was typed."""
    return article_choices(core_of(interaction), current)


def resolve_article(core: ArticleQA, article: str | None) -> ArticleRecord:
    """The named article, or when none is named the newest one (by date; an article
    without a date counts from when it was added).

    Raises UserError when the index is empty or holds no article with that id.
    """
    newest = core.snapshot.newest()
    if newest is None:
        raise UserError("The index holds no articles yet.")
    if article is None:
        return newest
    found = core.snapshot.article(article)
    if found is None:
        raise UserError(f"No article {clip(article, 100)!r} in the index; pick one from the list.")
    return found
