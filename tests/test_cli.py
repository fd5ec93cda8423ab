"""The command line, run as users run it: `python -m bot …` in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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
