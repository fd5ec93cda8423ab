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

import errno
import os
from pathlib import Path


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


class FeedError(UserError, ValueError):
    """A news feed cannot be followed, read or found as given; the message says why."""


class CorpusError(UserError, RuntimeError):
    """The corpus folder cannot be read or written; the message names the file."""


class IndexUnusableError(UserError, RuntimeError):
    """The index cannot be loaded or built: missing, corrupt, or built with another model."""


class StorageError(IndexUnusableError):
    """Writing the index failed (the disk is full, a folder is read-only); the message says which."""


def describe_os_error(exc: OSError) -> str:
    """One line for a failed file operation, naming a full disk or a missing permission as such."""
    if exc.errno == errno.ENOSPC:
        what = "no space left on the disk"
    elif exc.errno == errno.EDQUOT:
        what = "the disk quota is used up"
    elif exc.errno in (errno.EACCES, errno.EPERM) and exc.filename:
        # Typical of a host folder bind-mounted into the image, which runs as uid 10001.
        folder = Path(exc.filename).parent
        uid = os.getuid()
        return (
            f"permission denied ({exc.filename}): this process runs as user id {uid} and cannot "
            f"write in {folder}; make that folder writable for it (on a Docker host: "
            f"`sudo chown -R {uid} HOST_FOLDER`, or use a named volume), or choose another folder"
        )
    else:
        what = exc.strerror or str(exc) or type(exc).__name__
    return f"{what} ({exc.filename})" if exc.filename else what


class EmbedderError(UserError, RuntimeError):
    """The embedding model cannot be loaded; the message names the folder or model."""


class ReaderError(UserError, RuntimeError):
    """The shipped reader cannot be loaded; the message says which file and why."""


class CommandError(UserError, RuntimeError):
    """A command cannot do what was asked (a missing option, nothing to do)."""


class StartError(UserError, RuntimeError):
    """The Discord bot cannot start (a bad token, a missing intent); the message says how to fix it."""
