"""The 👍/👎 buttons under answers, logged as JSON lines (bot/discord/feedback.py)."""

from __future__ import annotations

import json

from bot.discord import ArticleBot
from bot.discord.feedback import VOTE_DOWN, VOTE_UP
from bot.settings import Settings
from tests.discord.harness import ROCKET_QUESTION, ROCKET_SENTENCE, answer_to, mention
from tests.standin import ALICE_ID, GUILD_ID, MANNY_ID, DiscordStandIn


async def test_votes_are_logged(bot: ArticleBot, standin: DiscordStandIn, bot_settings: Settings) -> None:
    message = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
    answer = (await answer_to(standin, message))[-1]
    up = await standin.answered(await standin.click(MANNY_ID, answer, VOTE_UP))
    down = await standin.answered(await standin.click(ALICE_ID, answer, VOTE_DOWN))
    assert (
        up.ephemeral and up.callbacks[0]["data"]["content"] == "Thanks, your \N{THUMBS UP SIGN} is recorded."
    )
    assert down.ephemeral
    lines = [json.loads(line) for line in bot_settings.feedback_log.read_text().splitlines()]
    assert [(v["vote"], v["user_id"]) for v in lines] == [("up", str(MANNY_ID)), ("down", str(ALICE_ID))]
    vote = lines[0]
    assert vote["question"] == ROCKET_QUESTION
    assert vote["answer"].startswith(ROCKET_SENTENCE) and vote["answer"].endswith("[1]")
    assert vote["message_id"] == answer["id"] and vote["guild_id"] == str(GUILD_ID)
    assert vote["citations"][0]["article"] == "china-first-woman-spacewalk"
    assert vote["citations"][0]["text"].startswith(ROCKET_SENTENCE)
