"""A channel's article through the stand-in: /article pin|unpin, questions in a pinned channel
and its threads, and follow-ups that keep the article of the answer they hang from."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.db import schema
from bot.discord import ArticleBot
from bot.discord.render import CONTENT_LIMIT, answer_pages, focus_note, question_heading
from bot.models import Answer, Citation
from bot.pins import Focus, FocusedAnswer
from bot.settings import Settings
from tests.discord.harness import RecordingQA, answer_to, mention, running
from tests.discord.test_feedback import eventually
from tests.fakes import FakeEmbedder
from tests.standin import ALICE_ID, CHANNEL_ID, OLIVIA_ID, OTHER_CHANNEL_ID, THREAD_ID, DiscordStandIn
from tests.test_pins import PAINTED, REOPEN, write_bridges

MILL_TITLE = "Mill Bridge to reopen after repairs"
HARBOUR_TITLE = "Harbour Bridge closed for resurfacing"
PINNED_DOES_NOT_SAY = f"*The pinned article does not say; from {HARBOUR_TITLE}:*"


@pytest.fixture
def core(bot_settings: Settings, fake_embedder: FakeEmbedder, corpus: Path) -> RecordingQA:
    """The seed article and two bridge stories that both say when their bridge reopens."""
    write_bridges(corpus)
    qa = RecordingQA(bot_settings.core, fake_embedder)
    qa.open()
    return qa


async def pin(standin: DiscordStandIn, article: str | None, channel_id: int = CHANNEL_ID) -> str:
    """An operator runs /article pin (with `article`, or none to see the pin); the reply's text."""
    options = {"article": article} if article is not None else {}
    sent = await standin.answered(
        await standin.slash(OLIVIA_ID, "article", options, subcommand="pin", channel_id=channel_id)
    )
    assert sent.response_type == 4 and sent.ephemeral
    return str(sent.callbacks[0]["data"]["content"])


async def unpin(standin: DiscordStandIn, channel_id: int = CHANNEL_ID) -> str:
    sent = await standin.answered(
        await standin.slash(OLIVIA_ID, "article", subcommand="unpin", channel_id=channel_id)
    )
    assert sent.response_type == 4 and sent.ephemeral
    return str(sent.callbacks[0]["data"]["content"])


async def ask_by_mention(standin: DiscordStandIn, question: str, channel_id: int = CHANNEL_ID) -> str:
    message = await standin.say(ALICE_ID, mention(question), channel_id=channel_id)
    return "\n".join(page["content"] for page in await answer_to(standin, message))


async def ask_by_slash(standin: DiscordStandIn, options: dict[str, Any]) -> str:
    return (await standin.answered(await standin.slash(ALICE_ID, "ask", options))).text


def logged_articles(bot: ArticleBot, channel_id: int = CHANNEL_ID) -> list[str | None]:
    """The `article` of each question logged in `channel_id`, oldest first. (Questions in two
    channels are logged in whichever order their answers finish.)"""
    with bot.db.begin() as connection:
        query = (
            sa.select(schema.questions.c.article)
            .where(schema.questions.c.channel_id == str(channel_id))
            .order_by(schema.questions.c.id)
        )
        return list(connection.execute(query).scalars())


async def test_a_pinned_channel_answers_from_its_article(
    bot: ArticleBot, standin: DiscordStandIn, core: RecordingQA
) -> None:
    """Acceptance: a question two articles answer is answered from the pinned one."""
    unpinned = await ask_by_mention(standin, REOPEN)
    assert unpinned.startswith("The Mill Bridge over the River Avon will reopen to traffic on 14 March")

    reply = await pin(standin, "harbour-bridge")
    assert reply.startswith(f"Pinned **{HARBOUR_TITLE}** (`harbour-bridge`) to <#{CHANNEL_ID}>: ")
    assert bot.pins.pinned(CHANNEL_ID) == "harbour-bridge"

    by_mention = await ask_by_mention(standin, REOPEN)
    by_slash = await ask_by_slash(standin, {"question": REOPEN})
    for text in (by_mention, by_slash):
        assert "The Harbour Bridge in Portwell will reopen to traffic on 2 June" in text
        assert f"**[1]** {HARBOUR_TITLE}, paragraph 1" in text
        assert "14 March" not in text and MILL_TITLE not in text
        assert "does not say" not in text
    assert by_slash.startswith(f"**Q:** {REOPEN}\nThe Harbour Bridge")

    # Another channel is not pinned; an article named in /ask wins over the pin.
    elsewhere = await ask_by_mention(standin, REOPEN, channel_id=OTHER_CHANNEL_ID)
    assert elsewhere.startswith("The Mill Bridge over the River Avon")
    named = await ask_by_slash(standin, {"question": REOPEN, "article": "mill-bridge"})
    assert "14 March" in named and HARBOUR_TITLE not in named

    assert await pin(standin, None) == (
        f"**{HARBOUR_TITLE}** (`harbour-bridge`) is pinned to <#{CHANNEL_ID}> since <t:{pinned_at(bot)}:f>."
    )
    assert await unpin(standin) == (
        f"Unpinned **{HARBOUR_TITLE}** (`harbour-bridge`) from <#{CHANNEL_ID}>; questions go to all articles."
    )
    assert await unpin(standin) == f"No article is pinned to <#{CHANNEL_ID}>."
    back = await ask_by_mention(standin, REOPEN)
    assert back.startswith("The Mill Bridge over the River Avon will reopen to traffic on 14 March")

    # The log records the article each question was put to first; the last, a next question
    # after an answer from the Mill Bridge story, went to that story first.
    await eventually(
        lambda: len(logged_articles(bot)) == 5 and len(logged_articles(bot, OTHER_CHANNEL_ID)) == 1
    )
    assert logged_articles(bot) == [None, "harbour-bridge", "harbour-bridge", "mill-bridge", "mill-bridge"]
    assert logged_articles(bot, OTHER_CHANNEL_ID) == [None]


def pinned_at(bot: ArticleBot) -> int:
    """When the article pinned to CHANNEL_ID was pinned, in Unix seconds."""
    found = bot.pins.get(CHANNEL_ID)
    assert found is not None
    return int(found.pinned_at.timestamp())


async def test_another_article_answers_what_the_pinned_one_does_not_say(
    bot: ArticleBot, standin: DiscordStandIn, core: RecordingQA
) -> None:
    await pin(standin, "mill-bridge")
    core.calls.clear()
    counted = core.questions_answered
    by_mention = await ask_by_mention(standin, PAINTED)
    by_slash = await ask_by_slash(standin, {"question": PAINTED})
    assert by_mention.startswith(f"{PINNED_DOES_NOT_SAY}\nThe bridge was painted green by the artist Mara")
    assert by_slash.startswith(f"**Q:** {PAINTED}\n{PINNED_DOES_NOT_SAY}\nThe bridge was painted green")
    for text in (by_mention, by_slash):
        assert f"**[1]** {HARBOUR_TITLE}, paragraph 3" in text
    # The pinned article first, then all of them.
    assert [(q, a) for q, a, *_ in core.calls] == [(PAINTED, "mill-bridge"), (PAINTED, None)] * 2
    assert core.questions_answered == counted + 2  # two questions, each asked twice, counted once

    # What the pinned article says needs no note.
    text = await ask_by_mention(standin, "How much did the repairs cost?")
    assert text.startswith("The repairs cost 2.3 million pounds.") and "does not say" not in text


async def test_a_pin_made_in_a_thread_applies_to_its_channel(
    bot: ArticleBot, standin: DiscordStandIn
) -> None:
    reply = await pin(standin, "harbour-bridge", channel_id=THREAD_ID)
    assert reply.startswith(
        f"Pinned **{HARBOUR_TITLE}** (`harbour-bridge`) to <#{CHANNEL_ID}> (the channel of this thread): "
    )
    assert bot.pins.pinned(CHANNEL_ID) == "harbour-bridge" and bot.pins.pinned(THREAD_ID) is None
    in_thread = await ask_by_mention(standin, REOPEN, channel_id=THREAD_ID)
    assert "reopen to traffic on 2 June" in in_thread and MILL_TITLE not in in_thread
    assert (await pin(standin, None, channel_id=THREAD_ID)).startswith(
        f"**{HARBOUR_TITLE}** (`harbour-bridge`) is pinned to <#{CHANNEL_ID}> (the channel of this thread)"
    )
    replaced = await pin(standin, "mill-bridge")
    assert replaced.endswith(f"\nIt replaces **{HARBOUR_TITLE}** (`harbour-bridge`).")


async def test_members_cannot_pin_or_unpin(bot: ArticleBot, standin: DiscordStandIn) -> None:
    bot.pins.pin(CHANNEL_ID, "mill-bridge")
    for subcommand, options in (("pin", {"article": "harbour-bridge"}), ("pin", {}), ("unpin", {})):
        interaction = await standin.slash(ALICE_ID, "article", options, subcommand=subcommand)
        sent = await standin.answered(interaction)
        assert sent.response_type == 4 and sent.ephemeral
        assert sent.callbacks[0]["data"]["content"].startswith("Only operators can use this command")
    pinned = bot.pins.get(CHANNEL_ID)
    assert pinned is not None and pinned.article == "mill-bridge" and bot.pins.count() == 1


async def test_pinning_an_unknown_article_is_refused(bot: ArticleBot, standin: DiscordStandIn) -> None:
    assert await pin(standin, "no-such-story") == (
        "No article 'no-such-story' in the index; pick one from the list."
    )
    assert bot.pins.count() == 0


async def test_a_pinned_article_removed_later_is_ignored_with_a_note(
    bot: ArticleBot, standin: DiscordStandIn, core: RecordingQA, corpus: Path
) -> None:
    await pin(standin, "harbour-bridge")
    (corpus / "harbour-bridge.txt").unlink()
    await asyncio.to_thread(core.reindex)
    text = await ask_by_mention(standin, REOPEN)
    assert text.startswith(
        "-# The article pinned to this channel (harbour-bridge) is no longer indexed; answered from all "
        "articles.\nThe Mill Bridge over the River Avon will reopen to traffic on 14 March"
    )
    shown = await pin(standin, None)
    assert shown.startswith(f"`harbour-bridge` is pinned to <#{CHANNEL_ID}> since <t:")
    assert "It is no longer in the index, so the pin is ignored" in shown


async def test_status_counts_pinned_channels(bot: ArticleBot, standin: DiscordStandIn) -> None:
    await pin(standin, "harbour-bridge")
    await pin(standin, "mill-bridge", channel_id=OTHER_CHANNEL_ID)
    sent = await standin.answered(await standin.slash(OLIVIA_ID, "status"))
    fields = {f["name"]: f["value"] for f in sent.callbacks[0]["data"]["embeds"][0]["fields"]}
    assert fields["Pinned channels"] == "2"


async def test_a_follow_up_in_the_thread_of_an_answer_keeps_its_article(
    bot: ArticleBot, standin: DiscordStandIn, core: RecordingQA
) -> None:
    """No pin: the first answer comes from the Harbour story, so its thread asks that story first
    (asked of all articles, the same question is answered from the Mill story)."""
    first = await standin.say(ALICE_ID, mention(PAINTED))
    answer = (await answer_to(standin, first))[0]
    assert f"**[1]** {HARBOUR_TITLE}" in answer["content"]
    thread = await standin.start_thread(answer)
    second = await standin.say(ALICE_ID, REOPEN, channel_id=thread)
    pages = await answer_to(standin, second)
    assert pages[0]["content"].startswith("The Harbour Bridge in Portwell will reopen to traffic on 2 June")
    assert MILL_TITLE not in pages[0]["content"]
    question, article, context, _ = core.calls[-1]
    assert (question, article) == (REOPEN, "harbour-bridge")
    assert context.startswith(PAINTED) and "Mara Olsen" in context  # the follow-up context as before
    # Later messages in the thread too.
    third = await standin.say(ALICE_ID, "and who said so?", channel_id=thread)
    await answer_to(standin, third)
    asked = [(q, a) for q, a, *_ in core.calls if q == "and who said so?"]
    assert asked[0] == ("and who said so?", "harbour-bridge")


async def test_a_reply_to_an_answer_keeps_its_article(
    bot: ArticleBot, standin: DiscordStandIn, core: RecordingQA
) -> None:
    first = await standin.say(ALICE_ID, mention(PAINTED))
    answer = (await answer_to(standin, first))[-1]
    second = await standin.say(ALICE_ID, REOPEN, reply_to=answer, ping_replied=False)
    pages = await answer_to(standin, second)
    assert pages[0]["content"].startswith("The Harbour Bridge in Portwell will reopen to traffic on 2 June")
    assert core.calls[-1][:2] == (REOPEN, "harbour-bridge")


async def test_the_follow_up_article_wins_over_the_pin(
    bot: ArticleBot, standin: DiscordStandIn, core: RecordingQA
) -> None:
    """In a channel pinned to the Mill story, an answer from the Harbour story (the pinned one did
    not say) keeps the Harbour story for replies to it."""
    await pin(standin, "mill-bridge")
    first = await standin.say(ALICE_ID, mention(PAINTED))
    answer = (await answer_to(standin, first))[-1]
    assert answer["content"].startswith(PINNED_DOES_NOT_SAY)
    second = await standin.say(ALICE_ID, REOPEN, reply_to=answer, ping_replied=False)
    pages = await answer_to(standin, second)
    assert "reopen to traffic on 2 June" in pages[0]["content"]
    assert core.calls[-1][:2] == (REOPEN, "harbour-bridge")


async def test_pins_are_shared_by_bots_on_one_database(
    core: RecordingQA, bot_settings: Settings, standin: DiscordStandIn
) -> None:
    """A pin stored by another process (here: written to the database directly) is read."""
    from bot.db import Database
    from bot.pins import PinStore

    other = PinStore(Database(bot_settings.reveal_database_url()))
    other.pin(CHANNEL_ID, "harbour-bridge", user_id=OLIVIA_ID)
    async with running(core, bot_settings, standin):
        text = await ask_by_mention(standin, REOPEN)
    assert "reopen to traffic on 2 June" in text and MILL_TITLE not in text


# ---- the note above an answer from another article (render.focus_note) ----------------------


def cited_answer(title: str, text: str = "It reopens in June. [1]") -> Answer:
    citation = Citation(1, "other", title, 1, 0, 10, "It reopens in June.")
    return Answer("When?", text, abstained=False, confidence=0.9, citations=(citation,))


def test_the_note_names_the_article_that_answered() -> None:
    answer = cited_answer("Harbour *Bridge* closed")
    thread = FocusedAnswer(answer, Focus("mill", "follow-up"), "other", elsewhere=True)
    assert focus_note(thread) == (
        "*The article of the earlier answer does not say; from Harbour \\*Bridge\\* closed:*"
    )
    pinned = FocusedAnswer(answer, Focus("mill", "pin"), "other", elsewhere=True)
    assert focus_note(pinned).startswith("*The pinned article does not say; from Harbour")
    assert focus_note(FocusedAnswer(answer, Focus("mill", "pin"), "mill")) == ""
    assert focus_note(FocusedAnswer(answer, None, "other")) == ""
    assert focus_note(FocusedAnswer(answer, Focus("gone", "follow-up"), "other", missing=True)) == ""
    # A next question about another story than the answer before is nothing to remark on.
    assert focus_note(FocusedAnswer(answer, Focus("mill", "conversation"), "other", elsewhere=True)) == ""


def test_the_note_keeps_the_answer_within_discord_limits() -> None:
    answer = cited_answer("T" * 3000 + " bridge", "word " * 1500)
    focused = FocusedAnswer(answer, Focus("mill", "pin"), "other", elsewhere=True)
    note = focus_note(focused)
    assert len(note) < 260 and note.endswith("…:*")
    pages = answer_pages(answer, question_heading("When?"), note)
    assert pages[0].startswith(f"**Q:** When?\n{note}")
    assert all(len(page) <= CONTENT_LIMIT for page in pages)
