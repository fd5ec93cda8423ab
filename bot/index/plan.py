"""What a reindex does, decided without touching the disk: article ids, duplicates
left out, what changed, and the order of the new version's rows.

Rows keep the previous version's articles in their order and add new ones after
them (by id), so that the new files begin with the old bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.articles import article_id_for
from bot.index.snapshot import IndexSnapshot, ReindexReport, row_ranges
from bot.models import ArticleRecord


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


def drop_duplicates(
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


def tally(
    report: ReindexReport,
    old: Sequence[ArticleRecord],
    keep: dict[str, ArticleRecord],
    fresh: dict[str, ArticleRecord],
) -> None:
    """Fill the report's article ids and passage counts: `old` records against those
    kept and those new or changed (`fresh`)."""
    old_ids = {r.id for r in old}
    for article_id, record in fresh.items():
        (report.changed if article_id in old_ids else report.added).append(article_id)
        report.passages_added += len(record.chunks)
    report.unchanged = sorted(keep)
    for record in old:
        if record.id not in keep and record.id not in fresh:
            report.removed.append(record.id)
        if record.id not in keep:
            report.passages_removed += len(record.chunks)


@dataclass
class Rows:
    """A new version's records and their vector rows, as parts to write in order.

    `records[:prefix]` are the first `prefix` articles of the old version, in place;
    when they are all of them, `chunk_parts[0]` and `sentence_parts[0]` are its
    vectors unchanged.
    """

    records: list[ArticleRecord]
    chunk_parts: list[np.ndarray]
    sentence_parts: list[np.ndarray]
    prefix: int


def arrange(
    old: IndexSnapshot | None,
    keep: dict[str, ArticleRecord],
    fresh: dict[str, ArticleRecord],
    chunk_vectors: np.ndarray,
    sentence_vectors: np.ndarray,
) -> Rows:
    """The kept articles in their old order, then the `fresh` ones by id.

    `chunk_vectors` and `sentence_vectors` ((n, d) float32) are the fresh records'
    chunk and sentence vectors, in the order of `fresh`.
    """
    kept = [a for a, r in enumerate(old.articles) if r.id in keep] if old is not None else []
    prefix = 0  # leading old articles kept in place
    while prefix < len(kept) and kept[prefix] == prefix:
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
        chunk_parts.append(chunk_vectors[row_ranges(firsts[:, 0], firsts[:, 0] + chunk_counts)])
        sentence_parts.append(sentence_vectors[row_ranges(firsts[:, 1], firsts[:, 1] + sentence_counts)])
    return Rows(records, chunk_parts, sentence_parts, prefix)
