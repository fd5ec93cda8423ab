"""The Discord bot, run for real (discord.py's own client code) against a loopback stand-in.

Each test starts tests/discord_standin.py on 127.0.0.1, points the bot at it
through DISCORD_API_BASE / DISCORD_GATEWAY_URL, acts as Discord users, and
asserts on exactly what the bot sent. After every test the stand-in checks that
nothing broke a Discord limit, no unknown route was called, and every message
was sent with no mention allowed (so that, by Discord's rules, it notified nobody).
Faults (rate limits, server errors, lost responses, gateway drops) are injected
through the stand-in.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import re
import signal
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import discord.http
import numpy as np
import pytest

from bot.discord import ArticleBot, create_bot, run_bot, sync_commands
from bot.discord.client import ShardedArticleBot
from bot.discord.feedback import VOTE_DOWN, VOTE_UP
from bot.discord.render import answer_pages, question_heading
from bot.engine import ArticleQA
from bot.errors import StartError
from bot.settings import Settings
from tests.discord_standin import (
    ALICE_ID,
    BOT_ID,
    BOT_ROLE_ID,
    CHANNEL_ID,
    GUILD_ID,
    MANNY_ID,
    OLIVIA_ID,
    OPERATOR_ROLE_ID,
    OTHER_CHANNEL_ID,
    THREAD_ID,
    DiscordStandIn,
    Recorded,
)
from tests.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent
SEED_TITLE = "Astronaut becomes China's first woman to walk in space"
ROCKET_QUESTION = "Which rocket launched the Shenzhou-13 spaceship?"
ROCKET_SENTENCE = "The Shenzhou-13 spaceship was launched into space on a Long March-2F rocket"
NO_MENTIONS = {"parse": [], "replied_user": False}


def pings_nobody(allowed: dict[str, Any] | None) -> bool:
    """`allowed_mentions` as discord.AllowedMentions.none() sends it: nothing parsed, nobody listed."""
    return (
        allowed is not None
        and allowed.get("parse") == []
        and not allowed.get("users")
        and not allowed.get("roles")
        and not allowed.get("replied_user")
    )


# ---- fixtures -------------------------------------------------------------------------


@pytest.fixture
async def standin() -> AsyncIterator[DiscordStandIn]:
    server = DiscordStandIn()
    await server.start()
    yield server
    await server.close()
    assert server.violations == [], "a message broke a Discord limit"
    assert server.unknown_routes == []
    for payload in server.sent_payloads():
        if payload.get("content") or payload.get("embeds"):
            assert pings_nobody(payload.get("allowed_mentions")), payload
    for message in server.messages.values():  # whom Discord would have notified: nobody
        if message["author"]["id"] == str(BOT_ID):
            assert not message["mention_everyone"] and not message["mentions"], message
            assert not message["mention_roles"], message


@pytest.fixture
def bot_settings(settings: Settings, standin: DiscordStandIn, tmp_path: Path) -> Settings:
    return replace(
        settings,
        discord_token=standin.token,
        discord_api_base=standin.api_base,
        discord_gateway_url=standin.gateway_url,
        cooldown_seconds=0,
        feedback_log=tmp_path / "feedback.jsonl",
        operator_role_ids=(OPERATOR_ROLE_ID,),
    )


@pytest.fixture
def core(bot_settings: Settings, fake_embedder: FakeEmbedder) -> ArticleQA:
    qa = ArticleQA(bot_settings, fake_embedder)
    qa.open()
    return qa


@asynccontextmanager
async def running(
    core: ArticleQA,
    settings: Settings,
    standin: DiscordStandIn,
    shards: int = 1,
    bot: ArticleBot | None = None,
) -> AsyncIterator[ArticleBot]:
    bot = bot or create_bot(core, settings, guild_ready_timeout=0.01)
    task = asyncio.create_task(bot.start(settings.discord_token))
    try:
        await standin.wait_connected(shards)
        await asyncio.wait_for(bot.wait_until_ready(), 5)
        yield bot
    finally:
        await bot.close()
        await task


@pytest.fixture
async def bot(core: ArticleQA, bot_settings: Settings, standin: DiscordStandIn) -> AsyncIterator[ArticleBot]:
    async with running(core, bot_settings, standin) as client:
        yield client


async def answer_to(standin: DiscordStandIn, message: dict[str, Any]) -> list[dict[str, Any]]:
    """The bot's reply pages to `message`, once the last one (with the vote buttons) is sent."""
    await standin.wait_for(lambda: any(m["components"] for m in standin.replies_to(int(message["id"]))))
    return standin.replies_to(int(message["id"]))


async def short_reply_to(standin: DiscordStandIn, message: dict[str, Any]) -> dict[str, Any]:
    replies = await standin.wait_for(lambda: standin.replies_to(int(message["id"])))
    return replies[0]


def mention(question: str) -> str:
    return f"<@{BOT_ID}> {question}"


def write_article(corpus: Path, name: str, text: str) -> Path:
    path = corpus / name
    path.write_text(text, encoding="utf-8")
    return path


# ---- asking ---------------------------------------------------------------------------


async def test_mention_gets_a_cited_reply(bot: ArticleBot, standin: DiscordStandIn, core: ArticleQA) -> None:
    expected = core.ask(ROCKET_QUESTION)
    message = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
    pages = await answer_to(standin, message)

    assert len(pages) == 1
    reply = pages[0]
    content = reply["content"]
    assert content.startswith(ROCKET_SENTENCE)
    assert "Long March-2F" in content and "[1]" in content
    assert "**Sources**" in content
    citation = expected.citations[0]
    assert f"**[1]** {SEED_TITLE}, paragraph {citation.paragraph}" in content
    assert f"> \u201c{ROCKET_SENTENCE}" in content  # the quoted excerpt
    assert reply["message_reference"]["message_id"] == message["id"]
    assert reply["allowed_mentions"] == NO_MENTIONS
    buttons = [b["custom_id"] for row in reply["components"] for b in row["components"]]
    assert buttons == [VOTE_UP, VOTE_DOWN]
    assert standin.typing_in(CHANNEL_ID) >= 1  # typing shown while working
    typing_at = next(r.at for r in standin.requests if r.path.endswith("/typing"))
    reply_at = next(r.at for r in standin.requests if r.path == f"/channels/{CHANNEL_ID}/messages")
    assert typing_at <= reply_at


async def test_citations_of_look_alike_articles_say_what_tells_them_apart(
    corpus: Path, core: ArticleQA, bot: ArticleBot, standin: DiscordStandIn
) -> None:
    write_article(
        corpus,
        "spacewalk-wire.txt",
        f"---\nsource: Pacific Wire\ndate: 2021-11-08\n---\n{SEED_TITLE}\n\n"
        "The Shenzhou-13 spaceship was launched into space on a Long March-2F rocket from the Jiuquan "
        "Satellite Launch Center, the wire reported.\n",
    )
    await asyncio.to_thread(core.reindex)
    message = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
    content = (await answer_to(standin, message))[0]["content"]
    names = [line for line in content.splitlines() if line.startswith("**[")]
    assert names, content
    for line in names:
        assert f"{SEED_TITLE} (Pacific Wire, 2021-11-08), paragraph" in line or (
            f"{SEED_TITLE} (china-first-woman-spacewalk.txt), paragraph" in line
        ), line


async def test_source_url_is_wrapped_so_it_does_not_unfurl(
    corpus: Path, core: ArticleQA, bot: ArticleBot, standin: DiscordStandIn
) -> None:
    write_article(
        corpus,
        "harbour.md",
        "---\nurl: https://news.example/harbour\n---\n# Harbour reopens\n\n"
        "The harbour of Port Ellery reopened on Monday after a storm closed it for nine days.\n",
    )
    await asyncio.to_thread(core.reindex)
    message = await standin.say(ALICE_ID, mention("When did the harbour of Port Ellery reopen?"))
    content = (await answer_to(standin, message))[0]["content"]
    assert "Harbour reopens, paragraph 1" in content
    assert "\n<https://news.example/harbour>" in content


async def test_mention_of_the_bots_own_role_is_a_mention(bot: ArticleBot, standin: DiscordStandIn) -> None:
    """Discord's autocomplete offers the bot's managed role beside the bot; both work."""
    message = await standin.say(ALICE_ID, f"<@&{BOT_ROLE_ID}> {ROCKET_QUESTION}")
    pages = await answer_to(standin, message)
    assert pages[0]["content"].startswith(ROCKET_SENTENCE)
    other = await standin.say(ALICE_ID, f"<@&{OPERATOR_ROLE_ID}> {ROCKET_QUESTION}")  # not the bot's
    await asyncio.sleep(0.3)
    assert standin.replies_to(int(other["id"])) == []


async def test_mention_in_a_thread(bot: ArticleBot, standin: DiscordStandIn) -> None:
    message = await standin.say(ALICE_ID, mention(ROCKET_QUESTION), channel_id=THREAD_ID)
    pages = await answer_to(standin, message)
    assert pages[0]["channel_id"] == str(THREAD_ID)
    assert "Long March-2F" in pages[0]["content"]


async def test_reply_to_an_answer_is_a_follow_up(
    corpus: Path, bot_settings: Settings, fake_embedder: FakeEmbedder, standin: DiscordStandIn
) -> None:
    asked: list[tuple[str, str]] = []

    class RecordingQA(ArticleQA):
        def ask(
            self, question: str, article: str | None = None, context: str = "", context_optional: bool = False
        ) -> Any:
            asked.append((question, context))
            return super().ask(question, article, context, context_optional)

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

    assert asked[0] == (ROCKET_QUESTION, "")
    question, context = asked[1]
    assert question == "And where was it launched from?"
    assert context.startswith(ROCKET_QUESTION) and "Long March-2F rocket" in context
    assert asked[2][1].startswith("And where was it launched from?")  # the chain goes on
    assert "Jiuquan" in pages[0]["content"]
    assert pages[0]["message_reference"]["message_id"] == second["id"]


class AskedQA(ArticleQA):
    """The core, recording how it was asked: (question, context, context_optional)."""

    asked: list[tuple[str, str, bool]]

    def ask(
        self, question: str, article: str | None = None, context: str = "", context_optional: bool = False
    ) -> Any:
        self.asked.append((question, context, context_optional))
        return super().ask(question, article, context, context_optional)


@pytest.fixture
def asked_core(bot_settings: Settings, fake_embedder: FakeEmbedder) -> AskedQA:
    """An opened core that records every (question, context, context_optional) it is asked."""
    core = AskedQA(bot_settings, fake_embedder)
    core.asked = []
    core.open()
    return core


async def test_a_message_in_the_thread_of_an_answer_is_a_follow_up(
    asked_core: AskedQA, bot_settings: Settings, standin: DiscordStandIn
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
    question, context, optional = core.asked[1]
    assert question == "and where was it launched from?" and not optional
    assert context.startswith(ROCKET_QUESTION) and "Long March-2F" in context
    assert pages[0]["channel_id"] == str(thread) and "Jiuquan" in pages[0]["content"]
    assert core.asked[2][1].startswith("and where was it launched from?")  # the thread's latest


async def test_the_next_question_of_the_same_person_may_follow_up(
    asked_core: AskedQA, bot_settings: Settings, standin: DiscordStandIn
) -> None:
    core = asked_core
    async with running(core, bot_settings, standin):
        first = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
        await answer_to(standin, first)
        second = await standin.say(ALICE_ID, mention("and where from?"))
        await answer_to(standin, second)
        other = await standin.say(MANNY_ID, mention("and where from?"))
        await answer_to(standin, other)
    assert core.asked[0] == (ROCKET_QUESTION, "", False)
    _question, context, optional = core.asked[1]
    assert optional and context.startswith(ROCKET_QUESTION)  # weighed with and without
    assert core.asked[2] == ("and where from?", "", False)  # another person: no context


async def test_unanswerable_question_says_so_and_lists_related_reading(
    bot: ArticleBot, standin: DiscordStandIn
) -> None:
    message = await standin.say(ALICE_ID, mention("What is the capital of Peru?"))
    content = (await answer_to(standin, message))[0]["content"]
    assert content.startswith("**The article does not say.**")
    assert "**Related reading**" in content
    assert f"**[1]** {SEED_TITLE}, paragraph" in content
    assert "**Sources**" not in content


async def test_empty_mention_explains_how_to_ask(bot: ArticleBot, standin: DiscordStandIn) -> None:
    message = await standin.say(ALICE_ID, f"<@{BOT_ID}>")
    reply = await short_reply_to(standin, message)
    assert "Ask me a question about the articles" in reply["content"]


async def test_messages_without_a_mention_are_ignored(bot: ArticleBot, standin: DiscordStandIn) -> None:
    await standin.say(ALICE_ID, ROCKET_QUESTION)
    await standin.say(ALICE_ID, f"@everyone {ROCKET_QUESTION}")
    marker = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
    await answer_to(standin, marker)
    assert len(standin.bot_messages()) == 1


async def test_ask_public_and_private(bot: ArticleBot, standin: DiscordStandIn) -> None:
    public = await standin.answered(await standin.slash(ALICE_ID, "ask", {"question": ROCKET_QUESTION}))
    private = await standin.answered(
        await standin.slash(ALICE_ID, "ask", {"question": ROCKET_QUESTION, "private": True})
    )
    assert public.callbacks == [{"type": 5, "data": {"flags": 0}}] or public.callbacks[0]["type"] == 5
    assert not public.ephemeral
    assert private.callbacks[0] == {"type": 5, "data": {"flags": 64}}
    for sent in (public, private):
        assert sent.text.startswith(f"**Q:** {ROCKET_QUESTION}\n{ROCKET_SENTENCE}")
        assert f"**[1]** {SEED_TITLE}, paragraph" in sent.text
        assert sent.original is not None and sent.original["components"]  # vote buttons
    assert private.original is not None and private.original["flags"] & 64


async def test_ask_limited_to_one_article(
    corpus: Path, core: ArticleQA, bot: ArticleBot, standin: DiscordStandIn
) -> None:
    write_article(
        corpus,
        "rocket-fair.txt",
        "Rocket fair\n\nThe Long March-2F rocket model won first prize at the fair.\n",
    )
    await asyncio.to_thread(core.reindex)
    sent = await standin.answered(
        await standin.slash(ALICE_ID, "ask", {"question": ROCKET_QUESTION, "article": "rocket-fair"})
    )
    assert "Rocket fair, paragraph 1" in sent.text
    assert SEED_TITLE not in sent.text


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"question": "?!?"}, "The question has no words in it."),
        ({"question": "x" * 1200}, "The question is 1,200 characters; the limit is 1,000."),
        ({"question": "Who?", "article": "no-such-story"}, "No article 'no-such-story' in the index"),
    ],
)
async def test_ask_refuses_bad_input_ephemerally(
    bot: ArticleBot, standin: DiscordStandIn, options: dict[str, Any], expected: str
) -> None:
    sent = await standin.answered(await standin.slash(ALICE_ID, "ask", options))
    assert sent.response_type == 4 and sent.ephemeral
    assert sent.callbacks[0]["data"]["content"].startswith(expected)


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


# ---- quick facts ----------------------------------------------------------------------


async def test_facts_are_cited_sentences_with_names_dates_numbers(
    bot: ArticleBot, standin: DiscordStandIn, core: ArticleQA
) -> None:
    sent = await standin.answered(
        await standin.slash(ALICE_ID, "facts", {"article": "china-first-woman-spacewalk"})
    )
    text = sent.text
    record = core.snapshot.articles[0]
    assert text.startswith(f"**Key facts: {SEED_TITLE}**")
    facts = [line for line in text.splitlines() if line.startswith("**[")]
    notes = [line for line in text.splitlines() if line.startswith("-# paragraph ")]
    assert 3 <= len(facts) <= 5 and len(notes) == len(facts)
    for n, (fact, note) in enumerate(zip(facts, notes, strict=True), start=1):
        assert fact.startswith(f"**[{n}]** ")
        sentence = fact.removeprefix(f"**[{n}]** ").replace("\\", "")
        assert sentence in record.text  # quoted word for word
        paragraph = int(note.split()[2])
        assert any(s.text == sentence and s.paragraph == paragraph for s in record.sentences)
    assert "Nov. 7" in text or "Oct. 16" in text
    assert not sent.ephemeral


async def test_summary_is_the_cited_lead(bot: ArticleBot, standin: DiscordStandIn) -> None:
    sent = await standin.answered(await standin.slash(ALICE_ID, "summary"))
    text = sent.text
    assert text.startswith(f"**Summary: {SEED_TITLE}**\nChina saw its first woman to ever walk in space")
    assert "[1]" in text and "[2]" in text
    assert f"**[1]** {SEED_TITLE}, paragraph 1" in text
    assert f"**[2]** {SEED_TITLE}, paragraph 2" in text


async def test_search_lists_passages_with_scores(bot: ArticleBot, standin: DiscordStandIn) -> None:
    sent = await standin.answered(
        await standin.slash(ALICE_ID, "search", {"query": "Long March rocket launch"})
    )
    assert sent.original is not None
    embed = sent.original["embeds"][0]
    assert embed["title"] == "Search: Long March rocket launch"
    fields = embed["fields"]
    assert 1 <= len(fields) <= 8
    first = fields[0]
    assert first["name"].startswith(f"[1] {SEED_TITLE}, paragraph 5 \u00b7 score ")
    assert float(first["name"].rsplit(" ", 1)[1]) > 0
    assert "Long March-2F" in first["value"]


async def test_sources_lists_the_index(
    corpus: Path, core: ArticleQA, bot: ArticleBot, standin: DiscordStandIn
) -> None:
    write_article(
        corpus, "harbour.md", "---\ndate: 2024-03-04\n---\n# Harbour reopens\n\nThe harbour reopened.\n"
    )
    await asyncio.to_thread(core.reindex)
    sent = await standin.answered(await standin.slash(ALICE_ID, "sources"))
    assert sent.response_type == 4 and not sent.ephemeral
    embed = sent.callbacks[0]["data"]["embeds"][0]
    assert embed["title"] == "Indexed articles (2)"
    seed = core.snapshot.article("china-first-woman-spacewalk")
    assert seed is not None
    facts = f"no date \u00b7 en \u00b7 {len(seed.chunks)} passages"
    assert f"**{SEED_TITLE}**\n`china-first-woman-spacewalk` \u00b7 {facts}" in embed["description"]
    assert (
        "**Harbour reopens**\n`harbour` \u00b7 2024-03-04 \u00b7 en \u00b7 1 passages" in embed["description"]
    )


# ---- operators ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "subcommand", "options"),
    [
        ("reindex", None, {}),
        ("status", None, {}),
        ("article", "remove", {"article": "china-first-woman-spacewalk"}),
        ("article", "add", {"file": "an attachment"}),
        ("article", "add", {"url": "a page"}),
    ],
)
async def test_operator_commands_refuse_members(
    bot: ArticleBot,
    standin: DiscordStandIn,
    core: ArticleQA,
    corpus: Path,
    name: str,
    subcommand: str | None,
    options: dict[str, Any],
) -> None:
    """Every operator command, run by a member who can see it (an admin may show it to anyone)."""
    lighthouse = b"Lighthouse restored\n\nThe lighthouse was restored by 40 volunteers.\n"
    if "file" in options:
        options = {"file": standin.add_attachment("lighthouse.txt", lighthouse)}
    if "url" in options:
        options = {"url": standin.add_page("lighthouse", b"<p>" + lighthouse + b"</p>")}
    files_before = sorted(p.name for p in corpus.rglob("*"))
    last_reindex = core.last_reindex
    sent = await standin.answered(await standin.slash(ALICE_ID, name, options, subcommand=subcommand))
    assert sent.response_type == 4 and sent.ephemeral
    assert sent.callbacks[0]["data"]["content"].startswith("Only operators can use this command")
    assert core.snapshot.article("china-first-woman-spacewalk") is not None
    assert sorted(p.name for p in corpus.rglob("*")) == files_before
    assert core.last_reindex is last_reindex  # no reindex ran
    # Refused before doing anything: nothing downloaded, no status shown.
    assert not any(r.path.startswith(("/attachments", "/pages")) for r in standin.requests)
    assert "embeds" not in sent.callbacks[0]["data"] or not sent.callbacks[0]["data"]["embeds"]


@pytest.mark.parametrize("who", ["role", "manage-server", "user-id"])
async def test_operators_are_recognised(
    core: ArticleQA, bot_settings: Settings, standin: DiscordStandIn, who: str
) -> None:
    user_id = {"role": OLIVIA_ID, "manage-server": MANNY_ID, "user-id": ALICE_ID}[who]
    settings = replace(bot_settings, operator_user_ids=(ALICE_ID,) if who == "user-id" else ())
    async with running(core, settings, standin):
        sent = await standin.answered(await standin.slash(user_id, "status"))
    assert sent.response_type == 4 and sent.ephemeral
    assert sent.callbacks[0]["data"]["embeds"][0]["title"] == "Article Bot status"


async def test_status_reports_the_index_and_never_the_token(
    bot: ArticleBot, standin: DiscordStandIn, core: ArticleQA
) -> None:
    await standin.answered(await standin.slash(ALICE_ID, "ask", {"question": ROCKET_QUESTION}))
    sent = await standin.answered(await standin.slash(OLIVIA_ID, "status"))
    fields = {f["name"]: f["value"] for f in sent.callbacks[0]["data"]["embeds"][0]["fields"]}
    assert fields["Articles"] == "1"
    assert fields["Passages"] == str(core.snapshot.passage_count)
    assert fields["Model"].startswith("fake-bow")
    assert fields["Questions answered"] == "1"
    assert fields["Message Content intent"] == "on"
    assert fields["Uptime"].endswith("s")
    for request in standin.requests:
        assert standin.token not in json.dumps(request.body)
        assert standin.token not in request.path


async def test_reindex_and_status_name_files_that_hold_the_same_article(
    corpus: Path, bot: ArticleBot, standin: DiscordStandIn, core: ArticleQA
) -> None:
    seed = corpus / "china-first-woman-spacewalk.txt"
    (corpus / "spacewalk-copy.txt").write_bytes(seed.read_bytes())
    sent = await standin.answered(await standin.slash(OLIVIA_ID, "reindex"))
    assert (
        "`spacewalk-copy.txt` holds the same article as `china-first-woman-spacewalk.txt`; indexed once."
        in sent.text
    )
    assert [r.id for r in core.snapshot.articles] == ["china-first-woman-spacewalk"]
    status = await standin.answered(await standin.slash(OLIVIA_ID, "status"))
    fields = {f["name"]: f["value"] for f in status.callbacks[0]["data"]["embeds"][0]["fields"]}
    assert fields["Same article in two files"] == (
        "`spacewalk-copy.txt` = `china-first-woman-spacewalk.txt` (each indexed once)"
    )


async def test_reindex_reports_added_changed_removed(
    corpus: Path, bot: ArticleBot, standin: DiscordStandIn, core: ArticleQA
) -> None:
    write_article(
        corpus, "harbour.txt", "Harbour reopens\n\nThe harbour reopened on Monday. Ships returned.\n"
    )
    sent = await standin.answered(await standin.slash(OLIVIA_ID, "reindex"))
    assert sent.callbacks[0] == {"type": 5, "data": {"flags": 64}}
    assert "Articles: 1 added (`harbour`), 0 changed, 0 removed, 1 unchanged." in sent.text
    assert "Passages: +1 \u22120" in sent.text
    assert core.snapshot.article("harbour") is not None

    (corpus / "harbour.txt").unlink()
    again = await standin.answered(await standin.slash(OLIVIA_ID, "reindex"))
    assert "0 added, 0 changed, 1 removed (`harbour`)" in again.text


async def test_article_add_from_an_attachment_then_answer_from_it(
    bot: ArticleBot, standin: DiscordStandIn, core: ArticleQA, corpus: Path
) -> None:
    body = b"Lighthouse restored\n\nThe Old Point lighthouse was restored by 40 volunteers in 2023.\n"
    attachment = standin.add_attachment("lighthouse.txt", body)
    sent = await standin.answered(
        await standin.slash(OLIVIA_ID, "article", {"file": attachment}, subcommand="add")
    )
    assert sent.ephemeral
    assert sent.text.startswith("Added `lighthouse.txt`.\n**Reindex done**")
    assert "1 added (`lighthouse`)" in sent.text
    assert (corpus / "lighthouse.txt").read_bytes() == body

    question = await standin.say(ALICE_ID, mention("How many volunteers restored the Old Point lighthouse?"))
    content = (await answer_to(standin, question))[0]["content"]
    assert "restored by 40 volunteers" in content and "Lighthouse restored, paragraph 1" in content


async def test_article_add_from_a_url(
    core: ArticleQA, bot_settings: Settings, standin: DiscordStandIn, corpus: Path
) -> None:
    page = (
        b"<html><head><title>Bridge</title></head><body><article><h1>Bridge opens</h1>"
        + (b"<p>The new river bridge opened to traffic on Friday after three years of work.</p>" * 3)
        + b"</article></body></html>"
    )
    url = standin.add_page("bridge", page)
    allowed = replace(bot_settings, allow_private_urls=True)
    core.settings = allowed
    async with running(core, allowed, standin):
        sent = await standin.answered(
            await standin.slash(OLIVIA_ID, "article", {"url": url}, subcommand="add")
        )
    assert sent.text.startswith("Added `bridge.html`.")
    assert f"url: {url}" in (corpus / "bridge.html").read_text()
    assert core.snapshot.article("bridge") is not None


async def test_article_add_refuses_bad_input(bot: ArticleBot, standin: DiscordStandIn, corpus: Path) -> None:
    pdf = standin.add_attachment("report.pdf", b"%PDF-1.4", "application/pdf")
    url = standin.add_page("private", b"<p>hi</p>")
    cases = [
        ({}, "Give either a file or a URL"),
        ({"file": pdf}, "Report.pdf: use a .txt, .md or .html file."),
        ({"url": url}, "127.0.0.1 resolves to a private or local address"),
    ]
    for options, expected in cases:
        sent = await standin.answered(await standin.slash(OLIVIA_ID, "article", options, subcommand="add"))
        assert sent.ephemeral
        assert expected in (sent.callbacks[0].get("data") or {}).get("content", "") + sent.text
    assert sorted(p.name for p in corpus.iterdir()) == ["china-first-woman-spacewalk.txt"]


async def test_article_add_refuses_a_file_over_the_size_limit(
    core: ArticleQA, bot_settings: Settings, standin: DiscordStandIn
) -> None:
    small = replace(bot_settings, max_article_bytes=100)
    async with running(core, small, standin):
        big = standin.add_attachment("big.txt", b"Big\n\n" + b"word " * 100)
        sent = await standin.answered(
            await standin.slash(OLIVIA_ID, "article", {"file": big}, subcommand="add")
        )
    assert sent.response_type == 4 and sent.ephemeral
    assert sent.callbacks[0]["data"]["content"] == "Big.txt is 505 bytes; the limit is 100."


async def test_article_remove(
    bot: ArticleBot, standin: DiscordStandIn, core: ArticleQA, corpus: Path
) -> None:
    sent = await standin.answered(
        await standin.slash(
            OLIVIA_ID, "article", {"article": "china-first-woman-spacewalk"}, subcommand="remove"
        )
    )
    assert sent.text.startswith("Removed `china-first-woman-spacewalk`")
    assert "1 removed (`china-first-woman-spacewalk`)" in sent.text
    assert core.snapshot.articles == []
    assert (corpus / ".removed" / "china-first-woman-spacewalk.txt").is_file()
    after = await standin.answered(await standin.slash(ALICE_ID, "summary"))
    assert after.callbacks[0]["data"]["content"] == "The index holds no articles yet."


# ---- behaviour ------------------------------------------------------------------------


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


LONG_SENTENCE = (
    "The council reported that "
    + ", ".join(f"the harbour project number {i} was funded by the regional budget" for i in range(60))
    + "."
)


async def test_long_answers_and_searches_stay_within_discord_limits(
    corpus: Path, bot_settings: Settings, fake_embedder: FakeEmbedder, standin: DiscordStandIn
) -> None:
    (corpus / "china-first-woman-spacewalk.txt").unlink()
    paragraphs = [LONG_SENTENCE] + [
        f"Section {k} says that "
        + ", ".join(f"item {k}-{i} was reviewed by the harbour board" for i in range(20))
        + "."
        for k in range(12)
    ]
    write_article(corpus, "council.txt", "Council report\n\n" + "\n\n".join(paragraphs) + "\n")
    settings = replace(bot_settings, abstain_threshold=0.0)
    core = ArticleQA(settings, fake_embedder)
    core.open()
    assert len(LONG_SENTENCE) > 3000
    async with running(core, settings, standin):
        message = await standin.say(
            ALICE_ID, mention("What did the council report about harbour project funding?")
        )
        pages = await answer_to(standin, message)
        asked = await standin.answered(
            await standin.slash(
                ALICE_ID, "ask", {"question": "What did the council report about project funding?"}
            ),
            followups=1,
        )
        search = await standin.answered(
            await standin.slash(ALICE_ID, "search", {"query": "harbour board reviewed"})
        )
        facts = await standin.answered(await standin.slash(ALICE_ID, "facts"), followups=1)

    assert len(pages) >= 2
    assert all(len(p["content"]) <= 2000 for p in pages)
    shown = " ".join(p["content"] for p in pages)
    assert "number 59 was funded by the regional budget." in shown  # split, not cut
    assert [bool(p["components"]) for p in pages] == [False] * (len(pages) - 1) + [True]
    assert len(asked.messages) >= 2 and all(len(m["content"]) <= 2000 for m in asked.messages)
    assert asked.messages[-1]["components"] and not asked.messages[0]["components"]
    embed = search.original["embeds"][0] if search.original else {}
    assert embed["footer"]["text"].endswith("more not shown (Discord's size limit).")
    assert 1 <= len(embed["fields"]) < 8
    assert all(len(f["value"]) <= 1024 for f in embed["fields"])
    assert len(facts.messages) == 2 and all(len(m["content"]) <= 2000 for m in facts.messages)
    assert "**[5]**" in facts.messages[1]["content"]  # five facts, split over two messages
    # The stand-in fixture also checks every payload against all of Discord's limits.


async def test_mentions_in_articles_and_questions_never_ping(
    corpus: Path, core: ArticleQA, bot: ArticleBot, standin: DiscordStandIn
) -> None:
    write_article(
        corpus,
        "memo.txt",
        "Office memo\n\n"
        "The editor wrote that @everyone and <@930000000000000002> must read the lighthouse memo.\n",
    )
    await asyncio.to_thread(core.reindex)
    message = await standin.say(ALICE_ID, mention("Who must read the lighthouse memo?"))
    reply = (await answer_to(standin, message))[0]
    slash = await standin.answered(
        await standin.slash(
            ALICE_ID, "ask", {"question": "@everyone who must read the lighthouse memo? <@&1>"}
        )
    )
    assert "@everyone and <@930000000000000002> must read" in reply["content"]
    assert reply["allowed_mentions"] == NO_MENTIONS
    assert slash.text.startswith("**Q:** @everyone who must read")
    assert slash.original is not None and pings_nobody(slash.original["allowed_mentions"])
    assert "@everyone and <@930000000000000002>" in slash.text


class GatedEmbedder(FakeEmbedder):
    """Embeds questions at once; holds batch embeddings (a reindex) until released."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = threading.Event()
        self.release = threading.Event()
        self.gated = False

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if self.gated and len(texts) > 1:
            self.holding.set()
            assert self.release.wait(10), "the test never released the reindex"
        return super().embed(texts, batch_size)


async def test_reindex_while_questions_are_answered(
    corpus: Path, bot_settings: Settings, standin: DiscordStandIn
) -> None:
    embedder = GatedEmbedder()
    core = ArticleQA(bot_settings, embedder)
    core.open()
    write_article(
        corpus,
        "lighthouse.txt",
        "Lighthouse restored\n\nThe Old Point lighthouse was restored by 40 volunteers in 2023. "
        "It reopened to visitors in May.\n",
    )
    lighthouse = "How many volunteers restored the Old Point lighthouse?"
    embedder.gated = True
    async with running(core, bot_settings, standin):
        reindex = await standin.slash(OLIVIA_ID, "reindex")
        assert await asyncio.to_thread(embedder.holding.wait, 5)  # the reindex is embedding
        during = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
        answered_during = await answer_to(standin, during)
        old = await standin.say(MANNY_ID, mention(lighthouse))
        old_reply = (await answer_to(standin, old))[0]["content"]
        assert not reindex.done  # both ran at once: the reindex is still going
        embedder.release.set()
        await standin.answered(reindex)
        after = await standin.say(OLIVIA_ID, mention(lighthouse))
        new_reply = (await answer_to(standin, after))[0]["content"]

    assert "Long March-2F" in answered_during[0]["content"]
    assert "Lighthouse restored" not in old_reply  # the old index did not know it
    assert "1 added (`lighthouse`)" in reindex.text
    assert "restored by 40 volunteers" in new_reply and "Lighthouse restored, paragraph 1" in new_reply


async def test_an_index_built_by_another_process_is_picked_up(
    corpus: Path, core: ArticleQA, bot_settings: Settings, standin: DiscordStandIn
) -> None:
    """As with shard processes sharing one index, or `python -m bot reindex` beside the bot."""
    bot = create_bot(core, bot_settings, guild_ready_timeout=0.01, index_poll_seconds=0.05)
    task = asyncio.create_task(bot.start(bot_settings.discord_token))
    try:
        await standin.wait_connected()
        write_article(
            corpus, "lighthouse.txt", "Lighthouse restored\n\nThe lighthouse was restored by 40 volunteers.\n"
        )
        other = ArticleQA(bot_settings, FakeEmbedder())
        await asyncio.to_thread(other.reindex)
        for _ in range(100):  # the bot polls every 0.05 s here
            if core.snapshot.article("lighthouse") is not None:
                break
            await asyncio.sleep(0.05)
        message = await standin.say(ALICE_ID, mention("How many volunteers restored the lighthouse?"))
        content = (await answer_to(standin, message))[0]["content"]
    finally:
        await bot.close()
        await task
    assert "restored by 40 volunteers" in content
    assert core.snapshot.path == other.snapshot.path


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


async def test_unexpected_errors_are_logged_and_answered(
    bot_settings: Settings,
    fake_embedder: FakeEmbedder,
    standin: DiscordStandIn,
    caplog: pytest.LogCaptureFixture,
) -> None:
    class BrokenQA(ArticleQA):
        def ask(self, question: str, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("the vector store caught fire")

    core = BrokenQA(bot_settings, fake_embedder)
    core.open()
    with caplog.at_level(logging.ERROR, logger="bot.discord"):
        async with running(core, bot_settings, standin):
            message = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
            reply = await short_reply_to(standin, message)
            slash = await standin.answered(
                await standin.slash(ALICE_ID, "ask", {"question": ROCKET_QUESTION, "private": True})
            )
    generic = "Something went wrong on my side."
    assert reply["content"].startswith(generic)
    assert slash.ephemeral and slash.text.startswith(generic)
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 2
    assert all(r.exc_info and "caught fire" in str(r.exc_info[1]) for r in failures)
    assert "on_message" in failures[0].getMessage() and "/ask" in failures[1].getMessage()


# ---- connection -----------------------------------------------------------------------


async def test_without_the_message_content_intent_the_bot_still_serves(
    core: ArticleQA, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    standin = DiscordStandIn(message_content_granted=False)
    await standin.start()
    try:
        with caplog.at_level(logging.WARNING):
            settings = replace(
                bot_settings, discord_api_base=standin.api_base, discord_gateway_url=standin.gateway_url
            )
            task = asyncio.create_task(run_bot(core, settings, guild_ready_timeout=0.01))
            await standin.wait_connected()
            sent = await standin.answered(await standin.slash(ALICE_ID, "ask", {"question": ROCKET_QUESTION}))
            message = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
            await answer_to(standin, message)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    finally:
        await standin.close()
    assert standin.closed_4014 == 1
    assert [bool(i["intents"] & (1 << 15)) for i in standin.identifies] == [True, False]
    assert ROCKET_SENTENCE in sent.text
    assert any("Message Content intent is not enabled" in r.getMessage() for r in caplog.records)


async def test_gateway_reconnect_resumes_the_session(bot: ArticleBot, standin: DiscordStandIn) -> None:
    await standin.request_reconnect()
    await standin.wait_connected()
    assert standin.resumes == 1 and len(standin.identifies) == 1
    message = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
    assert "Long March-2F" in (await answer_to(standin, message))[0]["content"]


async def test_sharded_bot_identifies_each_shard(
    core: ArticleQA, bot_settings: Settings, standin: DiscordStandIn
) -> None:
    class QuickShardedBot(ShardedArticleBot):
        async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
            """No 5-second wait between IDENTIFYs (Discord's rate limit; the stand-in has none)."""

    settings = replace(bot_settings, shard_count=2, shard_ids=(0, 1))
    assert isinstance(create_bot(core, settings), ShardedArticleBot)
    quick = QuickShardedBot(core, settings, shard_count=2, shard_ids=[0, 1], guild_ready_timeout=0.01)
    async with running(core, settings, standin, shards=2, bot=quick) as client:
        sent = await standin.answered(await standin.slash(ALICE_ID, "ask", {"question": ROCKET_QUESTION}))
        status = await standin.answered(await standin.slash(OLIVIA_ID, "status"))
        assert client.shard_count == 2
    assert sorted(tuple(i["shard"]) for i in standin.identifies) == [(0, 2), (1, 2)]
    assert ROCKET_SENTENCE in sent.text
    fields = {f["name"]: f["value"] for f in status.callbacks[0]["data"]["embeds"][0]["fields"]}
    assert fields["Shards"] == "0, 1 of 2"


async def test_a_refused_token_is_reported_without_the_token(
    core: ArticleQA, bot_settings: Settings, standin: DiscordStandIn
) -> None:
    wrong = replace(bot_settings, discord_token="not.the-right.token")
    with pytest.raises(StartError) as caught:
        await run_bot(core, wrong)
    assert "401" in str(caught.value) and "not.the-right.token" not in str(caught.value)


# ---- command sync ---------------------------------------------------------------------

OPERATOR_COMMANDS = {"reindex", "article", "status"}


async def test_sync_to_a_guild_and_globally(bot_settings: Settings, standin: DiscordStandIn) -> None:
    names = await sync_commands(bot_settings, GUILD_ID)
    assert sorted(names) == ["article", "ask", "facts", "reindex", "search", "sources", "status", "summary"]
    commands = {c["name"]: c for c in standin.commands[str(GUILD_ID)]}
    for name in OPERATOR_COMMANDS:
        assert str(commands[name]["default_member_permissions"]) == "32"  # Manage Server
    assert commands["ask"]["default_member_permissions"] is None
    ask_options = {o["name"]: o for o in commands["ask"]["options"]}
    assert ask_options["article"]["autocomplete"] is True and ask_options["question"]["required"] is True
    assert {o["name"] for o in commands["article"]["options"]} == {"add", "remove"}

    await sync_commands(bot_settings)
    assert {c["name"] for c in standin.commands["global"]} == set(names)
    assert standin.identifies == []  # syncing never opens the gateway


async def test_sync_from_the_command_line(standin: DiscordStandIn, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DISCORD_TOKEN": standin.token,
        "DISCORD_API_BASE": standin.api_base,
        "DISCORD_GATEWAY_URL": standin.gateway_url,
        "INDEX_DIR": str(tmp_path / "index"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sync", "--guild", str(GUILD_ID),
        cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    output = stdout.decode() + stderr.decode()
    assert process.returncode == 0, output
    assert f"synced 8 commands to server {GUILD_ID}" in stdout.decode()
    assert standin.token not in output
    assert len(standin.commands[str(GUILD_ID)]) == 8


@pytest.mark.model
async def test_run_from_the_command_line_answers_and_stops_on_sigterm(
    standin: DiscordStandIn, corpus: Path, tmp_path: Path
) -> None:
    """`python -m bot run` as deployed: the real model, the index built at start, SIGTERM to stop."""
    env = {
        **os.environ,
        "DISCORD_TOKEN": standin.token,
        "DISCORD_API_BASE": standin.api_base,
        "DISCORD_GATEWAY_URL": standin.gateway_url,
        "CORPUS_DIR": str(corpus),
        "INDEX_DIR": str(tmp_path / "index"),
        "FEEDBACK_LOG": str(tmp_path / "feedback.jsonl"),
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": str(ROOT),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await standin.wait_connected(timeout=120)
        message = await standin.say(ALICE_ID, mention("Who walked in space with Wang Yaping?"))
        reply = (await answer_to(standin, message))[0]["content"]
    finally:
        logs = "".join(await _collect(process, stop=True))
    assert process.returncode == 0, logs
    assert "Zhai Zhigang" in reply and f"**[1]** {SEED_TITLE}, paragraph" in reply
    assert "reindex: articles: 1 added" in logs and "stopped" in logs
    assert standin.token not in logs


# ---- faults ---------------------------------------------------------------------------

CONCURRENT_QUESTIONS = [
    ROCKET_QUESTION,
    "Where was the video of the spacewalk posted?",
    "Who left the module with Wang Yaping?",
    "When did Wang Yaping walk in space?",
]


async def test_200_concurrent_questions_are_each_answered_once(
    bot: ArticleBot, standin: DiscordStandIn, core: ArticleQA
) -> None:
    expected = {q: answer_pages(core.ask(q)) for q in CONCURRENT_QUESTIONS}
    expected_ask = {q: answer_pages(core.ask(q), question_heading(q))[0] for q in CONCURRENT_QUESTIONS}
    assert all(len(pages) == 1 for pages in expected.values())
    assert len({pages[0] for pages in expected.values()}) == len(CONCURRENT_QUESTIONS)  # all different
    answered_before = core.questions_answered
    users = [ALICE_ID, MANNY_ID, OLIVIA_ID]
    mentions: list[tuple[str, dict[str, Any]]] = []
    slashes = []
    for i in range(100):  # 100 mentions and 100 /ask, interleaved, nobody waiting for an answer
        question = CONCURRENT_QUESTIONS[i % len(CONCURRENT_QUESTIONS)]
        mentions.append((question, await standin.say(users[i % 3], mention(question))))
        slashes.append((question, await standin.slash(users[(i + 1) % 3], "ask", {"question": question})))

    await standin.wait_for(
        lambda: all(s.done for _, s in slashes) and len(standin.bot_messages()) >= len(mentions), timeout=120
    )
    await asyncio.sleep(0.2)  # room for a duplicate to show up

    replies: dict[str, list[dict[str, Any]]] = {}
    for m in standin.bot_messages():
        replies.setdefault((m.get("message_reference") or {}).get("message_id", ""), []).append(m)
    assert len(standin.bot_messages()) == len(mentions)
    for question, message in mentions:
        (reply,) = replies[message["id"]]  # exactly one reply each
        assert reply["content"] == expected[question][0]  # the answer to this question, not another's
    for question, sent in slashes:
        assert len(sent.callbacks) == 1 and sent.callbacks[0]["type"] == 5
        assert sent.original_edits == 1 and sent.followups == []
        assert sent.text == expected_ask[question]
        assert sent.acknowledged_at is not None
        assert sent.acknowledged_at - sent.dispatched_at < 3.0  # Discord's deadline for the first response
    assert core.questions_answered == answered_before + 200


class QuickBot(ArticleBot):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """No 5-second wait before a second IDENTIFY (Discord's rate limit; the stand-in has none)."""


@pytest.mark.parametrize(
    ("drop", "resumes"),
    [
        ({"code": 4000}, True),  # closed by the server with "unknown error": resumable
        ({"code": None}, True),  # the TCP connection cut with no close frame
        ({"code": 4009, "forget_session": True}, False),  # session timed out: RESUME refused, IDENTIFY again
    ],
)
async def test_gateway_drop_then_the_bot_keeps_answering(
    core: ArticleQA, bot_settings: Settings, standin: DiscordStandIn, drop: dict[str, Any], resumes: bool
) -> None:
    bot = QuickBot(core, bot_settings, guild_ready_timeout=0.01)
    async with running(core, bot_settings, standin, bot=bot):
        await standin.drop_connection(**drop, stay_down=True)
        try:
            during = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))  # asked while the bot is away
            await asyncio.sleep(0.2)
            assert standin.replies_to(int(during["id"])) == []
        finally:
            standin.bring_up()
        await standin.wait_connected()
        after = await standin.say(MANNY_ID, mention("Where was the video of the spacewalk posted?"))
        after_pages = await answer_to(standin, after)
        slash = await standin.answered(await standin.slash(ALICE_ID, "ask", {"question": ROCKET_QUESTION}))
        if resumes:
            during_pages = await answer_to(standin, during)  # replayed by the RESUME, answered once
        await asyncio.sleep(0.1)

    assert "Weibo" in after_pages[0]["content"]
    assert ROCKET_SENTENCE in slash.text
    if resumes:
        assert standin.resumes == 1 and len(standin.identifies) == 1
        assert standin.replayed >= 1
        assert len(during_pages) == 1 and "Long March-2F" in during_pages[0]["content"]
    else:
        assert standin.invalid_sessions == 1 and len(standin.identifies) == 2
        assert standin.replies_to(int(during["id"])) == []  # a new session does not get old events
    assert len(standin.bot_messages()) == (2 if resumes else 1)  # nothing answered twice


MESSAGES_ROUTE = rf"/channels/{CHANNEL_ID}/messages"


class FastRetries:
    """discord.http's asyncio, with its back-off sleeps shortened (the test's harness: 25 s → 0.05 s)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    @staticmethod
    async def sleep(delay: float, result: Any = None) -> Any:
        return await asyncio.sleep(min(delay, 0.01), result)


@pytest.mark.parametrize(
    ("status", "times", "after_work"),
    [
        (429, 2, False),  # rate limited twice, then through
        (500, 1, False),  # a server error, retried after 1 s
        (502, 1, True),  # the message was created but the response was lost: the retry must not post twice
    ],
)
async def test_a_send_that_fails_then_succeeds_is_delivered_once(
    bot: ArticleBot, standin: DiscordStandIn, status: int, times: int, after_work: bool
) -> None:
    standin.fail("POST", MESSAGES_ROUTE, status, times=times, retry_after=0.05, after_work=after_work)
    message = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
    pages = await answer_to(standin, message)

    def posts() -> list[Recorded]:
        return [r for r in standin.requests if r.method == "POST" and r.path == MESSAGES_ROUTE]

    await standin.wait_for(lambda: len(posts()) == times + 1)  # retried until it went through
    await asyncio.sleep(0.1)
    assert len(posts()) == times + 1
    assert standin.fault_responses == [("POST", MESSAGES_ROUTE, status)] * times
    assert len({r.body["nonce"] for r in posts()}) == 1  # the same nonce each time
    assert len(pages) == 1 and pages[0]["content"].startswith(ROCKET_SENTENCE)
    assert len(standin.bot_messages()) == 1


@pytest.mark.parametrize(
    ("status", "times"),
    [
        (429, 5),  # still rate limited after discord.py's five tries
        (500, 5),  # five server errors in a row
        (503, 1),  # not retried by discord.py
    ],
)
async def test_a_send_that_keeps_failing_tells_the_user(
    bot: ArticleBot,
    standin: DiscordStandIn,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    status: int,
    times: int,
) -> None:
    monkeypatch.setattr(discord.http, "asyncio", FastRetries())
    standin.fail("POST", MESSAGES_ROUTE, status, times=times, retry_after=0.02)
    with caplog.at_level(logging.WARNING, logger="bot.discord"):
        message = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
        reply = await short_reply_to(standin, message)
    assert reply["content"] == (
        f"Discord did not accept my reply (HTTP {status}); please try again in a moment."
    )
    assert len(standin.bot_messages()) == 1
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name == "bot.discord.errors"
    ]
    assert len(warnings) == 1 and f"Discord answered HTTP {status}" in warnings[0]


async def test_a_send_that_never_succeeds_is_logged_not_dropped(
    bot: ArticleBot, standin: DiscordStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    standin.fail("POST", MESSAGES_ROUTE, 503, times=100)
    with caplog.at_level(logging.WARNING, logger="bot.discord"):
        await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
        await standin.wait_for(lambda: len(standin.fault_responses) == 2)  # the answer, then the error
        await asyncio.sleep(0.1)
    assert standin.bot_messages() == []
    levels = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "bot.discord.errors"]
    assert levels[0][0] == logging.WARNING and "Discord answered HTTP 503" in levels[0][1]
    assert levels[1][0] == logging.ERROR and levels[1][1].startswith(
        "could not reply about an error in on_message"
    )


async def test_ask_edit_rate_limited_then_delivered(bot: ArticleBot, standin: DiscordStandIn) -> None:
    route = rf"/webhooks/{BOT_ID}/[\w-]+/messages/@original"
    standin.fail("PATCH", route, 429, times=2, retry_after=0.05)
    sent = await standin.answered(await standin.slash(ALICE_ID, "ask", {"question": ROCKET_QUESTION}))
    assert [f[2] for f in standin.fault_responses] == [429, 429]
    assert sent.original_edits == 1 and sent.text.startswith(f"**Q:** {ROCKET_QUESTION}\n{ROCKET_SENTENCE}")


def _disk_full(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


async def test_reindex_on_a_full_disk_answers_an_ephemeral_error(
    corpus: Path,
    bot: ArticleBot,
    standin: DiscordStandIn,
    core: ArticleQA,
    bot_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old_version = core.snapshot.path
    write_article(corpus, "harbour.txt", "Harbour reopens\n\nThe harbour reopened on Monday.\n")
    with monkeypatch.context() as patch:
        patch.setattr(np, "save", _disk_full)  # the test's harness: the disk fills up mid-write
        sent = await standin.answered(await standin.slash(OLIVIA_ID, "reindex"))
    assert sent.callbacks[0] == {"type": 5, "data": {"flags": 64}}  # ephemeral from the start
    assert sent.original is not None and sent.original["flags"] & 64
    assert sent.text.startswith("The reindex failed: no space left on the disk; the previous index in ")
    assert sent.text.endswith("is still in use.") and "\n" not in sent.text
    assert core.snapshot.path == old_version and core.snapshot.article("harbour") is None
    assert not list(bot_settings.index_dir.glob(".tmp-*"))
    message = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))  # still answering from the old index
    assert "Long March-2F" in (await answer_to(standin, message))[0]["content"]
    again = await standin.answered(await standin.slash(OLIVIA_ID, "reindex"))  # space again
    assert "1 added (`harbour`)" in again.text


# ---- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("", "The question is empty."),
        ("\u200b\u200d\ufeff", "The question is empty."),
        ("\U0001f680\U0001f30c\u2728", "The question has no words in it."),
        ("x" * 10_000, "The question is 10,000 characters; the limit is 1,000."),
    ],
)
async def test_bad_questions_by_slash_and_mention(
    bot: ArticleBot, standin: DiscordStandIn, question: str, expected: str
) -> None:
    sent = await standin.answered(await standin.slash(ALICE_ID, "ask", {"question": question}))
    assert sent.response_type == 4 and sent.ephemeral
    assert sent.callbacks[0]["data"]["content"] == expected
    if question and len(question) <= 2000:  # what a Discord message can hold
        message = await standin.say(ALICE_ID, mention(question))
        reply = await short_reply_to(standin, message)
        assert reply["content"] == expected and reply["components"] == []


def unescaped(text: str, token: str) -> int:
    """How many times `token` occurs in `text` not escaped by a backslash."""
    return len(re.findall(rf"(?<!\\){re.escape(token)}", text))


async def test_markdown_and_mention_injection_neither_pings_nor_breaks_formatting(
    bot: ArticleBot, standin: DiscordStandIn
) -> None:
    injected = (
        "@everyone @here <@930000000000000002> <@&920000000000000001> **Which** rocket ```py\nlaunched\n```"
    )
    question = f"{injected} the Shenzhou-13 spaceship? ||spoiler|| [link](https://evil.example) # heading"
    message = await standin.say(ALICE_ID, mention(question))
    reply = (await answer_to(standin, message))[0]
    sent = await standin.answered(await standin.slash(ALICE_ID, "ask", {"question": question}))

    assert "Long March-2F" in reply["content"] and ROCKET_SENTENCE in sent.text
    for content in (reply["content"], sent.text):
        assert unescaped(content, "```") == 0 and unescaped(content, "||") == 0
        assert unescaped(content, "**") % 2 == 0  # bold markers pair up: nothing left open
        assert "](https://evil.example)" not in content or "\\[link]" in content
    heading = sent.text.splitlines()[0]
    assert heading.startswith("**Q:** @everyone @here <@930000000000000002>")
    assert "\\*\\*Which\\*\\*" in heading and "\\`\\`\\`py" in heading
    assert sent.original is not None
    for m in (reply, sent.original):  # Discord notifies nobody (the fixture checks every message too)
        assert m["mention_everyone"] is False and m["mentions"] == [] and m["mention_roles"] == []


# ---- the token ------------------------------------------------------------------------

FAKE_TOKEN = "MTIz.secret-token-value"

# `python -m bot run -v` with the fake embedder in place of the model (the test's harness).
_RUN_WITH_FAKE_MODEL = """
import sys
from bot import cli
from tests.fakes import FakeEmbedder

cli.SentenceTransformerEmbedder = lambda model: FakeEmbedder()
sys.exit(cli.main(sys.argv[1:]))
"""


async def _collect(process: Any, *, stop: bool) -> tuple[str, str]:
    """The process's stdout and stderr once it has ended: SIGTERM first if `stop`, killed after 60 s."""
    if stop and process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
    return stdout.decode(), stderr.decode()


async def _start_bot_process(standin: DiscordStandIn, corpus: Path, tmp_path: Path, token: str) -> Any:
    env = {
        **os.environ,
        "DISCORD_TOKEN": token,
        "DISCORD_API_BASE": standin.api_base,
        "DISCORD_GATEWAY_URL": standin.gateway_url,
        "CORPUS_DIR": str(corpus),
        "INDEX_DIR": str(tmp_path / "index"),
        "FEEDBACK_LOG": str(tmp_path / "feedback.jsonl"),
        "OPERATOR_ROLE_IDS": str(OPERATOR_ROLE_ID),
        "COOLDOWN_SECONDS": "0",
        "PYTHONPATH": str(ROOT),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", _RUN_WITH_FAKE_MODEL, "run", "-v", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_the_token_never_appears_in_logs_errors_or_status(corpus: Path, tmp_path: Path) -> None:
    standin = DiscordStandIn(token=FAKE_TOKEN)
    await standin.start()
    process = await _start_bot_process(standin, corpus, tmp_path, FAKE_TOKEN)
    try:
        await standin.wait_connected(timeout=60)
        answered = await answer_to(standin, await standin.say(ALICE_ID, mention(ROCKET_QUESTION)))
        status = await standin.answered(await standin.slash(OLIVIA_ID, "status"))
        refused = await standin.answered(await standin.slash(ALICE_ID, "ask", {"question": "?!"}))
        standin.fail("POST", MESSAGES_ROUTE, 503)  # an error, with Discord's answer in the log
        failed = await short_reply_to(standin, await standin.say(ALICE_ID, mention(ROCKET_QUESTION)))
        await standin.drop_connection(code=4000)  # a reconnect, logged by discord.py
        await standin.wait_connected()
    finally:
        try:
            logs = "".join(await _collect(process, stop=True))
        finally:
            await standin.close()
    assert process.returncode == 0, logs
    # The run was logged in detail (-v) along every path …
    assert "has connected to Gateway" in logs and "RESUMED" in logs and "stopped" in logs
    assert "refused: The question has no words in it." in logs
    assert "Discord answered HTTP 503" in logs
    assert "Long March-2F" in answered[0]["content"] and "HTTP 503" in failed["content"]
    fields = {f["name"]: f["value"] for f in status.callbacks[0]["data"]["embeds"][0]["fields"]}
    assert fields["Model"].startswith("bundled:") and refused.ephemeral
    # … and the token is nowhere: not in the logs, not in anything sent, only in the auth header.
    assert FAKE_TOKEN not in logs and "secret-token" not in logs
    assert standin.requests and standin.identifies[0]["token_ok"]
    for request in standin.requests:
        sent = json.dumps(request.body) + request.path + json.dumps(request.query)
        assert "secret-token" not in sent
        if not request.path.startswith(("/webhooks/", "/interactions/")):
            assert request.authorization == f"Bot {FAKE_TOKEN}"


async def test_a_refused_token_is_one_line_without_the_token(corpus: Path, tmp_path: Path) -> None:
    standin = DiscordStandIn(token=FAKE_TOKEN)
    await standin.start()
    wrong = "MTIz.wrong-secret-value"
    process = await _start_bot_process(standin, corpus, tmp_path, wrong)
    try:
        stdout, stderr = await _collect(process, stop=False)
    finally:
        await standin.close()
    output = stdout + stderr
    assert process.returncode == 1, output
    assert stderr.splitlines()[-1] == (
        "error: Discord refused DISCORD_TOKEN (401 Unauthorized); check the token"
    )
    assert "Traceback" not in output
    assert wrong not in output and "wrong-secret" not in output


async def test_article_add_of_a_changed_file_asks_for_replace(
    bot: ArticleBot, standin: DiscordStandIn, corpus: Path
) -> None:
    name = "china-first-woman-spacewalk.txt"
    changed = (corpus / name).read_bytes().replace(b"Nov. 7", b"Nov. 8")
    attachment = standin.add_attachment(name, changed)
    refused = await standin.answered(
        await standin.slash(OLIVIA_ID, "article", {"file": attachment}, subcommand="add")
    )
    assert "already in the corpus with other text" in refused.text and "replace" in refused.text
    assert b"Nov. 7" in (corpus / name).read_bytes()
    attachment = standin.add_attachment(name, changed)
    sent = await standin.answered(
        await standin.slash(OLIVIA_ID, "article", {"file": attachment, "replace": True}, subcommand="add")
    )
    assert sent.text.startswith(f"Added `{name}`.") and "1 changed" in sent.text
    assert (corpus / name).read_bytes() == changed and b"Nov. 7" in (corpus / ".removed" / name).read_bytes()
