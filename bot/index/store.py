"""IndexStore: load the live version, reindex a corpus into a new one, install one."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bot.chunking import ChunkingConfig
from bot.embedding import Embedder
from bot.errors import IndexUnusableError, StorageError, describe_os_error
from bot.index import versions
from bot.index.checksums import BLOCK_SCHEME, combined_digest, verify, version_digests
from bot.index.corpus import FileLister, corpus_changed, corpus_files, read_corpus
from bot.index.files import (
    ARTICLES,
    CHUNK_VECTORS,
    DATA_FILES,
    FAISS_INDEX,
    LARGE_FILE_BYTES,
    MANIFEST,
    SENTENCE_VECTORS,
    open_vectors,
    read_records,
    rows_end,
    write_records,
    write_rows,
)
from bot.index.manifest import FORMAT_VERSION, Manifest
from bot.index.plan import arrange, assign_ids, drop_duplicates, tally
from bot.index.snapshot import IndexSnapshot, ReindexReport
from bot.index.vectors import VectorIndex, VectorOptions
from bot.models import ArticleRecord

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]  # (done, total) chunks+sentences embedded
EMBED_BATCH = 64  # texts per call to the embedder


class IndexStore:
    """Reads and writes the index folder for one model and chunking configuration.

    `embedder` None serves read-only use (any model's index loads). Articles over
    `max_article_bytes` (bytes) are skipped. `large_file_bytes` (LARGE_FILE_BYTES)
    and `vector_options` set when vector files grow in place and when the FAISS
    index turns approximate; `list_files` lists a corpus folder's article files.
    """

    def __init__(
        self,
        index_dir: Path,
        embedder: Embedder | None,
        chunking: ChunkingConfig | None = None,
        max_article_bytes: int | None = None,
        *,
        large_file_bytes: int = LARGE_FILE_BYTES,
        vector_options: VectorOptions | None = None,
        list_files: FileLister = corpus_files,
    ) -> None:
        self.index_dir = index_dir
        self.embedder = embedder
        self.chunking = chunking or ChunkingConfig()
        self.max_article_bytes = max_article_bytes
        self.large_file_bytes = large_file_bytes
        self.vector_options = vector_options
        self.list_files = list_files

    # ---- reading -----------------------------------------------------------------

    def current_version(self) -> Path | None:
        """The live version folder (None before the first reindex); IndexUnusableError
        when CURRENT is unreadable."""
        return versions.current_version(self.index_dir)

    def load(self) -> IndexSnapshot:
        """Load the live version; raise IndexUnusableError if missing, corrupt or mismatched."""
        version = self.current_version()
        if version is None:
            raise IndexUnusableError(f"no index in {self.index_dir.resolve()} yet")
        try:
            data = json.loads((version / MANIFEST).read_text())
        except (OSError, ValueError) as exc:
            raise IndexUnusableError(f"the manifest in {version} is unreadable: {exc}") from exc
        manifest = Manifest.from_json(data, version)
        mismatch = self.mismatch(manifest)
        if mismatch:
            raise IndexUnusableError(mismatch)
        digests = self._verify(version, manifest)
        try:
            records, spans = read_records(version / ARTICLES)
            passages = sum(len(r.chunks) for r in records)
            sentences = sum(len(r.sentences) for r in records)
            chunk_vectors = open_vectors(version / CHUNK_VECTORS, passages, self.large_file_bytes)
            sentence_vectors = open_vectors(version / SENTENCE_VECTORS, sentences, self.large_file_bytes)
            trained_on = int(manifest.index.get("trained_on", 0))
            vectors = VectorIndex.load(version / FAISS_INDEX, trained_on=trained_on)
        except Exception as exc:  # checksums matched, so this is a format error
            raise IndexUnusableError(f"the index in {version} cannot be read: {exc}") from exc
        snapshot = IndexSnapshot(manifest, records, chunk_vectors, sentence_vectors, vectors, version)
        snapshot.digests, snapshot.json_spans = digests, spans
        if len(vectors) != snapshot.passage_count or len(sentence_vectors) != sentences:
            raise IndexUnusableError(f"the index in {version} is inconsistent (row counts differ)")
        return snapshot

    def _verify(self, version: Path, manifest: Manifest) -> dict[str, list[bytes]]:
        """Check each data file against the manifest's checksum; their block digests."""
        rows = {CHUNK_VECTORS: manifest.passages, SENTENCE_VECTORS: manifest.sentences}
        digests = {}
        for name in DATA_FILES:
            limit = None
            expected = manifest.checksums.get(name)
            if name in rows and str(expected).startswith(BLOCK_SCHEME):
                try:  # the checksum covers the rows in use
                    limit = rows_end(version / name, rows[name])
                except (OSError, ValueError) as exc:
                    raise IndexUnusableError(f"{version / name} does not match its checksum ({exc})") from exc
            digests[name] = verify(version / name, expected, limit)
        return digests

    def mismatch(self, manifest: Manifest) -> str:
        """Why an index built with `manifest` cannot serve this configuration ('' if it can)."""
        if manifest.format != FORMAT_VERSION:
            return f"index format {manifest.format} differs from {FORMAT_VERSION}"
        if self.embedder is None:  # read-only use: any model's index can be listed
            return ""
        if manifest.model != self.embedder.name:
            return f"index was built with model {manifest.model!r}, configured {self.embedder.name!r}"
        if manifest.dimension != self.embedder.dimension:
            return f"index dimension {manifest.dimension} differs from the model's {self.embedder.dimension}"
        if manifest.chunking != self.chunking.as_dict():
            return f"index chunking {manifest.chunking} differs from {self.chunking.as_dict()}"
        return ""

    def is_stale(self, corpus_dir: Path) -> str:
        """Why the index needs a reindex for `corpus_dir` ('' when it is up to date)."""
        try:
            snapshot = self.load()
        except IndexUnusableError as exc:
            return str(exc)
        return self.corpus_changed(corpus_dir, snapshot)

    def corpus_changed(self, corpus_dir: Path, snapshot: IndexSnapshot) -> str:
        """Why `snapshot` no longer matches the files in `corpus_dir` ('' if it does).

        Raises CorpusError when `corpus_dir` is not a folder.
        """
        return corpus_changed(corpus_dir, snapshot.articles, snapshot.manifest, self.list_files)

    # ---- writing ------------------------------------------------------------------

    @property
    def model(self) -> Embedder:
        """The embedder; IndexUnusableError when the store was opened without one."""
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

        Raises CorpusError for a missing corpus folder, IndexUnusableError without a
        model, and StorageError when writing fails (the previous version stays live).
        """
        _ = self.model  # fail before taking the lock when there is no model
        try:
            with versions.locked(self.index_dir):
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
        old = self._previous(current, report)
        if full and old is not None:
            report.rebuilt_because = "a full rebuild was asked for"
            old = None
        old_records = old.articles if old is not None else []

        files = self.list_files(corpus_dir)
        log.info("reading %d article file(s) in %s", len(files), corpus_dir)
        ids = assign_ids(
            [str(path.relative_to(corpus_dir)) for path in files], {r.file: r.id for r in old_records}
        )
        read = read_corpus(
            corpus_dir, files, ids, {r.id: r for r in old_records}, self.chunking, self.max_article_bytes
        )
        report.skipped = read.skipped
        for rel, reason in report.skipped.items():
            log.warning("skipped %s: %s", rel, reason)
        report.duplicates = drop_duplicates(read.keep, read.fresh)
        for rel, twin in report.duplicates.items():
            log.debug("%s holds the same article as %s; indexing it once", rel, twin["same_as"])
        tally(report, old_records, read.keep, read.fresh)

        if (
            old is not None
            and not report.changed_anything
            and old.manifest.skipped == report.skipped
            and old.manifest.duplicates == report.duplicates
        ):
            report.seconds = time.monotonic() - began
            report.snapshot = old
            return report

        chunk_texts = [c.embedding_text() for r in read.fresh.values() for c in r.chunks]
        sentence_texts = [s.text for r in read.fresh.values() for s in r.sentences]
        embedded = self._embed(chunk_texts + sentence_texts, progress)
        report.texts_embedded = len(embedded)
        rows = arrange(old, read.keep, read.fresh, embedded[: len(chunk_texts)], embedded[len(chunk_texts) :])
        dim = self.model.dimension
        report.snapshot = self._write_version(
            rows.records,
            rows.chunk_parts or [np.zeros((0, dim), np.float32)],
            rows.sentence_parts or [np.zeros((0, dim), np.float32)],
            report.skipped,
            old,
            rows.prefix,
            report.duplicates,
        )
        report.seconds = time.monotonic() - began
        return report

    def _previous(self, current: IndexSnapshot | None, report: ReindexReport) -> IndexSnapshot | None:
        """The live version to build on: `current` when it is that version, else read
        again; None when there is none or it is unusable (`report` then says why)."""
        live: Path | None = None
        with contextlib.suppress(IndexUnusableError):
            live = self.current_version()
        if current is not None and current.path is not None and current.path == live and current.digests:
            return current  # verified when it was loaded or written; its files do not change
        try:
            return self.load()
        except IndexUnusableError as exc:
            if (self.index_dir / versions.CURRENT).exists():  # an index that is there but unusable
                report.rebuilt_because = str(exc)
                log.warning("rebuilding the index: %s", exc)
        return None

    def install(
        self, records: list[ArticleRecord], chunk_vectors: np.ndarray, sentence_vectors: np.ndarray
    ) -> IndexSnapshot:
        """Write `records` and their vectors ((passages, d) and (sentences, d) float32,
        rows in record order) as the live version.

        For indexes whose vectors come from elsewhere: `python -m bot bench` stands up
        a million passages this way without embedding them. Raises ValueError when the
        row counts do not match the records.
        """
        if len(chunk_vectors) != sum(len(r.chunks) for r in records) or len(sentence_vectors) != sum(
            len(r.sentences) for r in records
        ):
            raise ValueError("the vectors do not match the records' passages and sentences")
        with versions.locked(self.index_dir):
            return self._write_version(records, [chunk_vectors], [sentence_vectors], {})

    def _embed(self, texts: list[str], progress: ProgressCallback | None) -> np.ndarray:
        """Vectors of `texts`, in batches of texts of similar length, longest first.

        That is how sentence-transformers orders one call's texts (padding costs
        least); batching here as well keeps the progress reports without losing it.
        """
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), self.model.dimension), dtype=np.float32)
        for i in range(0, len(texts), EMBED_BATCH):
            rows = order[i : i + EMBED_BATCH]
            out[rows] = self.model.embed([texts[j] for j in rows], batch_size=EMBED_BATCH)
            if progress:
                progress(min(i + EMBED_BATCH, len(texts)), len(texts))
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
        reuse = old if old is not None and old.path is not None and old.digests and prefix else None
        appended = reuse if reuse is not None and prefix == len(reuse.articles) else None
        passages = sum(len(r.chunks) for r in records)
        sentences = sum(len(r.sentences) for r in records)
        with versions.staging(self.index_dir) as tmp:
            old_file = reuse.path / ARTICLES if reuse is not None and reuse.path is not None else None
            spans = write_records(
                tmp / ARTICLES, records, old_file, reuse.json_spans[:prefix] if reuse else ()
            )
            for name, parts, base_rows in (
                (CHUNK_VECTORS, chunk_parts, appended.passage_count if appended else 0),
                (SENTENCE_VECTORS, sentence_parts, appended.sentence_count if appended else 0),
            ):
                base = appended.path / name if appended is not None and appended.path else None
                write_rows(tmp / name, parts, self.model.dimension, base, base_rows, self.large_file_bytes)
            chunk_vectors = open_vectors(tmp / CHUNK_VECTORS, passages, self.large_file_bytes)
            sentence_vectors = open_vectors(tmp / SENTENCE_VECTORS, sentences, self.large_file_bytes)
            previous = appended.vectors if appended is not None else None
            vectors = VectorIndex.build(chunk_vectors, previous=previous, options=self.vector_options)
            vectors.save(tmp / FAISS_INDEX)
            digests = version_digests(
                tmp, reuse, prefix, {CHUNK_VECTORS: passages, SENTENCE_VECTORS: sentences}
            )
            manifest = Manifest(
                model=self.model.name,
                dimension=self.model.dimension,
                chunking=self.chunking.as_dict(),
                built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                articles={
                    r.id: {
                        "file": r.file,
                        "content_hash": r.content_hash,
                        "passages": len(r.chunks),
                        "language": r.language,
                    }
                    for r in records
                },
                skipped=skipped,
                duplicates=duplicates or {},
                passages=passages,
                sentences=sentences,
                index=vectors.describe(),
                checksums={name: combined_digest(digests[name]) for name in DATA_FILES},
            )
            (tmp / MANIFEST).write_text(manifest.dumps())
            version = versions.publish(self.index_dir, tmp)
        snapshot = IndexSnapshot(manifest, records, chunk_vectors, sentence_vectors, vectors, version)
        snapshot.digests, snapshot.json_spans = digests, spans
        return snapshot
