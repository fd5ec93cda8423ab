"""Cooldowns and allowed channels (bot/discord/access.py)."""

from __future__ import annotations

from dataclasses import replace

from bot.engine import ArticleQA
from bot.settings import Settings
from tests.discord.harness import (
    ROCKET_QUESTION,
    answer_to,
    mention,
    running,
    short_reply_to,
)
from tests.standin import (
    ALICE_ID,
    CHANNEL_ID,
    MANNY_ID,
    OTHER_CHANNEL_ID,
    THREAD_ID,
    DiscordStandIn,
)


async def test_cooldown_for_mentions_and_slash_commands(
    core: ArticleQA, bot_settings: Settings, standin: DiscordStandIn
) -> None:
    async with running(core, replace(bot_settings, cooldown_seconds=60), standin):
        first = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
        await answer_to(standin, first)
        second = await standin.say(ALICE_ID, mention("Who walked in space?"))
        notice = await short_reply_to(standin, second)
        third = await standin.say(ALICE_ID, mention("And again?"))
        slash = await standin.answered(await standin.slash(ALICE_ID, "ask", {"question": ROCKET_QUESTION}))
        other_user = await standin.say(MANNY_ID, mention(ROCKET_QUESTION))
        await answer_to(standin, other_user)
        sources = await standin.answered(await standin.slash(ALICE_ID, "sources"))  # no cooldown

    assert notice["content"].startswith("Slow down: you can ask again in ")
    assert notice["components"] == []
    assert standin.replies_to(int(third["id"])) == []  # one notice per cooldown window
    assert slash.response_type == 4 and slash.ephemeral
    assert slash.callbacks[0]["data"]["content"].startswith("Slow down: you can ask again in ")
    assert sources.callbacks[0]["data"]["embeds"][0]["title"] == "Indexed articles (1)"


async def test_allowed_channels(core: ArticleQA, bot_settings: Settings, standin: DiscordStandIn) -> None:
    async with running(core, replace(bot_settings, allowed_channel_ids=(CHANNEL_ID,)), standin):
        elsewhere = await standin.say(ALICE_ID, mention(ROCKET_QUESTION), channel_id=OTHER_CHANNEL_ID)
        slash = await standin.answered(
            await standin.slash(ALICE_ID, "ask", {"question": ROCKET_QUESTION}, channel_id=OTHER_CHANNEL_ID)
        )
        in_thread = await standin.say(ALICE_ID, mention(ROCKET_QUESTION), channel_id=THREAD_ID)
        await answer_to(standin, in_thread)  # a thread of an allowed channel is allowed
    assert standin.replies_to(int(elsewhere["id"])) == []
    assert slash.ephemeral
    assert slash.callbacks[0]["data"]["content"] == f"I only answer questions in <#{CHANNEL_ID}>."
