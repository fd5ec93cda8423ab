"""The errors a person can fix: one family that every front end catches.

Each `UserError` carries a message written for the person who asked (a Discord
user, an operator at the terminal): what went wrong and, where there is one, the
fix. The CLI prints it as one line (`error: …`, exit 1); Discord answers it,
ephemeral where it can (bot/discord/errors.py). Anything that is not a
`UserError` is a bug or an outage: logged in full, never shown as is.

The classes also keep the built-in base they always had (`ValueError`,
`RuntimeError`), so code that catches those still does.
"""

from __future__ import annotations


class UserError(Exception):
    """An expected problem, told in its own words."""


class SettingsError(UserError, ValueError):
    """A setting is missing or malformed; the message names the variable."""


class QuestionError(UserError, ValueError):
    """The question cannot be asked as given; the message says why."""


class ArticleError(UserError, ValueError):
    """An article file cannot be read as text; the message says why."""


class FetchError(UserError, RuntimeError):
    """The URL cannot be fetched as an article; the message says why."""


class CorpusError(UserError, RuntimeError):
    """The corpus folder cannot be read or written; the message names the file."""


class IndexUnusableError(UserError, RuntimeError):
    """The index cannot be loaded or built: missing, corrupt, or built with another model."""


class StorageError(IndexUnusableError):
    """Writing the index failed (the disk is full, a folder is read-only); the message says which."""


class EmbedderError(UserError, RuntimeError):
    """The embedding model cannot be loaded; the message names the folder or model."""


class ReaderError(UserError, RuntimeError):
    """The shipped reader cannot be loaded; the message says which file and why."""


class CommandError(UserError, RuntimeError):
    """A command cannot do what was asked (a missing option, nothing to do)."""


class StartError(UserError, RuntimeError):
    """The Discord bot cannot start (a bad token, a missing intent); the message says how to fix it."""
