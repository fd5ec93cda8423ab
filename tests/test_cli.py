"""The command line, run as users run it: `python -m bot …` in a subprocess."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import click
import numpy as np
import pytest
from click.testing import CliRunner

from bot import cli
from tests.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, stdin: str = "", cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "DISCORD_TOKEN": ""}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("cli")
    corpus = base / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "china-first-woman-spacewalk.txt", corpus)
    return corpus, base / "index"


def test_ask_json_builds_index_and_answers(folders: tuple[Path, Path]) -> None:
    corpus, index = folders
    result = run(
        "ask", "--json", "--corpus", str(corpus), "--index", str(index),
        "Which rocket launched the Shenzhou-13 spaceship?", "What is the capital of Peru?",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2
    first, second = lines
    assert set(first) >= {"question", "answer", "abstained", "citations"}
    assert "Long March-2F" in first["answer"] and not first["abstained"]
    short = first["short_answer"]
    assert first["answer"].startswith(short["text"] + " \u2014 ")
    assert short["article"] == "china-first-woman-spacewalk" and short["end"] - short["start"] == len(
        short["text"]
    )
    assert second["short_answer"] is None
    citation = first["citations"][0]
    assert set(citation) >= {"n", "article", "title", "paragraph", "text"}
    assert citation["article"] == "china-first-woman-spacewalk"
    assert citation["text"] in first["answer"]
    assert second["abstained"] and second["citations"] == []
    assert (index / "CURRENT").is_file()


def test_chat_reads_stdin_until_eof(folders: tuple[Path, Path]) -> None:
    corpus, index = folders
    result = run(
        "run", "--corpus", str(corpus), "--index", str(index),
        stdin="Where was the video posted?\n\nHow many astronauts has China sent to space?\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Weibo" in result.stdout
    assert "14 astronauts" in result.stdout
    assert "[1]" in result.stdout
    # Piped, the transcript shows each question before its answer; blank lines ask nothing.
    asked = [line for line in result.stdout.splitlines() if line.startswith("> ")]
    assert asked == ["> Where was the video posted?", "> How many astronauts has China sent to space?"]


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "empty"), ("   \u200b ", "empty"), ("x" * 10_000, "10,000 characters"), ("?!", "no words")],
)
def test_bad_questions_fail_with_one_line(question: str, message: str, folders: tuple[Path, Path]) -> None:
    corpus, index = folders
    result = run("ask", "--corpus", str(corpus), "--index", str(index), question)
    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_corpus_is_an_error(tmp_path: Path) -> None:
    result = run("ask", "--corpus", str(tmp_path / "nope"), "--index", str(tmp_path / "i"), "Who?")
    assert result.returncode == 1
    assert "does not exist" in result.stderr


def test_add_list_remove_status(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    article = tmp_path / "rover.md"
    article.write_text(
        "# Rover finds ice\n\nThe Perseverance rover found ice near the crater rim on Monday.\n"
    )
    result = run("add", str(article), "--corpus", str(corpus), "--index", str(index))
    assert result.returncode == 0, result.stderr
    assert "1 added" in result.stdout
    listing = run("list", "--corpus", str(corpus), "--index", str(index))
    assert "rover\tRover finds ice" in listing.stdout
    status = run("status", "--corpus", str(corpus), "--index", str(index))
    assert "articles: 1" in status.stdout and "up to date: yes" in status.stdout
    removed = run("remove", "rover", "--corpus", str(corpus), "--index", str(index))
    assert removed.returncode == 0, removed.stderr
    assert "1 removed" in removed.stdout
    assert "rover" not in run("list", "--corpus", str(corpus), "--index", str(index)).stdout
    missing = run("remove", "rover", "--corpus", str(corpus), "--index", str(index))
    assert missing.returncode == 1 and "no article" in missing.stderr and "`list`" in missing.stderr
    bad = tmp_path / "notes.pdf"
    bad.write_bytes(b"%PDF-1.4")
    refused = run("add", str(bad), "--corpus", str(corpus), "--index", str(index))
    assert refused.returncode == 1 and "unsupported" in refused.stderr


# ---- in-process runs, with the fake embedder in place of the model ----------------------

FAKE_TOKEN = "MTIz.secret-token-value"


@pytest.fixture
def in_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, corpus: Path
) -> Callable[..., tuple[int, str, str]]:
    """The CLI in this process (click's CliRunner) with FakeEmbedder as the model, passed in
    through the Runtime; returns (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)  # no .env from the project folder
    monkeypatch.setenv("CORPUS_DIR", str(corpus))
    monkeypatch.setenv("INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("DISCORD_TOKEN", FAKE_TOKEN)
    runtime = cli.Runtime(embedder_factory=lambda model: FakeEmbedder(name=model))

    def run_main(*argv: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(cli.cli, list(argv), obj=runtime, input="", catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return run_main


def test_disk_full_during_reindex_is_one_clear_line(
    in_process: Callable[..., tuple[int, str, str]], corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert in_process("reindex")[0] == 0
    (corpus / "rover.txt").write_text("Rover news\n\nThe rover found ice near the pole.\n")

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patch:
        patch.setattr(np, "save", disk_full)
        code, out, err = in_process("reindex")
    assert code == 1 and out == ""
    assert err.startswith("error: the reindex failed: no space left on the disk; the previous index in ")
    assert err.endswith(" is still in use\n") and err.count("\n") == 1  # one line, no traceback

    code, out, _ = in_process("list")
    assert code == 0 and out.startswith("china-first-woman-spacewalk\t") and "rover" not in out
    code, out, _ = in_process("status")
    assert "up to date: no, rover.txt is new or changed" in out
    assert in_process("reindex")[0] == 0  # space again: it goes through
    assert "rover\tRover news" in in_process("list")[1]


def test_disk_full_while_adding_leaves_no_partial_file(
    in_process: Callable[..., tuple[int, str, str]],
    corpus: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = tmp_path / "rover.txt"
    source.write_text("Rover news\n\nThe rover found ice near the pole.\n")
    write_bytes = Path.write_bytes

    def full_disk_in_corpus(self: Path, data: Any) -> int:
        if self.parent == corpus:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return write_bytes(self, data)

    with monkeypatch.context() as patch:
        patch.setattr(Path, "write_bytes", full_disk_in_corpus)
        code, _, err = in_process("add", str(source))
    assert code == 1
    assert err == "error: cannot add rover.txt to the corpus: no space left on the disk\n"
    assert sorted(p.name for p in corpus.iterdir()) == ["china-first-woman-spacewalk.txt"]


def test_adding_a_50_megabyte_file_is_refused(
    in_process: Callable[..., tuple[int, str, str]], corpus: Path, tmp_path: Path
) -> None:
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse
    code, out, err = in_process("add", str(huge))
    assert code == 1 and out == ""
    assert err == "error: huge.txt is 52,428,800 bytes, over the limit of 5,000,000\n"
    assert not (corpus / "huge.txt").exists()


def test_status_and_errors_never_show_the_token(
    in_process: Callable[..., tuple[int, str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    outputs = [in_process("reindex", "-v")]
    outputs.append(in_process("status", "-v"))
    outputs.append(in_process("ask", "-v", "x" * 2000))  # an error
    outputs.append(in_process("remove", "no-such-article"))  # another
    assert [code for code, _, _ in outputs] == [0, 0, 1, 1]
    shown = "".join(out + err for _, out, err in outputs) + caplog.text
    assert "articles: 1" in shown and "error: no article 'no-such-article'" in shown
    assert FAKE_TOKEN not in shown and "secret-token" not in shown


# ---- a newcomer's first hour: pipes, signals, empty inputs, messages that say what to do ----


def test_ask_piped_into_head_ends_quietly(folders: tuple[Path, Path]) -> None:
    corpus, index = folders
    command = [sys.executable, "-m", "bot", "ask", "--corpus", str(corpus), "--index", str(index)]
    questions = ["Which rocket launched the Shenzhou-13 spaceship?"] * 3
    shell = f"set -o pipefail; {' '.join(map(repr, command + questions))} | head -1"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "DISCORD_TOKEN": ""}
    result = subprocess.run(
        ["bash", "-c", shell], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1 and "Long March-2F" in result.stdout
    assert "Broken pipe" not in result.stderr and "Traceback" not in result.stderr


def test_ask_json_reports_a_bad_question_as_json() -> None:
    result = run("ask", "--json", "")
    assert result.returncode == 1
    assert json.loads(result.stdout) == {"question": "", "error": "the question is empty"}


def test_ask_previous_reads_each_question_as_a_follow_up(folders: tuple[Path, Path]) -> None:
    """Alone, "on what site" asks for the outlet, which the seed article has no front matter
    for; after "who posted the video" the article's text answers it (Weibo)."""
    corpus, index = folders
    common = ("ask", "--json", "--corpus", str(corpus), "--index", str(index))
    followed = run(*common, "--previous", "Who posted video of the spacewalk?", "on what site")
    assert followed.returncode == 0, followed.stderr
    answer = json.loads(followed.stdout)  # one line: the earlier question is not printed
    assert answer["short_answer"]["text"] == "Weibo" and not answer["abstained"]
    assert answer["previous"] == "Who posted video of the spacewalk?"
    assert answer["citations"][0]["article"] == "china-first-woman-spacewalk"
    alone = json.loads(run(*common, "on what site").stdout)
    assert alone["abstained"] and "outlet" in alone["answer"] and "previous" not in alone


def test_ask_previous_that_cannot_be_asked_fails_before_loading_the_model() -> None:
    result = run("ask", "--json", "--previous", "  ", "and when?")
    assert result.returncode == 2 and result.stdout == ""  # a usage error: no question was asked
    assert "Invalid value for --previous: the question is empty" in result.stderr
    assert "loading" not in result.stderr


def test_chat_stops_on_sigterm(folders: tuple[Path, Path]) -> None:
    """`docker stop` sends SIGTERM to the chat, which is PID 1 in the container."""
    corpus, index = folders
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "DISCORD_TOKEN": ""}
    chat = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat", "--corpus", str(corpus), "--index", str(index)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert chat.stdin is not None and chat.stdout is not None
    chat.stdin.write("Where was the video posted?\n")
    chat.stdin.flush()
    assert chat.stdout.readline() == "> Where was the video posted?\n"  # piped: the question first
    assert "Weibo" in chat.stdout.readline()  # answered; now waiting for the next line
    chat.terminate()
    assert chat.wait(timeout=2) == 128 + 15  # docker stop waits 10 s, then kills
    chat.stdin.close()


def test_bench_without_its_questions_says_which_option(tmp_path: Path) -> None:
    missing = run("bench", "--quick", "--seed-questions", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr == f"error: --seed-questions {tmp_path / 'nope.jsonl'}: no such file or folder\n"


def test_running_from_another_folder_names_the_folders_it_looked_in(tmp_path: Path) -> None:
    for args, expected in [
        (("list",), f"no index in {tmp_path / 'index'} yet"),
        (("ask", "who?"), f"the corpus folder {tmp_path / 'corpus'} does not exist"),
    ]:
        result = run(*args, cwd=tmp_path)
        assert result.returncode == 1 and expected in result.stderr, result.stderr
        assert "--corpus" in result.stderr or "reindex" in result.stderr


def test_ask_on_an_empty_corpus_says_there_are_no_articles(
    in_process: Callable[..., tuple[int, str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("CORPUS_DIR", str(empty))
    code, out, err = in_process("ask", "who walked in space?")
    assert code == 1 and out == ""
    assert "there are no articles to answer from yet" in err and "add" in err


def test_run_without_token_or_input_says_why_it_stops(
    in_process: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`docker run -d` without a token: no terminal, nothing on stdin."""
    monkeypatch.setenv("DISCORD_TOKEN", "")
    code, _, err = in_process("run")
    assert code == 1
    assert "DISCORD_TOKEN is not set" in err and "docker run -it" in err


def test_a_skipped_file_is_reported_once(
    in_process: Callable[..., tuple[int, str, str]], corpus: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (corpus / "latin1.txt").write_bytes("Caf\xe9 opens\n\nThe caf\xe9 opened on Monday.\n".encode("latin-1"))
    code, out, err = in_process("reindex")
    assert code == 0 and "1 file(s) skipped" in out
    shown = out + err + caplog.text
    assert shown.count("skipped latin1.txt") == 1
    assert "not UTF-8 text" in shown and "iconv" in shown


def test_permission_denied_names_the_user_and_the_fix() -> None:
    from bot.errors import describe_os_error

    message = describe_os_error(PermissionError(errno.EACCES, "Permission denied", "/app/index/.lock"))
    assert f"user id {os.getuid()}" in message and "/app/index" in message and "chown" in message


def test_eval_of_an_empty_file_is_an_error_not_a_table(tmp_path: Path) -> None:
    empty = tmp_path / "questions.jsonl"
    empty.write_text("")
    result = run("eval", str(empty))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == f"error: {empty} holds no questions to ask (check --articles and --limit)\n"


def test_a_corrupt_index_is_reported_once_with_what_to_do(
    in_process: Callable[..., tuple[int, str, str]], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert in_process("reindex")[0] == 0
    manifest = next((tmp_path / "index").glob("v-*/manifest.json"))
    manifest.write_text("{not json")
    code, out, _ = in_process("status")
    assert code == 1 and "index status: unusable" in out and "reindex --full" in out
    caplog.clear()
    code, out, err = in_process("reindex")
    assert code == 0 and "1 added" in out
    shown = out + err + caplog.text
    assert shown.count("unreadable") == 1, shown


def test_status_with_another_model_configured_says_out_of_date(
    in_process: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert in_process("reindex")[0] == 0
    assert in_process("status")[0] == 0
    monkeypatch.setenv("MODEL", "another-model")
    code, out, _ = in_process("status")
    assert code == 1
    assert "up to date: no, it was built with model 'bundled:all-MiniLM-L6-v2'" in out
    assert "'another-model' is configured" in out


def test_list_shows_outlet_date_language_and_files_holding_the_same_article(
    in_process: Callable[..., tuple[int, str, str]], corpus: Path
) -> None:
    seed = corpus / "china-first-woman-spacewalk.txt"
    (corpus / "spacewalk-copy.txt").write_bytes(seed.read_bytes())
    (corpus / "harbour.md").write_text(
        "---\nsource: Harbour Post\ndate: 2024-03-04\n---\n# Harbour reopens\n\nIt did.\n"
    )
    code, out, _ = in_process("reindex")
    assert code == 0
    assert (
        "spacewalk-copy.txt holds the same article as china-first-woman-spacewalk.txt (indexed once)" in out
    )
    code, out, _ = in_process("list")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3
    assert lines[0].startswith(
        "china-first-woman-spacewalk\tAstronaut becomes China's first woman to walk in space\t"
    )
    assert lines[0].endswith("\tno date, en, 15 passages")
    assert lines[1] == "harbour\tHarbour reopens\tHarbour Post, 2024-03-04, en, 1 passages"
    assert lines[2] == "spacewalk-copy.txt: the same article as china-first-woman-spacewalk.txt, indexed once"
    code, out, _ = in_process("status")
    assert code == 0 and "up to date: yes" in out
    assert "same article: spacewalk-copy.txt holds the same text as china-first-woman-spacewalk.txt" in out


@pytest.mark.parametrize("command", ["eval", "bench"])
def test_measuring_outside_a_clone_says_where_it_runs(
    in_process: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    for module in ("tools", "tools.evaluate", "tools.bench"):  # as in an installed copy or the image
        monkeypatch.setitem(sys.modules, module, None)
    code, out, err = in_process(command, "questions.jsonl") if command == "eval" else in_process(command)
    assert code == 1 and out == ""
    assert err.startswith(f"error: `{command}` runs from a clone of the project") and err.count("\n") == 1


def test_every_command_has_help_with_an_example() -> None:
    runner = CliRunner()
    for name in cli.cli.list_commands(click.Context(cli.cli)):
        result = runner.invoke(cli.cli, [name, "--help"])
        assert result.exit_code == 0 and "Example:" in result.output, name
        group = cli.cli.get_command(click.Context(cli.cli), name)
        commands = [[name, sub] for sub in group.list_commands(click.Context(group))] if isinstance(
            group, click.Group
        ) else [[name]]  # fmt: skip
        for argv in commands:
            result = runner.invoke(cli.cli, [*argv, "--help"])
            assert result.exit_code == 0 and "Example:" in result.output, argv
            assert "--corpus DIR" in result.output, argv


def test_eval_prints_the_bot_beside_the_baselines_on_a_scratch_index(
    in_process: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    questions = tmp_path / "questions.jsonl"
    asked = {"article": "china-first-woman-spacewalk", "question": "Which rocket launched Shenzhou-13?"}
    questions.write_text(json.dumps({**asked, "answers": ["Long March-2F"], "style": "formal"}) + "\n")
    dump = tmp_path / "answers.jsonl"
    code, out, _ = in_process("eval", str(questions), "--by-style", "--dump", str(dump))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"1 questions from {questions}, corpus ") and "threshold" in lines[0]
    assert lines[1].startswith("| system | answerable: short answer |")
    assert lines[3].startswith("| article-bot (1 + 0) |")
    assert lines[4].startswith("| BM25 top sentence (1 + 0) |")
    assert "" in lines and lines[-1].startswith("| formal (1 + 0) |")
    assert json.loads(dump.read_text())["question"] == asked["question"]
    assert not (tmp_path / "index").exists()  # the operator's index is left alone


def test_chat_asks_the_article_of_the_answer_before_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import run_chat
    from bot.engine import ArticleQA
    from bot.settings import Settings
    from tests.test_pins import PAINTED, REOPEN, write_bridges

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_bridges(corpus)  # both say when their bridge reopens; only the Harbour one who painted it
    core = ArticleQA(Settings(corpus_dir=corpus, index_dir=tmp_path / "index").core, FakeEmbedder())
    core.open()
    assert run_chat(core, [REOPEN], interactive=False) == 1
    alone = capsys.readouterr().out
    assert "14 March" in alone.split("[1]")[0]  # asked first, of all articles: the Mill Bridge
    assert run_chat(core, [PAINTED, REOPEN], interactive=False) == 2
    painted, after = capsys.readouterr().out.split("> ")[1:]
    assert "Mara Olsen" in painted
    assert "2 June" in after and "14 March" not in after  # after the Harbour answer, the Harbour Bridge


def test_chat_reads_this_as_the_article_of_the_answer_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import run_chat
    from bot.engine import ArticleQA
    from bot.settings import Settings

    class Recording(ArticleQA):
        articles: ClassVar[list[str | None]] = []

        def ask(self, question: str, *args: Any, **options: Any) -> Any:
            self.articles.append(options.get("context_article"))
            return super().ask(question, *args, **options)

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "china-first-woman-spacewalk.txt", corpus)
    (corpus / "panda.txt").write_text(
        "---\nurl: https://news.example.org/panda-cub\ndate: 2024-09-02\nauthor: Dana Whitfield\n---\n"
        "Zoo celebrates the birth of a panda cub\n\nThe zoo's giant panda gave birth to a cub on Sunday.\n"
    )
    core = Recording(Settings(corpus_dir=corpus, index_dir=tmp_path / "index").core, FakeEmbedder())
    core.open()
    questions = ["when did the giant panda give birth", "who wrote this", "link?"]
    asked = run_chat(core, questions, interactive=False)
    out = capsys.readouterr().out
    assert asked == 3
    assert "Dana Whitfield" in out and "https://news.example.org/panda-cub" in out  # not the newest's
    assert core.articles == [None, "panda", "panda"]  # the article each answer before came from


def test_ask_without_a_question_or_with_an_unknown_article_says_how_to_ask(
    in_process: Callable[..., tuple[int, str, str]],
) -> None:
    code, out, err = in_process("ask")  # nothing on standard input either
    assert code == 2 and out == "" and "no question: give one as an argument" in err
    code, out, err = in_process("ask", "--article", "nosuch", "Who walked in space?")
    assert code == 2 and out == ""
    assert "no article 'nosuch' in the index" in err and "`python -m bot list` shows the ids" in err
    code, out, _ = in_process("ask", "--article", "china-first-woman-spacewalk", "Who walked in space?")
    assert code == 0 and "[1]" in out


def test_chat_shows_the_start_of_a_long_question_it_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import ECHO_CHARS, run_chat
    from bot.engine import ArticleQA
    from bot.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "china-first-woman-spacewalk.txt", corpus)
    core = ArticleQA(Settings(corpus_dir=corpus, index_dir=tmp_path / "index").core, FakeEmbedder())
    core.open()
    assert run_chat(core, ["why " * 1500], interactive=False) == 1
    echo, error = capsys.readouterr().out.splitlines()[:2]
    assert echo == "> " + ("why " * 1500)[:ECHO_CHARS] + "…"
    assert error == "error: the question is 5,999 characters; the limit is 1,000"
