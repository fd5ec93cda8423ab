"""Block checksums of a version's files, reused where a new version repeats old bytes.

Index files are checksummed block by block: the manifest holds the SHA-256 of
the concatenated SHA-256s of their 4 MiB blocks. A change anywhere changes it,
as with a whole-file SHA-256, but a new version that starts with the same bytes
as the previous one (an article appended) hashes only the blocks that differ.
A vector file's checksum covers its header and the rows in use, not spare rows.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import IndexUnusableError
from bot.index.files import ARTICLES, CHUNK_VECTORS, DATA_FILES, SENTENCE_VECTORS, npy_layout, rows_end

if TYPE_CHECKING:
    from bot.index.snapshot import IndexSnapshot

BLOCK = 4 << 20  # bytes
BLOCK_SCHEME = "sha256/4MiB:"


@dataclass(frozen=True)
class SameBytes:
    """Bytes [start, end) that a new file shares, at the same offsets, with `path`,
    whose first `limit` bytes `digests` cover. Old blocks only partly inside the
    range are hashed again before their bytes are trusted."""

    path: Path
    digests: list[bytes]
    start: int
    end: int
    limit: int


def block_digests(path: Path, limit: int | None = None, same: SameBytes | None = None) -> list[bytes]:
    """The SHA-256 (32 bytes) of each BLOCK of the first `limit` bytes of `path` (all
    when None); digests of blocks wholly inside `same` are taken from it.

    Raises IndexUnusableError when the file is shorter than `limit` or a block of
    `same` that is only partly reused no longer matches its digest.
    """
    size = path.stat().st_size
    limit = size if limit is None else limit
    if limit > size:
        raise IndexUnusableError(f"{path} does not match its checksum (corrupt or truncated)")
    if same is not None:
        _check_straddling(same)
    digests = []
    with path.open("rb") as handle:
        for lo in range(0, limit, BLOCK):
            hi = min(lo + BLOCK, limit)
            i = lo // BLOCK
            if (
                same is not None
                and i < len(same.digests)
                and same.start <= lo
                and hi <= same.end
                and hi == min(lo + BLOCK, same.limit)  # the extent the old digest covers
            ):
                digests.append(same.digests[i])
                continue
            handle.seek(lo)
            digests.append(hashlib.sha256(handle.read(hi - lo)).digest())
    return digests


def _check_straddling(same: SameBytes) -> None:
    if same.end <= same.start:
        return
    with same.path.open("rb") as handle:
        for i in sorted({same.start // BLOCK, (same.end - 1) // BLOCK}):
            if i >= len(same.digests):
                continue
            handle.seek(i * BLOCK)
            block = handle.read(min(BLOCK, same.limit - i * BLOCK))
            if hashlib.sha256(block).digest() != same.digests[i]:
                raise IndexUnusableError(f"{same.path} does not match its checksum (corrupt or truncated)")


def combined_digest(digests: list[bytes]) -> str:
    """The manifest's checksum of a file from its block digests: "sha256/4MiB:<hex>"."""
    return BLOCK_SCHEME + hashlib.sha256(b"".join(digests)).hexdigest()


def verify(path: Path, expected: object, limit: int | None = None) -> list[bytes]:
    """The block digests of the file's first `limit` bytes, after checking them against
    the manifest's checksum (block scheme, or a whole-file SHA-256 from indexes written
    before it). Raises IndexUnusableError when the file is missing or does not match."""
    if not path.is_file():
        raise IndexUnusableError(f"{path} is missing")
    if isinstance(expected, str) and expected.startswith(BLOCK_SCHEME):
        digests = block_digests(path, limit)
        actual = combined_digest(digests)
    else:
        whole = hashlib.sha256()
        digests = []
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(BLOCK), b""):
                whole.update(block)
                digests.append(hashlib.sha256(block).digest())
        actual = whole.hexdigest()
    if actual != expected:
        raise IndexUnusableError(f"{path} does not match its checksum (corrupt or truncated)")
    return digests


def version_digests(
    folder: Path, old: IndexSnapshot | None, prefix: int, rows: dict[str, int]
) -> dict[str, list[bytes]]:
    """Block digests of a new version's files (vector files: the `rows` in use), reusing
    `old`'s for the bytes its first `prefix` articles occupy in both."""
    same: dict[str, SameBytes] = {}
    if old is not None and old.path is not None and prefix:
        articles = old.path / ARTICLES
        same[ARTICLES] = SameBytes(
            articles, old.digests[ARTICLES], 0, old.json_spans[prefix - 1][1], articles.stat().st_size
        )
        last = old.articles[prefix - 1]
        old_rows = {CHUNK_VECTORS: old.passage_count, SENTENCE_VECTORS: old.sentence_count}
        kept_rows = {
            CHUNK_VECTORS: int(old.chunk_start[prefix - 1]) + len(last.chunks),
            SENTENCE_VECTORS: int(old.sentence_offset[prefix - 1]) + len(last.sentences),
        }
        for name, count in kept_rows.items():
            start, _, width = npy_layout(old.path / name)
            if start == npy_layout(folder / name)[0]:
                limit = start + old_rows[name] * width
                same[name] = SameBytes(
                    old.path / name, old.digests[name], start, start + count * width, limit
                )
                if count == old_rows[name] and os.path.samefile(old.path / name, folder / name):
                    # Rows appended in place: the header is the same bytes too.
                    same[name] = SameBytes(old.path / name, old.digests[name], 0, limit, limit)
    return {
        name: block_digests(
            folder / name, rows_end(folder / name, rows[name]) if name in rows else None, same.get(name)
        )
        for name in DATA_FILES
    }
