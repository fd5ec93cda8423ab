"""The Discord client: built in `main` around the core and the settings, nothing global.

`serve()` runs the bot until it is stopped (Ctrl-C or SIGTERM);
`sync_commands()` registers the slash commands with Discord and returns;
`create_bot()` builds the client, a plain one or, when SHARD_COUNT is set,
an auto-sharded one serving SHARD_IDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import discord
import numpy as np
from discord import app_commands
from discord.ext import commands

from bot.db import Database, open_database
from bot.db.questions import AskedQuestion, QuestionLog
from bot.discord.access import Cooldowns
from bot.discord.asking import AskingCog
from bot.discord.conversations import Conversations
from bot.discord.endpoints import ApiEndpoints
from bot.discord.errors import NO_MENTIONS, answer_interaction_error, answer_message_error
from bot.discord.feedback import AnswerMemory, FeedbackView
from bot.discord.feeds import FeedsCog, FeedWatcher
from bot.discord.insights import InsightsCog
from bot.discord.operators import OperatorsCog
from bot.discord.quickfacts import QuickFactsCog
from bot.engine import ArticleQA
from bot.errors import IndexUnusableError, StartError, StorageError
from bot.pins import PinStore
from bot.settings import Settings

log = logging.getLogger(__name__)

INDEX_POLL_SECONDS = 30.0  # how often the bot looks for an index version written by another process
EXPIRY_SECONDS = 3600.0  # how often logged questions older than LOG_RETENTION_DAYS are deleted


class ArticleCommandTree(app_commands.CommandTree):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await answer_interaction_error(interaction, error)


class ArticleBot(commands.Bot):
    """Answers questions about the indexed articles, in channels, threads and slash commands."""

    def __init__(
        self,
        core: ArticleQA,
        settings: Settings,
        *,
        db: Database | None = None,
        message_content: bool = True,
        index_poll_seconds: float = INDEX_POLL_SECONDS,
        **options: Any,
    ) -> None:
        intents = discord.Intents.default()
        intents.message_content = message_content
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents,
            allowed_mentions=NO_MENTIONS,
            tree_cls=ArticleCommandTree,
            **options,
        )
        self.core = core
        self.settings = settings
        self.endpoints = ApiEndpoints.from_settings(settings)
        self._endpoints_in_use = contextlib.ExitStack()  # from login to close
        self.cooldowns = Cooldowns(settings.cooldown_seconds)
        self.answers = AnswerMemory()
        self.conversations = Conversations()
        self.db = db if db is not None else open_database(settings)
        self.questions = QuestionLog(self.db)
        self.pins = PinStore(self.db)
        self.feedback_view = FeedbackView(self.questions, self.answers)
        self.index_poll_seconds = index_poll_seconds
        self._index_watch: asyncio.Task[None] | None = None
        self._upkeep: asyncio.Task[None] | None = None
        self.feed_watcher = FeedWatcher(self)
        self._feed_poll: asyncio.Task[None] | None = None

    @property
    def shared_index(self) -> bool:
        """Whether other processes (serving other shards) use the same index."""
        return self.settings.shard_count is not None and self.settings.shard_count > 1

    async def login(self, token: str) -> None:
        self._endpoints_in_use.enter_context(self.endpoints.in_use())
        await super().login(token)

    async def setup_hook(self) -> None:
        await self.add_cog(AskingCog(self))
        await self.add_cog(QuickFactsCog(self))
        await self.add_cog(OperatorsCog(self))
        await self.add_cog(InsightsCog(self))
        await self.add_cog(FeedsCog(self))
        self.add_view(self.feedback_view)  # persistent: votes work on answers sent before a restart
        try:
            await asyncio.to_thread(self.questions.import_feedback, self.settings.feedback_log)
        except StorageError as exc:
            log.warning("the old feedback log was not imported: %s", exc)

    async def on_ready(self) -> None:
        if self._index_watch is None:  # on_ready comes again after a reconnect
            self._index_watch = asyncio.create_task(self._watch_index())
            self._upkeep = asyncio.create_task(self._expire_log())
            self._feed_poll = asyncio.create_task(self.feed_watcher.run())
        user = self.user
        log.info(
            "connected as %s (id %s) to %d server(s); shards %s; Message Content intent %s",
            user,
            user.id if user else "?",
            len(self.guilds),
            self.settings.shard_ids or "all",
            "on" if self.intents.message_content else "off",
        )

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: mentions and replies are questions (see AskingCog)."""

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """Errors raised by event handlers (the mention handler); slash commands use the tree's."""
        error = sys.exc_info()[1]
        if error is None:
            log.error("%s failed without an exception", event_method)
            return
        message = next((a for a in args if isinstance(a, discord.Message)), None)
        await answer_message_error(message, error, event_method)

    async def close(self) -> None:
        for task in (self._index_watch, self._upkeep, self._feed_poll):
            if task is not None:
                task.cancel()
        try:
            await super().close()
        finally:
            self._endpoints_in_use.close()

    async def _watch_index(self) -> None:
        """Load a newer index version written by another process.

        That is a `python -m bot reindex` or `add` beside the bot, or a /reindex in
        the process serving other shards; a /reindex here swaps at once.
        """
        core = self.core
        while True:
            await asyncio.sleep(self.index_poll_seconds)
            try:
                current = await asyncio.to_thread(core.store.current_version)
                if current is not None and current != self._loaded_version():
                    await asyncio.to_thread(core.open_readonly)
                    log.info("loaded the index version %s written by another process", current.name)
            except Exception:
                log.exception("could not load a newer index; still serving %s", self._loaded_version())

    async def log_question(self, asked: AskedQuestion, message_ids: list[int]) -> int | None:
        """Record a question in the question log (when LOG_QUESTIONS is on); its row id,
        or None when not logged. A database failure is logged and never stops an answer."""
        if not self.settings.log_questions:
            return None
        try:
            return await asyncio.to_thread(self.questions.record, asked, message_ids)
        except StorageError:
            log.exception("could not log a question")
            return None

    async def _expire_log(self) -> None:
        """Delete logged questions and votes older than LOG_RETENTION_DAYS, now and hourly."""
        while True:
            try:
                await asyncio.to_thread(self.questions.expire, self.settings.log_retention_days)
            except StorageError:
                log.exception("could not expire old logged questions")
            await asyncio.sleep(EXPIRY_SECONDS)

    def _loaded_version(self) -> Path | None:
        try:
            return self.core.snapshot.path
        except IndexUnusableError:
            return None


class ShardedArticleBot(ArticleBot, commands.AutoShardedBot):
    """The same bot with several gateway shards (SHARD_COUNT, and SHARD_IDS for this process)."""


def create_bot(
    core: ArticleQA,
    settings: Settings,
    *,
    db: Database | None = None,
    message_content: bool = True,
    **options: Any,
) -> ArticleBot:
    """The bot for these settings; `db`: the operators' database (None: opened from
    DATABASE_URL); `options` go to discord.py (e.g. guild_ready_timeout)."""
    if settings.shard_count is not None:
        return ShardedArticleBot(
            core,
            settings,
            db=db,
            message_content=message_content,
            shard_count=settings.shard_count,
            shard_ids=list(settings.shard_ids) or None,
            **options,
        )
    return ArticleBot(core, settings, db=db, message_content=message_content, **options)


async def run_bot(core: ArticleQA, settings: Settings, db: Database | None = None, **options: Any) -> None:
    """Run until closed or cancelled.

    The Message Content intent is requested; when Discord refuses it (close code
    4014) the bot reconnects without it and keeps serving slash commands and
    mentions.
    """
    message_content = True
    db = db if db is not None else await asyncio.to_thread(open_database, settings)
    while True:
        bot = create_bot(core, settings, db=db, message_content=message_content, **options)
        try:
            async with bot:
                await bot.start(settings.reveal_token())
            return
        except discord.PrivilegedIntentsRequired:
            if not message_content:
                raise StartError("Discord refused the connection for a privileged intent") from None
            log.warning(
                "the Message Content intent is not enabled for this application; reconnecting without "
                "it. Mentions are still answered; replies that do not @mention the bot cannot be read. "
                "Enable it under Bot > Privileged Gateway Intents in the Developer Portal."
            )
            message_content = False
        except discord.LoginFailure:
            raise StartError("Discord refused DISCORD_TOKEN (401 Unauthorized); check the token") from None


class TokenRedactor(logging.Filter):
    """Replaces the token in any log record, wherever it came from."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.token:
            return True
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "[token]"), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self.token in record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, "[token]")
        return True


@contextlib.contextmanager
def redacted_logs(token: str) -> Iterator[None]:
    """Keep the token out of everything the root logger's handlers write."""
    redactor = TokenRedactor(token)
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(redactor)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(redactor)


def serve(core: ArticleQA, settings: Settings) -> int:
    """`python -m bot run` with a token: run the bot until Ctrl-C or SIGTERM."""

    async def main() -> None:
        task = asyncio.current_task()
        if task is not None:
            with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
                asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        await run_bot(core, settings)

    with redacted_logs(settings.reveal_token()):
        try:
            asyncio.run(main())
        except (KeyboardInterrupt, asyncio.CancelledError):
            log.info("stopped")
    return 0


class _NoModel:
    """The embedder of a core that only lends its command tree (sync): it never embeds."""

    name = "none"
    dimension = 0

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        raise RuntimeError("syncing commands does not embed")


async def sync_commands(settings: Settings, guild_id: int | None = None) -> list[str]:
    """Register the slash commands with Discord, for one server or globally; the names synced.

    Commands synced to a server appear there at once; a global sync can take up
    to an hour to reach every server.
    """
    core = ArticleQA(settings.core, _NoModel())
    bot = create_bot(core, settings, db=Database("sqlite://"), message_content=False)  # unused
    try:
        async with bot:
            await bot.login(settings.reveal_token())  # runs setup_hook, which builds the tree
            if guild_id is None:
                synced = await bot.tree.sync()
            else:
                guild = discord.Object(id=guild_id)
                bot.tree.copy_global_to(guild=guild)
                synced = await bot.tree.sync(guild=guild)
    except discord.LoginFailure:
        raise StartError("Discord refused DISCORD_TOKEN (401 Unauthorized); check the token") from None
    except discord.HTTPException as exc:
        raise StartError(f"Discord refused the commands: {exc.status} {exc.text}") from None
    return [command.name for command in synced]


def sync(settings: Settings, guild_id: int | None) -> list[str]:
    """`python -m bot sync`: the blocking form of `sync_commands`."""
    with redacted_logs(settings.reveal_token()):
        return asyncio.run(sync_commands(settings, guild_id))
