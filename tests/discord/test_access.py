"""Cooldowns and allowed channels (bot/discord/access.py)."""

from __future__ import annotations

from bot.discord.access import Cooldowns
from bot.engine import ArticleQA
from bot.settings import Settings
from tests.discord.harness import ROCKET_QUESTION, answer_to, mention, running, short_reply_to
from tests.standin import ALICE_ID, CHANNEL_ID, MANNY_ID, OTHER_CHANNEL_ID, THREAD_ID, DiscordStandIn


async def test_cooldown_for_mentions_and_slash_commands(
    core: ArticleQA, bot_settings: Settings, standin: DiscordStandIn
) -> None:
    async with running(core, bot_settings.with_overrides(cooldown_seconds=60), standin):
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
    async with running(core, bot_settings.with_overrides(allowed_channel_ids=(CHANNEL_ID,)), standin):
        elsewhere = await standin.say(ALICE_ID, mention(ROCKET_QUESTION), channel_id=OTHER_CHANNEL_ID)
        slash = await standin.answered(
            await standin.slash(ALICE_ID, "ask", {"question": ROCKET_QUESTION}, channel_id=OTHER_CHANNEL_ID)
        )
        in_thread = await standin.say(ALICE_ID, mention(ROCKET_QUESTION), channel_id=THREAD_ID)
        await answer_to(standin, in_thread)  # a thread of an allowed channel is allowed
    assert standin.replies_to(int(elsewhere["id"])) == []
    assert slash.ephemeral
    assert slash.callbacks[0]["data"]["content"] == f"I only answer questions in <#{CHANNEL_ID}>."


class Clock:
    """A clock the test moves by hand (seconds)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cooldowns_let_one_question_through_per_window_and_warn_once() -> None:
    clock = Clock()
    cooldowns = Cooldowns(10, clock)
    assert cooldowns.hit(1) == 0.0
    clock.now += 4
    assert cooldowns.hit(1) == 6.0 and cooldowns.hit(2) == 0.0  # another user has their own
    assert cooldowns.first_warning(1) and not cooldowns.first_warning(1)
    clock.now += 6.5
    assert cooldowns.hit(1) == 0.0  # a new window, and with it a new notice
    clock.now += 1
    assert cooldowns.hit(1) == 9.0 and cooldowns.first_warning(1)


def test_cooldowns_of_zero_seconds_never_hold_anyone_back() -> None:
    cooldowns = Cooldowns(0, Clock())
    assert [cooldowns.hit(1) for _ in range(3)] == [0.0, 0.0, 0.0]
