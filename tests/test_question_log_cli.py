"""The question log from the command line: `ask --log`, `chat --log`, `forget-user`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from bot import cli
from bot.db import Database, schema
from bot.db.questions import AskedQuestion, QuestionLog
from bot.models import Answer
from tests.fakes import FakeEmbedder


@pytest.fixture
def run_cli(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, corpus: Path
) -> Callable[..., tuple[int, str, str]]:
    """The CLI in this process with the fake embedder and no reader; (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)  # the default database lands in tmp_path/data/
    monkeypatch.setenv("CORPUS_DIR", str(corpus))
    monkeypatch.setenv("INDEX_DIR", str(tmp_path / "index"))
    runtime = cli.Runtime(
        embedder_factory=lambda model: FakeEmbedder(name=model),
        reader_factory=lambda: (None, None),  # type: ignore[arg-type,return-value]
    )

    def run_main(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        result = CliRunner().invoke(cli.cli, list(argv), obj=runtime, input=stdin, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return run_main


def logged(tmp_path: Path) -> list[sa.Row[tuple[object, ...]]]:
    db = Database(f"sqlite:///{tmp_path / 'data' / 'article-bot.db'}")
    with db.begin() as connection:
        return list(connection.execute(sa.select(schema.questions).order_by(schema.questions.c.id)).all())


def test_ask_and_chat_log_only_when_asked(
    run_cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    code, _, err = run_cli("ask", "Which rocket launched the Shenzhou-13 spaceship?")
    assert code == 0, err
    assert not (tmp_path / "data").exists()  # no --log: no database
    code, _, err = run_cli("ask", "--log", "--json", "Which rocket launched the Shenzhou-13 spaceship?")
    assert code == 0, err
    code, _, err = run_cli("chat", "--log", stdin="who walked in space?\nand when?\n")
    assert code == 0, err
    rows = logged(tmp_path)
    assert [r.question for r in rows] == [
        "Which rocket launched the Shenzhou-13 spaceship?", "who walked in space?", "and when?"
    ]
    assert all(r.source == "cli" and r.user_hash is None and r.latency_ms > 0 for r in rows)
    assert "Long March-2F" in rows[0].answer


def test_forget_user_deletes_one_persons_rows(
    run_cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'data' / 'article-bot.db'}")
    log = QuestionLog(db)
    answer = Answer("q", "The article does not say.", True, 0.1)
    for user in (111, 111, 222):
        log.record(AskedQuestion("q", answer, 5.0, user_id=user))
    code, out, err = run_cli("forget-user", "111")
    assert code == 0, err
    assert out.strip() == "Deleted 2 question(s) and 0 vote(s) of user 111."
    assert [r.user_hash for r in logged(tmp_path)] == [db.user_hash(222)]
    code, out, err = run_cli("forget-user", "alice")
    assert code == 1 and "is not a Discord user id" in err


def test_forget_user_reads_the_id_as_discord_gives_it(
    run_cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'data' / 'article-bot.db'}")
    answer = Answer("q", "The article does not say.", True, 0.1)
    QuestionLog(db).record(AskedQuestion("q", answer, 5.0, user_id=111))
    for not_an_id in ("١١١", "²", "1" * 21, "-111"):  # digits of other scripts are not ids
        code, _, err = run_cli("forget-user", "--", not_an_id)
        assert code == 1 and "is not a Discord user id" in err, not_an_id
    code, out, err = run_cli("forget-user", " 0111 ")  # the number, as the bot hashed it
    assert code == 0, err
    assert out.strip() == "Deleted 1 question(s) and 0 vote(s) of user 111."
    assert logged(tmp_path) == []


def test_forget_user_does_not_create_a_database(
    run_cli: Callable[..., tuple[int, str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A mistyped DATABASE_URL must not answer "Deleted 0" while the person's rows stay elsewhere.
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'typo' / 'bot.db'}")
    code, out, err = run_cli("forget-user", "111")
    assert code == 1 and out == ""
    assert err == (
        f"error: no question log at {tmp_path / 'typo' / 'bot.db'}: nothing was logged yet, "
        "or DATABASE_URL names another\n"
    )
    assert not (tmp_path / "typo").exists()
