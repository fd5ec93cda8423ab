"""👍/👎 on answers, appended to a JSON-lines file the operators can read.

The buttons belong to one persistent view (fixed custom ids, no timeout),
registered at start, so votes on answers sent before a restart still count.
The question and the answer behind a message come from the bot's memory of
recent answers; for older messages the vote records the message's own text.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import discord

from bot.discord.errors import NO_MENTIONS, answer_interaction_error
from bot.models import Answer

log = logging.getLogger(__name__)

VOTE_UP = "article-bot:feedback:up"
VOTE_DOWN = "article-bot:feedback:down"


@dataclass(frozen=True)
class AnsweredQuestion:
    """A question as the core was asked it, and the answer it gave."""

    question: str
    answer: Answer


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


class FeedbackLog:
    """Appends one JSON object per line; safe to call from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, entry: dict[str, Any]) -> None:
        """Append `entry` (JSON-serialisable) as one line, creating the folder; raises OSError."""
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)


def vote_entry(
    vote: str, user_id: int, message: discord.Message | None, known: AnsweredQuestion | None
) -> dict[str, Any]:
    """The feedback log line for a `vote` ("up" or "down") by `user_id` on `message`: ids as
    strings, an ISO 8601 UTC time to the second, and the question, answer and citations
    (from `known`, else what the message itself shows)."""
    entry: dict[str, Any] = {
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "vote": vote,
        "user_id": str(user_id),
        "message_id": str(message.id) if message else None,
        "channel_id": str(message.channel.id) if message else None,
        "guild_id": str(message.guild.id) if message and message.guild else None,
    }
    if known is not None:
        entry.update(
            question=known.question,
            answer=known.answer.text,
            abstained=known.answer.abstained,
            citations=[c.to_json() for c in known.answer.citations or known.answer.related],
        )
    else:  # sent before a restart: keep what the message itself shows
        referenced = message.reference.resolved if message and message.reference else None
        entry.update(
            question=referenced.content if isinstance(referenced, discord.Message) else "",
            answer=message.content if message else "",
            abstained=None,
            citations=[],
        )
    return entry


class FeedbackView(discord.ui.View):
    """The two vote buttons under an answer."""

    def __init__(self, feedback: FeedbackLog, memory: AnswerMemory) -> None:
        super().__init__(timeout=None)
        self.feedback = feedback
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
        entry = vote_entry(vote, interaction.user.id, message, known)
        await asyncio.to_thread(self.feedback.append, entry)
        log.info("feedback %s from user %s on message %s", vote, interaction.user.id, entry["message_id"])
        emoji = "\N{THUMBS UP SIGN}" if vote == "up" else "\N{THUMBS DOWN SIGN}"
        await interaction.response.send_message(
            f"Thanks, your {emoji} is recorded.", ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await answer_interaction_error(interaction, error)
