"""/insights: what this server asked and the bot could not answer (operators).

The report of bot/insights.py over the server's logged questions, as embeds
that each fit Discord's limits, one message each, ephemeral. Like every operator
command, it is checked again when it runs (`interaction_check`): Manage Server,
a role in OPERATOR_ROLE_IDS, or a user in OPERATOR_USER_IDS.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.discord.access import OperatorCommands
from bot.discord.errors import NO_MENTIONS, edit_thinking
from bot.discord.render import (
    EMBED_FIELD_VALUE_LIMIT,
    Field,
    build_embed,
    clip,
    md,
    one_line,
)
from bot.insights import Report, build_report, parse_since

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

# What one embed (6,000 characters in all) holds: 8 groups of three 120-character examples
# and a 200-character passage; 10 votes of a 150-character question and a 300-character answer.
GROUPS_SHOWN = 8
VOTES_SHOWN = 10
DAYS_SHOWN = 14  # the most recent days of the abstention rate
EXAMPLE_CHARS = 120
PASSAGE_CHARS = 200
VOTE_QUESTION_CHARS = 150
VOTE_ANSWER_CHARS = 300


def packed(lines: Sequence[str], limit: int = EMBED_FIELD_VALUE_LIMIT) -> str:
    """Whole lines, one under the other, while they fit in `limit` characters with room
    left to say how many more there are ("… and 3 more"); "none" for no lines."""
    kept: list[str] = []
    size = 0
    for i, line in enumerate(lines):
        left = len(lines) - i - 1
        note = len(f"\n\u2026 and {left} more") if left else 0
        if size + len(line) + 1 + note > limit:
            kept.append(f"\u2026 and {len(lines) - i} more")
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept) or "none"


def insights_embeds(report: Report, server_only: bool = True) -> list[discord.Embed]:
    """The report as three embeds, each within every embed limit (build_embed):
    the unanswered groups; the 👎 answers; most asked, abstention by day, usage by article."""
    span = f"<t:{int(report.since.timestamp())}:f> to <t:{int(report.until.timestamp())}:f>"
    where = "this server's questions" if server_only else "questions"
    summary = (
        f"From {span}, {where}: **{report.questions:,}** asked, **{report.abstained:,}** "
        f"not answered ({report.abstention_rate:.1%})."
    )
    if report.capped:
        summary += (
            f"\nGrouped: the {report.clustered:,} most recent of the {report.abstained:,} not answered."
        )
    groups = []
    for rank, group in enumerate(report.groups[:GROUPS_SHOWN], 1):
        lines = [f"\u2022 {md(clip(one_line(example), EXAMPLE_CHARS))}" for example in group.examples]
        if group.passage is not None:
            p = group.passage
            lines.append(
                f"Closest: `{clip(p.article, 100)}` \u00b6{p.paragraph} "
                f"> {md(clip(one_line(p.text), PASSAGE_CHARS))}"
            )
        else:
            lines.append("No passage came close.")
        size = f"{group.size} question{'s' if group.size != 1 else ''}"
        groups.append(Field(f"{rank}. {size}", "\n".join(lines)))
    hidden = report.group_count - len(groups)
    unanswered = build_embed(
        "Not answered, grouped by meaning",
        summary if report.groups else summary + "\n\nEvery question was answered.",
        groups,
        footer=f"{hidden} smaller groups not shown" if hidden > 0 else "largest groups first",
        colour=discord.Colour.orange(),
    )

    votes = [
        Field(
            f"{vote.voted_at:%Y-%m-%d %H:%M} \u00b7 {md(clip(one_line(vote.question), VOTE_QUESTION_CHARS))}",
            md(clip(one_line(vote.answer), VOTE_ANSWER_CHARS)) or "(no answer text)",
        )
        for vote in report.down_votes[:VOTES_SHOWN]
    ]
    shown = len(votes)
    disliked = build_embed(
        f"Answers voted \U0001f44e ({report.down_vote_count:,})",
        "" if votes else "No answer was voted down.",
        votes,
        footer=f"the newest {shown} of {report.down_vote_count:,}" if report.down_vote_count > shown else "",
        colour=discord.Colour.red(),
    )

    most_asked = [
        f"**{a.count}\u00d7** {md(clip(one_line(a.question), 120))}"
        + (f" ({a.abstained} not answered)" if a.abstained else "")
        for a in report.most_asked
    ]
    days = [
        f"{d.day:%a %d %b}: {d.abstained:,} of {d.asked:,} ({d.rate:.0%})" for d in report.days[-DAYS_SHOWN:]
    ]
    articles = [f"**{u.questions:,}** `{clip(u.article, 100)}`" for u in report.articles]
    usage = build_embed(
        "Questions",
        fields=[
            Field("Most asked (twice or more)", packed(most_asked)),
            Field("Not answered, by day (UTC)", packed(days)),
            Field("Answers citing each article", packed(articles)),
        ],
        colour=discord.Colour.blurple(),
    )
    return [unanswered, disliked, usage]


class InsightsCog(OperatorCommands, name="Insights"):
    @app_commands.command(name="insights", description="What was asked and not answered here (operators)")
    @app_commands.describe(since="the questions of the last 30m, 24h, 7d (the default) or 2w")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def insights(self, interaction: discord.Interaction, since: str = "7d") -> None:
        period = parse_since(since, "since:")
        await interaction.response.defer(thinking=True, ephemeral=True)
        core = self.bot.core
        report = await asyncio.to_thread(
            build_report, self.bot.db, lambda: core.embedder, period, guild_id=interaction.guild_id
        )
        log.info(
            "/insights for guild %s: %d questions, %d groups in %.1f s",
            interaction.guild_id, report.questions, report.group_count, report.timings.get("total", 0.0),
        )  # fmt: skip
        first, *rest = insights_embeds(report)
        await edit_thinking(interaction, embed=first)
        for embed in rest:
            await interaction.followup.send(
                embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS, wait=True
            )
