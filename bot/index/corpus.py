"""Reading the corpus folder for a reindex: which files it holds, which of them
changed since a version was built, and the records of those that did."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.articles import find_article_files, parse_article
from bot.chunking import ChunkingConfig, build_record
from bot.errors import ArticleError, CorpusError
from bot.index.manifest import Manifest
from bot.models import ArticleRecord

log = logging.getLogger(__name__)

FileLister = Callable[[Path], list[Path]]  # corpus folder -> its article files


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The article files in `corpus_dir` (see bot/articles.py find_article_files).

    Raises CorpusError when the folder does not exist or is not a folder.
    """
    if not corpus_dir.exists():
        raise CorpusError(
            f"the corpus folder {corpus_dir.resolve()} does not exist"
            " (run from the folder that holds it, or choose one with --corpus DIR or CORPUS_DIR)"
        )
    if not corpus_dir.is_dir():
        raise CorpusError(f"{corpus_dir} is not a folder")
    return find_article_files(corpus_dir)


def corpus_changed(
    corpus_dir: Path, articles: Iterable[ArticleRecord], manifest: Manifest, files: FileLister = corpus_files
) -> str:
    """Why a version holding `articles`, built with `manifest`, no longer matches the
    files in `corpus_dir` ('' if it does): the first file new, changed or gone."""
    indexed = {r.file: r.content_hash for r in articles}
    present: dict[str, str] = {}
    for path in files(corpus_dir):
        rel = str(path.relative_to(corpus_dir))
        try:
            present[rel] = _sha256_file(path)
        except OSError:
            continue
    for rel, twin in manifest.duplicates.items():
        indexed.setdefault(rel, twin["content_hash"])
    for rel, digest in present.items():
        if rel not in manifest.skipped and indexed.get(rel) != digest:
            return f"{rel} is new or changed"
    for rel in indexed:
        if rel not in present:
            return f"{rel} was removed"
    for rel in manifest.skipped:
        if rel not in present:
            return f"{rel} (skipped, never indexed) is gone"
    return ""


@dataclass
class CorpusRead:
    """The corpus as a reindex read it, by article id."""

    keep: dict[str, ArticleRecord] = field(default_factory=dict)  # indexed records still current
    fresh: dict[str, ArticleRecord] = field(default_factory=dict)  # new or changed, in file order
    skipped: dict[str, str] = field(default_factory=dict)  # file -> why it is not indexed


def read_corpus(
    corpus_dir: Path,
    files: list[Path],
    ids: dict[str, str],
    indexed: dict[str, ArticleRecord],
    chunking: ChunkingConfig,
    max_article_bytes: int | None = None,
) -> CorpusRead:
    """Read `files` (in `corpus_dir`; `ids`: relative path -> article id), reusing the
    `indexed` record (id -> record) of each file whose bytes have not changed and
    parsing the rest. Files over `max_article_bytes` (bytes), unreadable, not
    articles or without sentences are skipped; a file gone since it was listed is
    left out. Each file is read once, so a record's text and hash always agree.
    """
    read = CorpusRead()
    for path in files:
        rel = str(path.relative_to(corpus_dir))
        try:
            data, size = _read_capped(path, max_article_bytes)
        except FileNotFoundError:  # deleted since the folder was listed: no longer in the corpus
            log.info("%s disappeared during the reindex; leaving it out", rel)
            continue
        except OSError as exc:  # unreadable
            read.skipped[rel] = f"cannot read: {exc.strerror or exc}"
            continue
        if data is None:
            read.skipped[rel] = f"{size:,} bytes, over the limit of {max_article_bytes:,}"
            continue
        article_id = ids[rel]
        digest = hashlib.sha256(data).hexdigest()
        previous = indexed.get(article_id)
        if previous is not None and previous.content_hash == digest and previous.file == rel:
            read.keep[article_id] = previous
            continue
        try:
            article = parse_article(data, path.name, article_id)
        except ArticleError as exc:
            read.skipped[rel] = str(exc)
            continue
        record = build_record(article, rel, chunking)
        if not record.chunks:
            read.skipped[rel] = "no sentences found"
            continue
        read.fresh[article_id] = record
    return read


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
