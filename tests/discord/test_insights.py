"""/insights: what the server asked and was not answered, for operators (bot/discord/insights.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from bot.db.questions import AskedQuestion, Vote
from bot.discord import ArticleBot
from bot.discord.insights import packed
from bot.models import Answer, Citation
from tests.standin import ALICE_ID, GUILD_ID, OLIVIA_ID, DiscordStandIn

OTHER_GUILD = 555000000000000001
ROVER = Citation(1, "rover", "Rover", 3, 0, 31, "The rover landed near the pole.")


def asked(
    question: str,
    abstained: bool,
    *,
    guild: int = GUILD_ID,
    minutes_ago: float = 60,
    answer: str = "The harbour reopened on Monday. [1]",
    article: str = "harbour",
) -> AskedQuestion:
    when = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    if abstained:
        reply = Answer(question, "I can't find that in the articles.", True, 0.1, related=(ROVER,))
    else:
        cited = Citation(1, article, article.title(), 2, 0, 20, "The harbour reopened.")
        reply = Answer(question, answer, False, 0.8, citations=(cited,))
    return AskedQuestion(
        question, reply, 120.0, guild_id=guild, channel_id=1, user_id=ALICE_ID, asked_at=when
    )


def embeds_of(message: dict[str, Any] | None) -> list[dict[str, Any]]:
    assert message is not None
    return list(message.get("embeds") or [])


def embed_size(embed: dict[str, Any]) -> int:
    fields = embed.get("fields") or []
    return (
        len(embed.get("title") or "")
        + len(embed.get("description") or "")
        + len((embed.get("footer") or {}).get("text") or "")
        + sum(len(f["name"]) + len(f["value"]) for f in fields)
    )


async def test_insights_shows_an_operator_what_this_server_did_not_get_answered(
    bot: ArticleBot, standin: DiscordStandIn
) -> None:
    log = bot.questions
    for question in [
        "what did the rover find on mars",
        "What did the rover find on Mars?",
        "what did the mars rover find",
    ]:
        log.record(asked(question, True))
    log.record(asked("when did the harbour reopen", False), [4242])
    log.record(asked("when did the harbour reopen?", False))
    log.record(asked("a secret of the other server", True, guild=OTHER_GUILD))
    log.record(asked("an old question", True, minutes_ago=60 * 24 * 10))
    log.record_vote(Vote("down", user_id=ALICE_ID, message_id=4242, guild_id=GUILD_ID))
    log.record_vote(Vote("down", user_id=ALICE_ID, message_id=1, guild_id=OTHER_GUILD, question="other"))

    sent = await standin.answered(await standin.slash(OLIVIA_ID, "insights"), followups=2)

    assert sent.callbacks[0] == {"type": 5, "data": {"flags": 64}}  # deferred, ephemeral
    assert all(m["flags"] & 64 for m in sent.followups)
    unanswered, disliked, usage = [embeds_of(m)[0] for m in sent.messages]
    assert unanswered["title"] == "Not answered, grouped by meaning"
    assert "this server's questions: **5** asked, **3** not answered (60.0%)" in unanswered["description"]
    [group] = unanswered["fields"]
    assert group["name"] == "1. 3 questions"
    assert group["value"].startswith(
        "\u2022 what did the rover find on mars\n\u2022 what did the mars rover find\n"
    )
    assert group["value"].endswith("Closest: `rover` \u00b63 > The rover landed near the pole.")

    assert disliked["title"] == "Answers voted \U0001f44e (1)"
    [vote] = disliked["fields"]
    assert vote["name"].endswith("\u00b7 when did the harbour reopen")
    assert vote["value"] == "The harbour reopened on Monday. [1]"

    fields = {f["name"]: f["value"] for f in usage["fields"]}
    assert fields["Most asked (twice or more)"].splitlines() == [
        "**2\u00d7** what did the rover find on mars (2 not answered)",
        "**2\u00d7** when did the harbour reopen",
    ]
    assert fields["Answers citing each article"] == "**2** `harbour`"
    assert fields["Not answered, by day (UTC)"].endswith(": 3 of 5 (60%)")
    everything = str(sent.messages)
    assert "secret of the other server" not in everything and "old question" not in everything


async def test_insights_over_a_period(bot: ArticleBot, standin: DiscordStandIn) -> None:
    bot.questions.record(asked("what did the rover find", True, minutes_ago=90))
    bot.questions.record(asked("when did the harbour reopen", False, minutes_ago=10))
    sent = await standin.answered(await standin.slash(OLIVIA_ID, "insights", {"since": "30m"}), followups=2)
    unanswered = embeds_of(sent.original)[0]
    assert "**1** asked, **0** not answered (0.0%)" in unanswered["description"]
    assert unanswered["description"].endswith("Every question was answered.")
    assert not unanswered.get("fields")


async def test_insights_is_refused_to_members(bot: ArticleBot, standin: DiscordStandIn) -> None:
    bot.questions.record(asked("a question members must not see", True))
    sent = await standin.answered(await standin.slash(ALICE_ID, "insights"))
    assert sent.response_type == 4 and sent.ephemeral
    assert sent.callbacks[0]["data"]["content"].startswith("Only operators can use this command")
    assert "question members must not see" not in str(sent.callbacks) and not sent.followups


async def test_insights_says_what_a_period_looks_like(bot: ArticleBot, standin: DiscordStandIn) -> None:
    sent = await standin.answered(await standin.slash(OLIVIA_ID, "insights", {"since": "soon"}))
    assert sent.response_type == 4 and sent.ephemeral
    assert sent.callbacks[0]["data"]["content"] == (
        "Since: 'soon' is not a period: give a whole number and a unit, e.g. 30m, 24h, 7d or 2w."
    )


async def test_a_large_log_fits_discords_limits(bot: ArticleBot, standin: DiscordStandIn) -> None:
    """Hundreds of long questions, many groups, long 👎 answers and article names: every
    embed within Discord's limits (the stand-in also refuses any that is not)."""
    log = bot.questions
    words = [
        "tide",
        "moon",
        "storm",
        "harbour",
        "vote",
        "budget",
        "rocket",
        "rover",
        "wheat",
        "league",
        "bridge",
        "cable",
    ]
    for i in range(240):
        topic = f"{words[(i // 2) % 12]} {words[(i // 24) % 12]}"
        question = f"question {i}: " + f"{topic} " * (20 + i % 40) + "*_`@everyone"
        log.record(
            asked(question, i % 2 == 0, minutes_ago=i * 17 + 1, article=f"article-{i % 40}-" + "x" * 180)
        )
    for i in range(30):
        log.record(asked(f"disliked {i} " + "why " * 100, False, answer="long " * 600), [7000 + i])
        log.record_vote(Vote("down", user_id=ALICE_ID, message_id=7000 + i, guild_id=GUILD_ID))

    sent = await standin.answered(await standin.slash(OLIVIA_ID, "insights", {"since": "2w"}), followups=2)

    embeds = [embed for message in sent.messages for embed in embeds_of(message)]
    assert len(embeds) == 3
    for embed in embeds:
        assert embed_size(embed) <= 6000 and len(embed.get("fields") or []) <= 25
        assert all(len(f["value"]) <= 1024 and len(f["name"]) <= 256 for f in embed.get("fields") or [])
        assert len(embed.get("description") or "") <= 4096
    unanswered, disliked, usage = embeds
    assert "**270** asked, **120** not answered (44.4%)" in unanswered["description"]
    assert len(unanswered["fields"]) == 8  # the largest groups
    assert unanswered["footer"]["text"].endswith("smaller groups not shown")
    assert disliked["title"] == "Answers voted \U0001f44e (30)" and len(disliked["fields"]) == 10
    assert disliked["footer"]["text"] == "the newest 10 of 30"
    articles = {f["name"]: f["value"] for f in usage["fields"]}["Answers citing each article"]
    assert articles.endswith(" more") and articles.count("\n") >= 3
    assert standin.violations == []


def test_packed_keeps_whole_lines_and_counts_the_rest() -> None:
    assert packed([]) == "none"
    assert packed(["a", "b"]) == "a\nb"
    lines = [f"line {i:02d} " + "x" * 90 for i in range(30)]  # 98 characters each
    text = packed(lines)
    assert len(text) <= 1024
    kept = text.splitlines()
    assert kept[:-1] == lines[: len(kept) - 1]
    assert kept[-1] == f"\u2026 and {30 - (len(kept) - 1)} more"
    assert packed(["y" * 1000, "z" * 30], limit=1024) == "y" * 1000 + "\n\u2026 and 1 more"
