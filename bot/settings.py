"""All settings in one typed place, read from the environment and `.env`.

Nothing else in the package reads the environment: `Settings.from_env()` is
called once by the entry point and the result is passed down.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from dotenv import dotenv_values

from bot.errors import SettingsError

BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"

# Without a reader (tests with a fake embedder), the threshold of the similarity
# confidence: the highest that keeps the answerable hit rate at 0.80 or more on
# the development split of the SQuAD 2.0 benchmark (see CONFIDENCE_WEIGHTS in
# bot/answering.py). With the shipped reader, the default is the threshold
# recorded in its card (bot/artifacts/reader/card.json, tools/fit_confidence.py).
SIMILARITY_ABSTAIN_THRESHOLD = 0.15


@dataclass(frozen=True)
class Settings:
    """Everything the bot can be configured with.

    Each field maps to an upper-case environment variable of the same name
    (``corpus_dir`` ↔ ``CORPUS_DIR``).
    """

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    # A folder holding a sentence-transformers model, a model name, or the
    # bundled all-MiniLM-L6-v2 (the default; it needs no network).
    model: str = BUNDLED_MODEL
    # Below this confidence (0-1) the bot abstains; None: the calibrated default.
    abstain_threshold: float | None = None
    max_question_chars: int = 1000
    max_article_bytes: int = 5_000_000
    url_timeout_seconds: float = 10.0
    allow_private_urls: bool = False
    # Discord
    discord_token: str = field(default="", repr=False)
    guild_id: int | None = None
    operator_role_ids: tuple[int, ...] = ()
    operator_user_ids: tuple[int, ...] = ()
    allowed_channel_ids: tuple[int, ...] = ()
    cooldown_seconds: float = 10.0
    feedback_log: Path = Path("feedback.jsonl")
    shard_count: int | None = None
    shard_ids: tuple[int, ...] = ()
    discord_api_base: str = ""
    discord_gateway_url: str = ""
    log_level: str = "INFO"

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, dotenv_path: Path | None = Path(".env")
    ) -> Settings:
        """Read settings from `.env` (if present) overlaid by the environment."""
        values: dict[str, str] = {}
        if dotenv_path is not None and dotenv_path.is_file():
            values.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        kwargs: dict[str, object] = {}
        for f in fields(cls):
            raw = values.get(f.name.upper())
            if raw is None or raw.strip() == "":
                continue
            kwargs[f.name] = _parse(f.name.upper(), str(f.type), raw.strip())
        settings = cls(**kwargs)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with the given fields replaced (None values are ignored)."""
        given = {k: v for k, v in changes.items() if v is not None}
        updated = replace(self, **given)  # type: ignore[arg-type]
        updated.validate()
        return updated

    def validate(self) -> None:
        if self.abstain_threshold is not None and not 0.0 <= self.abstain_threshold <= 1.0:
            raise SettingsError("ABSTAIN_THRESHOLD must be between 0 and 1")
        if self.max_question_chars < 1:
            raise SettingsError("MAX_QUESTION_CHARS must be at least 1")
        if self.max_article_bytes < 1:
            raise SettingsError("MAX_ARTICLE_BYTES must be at least 1")
        if self.cooldown_seconds < 0:
            raise SettingsError("COOLDOWN_SECONDS must not be negative")
        if self.shard_count is not None and self.shard_count < 1:
            raise SettingsError("SHARD_COUNT must be at least 1")
        if self.shard_ids and self.shard_count is None:
            raise SettingsError("SHARD_IDS needs SHARD_COUNT")
        if self.shard_count is not None and any(not 0 <= s < self.shard_count for s in self.shard_ids):
            raise SettingsError("SHARD_IDS must each be between 0 and SHARD_COUNT - 1")
        if self.discord_token and any(c.isspace() for c in self.discord_token):
            raise SettingsError("DISCORD_TOKEN must not contain white space")


def _parse(name: str, type_name: str, raw: str) -> object:
    try:
        if "tuple[int" in type_name:
            return tuple(int(part) for part in raw.replace(";", ",").split(",") if part.strip())
        if type_name.startswith("int"):
            return int(raw)
        if type_name.startswith("float"):
            return float(raw)
        if type_name == "bool":
            lowered = raw.lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if type_name == "Path":
            return Path(raw).expanduser()
    except ValueError:
        raise SettingsError(f"{name} has a bad value: expected {type_name}") from None
    return raw
