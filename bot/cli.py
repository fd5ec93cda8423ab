"""Command line: `python -m bot COMMAND` (or the `article-bot` script).

A thin adapter over the core: each command is one decorated function; `Runtime`
builds the settings, the model and the core once per invocation. A `UserError`
becomes one line on stderr (`error: …`) and exit 1.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import json
import logging
import os
import signal
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from bot.answering import ConfidenceModel
from bot.answering.reader import Reader
from bot.chunking import ChunkingConfig
from bot.embedding import Embedder, SentenceTransformerEmbedder
from bot.engine import ArticleQA, check_question
from bot.errors import (
    CommandError,
    CorpusError,
    IndexUnusableError,
    QuestionError,
    ReaderError,
    UserError,
    describe_os_error,
)
from bot.formatting import render_answer, terminal_width
from bot.index import IndexSnapshot, IndexStore, ReindexReport
from bot.models import Answer
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.feeds import FeedList
    from bot.pins import Earlier

log = logging.getLogger("bot")

ECHO_CHARS = 300  # the chat's transcript shows at most this much of a question it reads from a pipe
NOISY_LOGGERS = ("sentence_transformers", "httpx", "faiss", "bm25s", "transformers", "alembic")


def load_reader() -> tuple[Reader, ConfidenceModel]:
    """The shipped reader (on the bundled encoder) and the confidence model fitted on it.

    Raises ReaderError (a UserError) when its files cannot be loaded."""
    from bot.answering.reader import TrainedReader
    from bot.embedding import resolve_model
    from bot.settings import BUNDLED_MODEL

    reader = TrainedReader(resolve_model(BUNDLED_MODEL))
    try:
        return reader, ConfidenceModel.from_card(reader.card)
    except (KeyError, TypeError, ValueError) as exc:
        raise ReaderError(f"the reader's card.json has no usable confidence model: {exc!r}") from exc


def load_embedder(model: str) -> Embedder:
    """The sentence-transformers model for a MODEL setting; EmbedderError when it cannot load."""
    return SentenceTransformerEmbedder(model)


@dataclass
class Runtime:
    """What the commands build their resources with (click's `obj`); tests pass fakes here.

    `embedder_factory`: the embedding model for a MODEL setting; `reader_factory`: the
    reader and its confidence model.
    """

    embedder_factory: Callable[[str], Embedder] = load_embedder
    reader_factory: Callable[[], tuple[Reader, ConfidenceModel]] = load_reader

    def settings(self, corpus: Path | None, index: Path | None, model: str | None, verbose: bool) -> Settings:
        """The environment's settings with the command line's folders and model; sets up logging."""
        settings = Settings.from_env().with_overrides(corpus_dir=corpus, index_dir=index, model=model)
        logging.basicConfig(
            level=logging.DEBUG if verbose else settings.log_level,
            format="%(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )
        for noisy in NOISY_LOGGERS:
            logging.getLogger(noisy).setLevel(logging.WARNING)
        return settings

    def core(self, settings: Settings, *, answers: bool = True, update_index: bool = True) -> ArticleQA:
        """The core: the embedding model, with `answers` the reader too, and with
        `update_index` the index loaded, built or updated first when it is stale."""
        log.info("loading the embedding model%s…", " and the reader" if answers else "")
        embedder = self.embedder_factory(settings.model)
        reader, confidence = self.reader_factory() if answers else (None, None)
        core = ArticleQA(settings.core, embedder, reader=reader, confidence=confidence)
        if update_index:
            with _progress() as update:
                report = core.open(update)
            if report is not None:
                log.info("reindex: %s", report.summary())
        return core


class _Cli(click.Group):
    """Errors a person can fix become one line; a reader of stdout that went away is no error."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # `ask … | head -1`
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
        except UserError as exc:
            _fail(str(exc))
        except OSError as exc:  # a full disk, a read-only folder: one line, not a traceback
            _fail(describe_os_error(exc))
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(1)


@click.group(
    cls=_Cli,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Example: python -m bot ask 'Who walked in space?'",
)
def cli() -> None:
    """Answers questions about news articles, quoting them with numbered citations."""


def command(
    name: str, example: str, group: click.Group | None = None
) -> Callable[[Callable[..., None]], click.Command]:
    """A subcommand (of `group`, else of the CLI) with the common options (--corpus,
    --index, --model, -v), an example in its --help, and the Runtime and the settings as
    its first two arguments."""

    def decorate(function: Callable[..., None]) -> click.Command:
        @click.option("--corpus", type=click.Path(path_type=Path), metavar="DIR",
                      help="article folder (env CORPUS_DIR; default corpus/)")  # fmt: skip
        @click.option("--index", type=click.Path(path_type=Path), metavar="DIR",
                      help="index folder (env INDEX_DIR; default index/)")  # fmt: skip
        @click.option("--model", metavar="NAME|DIR",
                      help="embedding model (env MODEL; default: the bundled all-MiniLM-L6-v2)")  # fmt: skip
        @click.option("-v", "--verbose", is_flag=True, help="log more (env LOG_LEVEL; default INFO)")
        @functools.wraps(function)
        def run(
            corpus: Path | None, index: Path | None, model: str | None, verbose: bool, **params: Any
        ) -> None:
            runtime = click.get_current_context().obj or Runtime()
            function(runtime, runtime.settings(corpus, index, model, verbose), **params)

        return (group or cli).command(name, epilog=f"\b\nExample:\n  {example}")(run)

    return decorate


# ---- questions -------------------------------------------------------------------


@command("ask", "python -m bot ask --json 'When did the spacewalk happen?'")
@click.argument("questions", nargs=-1, metavar="[QUESTION]...")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object per question")
@click.option("--article", metavar="ID", help="answer from this article only")
@click.option("--log", "log_questions", is_flag=True, help="record the questions in the question log")
@click.option(
    "--previous",
    metavar="QUESTION",
    help="read each question as a follow-up to this earlier one, as a reply to the bot's answer is read",
)
def ask(
    runtime: Runtime,
    settings: Settings,
    questions: tuple[str, ...],
    as_json: bool,
    article: str | None,
    log_questions: bool,
    previous: str | None,
) -> None:
    """Answer questions (one per argument, or one per line of standard input).

    With --previous, the earlier question is answered first (not printed) and each
    question is read with it and its answer, of the article that answer came from
    first, as the Discord bot reads a reply to an answer."""
    # Fail fast, before loading the model, on a question that cannot be asked.
    if previous is not None:
        try:
            check_question(previous, settings.max_question_chars)
        except QuestionError as exc:
            raise click.BadParameter(str(exc), param_hint="--previous") from None
    if len(questions) == 1:
        try:
            check_question(questions[0], settings.max_question_chars)
        except QuestionError as exc:
            _print_error(questions[0], exc, as_json)
            raise SystemExit(1) from None
    asked: Iterable[str] = questions or (line.rstrip("\n") for line in sys.stdin if line.strip())
    from bot.pins import ask_follow_up

    record = _question_recorder(settings) if log_questions else None
    core = runtime.core(settings)
    if article is not None and core.snapshot.article(article) is None:
        hint = "`python -m bot list` shows the ids of the articles"
        raise click.BadParameter(f"no article {article!r} in the index; {hint}", param_hint="--article")
    earlier = _answer_previous(core, previous, article) if previous else None
    failures = count = 0
    for question in asked:
        count += 1
        started = time.perf_counter()
        try:
            if earlier is None:
                answer, source = core.ask(question, article=article), article
            else:
                focused = ask_follow_up(core, question, earlier, article)
                answer, source = focused.answer, focused.asked
        except QuestionError as exc:
            failures += 1
            _print_error(question, exc, as_json)
            continue
        latency_ms = (time.perf_counter() - started) * 1000
        _print_answer(answer, as_json, previous)  # first: a failing database loses no answer
        if record is not None:
            record(question, answer, latency_ms, article=source, follow_up=earlier is not None)
    if not count:
        raise click.UsageError("no question: give one as an argument, or one per line of standard input")
    if failures:
        raise SystemExit(1)


def _answer_previous(core: ArticleQA, previous: str, article: str | None) -> Earlier:
    """`previous` answered first (not printed), for the questions that follow up on it
    (QuestionError as ArticleQA.ask raises it)."""
    from bot.pins import Earlier, answer_source

    answer = core.ask(previous, article=article, again=True)
    said = "the bot abstained" if answer.abstained else f"answered {answer.text.splitlines()[0][:120]}"
    log.info('reading the questions as follow-ups to "%s" (%s)', previous, said)
    return Earlier(previous, answer, answer_source(answer, article))


def _print_error(question: str, exc: Exception, as_json: bool) -> None:
    if as_json:  # one JSON line per question asked, answered or not
        print(json.dumps({"question": question[:200], "error": str(exc)}, ensure_ascii=False), flush=True)
    print(f"error: {exc}", file=sys.stderr)


def _print_answer(answer: Answer, as_json: bool, previous: str | None = None) -> None:
    """`answer` as text, or as one JSON line (with "previous": the question it was read as a
    follow-up to, when one was)."""
    if as_json:
        data = answer.to_json() | ({"previous": previous} if previous else {})
        print(json.dumps(data, ensure_ascii=False), flush=True)
    else:
        print(render_answer(answer, terminal_width()), end="\n\n", flush=True)


Recorder = Callable[..., None]


def _question_recorder(settings: Settings) -> Recorder:
    """A function that records (question, answer, latency in ms, article=, follow_up=) in
    the question log of DATABASE_URL, source "cli"; StorageError."""
    from bot.db import open_database
    from bot.db.questions import AskedQuestion, QuestionLog

    questions = QuestionLog(open_database(settings))

    def record(
        question: str, answer: Answer, latency_ms: float, article: str | None = None, follow_up: bool = False
    ) -> None:
        questions.record(
            AskedQuestion(question, answer, latency_ms, source="cli", article=article, follow_up=follow_up)
        )

    return record


@command("chat", "python -m bot chat")
@click.option("--log", "log_questions", is_flag=True, help="record the questions in the question log")
def chat(runtime: Runtime, settings: Settings, log_questions: bool) -> None:
    """Ask questions in the terminal, one per line."""
    record = _question_recorder(settings) if log_questions else None
    run_chat(runtime.core(settings), sys.stdin, interactive=sys.stdin.isatty(), record=record)


def run_chat(core: ArticleQA, lines: Iterable[str], interactive: bool, record: Recorder | None = None) -> int:
    """Answer one question per line until the input ends; returns how many were asked.
    Not `interactive` (a file or a pipe), each answer comes after its question ("> …"). An
    answer (not an abstention) read with the question before it says so first. `record`:
    called with each (question, answer, latency in ms) to log it (`_question_recorder`)."""
    from bot.pins import Earlier, ask_next

    asked = 0
    if interactive:
        print("Ask a question about the articles (Ctrl-D to quit).", file=sys.stderr)
    iterator = iter(lines)
    earlier: Earlier | None = None  # the question before and its answer
    while True:
        if interactive:
            print("> ", end="", flush=True, file=sys.stderr)
        try:
            line = next(iterator)
        except StopIteration:
            break
        question = line.strip()
        if not question:
            continue
        if question.lower() in {"quit", "exit", ":q"}:
            break
        asked += 1
        if not interactive:  # read from a file or a pipe: the transcript shows the question
            shown = question if len(question) <= ECHO_CHARS else f"{question[:ECHO_CHARS]}…"
            print(f"> {shown}", flush=True)
        started = time.perf_counter()
        try:
            # It may follow up on the one before: the core weighs both readings, and the
            # article of the answer before is asked first.
            focused = ask_next(core, question, earlier)
        except QuestionError as exc:
            print(f"error: {exc}", flush=True)
            continue
        latency_ms = (time.perf_counter() - started) * 1000
        answer = focused.answer
        if answer.features.get("followup") and not answer.abstained:
            print(f'(read as a follow-up to "{earlier.question if earlier else ""}")')
        earlier = Earlier.of(question, focused)
        print(render_answer(answer, terminal_width()), end="\n\n", flush=True)
        if record is not None:
            record(question, answer, latency_ms)
    return asked


# ---- the question log ------------------------------------------------------------


@command("forget-user", "python -m bot forget-user 123456789012345678")
@click.argument("user_id", metavar="USER_ID")
def forget_user(runtime: Runtime, settings: Settings, user_id: str) -> None:
    """Delete one person's logged questions and votes (by Discord user id), on request."""
    from bot.db import open_existing_database
    from bot.db.questions import QuestionLog

    digits = user_id.strip()
    # ASCII digits only, hashed as the number: "0042" is user 42, as Discord gives it.
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 20):
        raise CommandError(f"{user_id!r} is not a Discord user id (a number, e.g. 123456789012345678)")
    number = int(digits)
    questions, votes = QuestionLog(open_existing_database(settings)).forget_user(number)
    print(f"Deleted {questions} question(s) and {votes} vote(s) of user {number}.")


@command("report", "python -m bot report --since 24h   (or --json, --csv > report.csv)")
@click.option("--since", default="7d", show_default=True, metavar="PERIOD",
              help="the questions of the last PERIOD: 30m, 24h, 7d, 2w")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@click.option(
    "--csv", "as_csv", is_flag=True, help="print CSV: one table; its `section` column says which part"
)
def report(runtime: Runtime, settings: Settings, since: str, as_json: bool, as_csv: bool) -> None:
    """What was asked and not answered: abstentions grouped by meaning, answers voted down,
    the most asked questions, the abstention rate by day and usage by article."""
    from bot import insights
    from bot.db import open_existing_database

    if as_json and as_csv:
        raise CommandError("give --json or --csv, not both")
    period = insights.parse_since(since)
    db = open_existing_database(settings)
    try:
        found = insights.build_report(db, functools.partial(runtime.embedder_factory, settings.model), period)
    finally:
        db.close()
    if as_json:
        print(json.dumps(found.to_json(), ensure_ascii=False, indent=2))
    elif as_csv:
        csv.writer(sys.stdout).writerows(found.csv_rows())
    else:
        print(insights.report_text(found, terminal_width()))


# ---- Discord -----------------------------------------------------------------------


@command("run", "python -m bot run")
def run(runtime: Runtime, settings: Settings) -> None:
    """Run the Discord bot (the terminal chat when DISCORD_TOKEN is not set)."""
    if settings.discord_token is None:
        nothing_to_do = CommandError(
            "DISCORD_TOKEN is not set and standard input gives no questions, so there is nothing "
            "to do. Set DISCORD_TOKEN (in .env or the environment; with Docker, --env-file .env) "
            "to run the Discord bot, or keep standard input open (docker run -it) for the chat."
        )
        if _stdin_is_null():  # `docker run -d`, a service without input: say so before loading
            raise nothing_to_do
        log.info("DISCORD_TOKEN is not set: starting the terminal chat (questions from standard input)")
        interactive = sys.stdin.isatty()
        if run_chat(runtime.core(settings), sys.stdin, interactive) == 0 and not interactive:
            raise nothing_to_do
        return
    from bot.discord import serve  # only the bot needs discord.py

    if settings.shard_ids and 0 not in settings.shard_ids:
        # Processes sharing one index: the one serving shard 0 builds and updates it.
        core = runtime.core(settings, update_index=False)
        core.open_readonly()
    else:
        core = runtime.core(settings)
    serve(core, settings)


def _stdin_is_null() -> bool:
    """Whether standard input is closed or a device that is not a terminal (/dev/null)."""
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return True
    return stat.S_ISCHR(mode) and not sys.stdin.isatty()


@command("sync", "python -m bot sync --guild 123456789012345678")
@click.option(
    "--guild", type=int, metavar="ID", help="sync to this server only (default: GUILD_ID; else global)"
)
def sync(runtime: Runtime, settings: Settings, guild: int | None) -> None:
    """Register the slash commands with Discord (one server at once, or globally within an hour)."""
    from bot.discord import sync as sync_commands

    if settings.discord_token is None:
        raise CommandError("DISCORD_TOKEN is not set; syncing commands needs the bot's token")
    guild_id = guild if guild is not None else settings.guild_id
    names = sync_commands(settings, guild_id)
    where = f"to server {guild_id}" if guild_id else "globally (may take up to an hour to appear)"
    print(f"synced {len(names)} commands {where}: {', '.join(sorted(names))}")


# ---- the corpus and the index --------------------------------------------------------


@command("reindex", "python -m bot reindex")
@click.option("--full", is_flag=True, help="rebuild everything from scratch")
def reindex(runtime: Runtime, settings: Settings, full: bool) -> None:
    """Bring the index up to date with the corpus (incremental)."""
    core = runtime.core(settings, answers=False, update_index=False)
    with _progress() as update:
        report = core.reindex(update, full=full)
    print(report.summary())  # the store has logged each skipped file and why


@command("add", "python -m bot add ~/news/story.html")
@click.argument("source", metavar="PATH|URL")
@click.option(
    "--replace", is_flag=True,
    help="replace a file of the same name that holds other text (kept in corpus/.removed/)",
)  # fmt: skip
def add(runtime: Runtime, settings: Settings, source: str, replace: bool) -> None:
    """Copy an article file or URL into the corpus and index it."""
    core = runtime.core(settings, answers=False, update_index=False)
    path = core.corpus.add(source, replace=replace)
    print(f"added {path}; {core.reindex().summary()}")


@command("remove", "python -m bot remove story")
@click.argument("article", metavar="ARTICLE")
def remove(runtime: Runtime, settings: Settings, article: str) -> None:
    """Remove an article from the corpus and the index."""
    core = runtime.core(settings, answers=False, update_index=False)
    moved = core.remove_article(article)
    print(f"removed {article} (file kept at {moved}); {core.reindex().summary()}")


@command("list", "python -m bot list")
def list_articles(runtime: Runtime, settings: Settings) -> None:
    """List the indexed articles."""
    try:
        snapshot = IndexStore(settings.index_dir, None).load()
    except IndexUnusableError as exc:
        raise CommandError(f"{exc}: `reindex` builds it from {settings.corpus_dir.resolve()}") from None
    if not snapshot.articles:
        print("the index holds no articles")
    labels = snapshot.labels
    for record in snapshot.articles:
        facts = [record.source] if record.source else []
        facts += [record.date or "no date", record.language, f"{len(record.chunks)} passages"]
        print(f"{record.id}\t{labels.get(record.id, record.title)}\t{', '.join(facts)}")
    for file, twin in snapshot.duplicates.items():
        print(f"{file}: the same article as {twin}, indexed once")


@command("status", "python -m bot status")
def status(runtime: Runtime, settings: Settings) -> None:
    """Show the index, the model and whether the index is up to date (exit 1 when not)."""
    store = IndexStore(settings.index_dir, None)
    print(f"corpus: {settings.corpus_dir}")
    print(f"index: {settings.index_dir}")
    print(f"model: {settings.model}")
    try:
        snapshot = store.load()
    except IndexUnusableError as exc:
        print(f"index status: unusable ({exc})")
        print("to build it again from the corpus: python -m bot reindex --full")
        raise SystemExit(1) from None
    print(f"articles: {len(snapshot.articles)}")
    for file, twin in snapshot.duplicates.items():
        print(f"same article: {file} holds the same text as {twin} (indexed once)")
    print(f"passages: {snapshot.passage_count}")
    print(f"built with: {snapshot.manifest.model} (dimension {snapshot.manifest.dimension})")
    print(f"last reindex: {snapshot.built_at}")
    built_with = snapshot.manifest.model
    if built_with != settings.model:  # `ask` and `run` would rebuild it before answering
        print(f"up to date: no, it was built with model {built_with!r} and {settings.model!r} is configured")
        raise SystemExit(1)
    if snapshot.manifest.chunking != ChunkingConfig().as_dict():
        print("up to date: no, it was built with other chunking settings (another version of the bot)")
        raise SystemExit(1)
    try:
        changed = store.corpus_changed(settings.corpus_dir, snapshot)
    except CorpusError as exc:
        changed = str(exc)
    print(f"up to date: {'no, ' + changed if changed else 'yes'}")


# ---- news feeds ------------------------------------------------------------------


@cli.group("feeds", epilog="\b\nExample:\n  python -m bot feeds add https://example.com/news/rss.xml")
def feeds() -> None:
    """Follow news feeds (RSS, Atom): their new entries are added to the corpus and indexed."""


def _feed_list(settings: Settings) -> FeedList:
    """The feeds followed, in the database of DATABASE_URL (only the feed commands need it)."""
    from bot.db import open_database
    from bot.feeds import FeedList

    return FeedList(open_database(settings))


@command("add", "python -m bot feeds add https://example.com/news/rss.xml", group=feeds)
@click.argument("url")
def feeds_add(runtime: Runtime, settings: Settings, url: str) -> None:
    """Follow a feed; its entries are added at the next poll."""
    feed = _feed_list(settings).add(url)
    print(
        f"following {feed.url}; its entries are added at the next poll (`feeds poll` now, or the "
        f"Discord bot every {settings.feed_poll_minutes:g} minutes)"
    )


@command("list", "python -m bot feeds list", group=feeds)
def feeds_list(runtime: Runtime, settings: Settings) -> None:
    """The feeds followed: when each was polled, its last error, its entries."""
    followed = _feed_list(settings).all()
    if not followed:
        print("no feeds followed; add one with `python -m bot feeds add URL`")
    for feed in followed:
        print(feed.describe())


@command("remove", "python -m bot feeds remove https://example.com/news/rss.xml", group=feeds)
@click.argument("url")
def feeds_remove(runtime: Runtime, settings: Settings, url: str) -> None:
    """Stop following a feed (the articles it added stay in the corpus)."""
    feed = _feed_list(settings).remove(url)
    print(f"stopped following {feed.url}; the {feed.added} articles it added stay in the corpus")


@command(
    "poll", "python -m bot feeds poll   (e.g. from cron, when the Discord bot does not run)", group=feeds
)
@click.option("--all", "force", is_flag=True, help="poll the feeds backing off after failures too")
def feeds_poll(runtime: Runtime, settings: Settings, force: bool) -> None:
    """Poll every feed now (not those backing off after failures), add new entries, reindex once.
    Exits 1 when a feed could not be read (each is printed) or another process is polling."""
    from bot.corpus import CorpusFolder
    from bot.feeds import FeedPoller, lease_holder

    feed_list = _feed_list(settings)
    holder = lease_holder("`feeds poll`")
    poller = FeedPoller(feed_list.db, CorpusFolder(settings.core), settings.feed_poll_minutes, holder)
    try:
        snapshot: IndexSnapshot | None = IndexStore(settings.index_dir, None).load()
    except IndexUnusableError:
        snapshot = None

    def reindex() -> ReindexReport:  # the model is loaded only when there is something to index
        return runtime.core(settings, answers=False, update_index=False).reindex()

    report = poller.poll_and_reindex(snapshot, reindex, every=True, force=force)
    for line in report.lines():
        print(line)
    # Exit 1 for cron when another process polls, or when a feed could not be read.
    if report.busy is not None or any(feed.outcome == "failed" for feed in report.feeds):
        raise SystemExit(1)


# ---- measuring (from a clone of the project: the code is in tools/) ------------------


@command(
    "eval",
    "python -m bot eval datasets/seed-val/questions.jsonl --corpus datasets/seed-val/articles --by-style",
)
@click.argument("questions_file", type=click.Path(path_type=Path), metavar="QUESTIONS.jsonl")
@click.option("--limit", type=int, help="only the first N questions")
@click.option(
    "--articles", metavar="ID,…", help="only the questions about these articles (the corpus stays whole)"
)
@click.option("--per-article", is_flag=True, help="answer each question from its own article")
@click.option("--threshold", type=float, help="abstention threshold (default: the configured one)")
@click.option("--dump", type=click.Path(path_type=Path), metavar="FILE", help="write every answer as JSONL")
@click.option("--by-style", is_flag=True, help="also one row per style of question (formal, casual, …)")
@click.option(
    "--conversation",
    is_flag=True,
    help="one person's messages in one channel, in order: each also read with the one before",
)
def evaluate(
    runtime: Runtime,
    settings: Settings,
    questions_file: Path,
    limit: int | None,
    articles: str | None,
    per_article: bool,
    threshold: float | None,
    dump: Path | None,
    by_style: bool,
    conversation: bool,
) -> None:
    """Measure answers on a question set (SQuAD 2.0 JSONL), beside BM25 and dense baselines.

    The index is built in a temporary folder unless --index is given. Runs from a
    clone of the project (tools/evaluate.py)."""
    try:
        from tools import evaluate as tool
    except ImportError as exc:
        raise _not_in_a_clone("eval", exc) from None
    questions = tool.select_questions(questions_file, articles, limit)
    if threshold is not None:
        settings = settings.with_overrides(abstain_threshold=threshold)
    with contextlib.ExitStack() as stack:
        if click.get_current_context().params["index"] is None:  # keep the operator's index out of it
            scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="article-bot-eval-"))
            settings = settings.with_overrides(index_dir=Path(scratch))
        core = runtime.core(settings)
        table = tool.report(core, questions, per_article, dump, by_style, conversation)
        asked = ", asked as one conversation" if conversation else ""
        where = f"corpus {settings.corpus_dir}, threshold {core.threshold}{asked}"
        print(f"{len(questions)} questions from {questions_file}, {where}")
        print(table)


@command("bench", "python -m bot bench --sizes seed,10k,100k,1m   (or --quick: about 3 minutes)")
@click.option(
    "--sizes",
    help="corpora to ask at, in passages: seed (the corpus), 10k, 100k, 1m or numbers "
    "(default: all four, about 15 minutes on two cores)",
)
@click.option(
    "--quick", is_flag=True,
    help="40 questions per corpus, one reindex, and unless --sizes says otherwise seed and 10k only",
)  # fmt: skip
@click.option("--questions", type=int, metavar="N", help="questions per corpus (default 200)")
@click.option(
    "--benchmark", type=click.Path(path_type=Path), metavar="DIR",
    help="articles/ and questions.jsonl for the larger corpora "
    "(default: ../shared/benchmarks/squad2-dev-half, beside the clone)",
)  # fmt: skip
@click.option(
    "--seed-questions", type=click.Path(path_type=Path), metavar="FILE",
    help="questions for the seed corpus (default: tests/data/seed_questions.jsonl, in the clone)",
)  # fmt: skip
@click.option(
    "--workdir",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="scratch folder (default: a temporary one)",
)
def bench(
    runtime: Runtime,
    settings: Settings,
    sizes: str | None,
    quick: bool,
    questions: int | None,
    benchmark: Path | None,
    seed_questions: Path | None,
    workdir: Path | None,
) -> None:
    """Measure question latency, index build and scale on this machine; print a Markdown table.

    Runs from a clone of the project (tools/bench.py)."""
    try:
        from tools import bench as tool
    except ImportError as exc:
        raise _not_in_a_clone("bench", exc) from None
    plan = tool.plan_from_options(settings.corpus_dir, settings.model, sizes, quick, questions, benchmark,
                                  seed_questions, workdir)  # fmt: skip
    embedder = functools.partial(runtime.embedder_factory, settings.model)
    print(tool.measure(plan, embedder, runtime.reader_factory, temporary=workdir is None))


def _not_in_a_clone(name: str, exc: ImportError) -> CommandError:
    if (exc.name or "").split(".")[0] == "tools":
        return CommandError(
            f"`{name}` runs from a clone of the project (its code is in tools/, which an installed "
            "copy or the Docker image does not have)"
        )
    return CommandError(f"`{name}` needs the tools extra: pip install -e '.[tools]' ({exc})")


# ---- the entry point ---------------------------------------------------------------


@contextlib.contextmanager
def _progress() -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr (when it is a terminal) for the embedding of a reindex."""
    from tqdm import tqdm

    bar: list[tqdm[Any]] = []

    def update(done: int, total: int) -> None:
        if not bar:
            bar.append(tqdm(total=total, unit="text", desc="embedding", disable=None, file=sys.stderr))
        bar[0].n = done
        bar[0].refresh()

    try:
        yield update
    finally:
        if bar:
            bar[0].close()


def main(argv: Sequence[str] | None = None, runtime: Runtime | None = None) -> None:
    """`python -m bot` and the `article-bot` script (`argv`: sys.argv[1:] unless given;
    `runtime`: the models to use, Runtime() unless given); exits with the command's status."""
    # `docker stop` and service managers send SIGTERM; a process that is PID 1 in a
    # container ignores it unless it has a handler. The Discord bot installs its own.
    signal.signal(signal.SIGTERM, _terminate)
    cli.main(args=argv, obj=runtime)  # exits


def _terminate(signum: int, frame: object) -> None:
    """Stop at once on SIGTERM. Nothing is lost: the index is only ever replaced whole
    (a reindex cut short leaves the previous version live), and tearing down the
    loaded models at interpreter exit takes seconds that `docker stop` does not give."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(128 + signum)
