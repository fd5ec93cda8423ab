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
from typing import Any

import numpy as np
import pytest

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
    assert missing.returncode == 1 and "no article" in missing.stderr
    bad = tmp_path / "notes.pdf"
    bad.write_bytes(b"%PDF-1.4")
    refused = run("add", str(bad), "--corpus", str(corpus), "--index", str(index))
    assert refused.returncode == 1 and "unsupported" in refused.stderr


# ---- in-process runs, with the fake embedder in place of the model ----------------------

FAKE_TOKEN = "MTIz.secret-token-value"


@pytest.fixture
def in_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    """`main(argv)` in this process with FakeEmbedder as the model; returns (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)  # no .env from the project folder
    monkeypatch.setenv("CORPUS_DIR", str(corpus))
    monkeypatch.setenv("INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("DISCORD_TOKEN", FAKE_TOKEN)
    monkeypatch.setattr(cli, "SentenceTransformerEmbedder", lambda model: FakeEmbedder())

    def run_main(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

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
