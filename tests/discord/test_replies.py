"""The `article` option shared by several commands, autocompleted from the index (bot/discord/replies.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.discord import ArticleBot
from bot.engine import ArticleQA
from tests.discord.harness import write_article
from tests.standin import ALICE_ID, DiscordStandIn


async def test_article_option_autocompletes_from_the_index(
    corpus: Path, core: ArticleQA, bot: ArticleBot, standin: DiscordStandIn
) -> None:
    write_article(
        corpus, "harbour.txt", "Harbour reopens\n\nThe harbour reopened on Monday after nine days.\n"
    )
    await asyncio.to_thread(core.reindex)
    everything = await standin.answered(
        await standin.slash(ALICE_ID, "facts", {"article": ""}, focused="article")
    )
    some = await standin.answered(
        await standin.slash(ALICE_ID, "ask", {"question": "x", "article": "harb"}, focused="article")
    )
    assert everything.callbacks[0]["type"] == 8
    assert {c["value"] for c in everything.callbacks[0]["data"]["choices"]} == {
        "china-first-woman-spacewalk",
        "harbour",
    }
    assert some.callbacks[0]["data"]["choices"] == [{"name": "Harbour reopens", "value": "harbour"}]
