"""Command line: `python -m bot COMMAND` (or the `article-bot` script).

A thin adapter: it parses arguments, builds the settings, the model and the
core once, and calls the core. Errors become one line on stderr and exit 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import random
import shutil
import signal
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from bot.answering import ConfidenceModel
from bot.chunking import ChunkingConfig
from bot.embedding import SentenceTransformerEmbedder
from bot.engine import ArticleQA, check_question, follow_up_context
from bot.errors import CommandError, CorpusError, IndexUnusableError, QuestionError, UserError
from bot.evaluation import Question, evaluate, load_questions, render_table, tallies_by_style
from bot.formatting import render_answer, terminal_width
from bot.models import Answer
from bot.reader import Reader
from bot.settings import Settings
from bot.store import IndexStore, ReindexReport, describe_os_error

log = logging.getLogger("bot")

PROJECT = Path(__file__).resolve().parent.parent  # a clone's root; site-packages when installed
SEED_QUESTIONS = Path("tests/data/seed_questions.jsonl")
BENCHMARK_DIR = Path("../shared/benchmarks/squad2-dev-half")


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--corpus", type=Path, metavar="DIR", help="article folder (env CORPUS_DIR; default corpus/)"
    )
    common.add_argument(
        "--index", type=Path, metavar="DIR", help="index folder (env INDEX_DIR; default index/)"
    )
    common.add_argument(
        "--model",
        metavar="NAME|DIR",
        help="embedding model (env MODEL; default: the bundled all-MiniLM-L6-v2)",
    )
    common.add_argument("-v", "--verbose", action="store_true", help="log more")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="article-bot",
        description="Answers questions about news articles, quoting them with numbered citations.",
        epilog="Example: python -m bot ask 'Who walked in space?'",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help_text: str, example: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            parents=[common],
            help=help_text,
            description=help_text,
            epilog=f"Example: {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    ask = command(
        "ask",
        "answer questions (one per argument, or one per line of standard input)",
        "python -m bot ask --json 'When did the spacewalk happen?'",
    )
    ask.add_argument("questions", nargs="*", metavar="QUESTION")
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.add_argument("--article", metavar="ID", help="answer from this article only")

    command("chat", "ask questions in the terminal, one per line", "python -m bot chat")
    command(
        "run", "run the Discord bot (the terminal chat when DISCORD_TOKEN is not set)", "python -m bot run"
    )
    sync = command(
        "sync",
        "register the slash commands with Discord (one server at once, or globally within an hour)",
        "python -m bot sync --guild 123456789012345678",
    )
    sync.add_argument(
        "--guild", type=int, metavar="ID", help="sync to this server only (default: GUILD_ID; else global)"
    )
    reindex = command(
        "reindex", "bring the index up to date with the corpus (incremental)", "python -m bot reindex"
    )
    reindex.add_argument("--full", action="store_true", help="rebuild everything from scratch")
    add = command(
        "add",
        "copy an article file or URL into the corpus and index it",
        "python -m bot add ~/news/story.html",
    )
    add.add_argument("source", metavar="PATH|URL")
    add.add_argument(
        "--replace",
        action="store_true",
        help="replace a file of the same name that holds other text (kept in corpus/.removed/)",
    )
    remove = command(
        "remove", "remove an article from the corpus and the index", "python -m bot remove story"
    )
    remove.add_argument("article", metavar="ARTICLE")
    evaluate = command(
        "eval",
        "measure answers on a question set (SQuAD 2.0 JSONL), beside BM25 and dense baselines",
        "python -m bot eval ../shared/benchmarks/squad2-dev-half/questions.jsonl "
        "--corpus ../shared/benchmarks/squad2-dev-half/articles",
    )
    evaluate.add_argument("questions_file", type=Path, metavar="QUESTIONS.jsonl")
    evaluate.add_argument("--limit", type=int, help="only the first N questions")
    evaluate.add_argument(
        "--articles", metavar="ID,…", help="only the questions about these articles (the corpus stays whole)"
    )
    evaluate.add_argument(
        "--per-article", action="store_true", help="answer each question from its own article"
    )
    evaluate.add_argument(
        "--threshold", type=float, help="abstention threshold (default: the configured one)"
    )
    evaluate.add_argument("--dump", type=Path, metavar="FILE", help="write every answer as JSONL")
    evaluate.add_argument(
        "--by-style", action="store_true", help="also one row per style of question (formal, casual, …)"
    )
    command("list", "list the indexed articles", "python -m bot list")
    command("status", "show the index, the model and whether the index is up to date", "python -m bot status")
    bench = command(
        "bench",
        "measure question latency, index build and scale on this machine; print a Markdown table",
        "python -m bot bench --sizes seed,10k,100k,1m   (or --quick: about 3 minutes)",
    )
    bench.add_argument(
        "--sizes",
        help="corpora to ask at, in passages: seed (the corpus), 10k, 100k, 1m or numbers "
        "(default: all four, about 15 minutes on two cores)",
    )
    bench.add_argument(
        "--quick",
        action="store_true",
        help="40 questions per corpus, one reindex, and unless --sizes says otherwise seed and 10k only",
    )
    bench.add_argument("--questions", type=int, metavar="N", help="questions per corpus (default 200)")
    bench.add_argument(
        "--benchmark",
        type=Path,
        metavar="DIR",
        help="articles/ and questions.jsonl for the larger corpora "
        f"(default: {BENCHMARK_DIR}, beside the project)",
    )
    bench.add_argument(
        "--seed-questions",
        type=Path,
        metavar="FILE",
        help=f"questions for the seed corpus (default: {SEED_QUESTIONS}, in the project)",
    )
    bench.add_argument(
        "--workdir", type=Path, metavar="DIR", help="scratch folder (default: a temporary one)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("sentence_transformers", "httpx", "faiss", "bm25s", "transformers"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # `docker stop` and service managers send SIGTERM; a process that is PID 1 in a
    # container ignores it unless it has a handler. The Discord bot installs its own.
    signal.signal(signal.SIGTERM, _terminate)
    try:
        settings = Settings.from_env().with_overrides(
            corpus_dir=args.corpus, index_dir=args.index, model=args.model
        )
        handler = COMMANDS[args.command]
        return handler(settings, args)
    except BrokenPipeError:  # `ask … | head -1`: the reader of stdout has gone; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a full disk, a read-only folder: one line, not a traceback
        print(f"error: {describe_os_error(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _terminate(signum: int, frame: object) -> None:
    """Stop at once on SIGTERM. Nothing is lost: the index is only ever replaced whole
    (a reindex cut short leaves the previous version live), and tearing down the
    loaded models at interpreter exit takes seconds that `docker stop` does not give."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(128 + signum)


# ---- building the core ----------------------------------------------------------


def _progress() -> tuple[Callable[[int, int], None], Callable[[], None]]:
    from tqdm import tqdm

    bar: dict[str, tqdm] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, unit="text", desc="embedding", disable=None, file=sys.stderr)
        bar["bar"].n = done
        bar["bar"].refresh()

    def close() -> None:
        if "bar" in bar:
            bar["bar"].close()

    return update, close


def load_reader() -> tuple[Reader, ConfidenceModel]:
    """The shipped reader (on the bundled encoder) and the confidence model fitted on it."""
    from bot.embedding import resolve_model
    from bot.reader import ReaderError, TrainedReader
    from bot.settings import BUNDLED_MODEL

    try:
        reader = TrainedReader(resolve_model(BUNDLED_MODEL))
    except ReaderError as exc:
        raise CommandError(str(exc)) from None
    return reader, ConfidenceModel.from_card(reader.card)


def open_core(settings: Settings, update_index: bool = True) -> ArticleQA:
    log.info("loading the embedding model and the reader…")
    embedder = SentenceTransformerEmbedder(settings.model)
    reader, confidence = load_reader()
    core = ArticleQA(settings.core, embedder, reader=reader, confidence=confidence)
    if update_index:
        update, close = _progress()
        try:
            report = core.open(update)
        finally:
            close()
        if report is not None:
            _log_report(report)
    return core


def _log_report(report: ReindexReport) -> None:
    log.info("reindex: %s", report.summary())  # why: logged by ArticleQA.open or the store


# ---- commands -------------------------------------------------------------------


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    questions: Iterable[str] = args.questions or (line.rstrip("\n") for line in sys.stdin)
    if args.questions and len(args.questions) == 1:
        # Fail fast, before loading the model, on a question that cannot be asked.
        try:
            check_question(args.questions[0], settings.max_question_chars)
        except QuestionError as exc:
            _print_error(args.questions[0], exc, args.json)
            return 1
    core = open_core(settings)
    failures = 0
    for question in questions:
        if not args.questions and not question.strip():
            continue
        try:
            answer = core.ask(question, article=args.article)
        except QuestionError as exc:
            failures += 1
            _print_error(question, exc, args.json)
            continue
        _print_answer(answer, args.json)
    return 1 if failures else 0


def _print_error(question: str, exc: Exception, as_json: bool) -> None:
    if as_json:  # one JSON line per question asked, answered or not
        print(json.dumps({"question": question[:200], "error": str(exc)}, ensure_ascii=False), flush=True)
    print(f"error: {exc}", file=sys.stderr)


def _print_answer(answer: Answer, as_json: bool) -> None:
    if as_json:
        print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
    else:
        print(render_answer(answer, terminal_width()), end="\n\n", flush=True)


def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    core = open_core(settings)
    run_chat(core, sys.stdin, interactive=sys.stdin.isatty())
    return 0


def run_chat(core: ArticleQA, lines: Iterable[str], interactive: bool) -> int:
    """Answer one question per line until the input ends; returns how many were asked."""
    asked = 0
    if interactive:
        print("Ask a question about the articles (Ctrl-D to quit).", file=sys.stderr)
    iterator = iter(lines)
    context = ""
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
        try:
            # Each question may follow up on the one before it: the core weighs both readings.
            answer = core.ask(question, None, context, context_optional=True)
        except QuestionError as exc:
            print(f"error: {exc}", flush=True)
            continue
        context = follow_up_context(question, answer)
        print(render_answer(answer, terminal_width()), end="\n\n", flush=True)
    return asked


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
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
        if run_chat(open_core(settings), sys.stdin, interactive) == 0 and not interactive:
            raise nothing_to_do
        return 0
    from bot.discord import StartError, serve  # only the bot needs discord.py

    if settings.shard_ids and 0 not in settings.shard_ids:
        # Processes sharing one index: the one serving shard 0 builds and updates it.
        core = open_core(settings, update_index=False)
        core.open_readonly()
    else:
        core = open_core(settings)
    try:
        return serve(core, settings)
    except StartError as exc:
        raise CommandError(str(exc)) from None


def _stdin_is_null() -> bool:
    """Whether standard input is closed or a device that is not a terminal (/dev/null)."""
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return True
    return stat.S_ISCHR(mode) and not sys.stdin.isatty()


def cmd_sync(settings: Settings, args: argparse.Namespace) -> int:
    from bot.discord import StartError, sync

    if settings.discord_token is None:
        raise CommandError("DISCORD_TOKEN is not set; syncing commands needs the bot's token")
    guild_id = args.guild if args.guild is not None else settings.guild_id
    try:
        names = sync(settings, guild_id)
    except StartError as exc:
        raise CommandError(str(exc)) from None
    where = f"to server {guild_id}" if guild_id else "globally (may take up to an hour to appear)"
    print(f"synced {len(names)} commands {where}: {', '.join(sorted(names))}")
    return 0


def cmd_reindex(settings: Settings, args: argparse.Namespace) -> int:
    log.info("loading the embedding model…")
    core = ArticleQA(settings.core, SentenceTransformerEmbedder(settings.model))
    update, close = _progress()
    try:
        report = core.reindex(update, full=args.full)
    finally:
        close()
    print(report.summary())  # the store has logged each skipped file and why
    return 0


def cmd_add(settings: Settings, args: argparse.Namespace) -> int:
    core = ArticleQA(settings.core, SentenceTransformerEmbedder(settings.model))
    source: str = args.source
    if source.startswith(("http://", "https://")):
        path = core.add_url(source, replace=args.replace)
    else:
        local = Path(source).expanduser()
        if not local.is_file():
            raise CommandError(f"{source} is not a file or an http(s) URL")
        path = core.add_file(local, replace=args.replace)
    report = core.reindex()
    print(f"added {path}; {report.summary()}")
    return 0


def cmd_remove(settings: Settings, args: argparse.Namespace) -> int:
    core = ArticleQA(settings.core, SentenceTransformerEmbedder(settings.model))
    moved = core.remove_article(args.article)
    report = core.reindex()
    print(f"removed {args.article} (file kept at {moved}); {report.summary()}")
    return 0


def cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    if not args.questions_file.is_file():
        raise CommandError(f"{args.questions_file} is not a file")
    try:
        questions = load_questions(args.questions_file)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if args.articles:
        wanted = {a.strip() for a in args.articles.split(",") if a.strip()}
        questions = [q for q in questions if q.article in wanted]
    if args.limit:
        questions = questions[: args.limit]
    if not questions:
        raise CommandError(f"{args.questions_file} holds no questions to ask (check --articles and --limit)")
    if args.index is None:  # keep the operator's index out of it
        with tempfile.TemporaryDirectory(prefix="article-bot-eval-") as scratch:
            return _run_eval(settings.with_overrides(index_dir=Path(scratch)), args, questions)
    return _run_eval(settings, args, questions)


def _run_eval(settings: Settings, args: argparse.Namespace, questions: list[Question]) -> int:
    from tqdm import tqdm

    if args.threshold is not None:
        settings = settings.with_overrides(abstain_threshold=args.threshold)
    core = open_core(settings)
    with tqdm(total=len(questions), unit="q", disable=None, file=sys.stderr) as bar:
        tallies, records = evaluate(core, questions, args.per_article, lambda n: bar.update(1))
    if args.dump:
        with args.dump.open("w") as handle:
            for record in records:
                handle.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
    print(
        f"{len(questions)} questions from {args.questions_file}, corpus {settings.corpus_dir}, "
        f"threshold {core.threshold}"
    )
    print(render_table(tallies))
    if args.by_style:
        print()
        print(render_table(tallies_by_style(records), latency=False))
    return 0


def cmd_bench(settings: Settings, args: argparse.Namespace) -> int:
    from bot import bench

    try:
        sizes = bench.parse_sizes(args.sizes or ("seed,10k" if args.quick else "seed,10k,100k,1m"))
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    count = args.questions or (40 if args.quick else 200)
    if count < 1:
        raise CommandError("--questions must be at least 1")
    benchmark = _project_path(args.benchmark, BENCHMARK_DIR, "--benchmark")
    seed_file = _project_path(args.seed_questions, SEED_QUESTIONS, "--seed-questions")
    extra_articles = [benchmark / "articles"] if benchmark and (benchmark / "articles").is_dir() else []
    try:
        questions = load_questions(benchmark / "questions.jsonl") if benchmark else []
        seed = load_questions(seed_file) if seed_file else []
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read the bench questions: {exc}") from None
    if not questions and not seed:
        raise CommandError(
            f"bench needs questions to ask and found none: no {SEED_QUESTIONS} and no "
            f"{BENCHMARK_DIR}/questions.jsonl here or in {PROJECT}. Run it from a clone of the "
            'project, or give --seed-questions FILE (JSONL, one {"question": …} per line).'
        )
    rng = random.Random(0)  # the same questions on every run
    picked = rng.sample(questions, min(len(questions), 4 * count)) or seed
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="article-bot-bench-"))
    plan = bench.BenchPlan(
        corpus_dir=settings.corpus_dir,
        article_dirs=[settings.corpus_dir, *extra_articles],
        seed_questions=[q.question for q in seed or picked],
        questions=[q.question for q in picked],
        sizes=sizes,
        workdir=workdir,
        question_count=count,
        build_rounds=1 if args.quick else 2,
        cold_start_command=[sys.executable, "-m", "bot"],
        cold_start_args=["--model", settings.model],
    )
    began = time.monotonic()
    try:
        reader, confidence = load_reader()
        rows = bench.run(
            plan,
            SentenceTransformerEmbedder(settings.model),
            lambda m: log.info("bench: %s", m),
            reader,
            confidence,
        )
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    notes = [
        bench.SYNTHETIC_NOTE.format(noise=bench.NOISE),
        bench.machine_note() + f" Took {time.monotonic() - began:.0f} s.",
    ]
    print(bench.render(rows, notes))
    return 0


def _project_path(given: Path | None, default: Path, option: str) -> Path | None:
    """`given` (CommandError if missing), else `default` here or in the project's clone, else None."""
    if given is not None:
        if not given.exists():
            raise CommandError(f"{option} {given}: no such file or folder")
        return given
    for candidate in (default, PROJECT / default):
        if candidate.exists():
            return candidate
    return None


def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
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
    return 0


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    store = IndexStore(settings.index_dir, None)
    print(f"corpus: {settings.corpus_dir}")
    print(f"index: {settings.index_dir}")
    print(f"model: {settings.model}")
    try:
        snapshot = store.load()
    except IndexUnusableError as exc:
        print(f"index status: unusable ({exc})")
        print("to build it again from the corpus: python -m bot reindex --full")
        return 1
    print(f"articles: {len(snapshot.articles)}")
    for file, twin in snapshot.duplicates.items():
        print(f"same article: {file} holds the same text as {twin} (indexed once)")
    print(f"passages: {snapshot.passage_count}")
    print(f"built with: {snapshot.manifest.get('model')} (dimension {snapshot.manifest.get('dimension')})")
    print(f"last reindex: {snapshot.built_at}")
    built_with = snapshot.manifest.get("model")
    if built_with != settings.model:  # `ask` and `run` would rebuild it before answering
        print(f"up to date: no, it was built with model {built_with!r} and {settings.model!r} is configured")
        return 1
    if snapshot.manifest.get("chunking") != ChunkingConfig().as_dict():
        print("up to date: no, it was built with other chunking settings (another version of the bot)")
        return 1
    try:
        changed = store.corpus_changed(settings.corpus_dir, snapshot)
    except CorpusError as exc:
        changed = str(exc)
    print(f"up to date: {'no, ' + changed if changed else 'yes'}")
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
    "ask": cmd_ask,
    "chat": cmd_chat,
    "run": cmd_run,
    "sync": cmd_sync,
    "reindex": cmd_reindex,
    "add": cmd_add,
    "remove": cmd_remove,
    "eval": cmd_eval,
    "list": cmd_list,
    "status": cmd_status,
    "bench": cmd_bench,
}
