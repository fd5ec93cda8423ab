"""Quick looks at the articles: /facts, /summary, /search and /sources."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands

from bot.digest import key_facts, lead
from bot.discord.asking import QuestionCommands
from bot.discord.errors import NO_MENTIONS, edit_thinking
from bot.discord.render import facts_pages, search_embed, sources_embed, summary_pages
from bot.discord.replies import article_autocomplete, resolve_article, send_pages
from bot.engine import check_question

SEARCH_RESULTS = 8


class QuickFactsCog(QuestionCommands, name="Quick facts"):
    @app_commands.command(name="facts", description="Key facts of an article: who, when, where, numbers")
    @app_commands.describe(article="the article (default: the newest)")
    @app_commands.autocomplete(article=article_autocomplete)
    async def facts(self, interaction: discord.Interaction, article: str | None = None) -> None:
        record = resolve_article(self.bot.core, article)
        await interaction.response.defer(thinking=True)
        facts = await asyncio.to_thread(key_facts, record)
        name = self.bot.core.snapshot.labels.get(record.id, record.title)
        await send_pages(interaction, facts_pages(record, facts, name), ephemeral=False)

    @app_commands.command(name="summary", description="The lead of an article, quoted and cited")
    @app_commands.describe(article="the article (default: the newest)")
    @app_commands.autocomplete(article=article_autocomplete)
    async def summary(self, interaction: discord.Interaction, article: str | None = None) -> None:
        record = resolve_article(self.bot.core, article)
        await interaction.response.defer(thinking=True)
        answer = await asyncio.to_thread(lead, record)
        name = self.bot.core.snapshot.labels.get(record.id, record.title)
        await send_pages(interaction, summary_pages(record, answer, name), ephemeral=False)

    @app_commands.command(name="search", description="The passages that best match some words, with scores")
    @app_commands.describe(query="words or a question to look for")
    async def search(self, interaction: discord.Interaction, query: str) -> None:
        query = check_question(query, self.bot.settings.max_question_chars)
        await interaction.response.defer(thinking=True)
        results = await asyncio.to_thread(self.bot.core.search, query, SEARCH_RESULTS)
        await edit_thinking(interaction, embed=search_embed(query, results))

    @app_commands.command(
        name="sources", description="The indexed articles with their dates", extras={"cooldown": False}
    )
    async def sources(self, interaction: discord.Interaction) -> None:
        embed = sources_embed(self.bot.core.snapshot.articles, self.bot.core.snapshot.labels)
        await interaction.response.send_message(embed=embed, allowed_mentions=NO_MENTIONS)
