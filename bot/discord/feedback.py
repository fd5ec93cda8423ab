"""👍/👎 on answers, recorded in the operators' database (bot/db/questions.py).

The buttons belong to one persistent view (fixed custom ids, no timeout),
registered at start, so votes on answers sent before a restart still count.
The question and the answer behind a message come from the bot's memory of
recent answers; for older messages the vote records the message's own text.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import discord

from bot.db.questions import QuestionLog, Vote
from bot.discord.errors import NO_MENTIONS, answer_interaction_error
from bot.pins import Earlier

log = logging.getLogger(__name__)

VOTE_UP = "article-bot:feedback:up"
VOTE_DOWN = "article-bot:feedback:down"


@dataclass(frozen=True)
class AnsweredQuestion(Earlier):
    """A question as the core was asked it, and the answer it gave, as a later question
    reads it (pins.Earlier: `article`, the article the answer came from, is where
    follow-ups to it are put first); `question_id`: its row in the question log (None when
    not logged)."""

    question_id: int | None = None


class AnswerMemory:
    """The most recent answers, by the ids of the messages that carry them."""

    def __init__(self, size: int = 2000) -> None:
        self.size = size
        self._items: OrderedDict[int, AnsweredQuestion] = OrderedDict()

    def remember(self, message_ids: Iterable[int], item: AnsweredQuestion) -> None:
        """Keep `item` under each of the ids of the messages that show it, forgetting the oldest."""
        for message_id in message_ids:
            self._items[message_id] = item
            self._items.move_to_end(message_id)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def get(self, message_id: int) -> AnsweredQuestion | None:
        """The answer shown by that message; None when it is unknown or forgotten."""
        return self._items.get(message_id)


def vote_of(
    vote: str, user_id: int, message: discord.Message | None, known: AnsweredQuestion | None
) -> Vote:
    """The `vote` ("up" or "down") by `user_id` on `message`, with the question and answer
    it is about: from `known`, else what the message itself shows (sent before a restart)."""
    if known is not None:
        question, answer, abstained = known.question, known.answer.text, known.answer.abstained
    else:
        referenced = message.reference.resolved if message and message.reference else None
        question = referenced.content if isinstance(referenced, discord.Message) else ""
        answer, abstained = (message.content if message else ""), None
    return Vote(
        vote=vote,
        user_id=user_id,
        message_id=message.id if message else None,
        channel_id=message.channel.id if message else None,
        guild_id=message.guild.id if message and message.guild else None,
        question=question,
        answer=answer,
        abstained=abstained,
        question_id=known.question_id if known is not None else None,
    )


class FeedbackView(discord.ui.View):
    """The two vote buttons under an answer."""

    def __init__(self, questions: QuestionLog, memory: AnswerMemory) -> None:
        super().__init__(timeout=None)
        self.questions = questions
        self.memory = memory

    @discord.ui.button(emoji="\N{THUMBS UP SIGN}", style=discord.ButtonStyle.secondary, custom_id=VOTE_UP)
    async def vote_up(
        self, interaction: discord.Interaction, button: discord.ui.Button[FeedbackView]
    ) -> None:
        await self._vote(interaction, "up")

    @discord.ui.button(emoji="\N{THUMBS DOWN SIGN}", style=discord.ButtonStyle.secondary, custom_id=VOTE_DOWN)
    async def vote_down(
        self, interaction: discord.Interaction, button: discord.ui.Button[FeedbackView]
    ) -> None:
        await self._vote(interaction, "down")

    async def _vote(self, interaction: discord.Interaction, vote: str) -> None:
        message = interaction.message
        known = self.memory.get(message.id) if message else None
        recorded = vote_of(vote, interaction.user.id, message, known)
        await asyncio.to_thread(self.questions.record_vote, recorded)
        log.info("feedback %s on message %s", vote, message.id if message else "?")
        emoji = "\N{THUMBS UP SIGN}" if vote == "up" else "\N{THUMBS DOWN SIGN}"
        await interaction.response.send_message(
            f"Thanks, your {emoji} is recorded.", ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await answer_interaction_error(interaction, error)
