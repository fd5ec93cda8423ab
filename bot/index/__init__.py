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

The modules, one job each:

    store.py      IndexStore: load, reindex, install (the steps below, in order)
    snapshot.py   IndexSnapshot (one loaded version) and ReindexReport
    manifest.py   manifest.json as a typed record
    corpus.py     the corpus folder: its files, what changed, their records
    plan.py       ids, duplicates, changes and row order, without touching the disk
    files.py      articles.json with byte spans; .npy vector files with spare rows
    checksums.py  block checksums, reused for bytes a new version repeats
    versions.py   CURRENT, the lock, the temporary folder, publish and prune
    vectors.py    FAISS behind a small interface
"""

from bot.index.manifest import FORMAT_VERSION, Manifest
from bot.index.plan import assign_ids
from bot.index.snapshot import IndexSnapshot, ReindexReport, article_labels, row_ranges
from bot.index.store import IndexStore, ProgressCallback
from bot.index.vectors import VectorIndex, VectorOptions, faiss_threads

__all__ = [
    "FORMAT_VERSION",
    "IndexSnapshot",
    "IndexStore",
    "Manifest",
    "ProgressCallback",
    "ReindexReport",
    "VectorIndex",
    "VectorOptions",
    "article_labels",
    "assign_ids",
    "faiss_threads",
    "row_ranges",
]
