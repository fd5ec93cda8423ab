"""Running the bot against the stand-in, and what the Discord tests say and expect.

`running()` starts a bot (discord.py's real client code) pointed at a
`DiscordStandIn` and waits until it is ready; `answer_to()` waits for the bot's
reply pages to a message. The fixtures that build the stand-in, the settings,
the core and the bot are in conftest.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, NamedTuple

from bot.discord import ArticleBot, create_bot
from bot.engine import ArticleQA
from bot.settings import Settings
from tests.standin import BOT_ID, CHANNEL_ID, DiscordStandIn

ROOT = Path(__file__).resolve().parent.parent.parent
SEED_TITLE = "Astronaut becomes China's first woman to walk in space"
ROCKET_QUESTION = "Which rocket launched the Shenzhou-13 spaceship?"
ROCKET_SENTENCE = "The Shenzhou-13 spaceship was launched into space on a Long March-2F rocket"
NO_MENTIONS = {"parse": [], "replied_user": False}
MESSAGES_ROUTE = rf"/channels/{CHANNEL_ID}/messages"


class Call(NamedTuple):
    """How the core was asked one question."""

    question: str
    article: str | None
    context: str
    context_optional: bool


class RecordingQA(ArticleQA):
    """The core, recording every question it is asked, in `calls`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[Call] = []

    def ask(
        self,
        question: str,
        article: str | None = None,
        context: str = "",
        context_optional: bool = False,
        **options: Any,
    ) -> Any:
        self.calls.append(Call(question, article, context, context_optional))
        return super().ask(question, article, context, context_optional, **options)


def pings_nobody(allowed: dict[str, Any] | None) -> bool:
    """`allowed_mentions` as discord.AllowedMentions.none() sends it: nothing parsed, nobody listed."""
    return (
        allowed is not None
        and allowed.get("parse") == []
        and not allowed.get("users")
        and not allowed.get("roles")
        and not allowed.get("replied_user")
    )


@asynccontextmanager
async def running(
    core: ArticleQA,
    settings: Settings,
    standin: DiscordStandIn,
    shards: int = 1,
    bot: ArticleBot | None = None,
) -> AsyncIterator[ArticleBot]:
    bot = bot or create_bot(core, settings, guild_ready_timeout=0.01)
    task = asyncio.create_task(bot.start(settings.reveal_token()))
    try:
        await standin.wait_connected(shards)
        await asyncio.wait_for(bot.wait_until_ready(), 5)
        yield bot
    finally:
        await bot.close()
        await task


async def answer_to(standin: DiscordStandIn, message: dict[str, Any]) -> list[dict[str, Any]]:
    """The bot's reply pages to `message`, once the last one (with the vote buttons) is sent."""
    await standin.wait_for(lambda: any(m["components"] for m in standin.replies_to(int(message["id"]))))
    return standin.replies_to(int(message["id"]))


async def short_reply_to(standin: DiscordStandIn, message: dict[str, Any]) -> dict[str, Any]:
    replies: list[dict[str, Any]] = await standin.wait_for(lambda: standin.replies_to(int(message["id"])))
    return replies[0]


def mention(question: str) -> str:
    return f"<@{BOT_ID}> {question}"


def write_article(corpus: Path, name: str, text: str) -> Path:
    path = corpus / name
    path.write_text(text, encoding="utf-8")
    return path
