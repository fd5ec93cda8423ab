"""The built index on disk: manifest, passages, vectors; incremental, atomic reindex.

Layout of the index folder::

    index/CURRENT            name of the live version folder (replaced atomically)
    index/v-<time>-<rand>/   manifest.json, articles.json, chunk_vectors.npy,
                             sentence_vectors.npy, chunks.faiss
    index/.lock              held while a reindex runs

A reindex writes a complete new version folder, fsyncs it, and only then
points CURRENT at it with `os.replace`. Killing the process at any moment
leaves CURRENT naming a complete, checksummed version.

Rows keep the previous version's articles in their order and add new ones
after them, so that adding an article costs what the article costs, not what
the index holds: the new articles.json starts with the old one's bytes, the
checksums of unchanged 4 MiB blocks are carried over, large vector files are
memory-mapped and grow in place into spare rows that no earlier version
covers (the new version's file is a hard link to the old one), and an
approximate FAISS index is extended rather than refitted.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import hashlib
import json
import logging
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from bot.articles import article_id_for, find_article_files, parse_article
from bot.chunking import ChunkingConfig, build_record
from bot.embedding import Embedder
from bot.errors import ArticleError, CorpusError, IndexUnusableError, StorageError
from bot.models import ArticleRecord, Chunk
from bot.vectors import VectorIndex

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
CURRENT = "CURRENT"
_FILES = ("articles.json", "chunk_vectors.npy", "sentence_vectors.npy", "chunks.faiss")

ProgressCallback = Callable[[int, int], None]  # (done, total) chunks+sentences embedded


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


def article_labels(records: Sequence[ArticleRecord]) -> dict[str, str]:
    """id -> the name a citation shows for each article: its title, and when another
    article has the same title (two outlets, an update, a wire copy), what tells
    them apart: the outlet and date where they differ, else the file name."""
    groups: dict[str, list[ArticleRecord]] = {}
    for record in records:
        groups.setdefault(" ".join(record.title.lower().split()).rstrip(" .!?:;"), []).append(record)
    labels: dict[str, str] = {}
    for group in groups.values():
        if len(group) == 1:
            labels[group[0].id] = group[0].title
            continue
        differ = [f for f in ("source", "date") if len({getattr(r, f) for r in group}) > 1]
        told = {r.id: [str(getattr(r, f)) for f in differ if getattr(r, f)] for r in group}
        for record in group:
            parts = told[record.id]
            if not parts or list(told.values()).count(parts) > 1:
                parts = [*parts, record.file]
            labels[record.id] = f"{record.title} ({', '.join(parts)})"
    return labels


@dataclass
class IndexSnapshot:
    """One loaded, immutable version of the index.

    Rows of `chunk_vectors` and `sentence_vectors` (and ids in `vectors`) follow
    `articles` in order: the first article's chunks, then the next article's, and so on.
    """

    manifest: dict[str, object]
    articles: list[ArticleRecord]
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray
    vectors: VectorIndex
    path: Path | None = None
    # Row lookups, filled in __post_init__ (arrays: a million passages stay a few MB).
    chunk_start: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # first chunk row
    sentence_offset: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # first sentence row
    chunk_article: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # article of each row
    sentence_count: int = 0
    # What the next version can reuse without reading this one again: the SHA-256
    # of each block of each file, and where each article sits in articles.json.
    digests: dict[str, list[bytes]] = field(default_factory=dict, repr=False)
    json_spans: list[tuple[int, int]] = field(default_factory=list, repr=False)
    _positions: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        chunk_counts = np.array([len(r.chunks) for r in self.articles], dtype=np.int64)
        sentence_counts = np.array([len(r.sentences) for r in self.articles], dtype=np.int64)
        self.chunk_start = np.cumsum(chunk_counts) - chunk_counts
        self.sentence_offset = np.cumsum(sentence_counts) - sentence_counts
        self.chunk_article = np.repeat(np.arange(len(self.articles), dtype=np.int32), chunk_counts)
        self._positions = {r.id: a for a, r in enumerate(self.articles)}
        self.sentence_count = int(sentence_counts.sum())

    @property
    def built_at(self) -> str:
        return str(self.manifest.get("built_at", ""))

    @property
    def duplicates(self) -> dict[str, str]:
        """Corpus files left out because another file holds the same text: file -> that file."""
        found = self.manifest.get("duplicates", {})
        assert isinstance(found, dict)
        return {str(k): str(v["same_as"]) for k, v in found.items()}

    @functools.cached_property
    def labels(self) -> dict[str, str]:
        """How citations name each article (id -> label); see article_labels."""
        return article_labels(self.articles)

    def newest(self) -> ArticleRecord | None:
        """The article with the latest date; one without a date counts from when it was added."""
        if not self.articles:
            return None
        return max(enumerate(self.articles), key=lambda p: (p[1].date or p[1].added[:10], p[0]))[1]

    def chunk(self, row: int) -> tuple[ArticleRecord, Chunk]:
        a = int(self.chunk_article[row])
        record = self.articles[a]
        return record, record.chunks[row - int(self.chunk_start[a])]

    def position(self, article_id: str) -> int | None:
        """The article's place in `articles` (None when it is not indexed)."""
        return self._positions.get(article_id)

    def article(self, article_id: str) -> ArticleRecord | None:
        a = self._positions.get(article_id)
        return None if a is None else self.articles[a]

    @property
    def passage_count(self) -> int:
        return len(self.chunk_article)


@dataclass
class ReindexReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # file -> reason
    # Files left out because another holds the same text: file -> {"same_as": file, "content_hash": …}
    duplicates: dict[str, dict[str, str]] = field(default_factory=dict)
    passages_added: int = 0
    passages_removed: int = 0
    texts_embedded: int = 0
    rebuilt_because: str = ""
    seconds: float = 0.0
    # The version written (or reused when nothing changed), ready to serve without a reload.
    snapshot: IndexSnapshot | None = field(default=None, repr=False, compare=False)

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.rebuilt_because)

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.changed)} changed",
            f"{len(self.removed)} removed",
            f"{len(self.unchanged)} unchanged",
        ]
        text = (
            f"articles: {', '.join(parts)}; passages: +{self.passages_added} "
            f"-{self.passages_removed}; {self.texts_embedded} texts embedded in {self.seconds:.1f}s"
        )
        if self.skipped:
            text += f"; {len(self.skipped)} file(s) skipped"
        for file, twin in self.duplicates.items():
            text += f"; {file} holds the same article as {twin['same_as']} (indexed once)"
        return text


def assign_ids(files: Sequence[str], previous: dict[str, str]) -> dict[str, str]:
    """An article id for every corpus file (relative path -> id), all distinct.

    A file keeps the id it had (`previous`: file -> id); a new one gets the id of its
    name (bot/articles.py article_id_for), and when another file has that already
    ("storm.txt" beside "storm.html", or in another folder), the id with its
    extension and, if need be, a number: "storm-html", "storm-html-2".
    """
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for file in files:
        if file in previous and previous[file] not in taken:
            ids[file] = previous[file]
            taken.add(ids[file])
    for file in files:
        if file in ids:
            continue
        base = article_id_for(Path(file))
        candidate, n = base, 2
        if candidate in taken:
            candidate = base = f"{base}-{Path(file).suffix.lstrip('.').lower() or 'file'}"
        while candidate in taken:
            candidate, n = f"{base}-{n}", n + 1
        ids[file] = candidate
        taken.add(candidate)
    return ids


def _drop_duplicates(
    keep: dict[str, ArticleRecord], fresh: dict[str, ArticleRecord]
) -> dict[str, dict[str, str]]:
    """Leave one record of each article text in `keep` and `fresh` (which it edits).

    Texts are compared as read (front matter and markup gone, white space
    collapsed), so a copy under another name, as .html beside .txt, or fetched
    twice from one URL is indexed once. The record already indexed stays, else
    the first by file name. Returns the files left out: file -> {"same_as": the
    file kept, "content_hash": the left-out file's SHA-256}.
    """
    first_of: dict[str, ArticleRecord] = {}
    dropped: dict[str, dict[str, str]] = {}
    for record in sorted([*keep.values(), *fresh.values()], key=lambda r: (r.id not in keep, r.file)):
        first = first_of.setdefault(record.text_digest, record)
        if first is not record:
            dropped[record.file] = {"same_as": first.file, "content_hash": record.content_hash}
            keep.pop(record.id, None)
            fresh.pop(record.id, None)
    return dict(sorted(dropped.items()))


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# Index files are checksummed block by block: the manifest holds the SHA-256 of
# the concatenated SHA-256s of their 4 MiB blocks. A change anywhere changes it,
# as with a whole-file SHA-256, but a new version that starts with the same bytes
# as the previous one (an article appended) hashes only the blocks that differ.
# A vector file's checksum covers its header and the rows in use, not spare rows.
BLOCK = 4 << 20
BLOCK_SCHEME = "sha256/4MiB:"
# Vector files at least this large are memory-mapped rather than read into memory,
# and written with SPARE_ROWS more rows than they hold, so that the next version can
# write its added rows into them in place instead of copying the file.
LARGE_FILE_BYTES = 64 << 20
SPARE_ROWS = 0.25


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
    """The SHA-256 of each BLOCK of the first `limit` bytes of `path` (all when None);
    digests of blocks wholly inside `same` are taken from it."""
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
    return BLOCK_SCHEME + hashlib.sha256(b"".join(digests)).hexdigest()


def _verify(path: Path, expected: object, limit: int | None = None) -> list[bytes]:
    """The block digests of the file's first `limit` bytes, after checking them against
    the manifest's checksum (block scheme, or a whole-file SHA-256 from indexes written
    before it)."""
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


def _npy_layout(path: Path) -> tuple[int, int, int]:
    """Where a .npy file's data begins, the rows its header declares, and bytes per row."""
    with path.open("rb") as handle:
        major, _ = np.lib.format.read_magic(handle)
        read = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(handle)
        width = int(np.prod(shape[1:], dtype=np.int64)) * dtype.itemsize
        return handle.tell(), int(shape[0]) if shape else 0, width


def _rows_end(path: Path, rows: int) -> int:
    """The byte just after the first `rows` rows of a .npy file."""
    offset, _, width = _npy_layout(path)
    return offset + rows * width


def _open_vectors(path: Path, rows: int) -> np.ndarray:
    """The first `rows` rows of a vector file, memory-mapped when the file is large
    (a question then reads only the rows it touches)."""
    large = path.stat().st_size >= LARGE_FILE_BYTES
    array = np.load(path, mmap_mode="r") if large else np.load(path)
    if len(array) < rows:
        raise ValueError(f"{path.name} holds {len(array)} rows, the manifest {rows}")
    return array[:rows]


def _write_rows(
    path: Path, parts: Sequence[np.ndarray], dimension: int, base: Path | None, base_rows: int
) -> None:
    """Write the rows of `parts`, in order, as a float32 .npy file at `path`.

    When `base` is the previous version's file, `parts[0]` its first `base_rows`
    rows, and it is large with spare rows for the rest, `path` becomes a second
    name for it and the new rows go into its spare rows: the previous version's
    rows, and so its checksum, are untouched. Otherwise large files are written
    with spare rows, and small ones whole.
    """
    rows = sum(len(p) for p in parts)
    row_bytes = 4 * dimension
    if base is not None and base.stat().st_size >= LARGE_FILE_BYTES:
        offset, capacity, width = _npy_layout(base)
        linked = False
        if capacity >= rows and len(parts[0]) == base_rows and width == row_bytes:
            with contextlib.suppress(OSError):  # no hard links here: write the file whole
                os.link(base, path)
                linked = True
        if linked:
            with path.open("r+b") as handle:
                handle.seek(offset + base_rows * row_bytes)
                for part in parts[1:]:
                    _write_block(handle, part)
            return
    if rows * row_bytes < LARGE_FILE_BYTES:
        np.save(path, np.concatenate(parts) if len(parts) != 1 else parts[0])
        return
    capacity = rows + max(int(rows * SPARE_ROWS), 1024)
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)), "fortran_order": False}
    with path.open("wb") as handle:
        np.lib.format.write_array_header_1_0(handle, {**header, "shape": (capacity, dimension)})
        offset = handle.tell()
        for part in parts:
            _write_block(handle, part)
        handle.truncate(offset + capacity * row_bytes)  # the spare rows: a hole, read as zeros


def _write_block(handle: BinaryIO, rows: np.ndarray, step: int = 65_536) -> None:
    for at in range(0, len(rows), step):
        handle.write(np.ascontiguousarray(rows[at : at + step], dtype=np.float32).tobytes())


def _read_articles(path: Path) -> tuple[list[ArticleRecord], list[tuple[int, int]]]:
    """The records in articles.json, with the byte span of each."""
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    ascii_only = len(text) == len(raw)
    decoder = json.JSONDecoder()
    records, spans = [], []
    at = _skip(text, 0, "[")
    extra = 0  # bytes beyond characters so far (UTF-8)
    while text[at] != "]":
        data, end = decoder.raw_decode(text, at)
        records.append(ArticleRecord.from_json(data))
        if not ascii_only:
            width = len(text[at:end].encode("utf-8")) - (end - at)
            spans.append((at + extra, end + extra + width))
            extra += width
        else:
            spans.append((at, end))
        at = _skip(text, end, ",")
    return records, spans


def _skip(text: str, at: int, token: str) -> int:
    """The position after white space, an optional `token`, and white space again."""
    while text[at].isspace():
        at += 1
    if text[at] == token:
        at += 1
    while text[at].isspace():
        at += 1
    return at


def row_ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The concatenation of arange(s, e) for each pair, without a Python loop."""
    starts, ends = np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)
    counts = ends - starts
    begins = np.cumsum(counts) - counts  # where each range begins in the output
    return np.arange(int(counts.sum()), dtype=np.int64) + np.repeat(starts - begins, counts)


class IndexStore:
    """Reads and writes the index folder for one model and chunking configuration."""

    def __init__(
        self,
        index_dir: Path,
        embedder: Embedder | None,
        chunking: ChunkingConfig | None = None,
        max_article_bytes: int | None = None,
    ) -> None:
        self.index_dir = index_dir
        self.embedder = embedder
        self.chunking = chunking or ChunkingConfig()
        self.max_article_bytes = max_article_bytes

    # ---- reading -----------------------------------------------------------------

    def current_version(self) -> Path | None:
        pointer = self.index_dir / CURRENT
        try:
            name = pointer.read_text().strip()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise IndexUnusableError(f"cannot read {pointer}: {exc}") from exc
        if not name or "/" in name or name.startswith("."):
            raise IndexUnusableError(f"{pointer} does not name a version folder")
        return self.index_dir / name

    def load(self) -> IndexSnapshot:
        """Load the live version; raise IndexUnusableError if missing, corrupt or mismatched."""
        version = self.current_version()
        if version is None:
            raise IndexUnusableError(f"no index in {self.index_dir.resolve()} yet")
        try:
            manifest = json.loads((version / "manifest.json").read_text())
        except (OSError, ValueError) as exc:
            raise IndexUnusableError(f"the manifest in {version} is unreadable: {exc}") from exc
        if not isinstance(manifest, dict):
            raise IndexUnusableError(f"the manifest in {version} is not an object")
        mismatch = self.mismatch(manifest)
        if mismatch:
            raise IndexUnusableError(mismatch)
        checksums = manifest.get("checksums", {})
        if not isinstance(checksums, dict):
            raise IndexUnusableError(f"the manifest in {version} has no checksums")
        rows = {
            "chunk_vectors.npy": manifest.get("passages"),
            "sentence_vectors.npy": manifest.get("sentences"),
        }
        digests = {}
        for name in _FILES:
            limit = None
            if name in rows and str(checksums.get(name, "")).startswith(BLOCK_SCHEME):
                try:  # the checksum covers the rows in use
                    limit = _rows_end(version / name, int(str(rows[name])))
                except (OSError, ValueError) as exc:
                    raise IndexUnusableError(f"{version / name} does not match its checksum ({exc})") from exc
            digests[name] = _verify(version / name, checksums.get(name), limit)
        try:
            records, spans = _read_articles(version / "articles.json")
            passages = sum(len(r.chunks) for r in records)
            chunk_vectors = _open_vectors(version / "chunk_vectors.npy", passages)
            sentence_vectors = _open_vectors(
                version / "sentence_vectors.npy", sum(len(r.sentences) for r in records)
            )
            described = manifest.get("index", {})
            trained_on = described.get("trained_on", 0) if isinstance(described, dict) else 0
            vectors = VectorIndex.load(version / "chunks.faiss", trained_on=int(trained_on))
        except Exception as exc:  # checksums matched, so this is a format error
            raise IndexUnusableError(f"the index in {version} cannot be read: {exc}") from exc
        snapshot = IndexSnapshot(manifest, records, chunk_vectors, sentence_vectors, vectors, version)
        snapshot.digests, snapshot.json_spans = digests, spans
        if len(vectors) != snapshot.passage_count or len(sentence_vectors) != sum(
            len(r.sentences) for r in records
        ):
            raise IndexUnusableError(f"the index in {version} is inconsistent (row counts differ)")
        return snapshot

    def mismatch(self, manifest: dict[str, object]) -> str:
        """Why an index built with `manifest` cannot serve this configuration ('' if it can)."""
        if manifest.get("format") != FORMAT_VERSION:
            return f"index format {manifest.get('format')} differs from {FORMAT_VERSION}"
        if self.embedder is None:  # read-only use: any model's index can be listed
            return ""
        if manifest.get("model") != self.embedder.name:
            return f"index was built with model {manifest.get('model')!r}, configured {self.embedder.name!r}"
        if manifest.get("dimension") != self.embedder.dimension:
            return (
                f"index dimension {manifest.get('dimension')} differs from "
                f"the model's {self.embedder.dimension}"
            )
        if manifest.get("chunking") != self.chunking.as_dict():
            return f"index chunking {manifest.get('chunking')} differs from {self.chunking.as_dict()}"
        return ""

    def is_stale(self, corpus_dir: Path) -> str:
        """Why the index needs a reindex for `corpus_dir` ('' when it is up to date)."""
        try:
            snapshot = self.load()
        except IndexUnusableError as exc:
            return str(exc)
        return self.corpus_changed(corpus_dir, snapshot)

    def corpus_changed(self, corpus_dir: Path, snapshot: IndexSnapshot) -> str:
        """Why `snapshot` no longer matches the files in `corpus_dir` ('' if it does)."""
        indexed = {r.file: r.content_hash for r in snapshot.articles}
        skipped = snapshot.manifest.get("skipped", {})
        assert isinstance(skipped, dict)
        present: dict[str, str] = {}
        for path in _corpus_files(corpus_dir):
            rel = str(path.relative_to(corpus_dir))
            try:
                present[rel] = _sha256_file(path)
            except OSError:
                continue
        duplicates = snapshot.manifest.get("duplicates", {})
        assert isinstance(duplicates, dict)
        for rel, twin in duplicates.items():
            indexed.setdefault(rel, twin["content_hash"])
        for rel, digest in present.items():
            if rel not in skipped and indexed.get(rel) != digest:
                return f"{rel} is new or changed"
        for rel in indexed:
            if rel not in present:
                return f"{rel} was removed"
        for rel in skipped:
            if rel not in present:
                return f"{rel} (skipped, never indexed) is gone"
        return ""

    # ---- writing ------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with open(self.index_dir / ".lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @property
    def model(self) -> Embedder:
        if self.embedder is None:
            raise IndexUnusableError("this needs the embedding model")
        return self.embedder

    def reindex(
        self,
        corpus_dir: Path,
        progress: ProgressCallback | None = None,
        full: bool = False,
        current: IndexSnapshot | None = None,
    ) -> ReindexReport:
        """Bring the index in line with `corpus_dir`, embedding only what changed.

        With `full`, nothing is reused; the old version stays live until the new
        one is complete. `current`, the snapshot the caller is serving, stands in
        for reading the live version again when it is that version. The report
        carries the snapshot of the version that is live afterwards.
        """
        _ = self.model  # fail before taking the lock when there is no model
        try:
            with self._locked():
                try:
                    return self._reindex(corpus_dir, progress, full, current)
                except IndexUnusableError as exc:
                    if current is None or isinstance(exc, StorageError):
                        raise
                    log.warning("the index in memory cannot be reused (%s); reading it again", exc)
                    return self._reindex(corpus_dir, progress, full, None)
        except OSError as exc:  # the new version is discarded; CURRENT still names the old one
            kept = "the previous index in {} is still in use"
            with contextlib.suppress(IndexUnusableError):
                if self.current_version() is None:
                    kept = "no index was written in {}"
            raise StorageError(
                f"the reindex failed: {describe_os_error(exc)}; {kept.format(self.index_dir)}"
            ) from exc

    def _reindex(
        self,
        corpus_dir: Path,
        progress: ProgressCallback | None,
        full: bool,
        current: IndexSnapshot | None,
    ) -> ReindexReport:
        began = time.monotonic()
        report = ReindexReport()
        old: IndexSnapshot | None = None
        live: Path | None = None
        with contextlib.suppress(IndexUnusableError):
            live = self.current_version()
        if current is not None and current.path is not None and current.path == live and current.digests:
            old = current  # verified when it was loaded or written; its files do not change
        else:
            try:
                old = self.load()
            except IndexUnusableError as exc:
                if self.current_version() is not None:
                    report.rebuilt_because = str(exc)
                    log.warning("rebuilding the index: %s", exc)
        if full and old is not None:
            report.rebuilt_because = "a full rebuild was asked for"
            old = None
        old_by_id = {r.id: (i, r) for i, r in enumerate(old.articles)} if old else {}

        # Read the corpus: reuse unchanged articles, parse the rest.
        keep: dict[str, ArticleRecord] = {}
        fresh: dict[str, ArticleRecord] = {}
        files = _corpus_files(corpus_dir)
        log.info("reading %d article file(s) in %s", len(files), corpus_dir)
        ids = assign_ids(
            [str(path.relative_to(corpus_dir)) for path in files],
            {r.file: r.id for r in old.articles} if old is not None else {},
        )
        for path in files:
            rel = str(path.relative_to(corpus_dir))
            try:
                data, size = _read_capped(path, self.max_article_bytes)
            except FileNotFoundError:  # deleted since the folder was listed: no longer in the corpus
                log.info("%s disappeared during the reindex; leaving it out", rel)
                continue
            except OSError as exc:  # unreadable
                report.skipped[rel] = f"cannot read: {exc.strerror or exc}"
                continue
            if data is None:
                report.skipped[rel] = f"{size:,} bytes, over the limit of {self.max_article_bytes:,}"
                continue
            article_id = ids[rel]
            digest = hashlib.sha256(data).hexdigest()
            previous = old_by_id.get(article_id)
            if previous and previous[1].content_hash == digest and previous[1].file == rel:
                keep[article_id] = previous[1]
                continue
            try:
                article = parse_article(data, path.name, article_id)
            except ArticleError as exc:
                report.skipped[rel] = str(exc)
                continue
            record = build_record(article, rel, self.chunking)
            if not record.chunks:
                report.skipped[rel] = "no sentences found"
                continue
            fresh[article_id] = record
        for rel, reason in report.skipped.items():
            log.warning("skipped %s: %s", rel, reason)
        report.duplicates = _drop_duplicates(keep, fresh)
        for rel, twin in report.duplicates.items():
            log.debug("%s holds the same article as %s; indexing it once", rel, twin["same_as"])

        for article_id, record in fresh.items():
            (report.changed if article_id in old_by_id else report.added).append(article_id)
            report.passages_added += len(record.chunks)
        report.unchanged = sorted(keep)
        for article_id, (_, record) in old_by_id.items():
            if article_id not in keep and article_id not in fresh:
                report.removed.append(article_id)
            if article_id not in keep:
                report.passages_removed += len(record.chunks)

        if (
            old is not None
            and not report.changed_anything
            and old.manifest.get("skipped", {}) == report.skipped
            and old.manifest.get("duplicates", {}) == report.duplicates
        ):
            report.seconds = time.monotonic() - began
            report.snapshot = old
            return report

        # Embed what is new. Rows keep the old articles in their order and add the
        # new ones after them (by id), so the new files begin with the old bytes.
        chunk_texts = [c.embedding_text() for r in fresh.values() for c in r.chunks]
        sentence_texts = [s.text for r in fresh.values() for s in r.sentences]
        total = len(chunk_texts) + len(sentence_texts)
        embedded = self._embed(chunk_texts + sentence_texts, progress)
        new_chunk_vecs, new_sentence_vecs = embedded[: len(chunk_texts)], embedded[len(chunk_texts) :]
        report.texts_embedded = total

        kept = [a for a, r in enumerate(old.articles) if r.id in keep] if old is not None else []
        prefix = 0  # leading old articles kept in place
        while old is not None and prefix < len(kept) and kept[prefix] == prefix:
            prefix += 1
        fresh_ids = sorted(fresh)
        records = [keep[old.articles[a].id] for a in kept] if old is not None else []
        records += [fresh[i] for i in fresh_ids]

        fresh_at: dict[str, tuple[int, int]] = {}
        chunk_at = sentence_at = 0
        for article_id, record in fresh.items():
            fresh_at[article_id] = (chunk_at, sentence_at)
            chunk_at += len(record.chunks)
            sentence_at += len(record.sentences)
        chunk_parts: list[np.ndarray] = []
        sentence_parts: list[np.ndarray] = []
        if old is not None and kept:
            if len(kept) == len(old.articles):
                chunk_parts.append(old.chunk_vectors)
                sentence_parts.append(old.sentence_vectors)
            else:
                at = np.array(kept, dtype=np.int64)
                chunk_counts = np.array([len(old.articles[a].chunks) for a in kept])
                sentence_counts = np.array([len(old.articles[a].sentences) for a in kept])
                chunk_rows = row_ranges(old.chunk_start[at], old.chunk_start[at] + chunk_counts)
                sentence_rows = row_ranges(old.sentence_offset[at], old.sentence_offset[at] + sentence_counts)
                chunk_parts.append(old.chunk_vectors[chunk_rows])
                sentence_parts.append(old.sentence_vectors[sentence_rows])
        if fresh_ids:
            firsts = np.array([fresh_at[i] for i in fresh_ids], dtype=np.int64)
            chunk_counts = np.array([len(fresh[i].chunks) for i in fresh_ids])
            sentence_counts = np.array([len(fresh[i].sentences) for i in fresh_ids])
            chunk_parts.append(new_chunk_vecs[row_ranges(firsts[:, 0], firsts[:, 0] + chunk_counts)])
            sentence_parts.append(new_sentence_vecs[row_ranges(firsts[:, 1], firsts[:, 1] + sentence_counts)])
        dim = self.model.dimension
        report.snapshot = self._write_version(
            records,
            chunk_parts or [np.zeros((0, dim), np.float32)],
            sentence_parts or [np.zeros((0, dim), np.float32)],
            report.skipped,
            old,
            prefix,
            report.duplicates,
        )
        report.seconds = time.monotonic() - began
        return report

    def install(
        self, records: list[ArticleRecord], chunk_vectors: np.ndarray, sentence_vectors: np.ndarray
    ) -> IndexSnapshot:
        """Write `records` and their vectors (rows in record order) as the live version.

        For indexes whose vectors come from elsewhere: `python -m bot bench` stands up
        a million passages this way without embedding them.
        """
        if len(chunk_vectors) != sum(len(r.chunks) for r in records) or len(sentence_vectors) != sum(
            len(r.sentences) for r in records
        ):
            raise ValueError("the vectors do not match the records' passages and sentences")
        with self._locked():
            return self._write_version(records, [chunk_vectors], [sentence_vectors], {})

    def _embed(self, texts: list[str], progress: ProgressCallback | None) -> np.ndarray:
        """Vectors of `texts`, in batches of texts of similar length, longest first.

        That is how sentence-transformers orders one call's texts (padding costs
        least); batching here as well keeps the progress reports without losing it.
        """
        batch = 64
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), self.model.dimension), dtype=np.float32)
        for i in range(0, len(texts), batch):
            rows = order[i : i + batch]
            out[rows] = self.model.embed([texts[j] for j in rows], batch_size=batch)
            if progress:
                progress(min(i + batch, len(texts)), len(texts))
        return out

    def _write_version(
        self,
        records: list[ArticleRecord],
        chunk_parts: Sequence[np.ndarray],
        sentence_parts: Sequence[np.ndarray],
        skipped: dict[str, str],
        old: IndexSnapshot | None = None,
        prefix: int = 0,
        duplicates: dict[str, dict[str, str]] | None = None,
    ) -> IndexSnapshot:
        """Write a complete version and make it live.

        The vector rows are the concatenation of the parts. `records[:prefix]` are
        the first `prefix` articles of `old`, whose bytes and checksums are reused;
        when they are all of them, `chunk_parts[0]` and `sentence_parts[0]` are its
        vectors, and only the rows after them are written.
        """
        self._clean_temporaries()
        tmp = self.index_dir / f".tmp-{secrets.token_hex(4)}"
        version: Path | None = None
        pointer_tmp: Path | None = None
        switched = False
        tmp.mkdir(parents=True)
        try:
            reuse = old if old is not None and old.path is not None and old.digests and prefix else None
            spans = _write_articles(tmp / "articles.json", records, reuse, prefix)
            appended = reuse if reuse is not None and prefix == len(reuse.articles) else None
            dim = self.model.dimension
            passages = sum(len(r.chunks) for r in records)
            sentences = sum(len(r.sentences) for r in records)
            for name, parts, base_rows in (
                ("chunk_vectors.npy", chunk_parts, appended.passage_count if appended else 0),
                ("sentence_vectors.npy", sentence_parts, appended.sentence_count if appended else 0),
            ):
                base = appended.path / name if appended is not None and appended.path else None
                _write_rows(tmp / name, parts, dim, base, base_rows)
            chunk_vectors = _open_vectors(tmp / "chunk_vectors.npy", passages)
            sentence_vectors = _open_vectors(tmp / "sentence_vectors.npy", sentences)
            previous = appended.vectors if appended is not None else None
            vectors = VectorIndex.build(chunk_vectors, previous=previous)
            vectors.save(tmp / "chunks.faiss")
            digests = _digests(
                tmp, reuse, prefix, {"chunk_vectors.npy": passages, "sentence_vectors.npy": sentences}
            )
            manifest = {
                "format": FORMAT_VERSION,
                "model": self.model.name,
                "dimension": self.model.dimension,
                "normalized": True,
                "metric": "inner_product",
                "chunking": self.chunking.as_dict(),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "articles": {
                    r.id: {
                        "file": r.file,
                        "content_hash": r.content_hash,
                        "passages": len(r.chunks),
                        "language": r.language,
                    }
                    for r in records
                },
                "skipped": skipped,
                "duplicates": duplicates or {},
                "passages": passages,
                "sentences": sentences,
                "index": vectors.describe(),
                "checksums": {name: combined_digest(digests[name]) for name in _FILES},
            }
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
            for name in (*_FILES, "manifest.json"):
                _fsync(tmp / name)
            version = self.index_dir / f"v-{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(3)}"
            os.rename(tmp, version)
            pointer_tmp = self.index_dir / f".{CURRENT}.{secrets.token_hex(3)}"
            pointer_tmp.write_text(version.name + "\n")
            _fsync(pointer_tmp)
            os.replace(pointer_tmp, self.index_dir / CURRENT)
            switched = True
            _fsync_dir(self.index_dir)
        except BaseException:
            # Leave nothing half-written behind; until the replace, CURRENT names the old version.
            shutil.rmtree(tmp, ignore_errors=True)
            if not switched:
                if version is not None:
                    shutil.rmtree(version, ignore_errors=True)
                if pointer_tmp is not None:
                    pointer_tmp.unlink(missing_ok=True)
            raise
        assert version is not None  # set before the switch
        self._prune(keep={version.name})
        snapshot = IndexSnapshot(manifest, records, chunk_vectors, sentence_vectors, vectors, version)
        snapshot.digests, snapshot.json_spans = digests, spans
        return snapshot

    def _clean_temporaries(self) -> None:
        for leftover in self.index_dir.glob(".tmp-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        for leftover in self.index_dir.glob(f".{CURRENT}.*"):
            leftover.unlink(missing_ok=True)

    def _prune(self, keep: set[str]) -> None:
        """Remove old versions, keeping the newest previous one for readers mid-load."""
        versions = sorted(
            (p for p in self.index_dir.glob("v-*") if p.is_dir() and p.name not in keep),
            key=lambda p: p.stat().st_mtime,
        )
        for old in versions[:-1]:
            shutil.rmtree(old, ignore_errors=True)


def _write_articles(
    path: Path, records: list[ArticleRecord], old: IndexSnapshot | None, prefix: int
) -> list[tuple[int, int]]:
    """Write articles.json (as json.dumps writes the list) and return each record's byte span.

    The first `prefix` records are `old`'s first ones: their bytes are copied from
    its file rather than serialised again.
    """
    if old is not None and old.path is not None and prefix:
        end = old.json_spans[prefix - 1][1]
        with (old.path / "articles.json").open("rb") as handle:
            parts = [handle.read(end)]
        spans = list(old.json_spans[:prefix])
    else:
        parts, spans = [b"["], []
    at = len(parts[0])
    for record in records[len(spans) :]:
        text = json.dumps(record.to_json(), ensure_ascii=False).encode("utf-8")
        if spans:
            parts.append(b", ")
            at += 2
        parts.append(text)
        spans.append((at, at + len(text)))
        at += len(text)
    parts.append(b"]")
    path.write_bytes(b"".join(parts))
    return spans


def _digests(
    folder: Path, old: IndexSnapshot | None, prefix: int, rows: dict[str, int]
) -> dict[str, list[bytes]]:
    """Block digests of a new version's files (vector files: the `rows` in use), reusing
    `old`'s for the bytes its first `prefix` articles occupy in both."""
    same: dict[str, SameBytes] = {}
    if old is not None and old.path is not None and prefix:
        articles = old.path / "articles.json"
        same["articles.json"] = SameBytes(
            articles, old.digests["articles.json"], 0, old.json_spans[prefix - 1][1], articles.stat().st_size
        )
        last = old.articles[prefix - 1]
        old_rows = {"chunk_vectors.npy": old.passage_count, "sentence_vectors.npy": old.sentence_count}
        kept_rows = {
            "chunk_vectors.npy": int(old.chunk_start[prefix - 1]) + len(last.chunks),
            "sentence_vectors.npy": int(old.sentence_offset[prefix - 1]) + len(last.sentences),
        }
        for name, count in kept_rows.items():
            start, _, width = _npy_layout(old.path / name)
            if start == _npy_layout(folder / name)[0]:
                limit = start + old_rows[name] * width
                same[name] = SameBytes(
                    old.path / name, old.digests[name], start, start + count * width, limit
                )
                if count == old_rows[name] and os.path.samefile(old.path / name, folder / name):
                    # Rows appended in place: the header is the same bytes too.
                    same[name] = SameBytes(old.path / name, old.digests[name], 0, limit, limit)
    return {
        name: block_digests(
            folder / name, _rows_end(folder / name, rows[name]) if name in rows else None, same.get(name)
        )
        for name in _FILES
    }


def _corpus_files(corpus_dir: Path) -> list[Path]:
    if not corpus_dir.exists():
        raise CorpusError(
            f"the corpus folder {corpus_dir.resolve()} does not exist"
            " (run from the folder that holds it, or choose one with --corpus DIR or CORPUS_DIR)"
        )
    if not corpus_dir.is_dir():
        raise CorpusError(f"{corpus_dir} is not a folder")
    return find_article_files(corpus_dir)


def _read_capped(path: Path, limit: int | None) -> tuple[bytes | None, int]:
    """The file's bytes and size; None for the bytes when it is over `limit` (not read in full)."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if limit is not None and size > limit:
            return None, size
        data = handle.read() if limit is None else handle.read(limit + 1)  # it may have grown since
    if limit is not None and len(data) > limit:
        return None, len(data)
    return data, len(data)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        _fsync(path)
