"""One loaded version of the index in memory, and the report of a reindex."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.index.files import Span
from bot.index.manifest import Manifest
from bot.index.vectors import VectorIndex
from bot.models import ArticleRecord, Chunk


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


def row_ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The concatenation of arange(s, e) for each pair (int64), without a Python loop."""
    starts, ends = np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)
    counts = ends - starts
    begins = np.cumsum(counts) - counts  # where each range begins in the output
    rows: np.ndarray = np.arange(int(counts.sum()), dtype=np.int64) + np.repeat(starts - begins, counts)
    return rows


@dataclass
class IndexSnapshot:
    """One loaded, immutable version of the index.

    `chunk_vectors` ((passages, d) float32) and `sentence_vectors` ((sentences, d)
    float32), possibly memory-mapped, and the ids in `vectors` follow `articles` in
    order: the first article's chunks, then the next article's, and so on.
    """

    manifest: Manifest
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
    json_spans: list[Span] = field(default_factory=list, repr=False)
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
        """When the version was written: UTC, ISO 8601 with "Z" ('' when unknown)."""
        return self.manifest.built_at

    @property
    def duplicates(self) -> dict[str, str]:
        """Corpus files left out because another file holds the same text: file -> that file."""
        return {str(k): str(v["same_as"]) for k, v in self.manifest.duplicates.items()}

    @functools.cached_property
    def labels(self) -> dict[str, str]:
        """How citations name each article (id -> label); see article_labels."""
        return article_labels(self.articles)

    def newest(self) -> ArticleRecord | None:
        """The article with the latest date; one without a date counts from when it was added."""
        return next(iter(self.newest_first()), None)

    def newest_first(self) -> list[ArticleRecord]:
        """The articles by date, the latest first; one without a date counts from when it was
        added, and of one day the one indexed later comes first."""
        order = sorted(
            enumerate(self.articles), key=lambda p: (p[1].date or p[1].added[:10], p[0]), reverse=True
        )
        return [record for _, record in order]

    def chunk(self, row: int) -> tuple[ArticleRecord, Chunk]:
        """The article and chunk of a chunk row (0 <= row < passage_count)."""
        a = int(self.chunk_article[row])
        record = self.articles[a]
        return record, record.chunks[row - int(self.chunk_start[a])]

    def position(self, article_id: str) -> int | None:
        """The article's place in `articles` (None when it is not indexed)."""
        return self._positions.get(article_id)

    def article(self, article_id: str) -> ArticleRecord | None:
        """The record of an indexed article (None when it is not indexed)."""
        a = self._positions.get(article_id)
        return None if a is None else self.articles[a]

    @property
    def passage_count(self) -> int:
        """Passages (chunks) in this version: rows of the FAISS index and of `chunk_vectors`."""
        return len(self.chunk_article)


@dataclass
class ReindexReport:
    """What a reindex did: article ids added, changed, removed, unchanged; files skipped."""

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
        """Whether the reindex added, changed or removed an article or rebuilt the index."""
        return bool(self.added or self.changed or self.removed or self.rebuilt_because)

    def summary(self) -> str:
        """One line for the operator: counts, time taken, skipped and duplicate files."""
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
