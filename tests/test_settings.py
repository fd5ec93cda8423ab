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
