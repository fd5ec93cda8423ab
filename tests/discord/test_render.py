"""Messages and embeds built for Discord stay within its limits, splitting or trimming on purpose.

Unit tests of bot/discord/render.py, then the same limits through the running bot.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.discord.render import (
    CONTENT_LIMIT,
    EMBED_TOTAL_LIMIT,
    Field,
    answer_pages,
    build_embed,
    clip,
    paginate,
    safe_url,
    search_embed,
)
from bot.engine import ArticleQA
from bot.models import Answer, Citation
from bot.settings import Settings
from tests.discord.harness import answer_to, mention, running, write_article
from tests.fakes import FakeEmbedder
from tests.standin import ALICE_ID, DiscordStandIn


def citation(n: int, text: str, url: str = "") -> Citation:
    return Citation(n, "story", "A *story*", 3, 0, len(text), text, url, 0.5)


def test_clip_cuts_at_a_word_and_marks_it() -> None:
    assert clip("short", 10) == "short"
    assert clip("one two three four", 12) == "one two…"
    assert clip("x" * 50, 10) == "x" * 9 + "…"
    assert clip("ends with a \\*", 14) == "ends with a \\*"
    assert not clip("ab \\" + "c" * 20, 5).endswith("\\…")


def test_paginate_keeps_blocks_whole_and_splits_long_ones() -> None:
    blocks = ["a" * 1500, "b" * 1500, " ".join(["word"] * 1000)]
    pages = paginate(blocks)
    assert all(len(p) <= CONTENT_LIMIT for p in pages)
    assert pages[0] == "a" * 1500 and pages[1] == "b" * 1500
    assert " ".join(pages[2:]).split() == ["word"] * 1000


def test_paginate_trims_past_the_page_limit() -> None:
    pages = paginate(["w " * 5000], max_pages=2)
    assert len(pages) == 2
    assert pages[-1].endswith("(trimmed to fit Discord)")
    assert all(len(p) <= CONTENT_LIMIT for p in pages)


def test_answer_pages_escape_markdown_and_wrap_urls() -> None:
    answer = Answer(
        "q", "It *rained* in **May** [1]", False, 0.9, (citation(1, "It *rained*.", "https://x.test/a"),)
    )
    (page,) = answer_pages(answer)
    assert page.startswith("It \\*rained\\* in \\*\\*May\\*\\* [1]\n\n**Sources**\n")
    assert "**[1]** A \\*story\\*, paragraph 3\n> \u201cIt \\*rained\\*.\u201d\n<https://x.test/a>" in page


@pytest.mark.parametrize("url", ["javascript:alert(1)", "https://x.test/a b", "https://x.test/>"])
def test_unsafe_urls_are_left_out(url: str) -> None:
    assert safe_url(url) == ""


def test_abstained_answer_lists_related_reading() -> None:
    answer = Answer("q", "The article does not say.", True, 0.1, (), (citation(1, "Nearby text."),))
    (page,) = answer_pages(answer)
    assert page.startswith("**The article does not say.**\n\n**Related reading**")
    assert "Sources" not in page


def test_build_embed_drops_fields_that_do_not_fit_and_says_so() -> None:
    fields = [Field(f"name {i}" * 40, "v" * 2000) for i in range(30)]
    embed = build_embed("t" * 300, "d" * 5000, fields)
    assert len(embed.title or "") == 256 and len(embed.description or "") == 4096
    assert len(embed) <= EMBED_TOTAL_LIMIT
    assert all(len(f.value or "") <= 1024 and len(f.name or "") <= 256 for f in embed.fields)
    assert (embed.footer.text or "").endswith("more not shown (Discord's size limit).")


def test_search_embed_with_many_long_passages_fits() -> None:
    results = [citation(n, "passage words " * 200) for n in range(1, 9)]
    embed = search_embed("query " * 100, results)
    assert len(embed) <= EMBED_TOTAL_LIMIT
    assert 1 <= len(embed.fields) < 8
    assert embed.fields[0].name == "[1] A \\*story\\*, paragraph 3 \u00b7 score 0.50"


# ---- through the bot --------------------------------------------------------------

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
    settings = bot_settings.with_overrides(abstain_threshold=0.0)
    core = ArticleQA(settings.core, fake_embedder)
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
