"""/facts, /summary, /search and /sources (bot/discord/quickfacts.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.discord import ArticleBot
from bot.engine import ArticleQA
from tests.discord.harness import SEED_TITLE, write_article
from tests.standin import ALICE_ID, DiscordStandIn


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
