"""What a reindex does, decided without the disk: ids, duplicates, changes, row order."""

from __future__ import annotations

import numpy as np

from bot.index.manifest import Manifest
from bot.index.plan import arrange, assign_ids, drop_duplicates, tally
from bot.index.snapshot import IndexSnapshot, ReindexReport
from bot.index.vectors import VectorIndex
from bot.models import ArticleRecord, Chunk, Sentence


def _record(article_id: str, text: str, chunks: int = 1, file: str = "") -> ArticleRecord:
    words = text.split()
    return ArticleRecord(
        id=article_id,
        title=article_id,
        url="",
        date="",
        source="",
        file=file or f"{article_id}.txt",
        content_hash=f"hash-{article_id}",
        text=text,
        paragraph_count=1,
        sentences=tuple(Sentence(i, 1, 0, len(w), w) for i, w in enumerate(words)),
        chunks=tuple(
            Chunk(article_id, article_id, 1, 0, len(text), text, tuple(range(len(words))))
            for _ in range(chunks)
        ),
    )


def _snapshot(records: list[ArticleRecord], dim: int = 4) -> IndexSnapshot:
    passages = sum(len(r.chunks) for r in records)
    sentences = sum(len(r.sentences) for r in records)
    chunk_vectors = np.arange(passages * dim, dtype=np.float32).reshape(passages, dim)
    sentence_vectors = -np.arange(sentences * dim, dtype=np.float32).reshape(sentences, dim)
    return IndexSnapshot(Manifest(), records, chunk_vectors, sentence_vectors, VectorIndex(dim))


def test_ids_stay_with_their_files_and_clashes_get_the_extension() -> None:
    ids = assign_ids(["storm.html", "storm.txt", "a/storm.txt", "b/storm.html"], {"storm.txt": "storm"})
    assert ids == {
        "storm.txt": "storm",
        "storm.html": "storm-html",
        "a/storm.txt": "storm-txt",
        "b/storm.html": "storm-html-2",
    }


def test_duplicates_keep_the_record_already_indexed() -> None:
    kept = _record("old", "same words here", file="z.txt")
    copy = _record("copy", "same words here", file="a.txt")
    other = _record("other", "different words")
    keep, fresh = {"old": kept}, {"copy": copy, "other": other}
    dropped = drop_duplicates(keep, fresh)
    assert dropped == {"a.txt": {"same_as": "z.txt", "content_hash": "hash-copy"}}
    assert list(keep) == ["old"] and list(fresh) == ["other"]


def test_tally_counts_articles_and_passages() -> None:
    old = [_record("a", "one two", chunks=2), _record("b", "three"), _record("c", "four")]
    report = ReindexReport()
    tally(report, old, {"a": old[0]}, {"b": _record("b", "five six"), "d": _record("d", "seven")})
    assert (report.added, report.changed, report.removed, report.unchanged) == (["d"], ["b"], ["c"], ["a"])
    assert (report.passages_added, report.passages_removed) == (2, 2)


def test_rows_keep_old_articles_in_place_then_new_ones_by_id() -> None:
    a, b, c = _record("a", "one two", chunks=2), _record("b", "three"), _record("c", "four five")
    old = _snapshot([a, b, c])
    fresh = {"z": _record("z", "six"), "m": _record("m", "seven eight")}
    chunk_vectors = np.array([[1.0] * 4, [2.0] * 4], dtype=np.float32)  # z's, then m's: the order of fresh
    sentence_vectors = np.array([[10.0] * 4, [20.0] * 4, [30.0] * 4], dtype=np.float32)
    rows = arrange(old, {"a": a, "c": c}, fresh, chunk_vectors, sentence_vectors)
    assert [r.id for r in rows.records] == ["a", "c", "m", "z"] and rows.prefix == 1
    chunks = np.concatenate(rows.chunk_parts)
    assert np.array_equal(chunks[:2], old.chunk_vectors[:2]) and np.array_equal(
        chunks[2], old.chunk_vectors[3]
    )
    assert chunks[3:, 0].tolist() == [2.0, 1.0]
    sentences = np.concatenate(rows.sentence_parts)
    assert np.array_equal(sentences[:4], old.sentence_vectors[[0, 1, 3, 4]])
    assert sentences[4:, 0].tolist() == [20.0, 30.0, 10.0]


def test_rows_when_every_old_article_stays_reuse_its_arrays() -> None:
    a = _record("a", "one two")
    old = _snapshot([a])
    empty = np.zeros((0, 4), np.float32)
    rows = arrange(old, {"a": a}, {}, empty, empty)
    assert rows.prefix == 1 and rows.chunk_parts[0] is old.chunk_vectors
