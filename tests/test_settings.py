from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import SettingsError
from bot.settings import Settings


def test_reads_env_and_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("CORPUS_DIR=/data/articles\nCOOLDOWN_SECONDS=3\nOPERATOR_ROLE_IDS=1,2\n")
    settings = Settings.from_env({"COOLDOWN_SECONDS": "5"}, dotenv)
    assert settings.corpus_dir == Path("/data/articles")
    assert settings.cooldown_seconds == 5.0  # the environment wins over .env
    assert settings.operator_role_ids == (1, 2)


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"COOLDOWN_SECONDS": "soon"}, "COOLDOWN_SECONDS"),
        ({"ABSTAIN_THRESHOLD": "2"}, "ABSTAIN_THRESHOLD"),
        ({"SHARD_IDS": "0"}, "SHARD_IDS"),
        ({"GUILD_ID": "abc"}, "GUILD_ID"),
        ({"URL_TIMEOUT_SECONDS": "0"}, "URL_TIMEOUT_SECONDS"),
        ({"URL_TIMEOUT_SECONDS": "nan"}, "URL_TIMEOUT_SECONDS"),
        ({"COOLDOWN_SECONDS": "nan"}, "COOLDOWN_SECONDS"),
        ({"FEED_POLL_MINUTES": "1e308"}, "FEED_POLL_MINUTES"),  # was an OverflowError in `feeds poll`
        ({"FEED_POLL_MINUTES": "0.001"}, "FEED_POLL_MINUTES"),  # would poll without pause
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env(env, None)


def test_token_never_in_repr_or_errors() -> None:
    settings = Settings.from_env({"DISCORD_TOKEN": "secret.token.value"}, None)
    assert "secret.token.value" not in repr(settings)
    with pytest.raises(SettingsError) as info:
        Settings.from_env({"DISCORD_TOKEN": "bad token with spaces"}, None)
    assert "bad token" not in str(info.value)


def test_empty_values_unset_and_id_lists_take_commas_or_semicolons(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("DISCORD_TOKEN=from.dot.env\nALLOWED_CHANNEL_IDS=7\n")
    environ = {"DISCORD_TOKEN": "", "OPERATOR_USER_IDS": "1; 2,3", "GUILD_ID": " "}
    settings = Settings.from_env(environ, dotenv)
    assert settings.discord_token is None  # an empty variable unsets the .env value
    assert settings.operator_user_ids == (1, 2, 3) and settings.allowed_channel_ids == (7,)
    assert settings.guild_id is None


def test_the_core_gets_its_part_without_the_token() -> None:
    settings = Settings.from_env({"DISCORD_TOKEN": "secret.token.value", "MAX_QUESTION_CHARS": "50"}, None)
    assert settings.reveal_token() == "secret.token.value"
    assert settings.core.max_question_chars == 50
    assert "secret" not in repr(settings.core) and not hasattr(settings.core, "discord_token")


def test_a_dotenv_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_bytes(b"MODEL=\xff\xfe\n")
    with pytest.raises(SettingsError, match=r"\.env is not UTF-8 text"):
        Settings.from_env({}, dotenv)


def test_a_bad_number_names_its_type_without_none() -> None:
    with pytest.raises(SettingsError, match=r"^ABSTAIN_THRESHOLD has a bad value: expected float$"):
        Settings.from_env({"ABSTAIN_THRESHOLD": "abc"}, None)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://someone:hunter2@db.example/bot", "unsupported database (mysql)"),
        ("not a url, hunter2", "is not a database URL"),
        ("sqlite://", "names no SQLite file"),
        ("sqlite:///", "names no SQLite file"),
        ("sqlite:///:memory:", "names no SQLite file"),
    ],
)
def test_a_database_url_that_cannot_hold_the_log_is_refused(url: str, problem: str) -> None:
    # An in-memory database would take `feeds add`, `ask --log` and votes and lose them at exit;
    # another scheme failed later with a traceback (its driver is not installed).
    with pytest.raises(SettingsError, match="DATABASE_URL") as caught:
        Settings.from_env({"DATABASE_URL": url}, None)
    assert problem in str(caught.value) and "hunter2" not in str(caught.value)
    for good in ("sqlite:///data/article-bot.db", "postgresql://u:pw@host:5432/db", "postgres://u@h/db"):
        assert Settings.from_env({"DATABASE_URL": good}, None).reveal_database_url() == good
