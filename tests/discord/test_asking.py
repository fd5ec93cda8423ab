"""Asking: mentions, replies and /ask, answered with cited pages (bot/discord/asking.py)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from bot.discord import ArticleBot
from bot.discord.feedback import VOTE_DOWN, VOTE_UP
from bot.discord.render import answer_pages, question_heading
from bot.engine import ArticleQA
from tests.discord.harness import (
    NO_MENTIONS,
    ROCKET_QUESTION,
    ROCKET_SENTENCE,
    SEED_TITLE,
    answer_to,
    mention,
    pings_nobody,
    short_reply_to,
    write_article,
)
from tests.standin import (
    ALICE_ID,
    BOT_ID,
    BOT_ROLE_ID,
    CHANNEL_ID,
    MANNY_ID,
    OLIVIA_ID,
    OPERATOR_ROLE_ID,
    THREAD_ID,
    DiscordStandIn,
)


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
