"""Asking: mention the bot with a question, reply to one of its answers, or use /ask.

A reply to an answer, and a message in a thread that hangs from an answer, are
follow-ups: the earlier question and answer go to the core as context, so "and
when was that?" finds the right passage, and the question is put to the article
that answer came from first. A person's next question in the same channel
(within FOLLOW_UP_SECONDS) may be one; the core weighs it both ways.

In a channel with a pinned article (bot/pins.py; a thread counts as its parent
channel), mentions, replies and /ask without `article` are answered from that
article first; an answer from another article says so.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypedDict

import discord
from discord import app_commands
from discord.ext import commands

from bot.db.questions import AskedQuestion
from bot.discord.access import ChannelNotAllowed, OnCooldown, channel_allowed, cooldown_notice
from bot.discord.conversations import FOLLOW_UP_SECONDS
from bot.discord.errors import NO_MENTIONS
from bot.discord.feedback import AnsweredQuestion
from bot.discord.render import answer_pages, focus_note, question_heading
from bot.discord.replies import article_autocomplete, reply_to_message, resolve_article, send_pages
from bot.engine import check_question
from bot.errors import StorageError
from bot.pins import Focus, FocusedAnswer, ask_focused, ask_next, reply_focus

if TYPE_CHECKING:
    from bot.discord.client import ArticleBot

log = logging.getLogger(__name__)

HOW_TO_ASK = "Ask me a question about the articles, e.g. **@{name} who walked in space?**"
SECTION_BREAKS = ("\n**Sources**", "\n**Related reading**")


def strip_bot_mentions(content: str, bot_id: int, role_ids: Iterable[int] = ()) -> str:
    """The question without the mentions of the bot (`<@bot>`, or `<@&role>` of its roles) in it."""
    for role_id in role_ids:
        content = content.replace(f"<@&{role_id}>", " ")
    return " ".join(re.sub(rf"<@!?{bot_id}>", " ", content).split())


def own_roles(message: discord.Message, bot_id: int) -> list[int]:
    """Ids of the roles mentioned in `message` that belong to the bot: its managed role,
    which Discord's autocomplete offers beside the bot when one types @ and its name."""
    return [r.id for r in message.role_mentions if r.tags is not None and r.tags.bot_id == bot_id]


@dataclass(frozen=True)
class FollowUp:
    """What a follow-up is read with: the earlier question and answer (`context`) and the
    article that answer came from (None when unknown or from no one article)."""

    context: str
    article: str | None = None


def context_from_message(content: str) -> str:
    """An earlier answer as shown in Discord: its text before the source list."""
    for marker in SECTION_BREAKS:
        content = content.split(marker, 1)[0]
    return " ".join(content.replace("\\", "").replace("**", "").split())


class QuestionCommands(commands.Cog):
    """Commands anyone may use where questions are allowed, within the cooldown."""

    def __init__(self, bot: ArticleBot) -> None:
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        check_question_place(self.bot, interaction)
        return True


class AskingCog(QuestionCommands, name="Asking"):
    # ---- mentions and replies ---------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if me is None or message.author.bot or message.webhook_id is not None:
            return
        follow_up = self._follow_up(message, me.id)
        roles = own_roles(message, me.id)
        mentioned = bool(roles) or any(user.id == me.id for user in message.mentions)
        if not mentioned and follow_up is None:
            return
        earlier = None  # perhaps the next question of a conversation, as it stood when this came
        if follow_up is None:
            earlier = self.bot.conversations.last(message.channel.id, message.author.id, FOLLOW_UP_SECONDS)
        if not channel_allowed(self.bot.settings, message.channel):
            log.debug("ignoring a question in channel %s (not in ALLOWED_CHANNEL_IDS)", message.channel.id)
            return
        question = strip_bot_mentions(message.content, me.id, roles)
        if not question:
            if message.content or self.bot.intents.message_content:
                text = HOW_TO_ASK.format(name=me.display_name)
                await message.reply(text, mention_author=False, allowed_mentions=NO_MENTIONS)
            return
        retry_after = self.bot.cooldowns.hit(message.author.id)
        if retry_after:
            if self.bot.cooldowns.first_warning(message.author.id):
                notice = cooldown_notice(retry_after)
                await message.reply(notice, mention_author=False, allowed_mentions=NO_MENTIONS)
            return
        started = time.perf_counter()
        async with message.channel.typing():
            if follow_up is not None:  # a reply or a thread: surely a follow-up
                focus = reply_focus(None, follow_up.article) or await pinned_focus(self.bot, message.channel)
                focused = await asyncio.to_thread(
                    ask_focused, self.bot.core, question, focus, follow_up.context, False, follow_up.article
                )
            else:  # perhaps the next question of a conversation
                pinned = await pinned_focus(self.bot, message.channel)
                focused = await asyncio.to_thread(ask_next, self.bot.core, question, earlier, pinned)
            pages = answer_pages(focused.answer, note=focus_note(focused))
            sent = await reply_to_message(message, pages, self.bot.feedback_view)
        where = where_asked(message.guild, message.channel, message.author.id)
        await self._keep(question, focused, started, where, sent, message.channel.id, follow_up is not None)

    def _follow_up(self, message: discord.Message, bot_id: int) -> FollowUp | None:
        """The earlier question and answer, and its article, when `message` replies to an
        answer or is in a thread that hangs from one (or already holds one); else None.

        In a thread that hangs from an answer, the article is that answer's (the thread
        keeps it), the context the thread's latest answer.
        """
        reference = message.reference
        if reference is not None and reference.message_id is not None:
            known = self.bot.answers.get(reference.message_id)
            if known is not None:
                return FollowUp(known.context, known.article)
            resolved = reference.resolved
            if isinstance(resolved, discord.Message) and resolved.author.id == bot_id:
                context = context_from_message(resolved.content)
                return FollowUp(context) if context else None
        if isinstance(message.channel, discord.Thread):
            # A thread started from a message has that message's id.
            root = self.bot.answers.get(message.channel.id)
            known = self.bot.conversations.last(message.channel.id) or root
            if known is not None:
                article = (root.article if root is not None else None) or known.article
                return FollowUp(known.context, article)
        return None

    # ---- /ask -------------------------------------------------------------------------

    @app_commands.command(name="ask", description="Ask a question about the articles; the answer quotes them")
    @app_commands.describe(
        question="what you want to know",
        article="answer from this article only",
        private="only you see the answer",
    )
    @app_commands.autocomplete(article=article_autocomplete)
    async def ask(
        self,
        interaction: discord.Interaction,
        question: str,
        article: str | None = None,
        private: bool = False,
    ) -> None:
        # Refuse a bad question or article before deferring, so the refusal is ephemeral.
        question = check_question(question, self.bot.settings.max_question_chars)
        if article is not None:
            resolve_article(self.bot.core, article)
        started = time.perf_counter()
        await interaction.response.defer(thinking=True, ephemeral=private)
        if article is not None:  # named: it wins over the channel's pin, and only it is asked
            focus: Focus | None = Focus(article, "named")
        else:
            focus = await pinned_focus(self.bot, interaction.channel)
        focused = await asyncio.to_thread(ask_focused, self.bot.core, question, focus)
        pages = answer_pages(focused.answer, question_heading(question), focus_note(focused))
        sent = await send_pages(interaction, pages, ephemeral=private, view=self.bot.feedback_view)
        where = where_asked(interaction.guild, interaction.channel, interaction.user.id)
        await self._keep(question, focused, started, where, sent, None if private else interaction.channel_id)

    async def _keep(
        self,
        question: str,
        focused: FocusedAnswer,
        started: float,
        where: Where,
        sent: list[discord.Message],
        conversation: int | None,
        follow_up: bool = False,
    ) -> None:
        """Remember an answer sent in the messages `sent`: for replies and votes (at once: a
        reply may follow), as the asker's latest in channel `conversation` (None: not kept),
        and in the question log. `started`: time.perf_counter() when the question came."""
        latency_ms = (time.perf_counter() - started) * 1000
        answered = AnsweredQuestion(question, focused.answer, article=focused.source)
        message_ids = [m.id for m in sent]
        self.bot.answers.remember(message_ids, answered)
        if conversation is not None:
            self.bot.conversations.remember(conversation, where["user_id"], answered)
        asked = AskedQuestion(
            question, focused.answer, latency_ms, article=focused.asked, follow_up=follow_up, **where
        )
        question_id = await self.bot.log_question(asked, message_ids)
        if question_id is not None:
            self.bot.answers.remember(message_ids, replace(answered, question_id=question_id))


class Where(TypedDict):
    """Where a question was asked, as AskedQuestion takes it."""

    guild_id: int | None
    channel_id: int | None
    thread_id: int | None
    user_id: int


def where_asked(guild: discord.Guild | None, channel: object, user_id: int) -> Where:
    """The guild, channel, thread and user ids of a question: a thread's channel is its parent."""
    thread = channel if isinstance(channel, discord.Thread) else None
    return Where(
        guild_id=guild.id if guild is not None else None,
        channel_id=pin_channel_id(channel),
        thread_id=thread.id if thread is not None else None,
        user_id=user_id,
    )


def pin_channel_id(channel: object) -> int | None:
    """The id of the channel whose pin applies in `channel`: a thread's parent, else its own."""
    if isinstance(channel, discord.Thread):
        return channel.parent_id
    channel_id = getattr(channel, "id", None)
    return channel_id if isinstance(channel_id, int) else None


async def pinned_focus(bot: ArticleBot, channel: object) -> Focus | None:
    """The pinned article of `channel` (of a thread: of its parent channel) as a focus, or
    None. A database failure is logged and answered as no pin: questions are still answered."""
    channel_id = pin_channel_id(channel)
    if channel_id is None:
        return None
    try:
        article = await asyncio.to_thread(bot.pins.pinned, channel_id)
    except StorageError:
        log.exception("could not read the pin of channel %s; answering from all articles", channel_id)
        return None
    return Focus(article, "pin") if article is not None else None


def check_question_place(bot: ArticleBot, interaction: discord.Interaction) -> None:
    """The checks of question commands: the channel, then the user's cooldown.

    A command can opt out of the cooldown with `extras={"cooldown": False}`. Raises
    ChannelNotAllowed or OnCooldown (app_commands.CheckFailure), answered by errors.py.
    """
    if not channel_allowed(bot.settings, interaction.channel):
        raise ChannelNotAllowed(bot.settings.allowed_channel_ids)
    command = interaction.command
    if command is not None and not command.extras.get("cooldown", True):
        return
    retry_after = bot.cooldowns.hit(interaction.user.id)
    if retry_after:
        raise OnCooldown(retry_after)
