"""The built index on disk: manifest, passages, vectors; incremental, atomic reindex.

Layout of the index folder::

    index/CURRENT            name of the live version folder (replaced atomically)
    index/v-<time>-<rand>/   manifest.json, articles.json, chunk_vectors.npy,
                             sentence_vectors.npy, chunks.faiss
    index/.lock              held while a reindex runs

A reindex writes a complete new version folder, fsyncs it, and only then
points CURRENT at it with `os.replace`. Killing the process at any moment
leaves CURRENT naming a complete, checksummed version.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.articles import Article, ArticleError, article_id_for, find_article_files, parse_article
from bot.chunking import Chunk, ChunkingConfig, Sentence, chunk_sentences, split_article
from bot.embedding import Embedder
from bot.vectors import VectorIndex

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
CURRENT = "CURRENT"
_FILES = ("articles.json", "chunk_vectors.npy", "sentence_vectors.npy", "chunks.faiss")

ProgressCallback = Callable[[int, int], None]  # (done, total) chunks+sentences embedded


class IndexError_(RuntimeError):
    """The index cannot be used (missing, corrupt, or built for another model)."""


class CorpusError(RuntimeError):
    """The corpus folder cannot be read."""


@dataclass(frozen=True)
class ArticleRecord:
    """What the index keeps about one article."""

    id: str
    title: str
    url: str
    date: str
    source: str
    file: str
    content_hash: str
    text: str
    paragraph_count: int
    sentences: tuple[Sentence, ...]
    chunks: tuple[Chunk, ...]

    @classmethod
    def from_article(cls, article: Article, file: str, config: ChunkingConfig) -> ArticleRecord:
        sentences = split_article(article)
        return cls(
            id=article.id,
            title=article.title,
            url=article.url,
            date=article.date,
            source=article.source,
            file=file,
            content_hash=article.content_hash,
            text=article.text,
            paragraph_count=len(article.paragraphs),
            sentences=tuple(sentences),
            chunks=tuple(chunk_sentences(article, sentences, config)),
        )

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "date": self.date,
            "source": self.source,
            "file": self.file,
            "content_hash": self.content_hash,
            "text": self.text,
            "paragraph_count": self.paragraph_count,
            "sentences": [[s.paragraph, s.start, s.end] for s in self.sentences],
            "chunks": [[c.paragraph, list(c.sentence_ids)] for c in self.chunks],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ArticleRecord:
        text = str(data["text"])
        title = str(data["title"])
        article_id = str(data["id"])
        sentences = tuple(
            Sentence(index=i, paragraph=p, start=s, end=e, text=text[s:e])
            for i, (p, s, e) in enumerate(data["sentences"])
        )
        chunks = []
        for paragraph, ids in data["chunks"]:
            start, end = sentences[ids[0]].start, sentences[ids[-1]].end
            chunks.append(Chunk(article_id, title, paragraph, start, end, text[start:end], tuple(ids)))
        return cls(
            id=article_id,
            title=title,
            url=str(data["url"]),
            date=str(data["date"]),
            source=str(data["source"]),
            file=str(data["file"]),
            content_hash=str(data["content_hash"]),
            text=text,
            paragraph_count=int(data["paragraph_count"]),
            sentences=sentences,
            chunks=tuple(chunks),
        )


@dataclass
class IndexSnapshot:
    """One loaded, immutable version of the index."""

    manifest: dict[str, object]
    articles: list[ArticleRecord]
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray
    vectors: VectorIndex
    path: Path | None = None
    # Row lookups, filled in __post_init__.
    chunk_rows: list[tuple[int, int]] = field(default_factory=list)  # (article, chunk)
    sentence_offset: list[int] = field(default_factory=list)  # first sentence row per article

    def __post_init__(self) -> None:
        self.chunk_rows = [(a, c) for a, rec in enumerate(self.articles) for c in range(len(rec.chunks))]
        offset = 0
        self.sentence_offset = []
        for rec in self.articles:
            self.sentence_offset.append(offset)
            offset += len(rec.sentences)

    @property
    def built_at(self) -> str:
        return str(self.manifest.get("built_at", ""))

    def chunk(self, row: int) -> tuple[ArticleRecord, Chunk]:
        a, c = self.chunk_rows[row]
        record = self.articles[a]
        return record, record.chunks[c]

    def article(self, article_id: str) -> ArticleRecord | None:
        for record in self.articles:
            if record.id == article_id:
                return record
        return None

    @property
    def passage_count(self) -> int:
        return len(self.chunk_rows)


@dataclass
class ReindexReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # file -> reason
    passages_added: int = 0
    passages_removed: int = 0
    texts_embedded: int = 0
    rebuilt_because: str = ""
    seconds: float = 0.0

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
        return text


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
            raise IndexError_(f"cannot read {pointer}: {exc}") from exc
        if not name or "/" in name or name.startswith("."):
            raise IndexError_(f"{pointer} does not name a version folder")
        return self.index_dir / name

    def load(self) -> IndexSnapshot:
        """Load the live version; raise IndexError_ if missing, corrupt or mismatched."""
        version = self.current_version()
        if version is None:
            raise IndexError_(f"no index in {self.index_dir}")
        try:
            manifest = json.loads((version / "manifest.json").read_text())
        except (OSError, ValueError) as exc:
            raise IndexError_(f"the manifest in {version} is unreadable: {exc}") from exc
        if not isinstance(manifest, dict):
            raise IndexError_(f"the manifest in {version} is not an object")
        mismatch = self.mismatch(manifest)
        if mismatch:
            raise IndexError_(mismatch)
        checksums = manifest.get("checksums", {})
        for name in _FILES:
            path = version / name
            if not path.is_file():
                raise IndexError_(f"{path} is missing")
            if checksums.get(name) != _sha256_file(path):
                raise IndexError_(f"{path} does not match its checksum (corrupt or truncated)")
        try:
            records = [
                ArticleRecord.from_json(d) for d in json.loads((version / "articles.json").read_text())
            ]
            chunk_vectors = np.load(version / "chunk_vectors.npy")
            sentence_vectors = np.load(version / "sentence_vectors.npy")
            vectors = VectorIndex.load(version / "chunks.faiss")
        except Exception as exc:  # checksums matched, so this is a format error
            raise IndexError_(f"the index in {version} cannot be read: {exc}") from exc
        snapshot = IndexSnapshot(manifest, records, chunk_vectors, sentence_vectors, vectors, version)
        if len(vectors) != snapshot.passage_count or len(sentence_vectors) != sum(
            len(r.sentences) for r in records
        ):
            raise IndexError_(f"the index in {version} is inconsistent (row counts differ)")
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
        except IndexError_ as exc:
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
        for rel, digest in present.items():
            if rel not in skipped and indexed.get(rel) != digest:
                return f"{rel} is new or changed"
        for rel in indexed:
            if rel not in present:
                return f"{rel} was removed"
        for rel in skipped:
            if rel not in present:
                return f"{rel} was removed"
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
            raise IndexError_("this needs the embedding model")
        return self.embedder

    def reindex(
        self, corpus_dir: Path, progress: ProgressCallback | None = None, full: bool = False
    ) -> ReindexReport:
        """Bring the index in line with `corpus_dir`, embedding only what changed.

        With `full`, nothing is reused; the old version stays live until the new
        one is complete.
        """
        _ = self.model  # fail before taking the lock when there is no model
        with self._locked():
            return self._reindex(corpus_dir, progress, full)

    def _reindex(self, corpus_dir: Path, progress: ProgressCallback | None, full: bool) -> ReindexReport:
        began = time.monotonic()
        report = ReindexReport()
        old: IndexSnapshot | None = None
        try:
            old = self.load()
        except IndexError_ as exc:
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
        for path in _corpus_files(corpus_dir):
            rel = str(path.relative_to(corpus_dir))
            try:
                data = path.read_bytes()
            except OSError as exc:  # deleted or unreadable mid-scan
                report.skipped[rel] = f"cannot read: {exc.strerror or exc}"
                continue
            if self.max_article_bytes is not None and len(data) > self.max_article_bytes:
                report.skipped[rel] = f"{len(data):,} bytes, over the limit of {self.max_article_bytes:,}"
                continue
            article_id = article_id_for(path)
            if article_id in keep or article_id in fresh:
                report.skipped[rel] = f"another file already has the article id {article_id!r}"
                continue
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
            record = ArticleRecord.from_article(article, rel, self.chunking)
            if not record.chunks:
                report.skipped[rel] = "no sentences found"
                continue
            fresh[article_id] = record
        for rel, reason in report.skipped.items():
            log.warning("skipped %s: %s", rel, reason)

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
        ):
            report.seconds = time.monotonic() - began
            return report

        # Embed what is new, in batches, then assemble rows in article-id order.
        chunk_texts = [c.embedding_text() for r in fresh.values() for c in r.chunks]
        sentence_texts = [s.text for r in fresh.values() for s in r.sentences]
        total = len(chunk_texts) + len(sentence_texts)
        new_chunk_vecs = self._embed(chunk_texts, progress, 0, total)
        new_sentence_vecs = self._embed(sentence_texts, progress, len(chunk_texts), total)
        report.texts_embedded = total

        records: list[ArticleRecord] = []
        chunk_parts: list[np.ndarray] = []
        sentence_parts: list[np.ndarray] = []
        fresh_chunk_at, fresh_sentence_at = 0, 0
        fresh_offsets: dict[str, tuple[int, int]] = {}
        for article_id, record in fresh.items():
            fresh_offsets[article_id] = (fresh_chunk_at, fresh_sentence_at)
            fresh_chunk_at += len(record.chunks)
            fresh_sentence_at += len(record.sentences)
        old_chunk_start: dict[str, int] = {}
        if old is not None:
            row = 0
            for record in old.articles:
                old_chunk_start[record.id] = row
                row += len(record.chunks)
        for article_id in sorted({**keep, **fresh}):
            if article_id in keep and old is not None:
                record = keep[article_id]
                a = old_by_id[article_id][0]
                c0, s0 = old_chunk_start[article_id], old.sentence_offset[a]
                chunk_parts.append(old.chunk_vectors[c0 : c0 + len(record.chunks)])
                sentence_parts.append(old.sentence_vectors[s0 : s0 + len(record.sentences)])
            else:
                record = fresh[article_id]
                c0, s0 = fresh_offsets[article_id]
                chunk_parts.append(new_chunk_vecs[c0 : c0 + len(record.chunks)])
                sentence_parts.append(new_sentence_vecs[s0 : s0 + len(record.sentences)])
            records.append(record)
        dim = self.model.dimension
        chunk_vectors = np.concatenate(chunk_parts) if chunk_parts else np.zeros((0, dim), np.float32)
        sentence_vectors = (
            np.concatenate(sentence_parts) if sentence_parts else np.zeros((0, dim), np.float32)
        )
        self._write_version(records, chunk_vectors, sentence_vectors, report.skipped)
        report.seconds = time.monotonic() - began
        return report

    def _embed(
        self, texts: list[str], progress: ProgressCallback | None, done: int, total: int
    ) -> np.ndarray:
        batch = 64
        parts = []
        for i in range(0, len(texts), batch):
            parts.append(self.model.embed(texts[i : i + batch], batch_size=batch))
            if progress:
                progress(done + min(i + batch, len(texts)), total)
        if not parts:
            return np.zeros((0, self.model.dimension), dtype=np.float32)
        return np.concatenate(parts)

    def _write_version(
        self,
        records: list[ArticleRecord],
        chunk_vectors: np.ndarray,
        sentence_vectors: np.ndarray,
        skipped: dict[str, str],
    ) -> Path:
        self._clean_temporaries()
        tmp = self.index_dir / f".tmp-{secrets.token_hex(4)}"
        tmp.mkdir(parents=True)
        try:
            (tmp / "articles.json").write_text(json.dumps([r.to_json() for r in records], ensure_ascii=False))
            np.save(tmp / "chunk_vectors.npy", chunk_vectors)
            np.save(tmp / "sentence_vectors.npy", sentence_vectors)
            VectorIndex.build(chunk_vectors).save(tmp / "chunks.faiss")
            manifest = {
                "format": FORMAT_VERSION,
                "model": self.model.name,
                "dimension": self.model.dimension,
                "normalized": True,
                "metric": "inner_product",
                "chunking": self.chunking.as_dict(),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "articles": {
                    r.id: {"file": r.file, "content_hash": r.content_hash, "passages": len(r.chunks)}
                    for r in records
                },
                "skipped": skipped,
                "passages": len(chunk_vectors),
                "sentences": len(sentence_vectors),
                "checksums": {name: _sha256_file(tmp / name) for name in _FILES},
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
            _fsync_dir(self.index_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._prune(keep={version.name})
        return version

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


def _corpus_files(corpus_dir: Path) -> list[Path]:
    if not corpus_dir.exists():
        raise CorpusError(f"the corpus folder {corpus_dir} does not exist")
    if not corpus_dir.is_dir():
        raise CorpusError(f"{corpus_dir} is not a folder")
    return find_article_files(corpus_dir)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        _fsync(path)
