"""Follow-ups (bot/discord/conversations.py): replies to answers, threads from answers, next questions."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings
from tests.discord.harness import ROCKET_QUESTION, RecordingQA, answer_to, mention, running
from tests.fakes import FakeEmbedder
from tests.standin import ALICE_ID, MANNY_ID, DiscordStandIn
from tests.test_pins import PAINTED, REOPEN, write_bridges


async def test_reply_to_an_answer_is_a_follow_up(
    corpus: Path, bot_settings: Settings, fake_embedder: FakeEmbedder, standin: DiscordStandIn
) -> None:
    core = RecordingQA(bot_settings, fake_embedder)
    core.open()
    async with running(core, bot_settings, standin):
        first = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
        answer = (await answer_to(standin, first))[-1]
        # A reply that does not ping the bot is still a follow-up (the Message Content intent is on).
        second = await standin.say(
            ALICE_ID, "And where was it launched from?", reply_to=answer, ping_replied=False
        )
        pages = await answer_to(standin, second)
        third = await standin.say(ALICE_ID, mention("Tell me more"), reply_to=pages[-1])
        await answer_to(standin, third)

    asked = [(call.question, call.context) for call in core.calls]
    assert asked[0] == (ROCKET_QUESTION, "")
    question, context = asked[1]
    assert question == "And where was it launched from?"
    assert context.startswith(ROCKET_QUESTION) and "Long March-2F rocket" in context
    assert asked[2][1].startswith("And where was it launched from?")  # the chain goes on
    assert "Jiuquan" in pages[0]["content"]
    assert pages[0]["message_reference"]["message_id"] == second["id"]


def asked(core: RecordingQA) -> list[tuple[str, str, bool]]:
    """(question, context, context_optional) of each question the core was asked."""
    return [(call.question, call.context, call.context_optional) for call in core.calls]


@pytest.fixture
def asked_core(bot_settings: Settings, fake_embedder: FakeEmbedder) -> RecordingQA:
    """An opened core that records every question it is asked."""
    core = RecordingQA(bot_settings, fake_embedder)
    core.open()
    return core


async def test_a_message_in_the_thread_of_an_answer_is_a_follow_up(
    asked_core: RecordingQA, bot_settings: Settings, standin: DiscordStandIn
) -> None:
    core = asked_core
    async with running(core, bot_settings, standin):
        first = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
        answer = (await answer_to(standin, first))[0]
        thread = await standin.start_thread(answer)
        # No mention needed in a thread that hangs from an answer.
        second = await standin.say(ALICE_ID, "and where was it launched from?", channel_id=thread)
        pages = await answer_to(standin, second)
        third = await standin.say(MANNY_ID, "which desert is that near", channel_id=thread)
        await answer_to(standin, third)
    question, context, optional = asked(core)[1]
    assert question == "and where was it launched from?" and not optional
    assert context.startswith(ROCKET_QUESTION) and "Long March-2F" in context
    assert pages[0]["channel_id"] == str(thread) and "Jiuquan" in pages[0]["content"]
    assert asked(core)[2][1].startswith("and where was it launched from?")  # the thread's latest


async def test_the_next_question_of_the_same_person_may_follow_up(
    asked_core: RecordingQA, bot_settings: Settings, standin: DiscordStandIn
) -> None:
    core = asked_core
    async with running(core, bot_settings, standin):
        first = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
        await answer_to(standin, first)
        second = await standin.say(ALICE_ID, mention("and where from?"))
        await answer_to(standin, second)
        other = await standin.say(MANNY_ID, mention("and where from?"))
        await answer_to(standin, other)
    assert asked(core)[0] == (ROCKET_QUESTION, "", False)
    _question, context, optional = asked(core)[1]
    assert optional and context.startswith(ROCKET_QUESTION)  # weighed with and without
    assert asked(core)[2] == ("and where from?", "", False)  # another person: no context


async def test_the_next_question_goes_first_to_the_article_of_the_answer_before(
    corpus: Path, bot_settings: Settings, fake_embedder: FakeEmbedder, standin: DiscordStandIn
) -> None:
    write_bridges(corpus)  # both say when their bridge reopens; only the Harbour one who painted it
    core = RecordingQA(bot_settings, fake_embedder)
    core.open()
    async with running(core, bot_settings, standin):
        first = await standin.say(ALICE_ID, mention(PAINTED))
        painted = await answer_to(standin, first)
        second = await standin.say(ALICE_ID, mention(REOPEN))
        harbour = await answer_to(standin, second)
        other = await standin.say(MANNY_ID, mention(REOPEN))
        alone = await answer_to(standin, other)
    assert "Mara Olsen" in painted[0]["content"]
    assert "2 June" in harbour[0]["content"] and "14 March" not in harbour[0]["content"]
    assert "does not say" not in harbour[0]["content"]  # no note about the focus article
    assert "14 March" in alone[0]["content"]  # another person's question goes to all articles


PANDA = """---
url: https://news.example.org/2024/09/02/panda-cub
date: 2024-09-02
author: Dana Whitfield
---
Zoo celebrates the birth of a panda cub

The zoo's giant panda gave birth to a cub early on Sunday, keepers said.
"""


async def test_this_in_the_next_question_is_the_article_of_the_answer_before(
    corpus: Path, bot_settings: Settings, fake_embedder: FakeEmbedder, standin: DiscordStandIn
) -> None:
    (corpus / "panda.txt").write_text(PANDA)
    core = RecordingQA(bot_settings, fake_embedder)
    core.open()
    async with running(core, bot_settings, standin):
        first = await standin.say(ALICE_ID, mention("when did the giant panda give birth"))
        await answer_to(standin, first)
        second = await standin.say(ALICE_ID, mention("who wrote this"))
        author = await answer_to(standin, second)
        # The context, "who wrote this Dana Whitfield", holds no word of the story's text.
        third = await standin.say(ALICE_ID, mention("link?"))
        link = await answer_to(standin, third)
        other = await standin.say(MANNY_ID, mention("link?"))
        newest = await answer_to(standin, other)
    assert "Dana Whitfield" in author[0]["content"]
    assert "https://news.example.org/2024/09/02/panda-cub" in link[0]["content"]
    # Asked alone, nothing tells which article "this" is: the links of those that have one.
    assert "Which article? Links" in newest[0]["content"] and "/panda-cub" in newest[0]["content"]
