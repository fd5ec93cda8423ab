"""The version folders of an index folder: the CURRENT pointer, the lock, the
temporary folder a version is written in, its publication, and pruning."""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from bot.errors import IndexUnusableError

CURRENT = "CURRENT"
LOCK = ".lock"


def current_version(index_dir: Path) -> Path | None:
    """The live version folder CURRENT names (None when there is no CURRENT).

    Raises IndexUnusableError when CURRENT cannot be read or names no version folder.
    """
    pointer = index_dir / CURRENT
    try:
        name = pointer.read_text().strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexUnusableError(f"cannot read {pointer}: {exc}") from exc
    if not name or "/" in name or "\0" in name or name.startswith("."):
        raise IndexUnusableError(f"{pointer} does not name a version folder")
    return index_dir / name


@contextlib.contextmanager
def locked(index_dir: Path) -> Iterator[None]:
    """Hold the index folder's lock (created with the folder if need be): one writer at a time."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def staging(index_dir: Path) -> Iterator[Path]:
    """A new, empty temporary folder in `index_dir` to write a version in.

    Leftovers of earlier interrupted writes are removed first; when the block
    raises, the folder goes too (`publish` has moved it away by the time it succeeds).
    """
    for leftover in index_dir.glob(".tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in index_dir.glob(f".{CURRENT}.*"):
        leftover.unlink(missing_ok=True)
    folder = index_dir / f".tmp-{secrets.token_hex(4)}"
    folder.mkdir(parents=True)
    try:
        yield folder
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def publish(index_dir: Path, folder: Path) -> Path:
    """Make the complete version written in `folder` the live one; return its new path.

    Its files are fsynced, the folder renamed to v-<UTC time>-<random>, and CURRENT
    replaced (os.replace) by a pointer to it; older versions are then pruned. Until
    the replace, CURRENT names the previous version, and on an error (OSError) up
    to that point the new version and pointer are removed.
    """
    version: Path | None = None
    pointer: Path | None = None
    try:
        for path in sorted(folder.iterdir()):
            fsync(path)
        version = index_dir / f"v-{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(3)}"
        os.rename(folder, version)
        pointer = index_dir / f".{CURRENT}.{secrets.token_hex(3)}"
        pointer.write_text(version.name + "\n")
        fsync(pointer)
        os.replace(pointer, index_dir / CURRENT)
    except BaseException:
        if version is not None:
            shutil.rmtree(version, ignore_errors=True)
        if pointer is not None:
            pointer.unlink(missing_ok=True)
        raise
    fsync_dir(index_dir)
    prune(index_dir, keep={version.name})
    return version


def prune(index_dir: Path, keep: set[str]) -> None:
    """Remove old versions but those in `keep` and the newest other one (for readers mid-load)."""
    versions = sorted(
        (p for p in index_dir.glob("v-*") if p.is_dir() and p.name not in keep),
        key=lambda p: p.stat().st_mtime,
    )
    for old in versions[:-1]:
        shutil.rmtree(old, ignore_errors=True)


def fsync(path: Path) -> None:
    """Flush a file (or folder) to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries to the disk, where the system allows it."""
    with contextlib.suppress(OSError):
        fsync(path)
