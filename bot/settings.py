"""All settings in one typed place, read from the environment and `.env`.

Nothing else in the package reads the environment: `Settings.from_env()` is
called once by the entry point and the result is passed down. The core gets
only its part (`Settings.core`), never the Discord token.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from bot.errors import SettingsError

BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"
MAX_FEED_POLL_MINUTES = 525_600  # a year; more overflowed the poll's date arithmetic

UserPath = Annotated[Path, AfterValidator(Path.expanduser)]
# Discord ids, written "1,2" or "1;2" in the environment.
Ids = Annotated[tuple[int, ...], NoDecode]


@dataclass(frozen=True)
class CoreSettings:
    """What the question-answering core (`ArticleQA`) is configured with.

    `max_question_chars`: characters; `max_article_bytes`: bytes of an article file,
    upload or download; `url_timeout_seconds`: seconds for fetching a URL;
    `abstain_threshold`: a confidence in [0, 1] below which the core abstains, None
    for the calibrated default.
    """

    corpus_dir: Path
    index_dir: Path
    max_question_chars: int = 1000
    max_article_bytes: int = 5_000_000
    url_timeout_seconds: float = 10.0
    allow_private_urls: bool = False
    abstain_threshold: float | None = None


class Settings(BaseSettings):
    """Everything the bot can be configured with.

    Each field maps to an upper-case environment variable of the same name
    (``corpus_dir`` ↔ ``CORPUS_DIR``). `Settings(...)` takes only what it is
    given; `from_env()` reads the environment and `.env`. Invalid values raise
    SettingsError (from `from_env` and `with_overrides`) naming the variable.
    """

    model_config = SettingsConfigDict(frozen=True, extra="ignore", hide_input_in_errors=True)

    corpus_dir: UserPath = Path("corpus")
    index_dir: UserPath = Path("index")
    # A folder holding a sentence-transformers model, a model name, or the
    # bundled all-MiniLM-L6-v2 (the default; it needs no network).
    model: str = BUNDLED_MODEL
    # Below this confidence (0-1) the bot abstains; None: the calibrated default.
    abstain_threshold: float | None = None
    max_question_chars: int = 1000
    max_article_bytes: int = 5_000_000
    url_timeout_seconds: float = 10.0
    allow_private_urls: bool = False
    # Discord; None: not set (the CLI's `run` then starts the terminal chat).
    discord_token: SecretStr | None = None
    guild_id: int | None = None
    operator_role_ids: Ids = ()
    operator_user_ids: Ids = ()
    allowed_channel_ids: Ids = ()
    cooldown_seconds: float = 10.0
    # A JSON-lines file of 👍/👎 votes from before the database; imported into it once.
    feedback_log: UserPath = Path("feedback.jsonl")
    # The operators' database (question log, votes, feeds, pins): a SQLAlchemy URL,
    # e.g. sqlite:///data/article-bot.db (the default) or postgresql://user:pw@host/db.
    database_url: SecretStr = SecretStr("sqlite:///data/article-bot.db")
    # Record every question asked on Discord (the CLI's ask/chat only with --log).
    log_questions: bool = True
    # Logged questions and votes older than this many days are deleted; 0 keeps them.
    log_retention_days: int = 90
    # The secret mixed into the hashes of user ids; None: one kept in the database.
    log_salt: SecretStr | None = None
    # Minutes between two polls of the followed feeds (`feeds add`).
    feed_poll_minutes: float = 30.0
    shard_count: int | None = None
    shard_ids: Ids = ()
    discord_api_base: str = ""
    discord_gateway_url: str = ""
    # The level of the command line's log on stderr (`-v`: DEBUG).
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the values given to the constructor: from_env() reads the environment and
        `.env` itself (empty values unset, `.env` under the environment), so that
        `Settings(...)` in tests never picks up the machine's environment."""
        return (init_settings,)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, dotenv_path: Path | None = Path(".env")
    ) -> Settings:
        """Read settings from `.env` (if present) overlaid by the environment.

        `environ`: variables read instead of the process environment (tests).
        Empty values count as unset. Raises SettingsError naming the bad variable.
        """
        raw: dict[str, Any] = {}
        if dotenv_path is not None:
            try:
                raw.update(DotEnvSettingsSource(cls, env_file=dotenv_path)())
            except UnicodeDecodeError:
                raise SettingsError(f"{dotenv_path} is not UTF-8 text") from None
        if environ is None:
            raw.update(EnvSettingsSource(cls)())
        else:
            raw.update({name: environ[name.upper()] for name in cls.model_fields if name.upper() in environ})
        # An empty value in the environment unsets the variable, also one set in .env.
        stripped = {k: v.strip() if isinstance(v, str) else v for k, v in raw.items()}
        values = {k: v for k, v in stripped.items() if v != ""}
        return cls._validated(values)

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with the given fields replaced (None values are ignored); SettingsError if invalid."""
        return self._validated({**dict(self), **{k: v for k, v in changes.items() if v is not None}})

    def reveal_database_url(self) -> str:
        """DATABASE_URL in clear (it may hold a password), for opening the database alone."""
        return self.database_url.get_secret_value()

    def reveal_token(self) -> str:
        """The Discord token in clear, for discord.py alone ("" when unset)."""
        return self.discord_token.get_secret_value() if self.discord_token is not None else ""

    @property
    def core(self) -> CoreSettings:
        """The part the question-answering core needs (no token)."""
        return CoreSettings(**{f.name: getattr(self, f.name) for f in fields(CoreSettings)})

    @classmethod
    def _validated(cls, values: Mapping[str, Any]) -> Settings:
        try:
            return cls(**values)
        except ValidationError as exc:
            raise _settings_error(exc) from None

    @field_validator(
        "operator_role_ids", "operator_user_ids", "allowed_channel_ids", "shard_ids", mode="before"
    )
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part for part in value.replace(";", ",").split(",") if part.strip())
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("discord_token", mode="before")
    @classmethod
    def _check_token(cls, value: object) -> object:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, str):
            if not value:
                return None
            if any(c.isspace() for c in value):
                raise ValueError("DISCORD_TOKEN must not contain white space")
        return value

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.abstain_threshold is not None and not 0.0 <= self.abstain_threshold <= 1.0:
            raise ValueError("ABSTAIN_THRESHOLD must be between 0 and 1")
        if self.max_question_chars < 1:
            raise ValueError("MAX_QUESTION_CHARS must be at least 1")
        if self.max_article_bytes < 1:
            raise ValueError("MAX_ARTICLE_BYTES must be at least 1")
        if not 0 <= self.cooldown_seconds < math.inf:
            raise ValueError("COOLDOWN_SECONDS must be a number of seconds, 0 or more")
        if not 0 < self.url_timeout_seconds < math.inf:
            raise ValueError("URL_TIMEOUT_SECONDS must be a number of seconds above 0")
        if self.log_retention_days < 0:
            raise ValueError("LOG_RETENTION_DAYS must be a number of days, 0 (keep) or more")
        if not 1 <= self.feed_poll_minutes <= MAX_FEED_POLL_MINUTES:
            raise ValueError(
                "FEED_POLL_MINUTES must be a number of minutes from 1 "
                f"to {MAX_FEED_POLL_MINUTES:,} (a year)"
            )
        problem = database_url_problem(self.reveal_database_url())
        if problem is not None:
            raise ValueError(f"DATABASE_URL {problem}")
        if self.shard_count is not None and self.shard_count < 1:
            raise ValueError("SHARD_COUNT must be at least 1")
        if self.shard_ids and self.shard_count is None:
            raise ValueError("SHARD_IDS needs SHARD_COUNT")
        if self.shard_count is not None and any(not 0 <= s < self.shard_count for s in self.shard_ids):
            raise ValueError("SHARD_IDS must each be between 0 and SHARD_COUNT - 1")
        return self


DATABASE_URL_FORMS = "sqlite:///PATH or postgresql://user:password@host:5432/dbname"


def database_url_problem(url: str) -> str | None:
    """Why `url` cannot hold the operators' database (a phrase that follows "DATABASE_URL"
    and never repeats the URL, which may hold a password), or None when it can: only SQLite
    in a file and PostgreSQL are supported; an in-memory SQLite database would lose
    everything at exit. Read with the standard library, so that checking the settings
    does not load SQLAlchemy (half a second)."""
    scheme, separator, rest = url.partition("://")
    if not separator or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme):
        return f"is not a database URL: give {DATABASE_URL_FORMS}"
    backend = scheme.split("+", 1)[0].lower()
    if backend == "postgres":
        backend = "postgresql"
    if backend not in ("sqlite", "postgresql"):
        return f"names an unsupported database ({backend}): give {DATABASE_URL_FORMS}"
    path = rest.partition("?")[0]
    if backend == "sqlite" and path.removeprefix("/") in ("", ":memory:"):
        return "names no SQLite file (an in-memory database would lose everything): give sqlite:///PATH"
    return None


_EXPECTED = {
    **dict.fromkeys(
        ("operator_role_ids", "operator_user_ids", "allowed_channel_ids", "shard_ids"), "ids, comma-separated"
    ),
    "discord_token": "a token",
    "database_url": "a database URL",
    "log_salt": "a secret",
    "log_level": "one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
}


def _settings_error(exc: ValidationError) -> SettingsError:
    """One line naming the variable, without the value (which may be the token)."""
    error = exc.errors(include_input=False, include_url=False)[0]
    if error["type"] == "value_error" and "error" in error.get("ctx", {}):
        return SettingsError(str(error["ctx"]["error"]))
    name = str(error["loc"][0]) if error["loc"] else "?"
    annotation = Settings.model_fields[name].annotation if name in Settings.model_fields else None
    expected = _EXPECTED.get(name) or getattr(annotation, "__name__", None) or str(annotation)
    expected = expected.removesuffix(" | None")  # "float | None": the None is "not set", not a value
    return SettingsError(f"{name.upper()} has a bad value: expected {expected}")
