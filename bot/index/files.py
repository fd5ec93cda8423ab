"""The data files of one version: articles.json, whose records' byte spans are kept,
and the .npy vector files, which grow in place when they are large."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from bot.models import ArticleRecord

MANIFEST = "manifest.json"  # written last: bot/index/manifest.py
ARTICLES = "articles.json"
CHUNK_VECTORS = "chunk_vectors.npy"
SENTENCE_VECTORS = "sentence_vectors.npy"
FAISS_INDEX = "chunks.faiss"
DATA_FILES = (ARTICLES, CHUNK_VECTORS, SENTENCE_VECTORS, FAISS_INDEX)  # checksummed in the manifest

# Vector files at least this large (bytes) are memory-mapped rather than read into
# memory, and written with SPARE_ROWS (a fraction of their rows, at least 1024) more
# rows than they hold, so that the next version can write its added rows into them
# in place instead of copying the file.
LARGE_FILE_BYTES = 64 << 20
SPARE_ROWS = 0.25

Span = tuple[int, int]  # [start, end) byte offsets of one record in articles.json


def write_records(
    path: Path, records: Sequence[ArticleRecord], old_file: Path | None = None, old_spans: Sequence[Span] = ()
) -> list[Span]:
    """Write articles.json (as json.dumps writes the list) and return each record's byte span.

    The first len(`old_spans`) records are the first ones of `old_file`, at those
    spans: their bytes are copied from it rather than serialised again.
    """
    if old_file is not None and old_spans:
        with old_file.open("rb") as handle:
            parts = [handle.read(old_spans[-1][1])]
        spans = list(old_spans)
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


def read_records(path: Path) -> tuple[list[ArticleRecord], list[Span]]:
    """The records in articles.json, with the byte span of each.

    Raises OSError, UnicodeDecodeError, ValueError (json.JSONDecodeError) or
    IndexError for an unreadable or malformed file.
    """
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


def npy_layout(path: Path) -> tuple[int, int, int]:
    """Where a .npy file's data begins, the rows its header declares, and bytes per row."""
    with path.open("rb") as handle:
        major, _ = np.lib.format.read_magic(handle)
        read = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(handle)
        width = int(np.prod(shape[1:], dtype=np.int64)) * dtype.itemsize
        return handle.tell(), int(shape[0]) if shape else 0, width


def rows_end(path: Path, rows: int) -> int:
    """The byte just after the first `rows` rows of a .npy file."""
    offset, _, width = npy_layout(path)
    return offset + rows * width


def open_vectors(path: Path, rows: int, large_file_bytes: int = LARGE_FILE_BYTES) -> np.ndarray:
    """The first `rows` rows of a vector file ((rows, d) float32), memory-mapped when the
    file has at least `large_file_bytes` (a question then reads only the rows it touches).

    Raises ValueError when the file holds fewer rows.
    """
    large = path.stat().st_size >= large_file_bytes
    array: np.ndarray = np.load(path, mmap_mode="r") if large else np.load(path)
    if len(array) < rows:
        raise ValueError(f"{path.name} holds {len(array)} rows, the manifest {rows}")
    return array[:rows]


def write_rows(
    path: Path,
    parts: Sequence[np.ndarray],
    dimension: int,
    base: Path | None,
    base_rows: int,
    large_file_bytes: int = LARGE_FILE_BYTES,
) -> None:
    """Write the rows of `parts` ((n, dimension) arrays), in order, as a float32 .npy file.

    When `base` is the previous version's file, `parts[0]` its first `base_rows`
    rows, and it is large (`large_file_bytes`) with spare rows for the rest,
    `path` becomes a second name for it and the new rows go into its spare rows:
    the previous version's rows, and so its checksum, are untouched. Otherwise
    large files are written with spare rows, and small ones whole.
    """
    rows = sum(len(p) for p in parts)
    row_bytes = 4 * dimension
    if base is not None and base.stat().st_size >= large_file_bytes:
        offset, capacity, width = npy_layout(base)
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
    if rows * row_bytes < large_file_bytes:
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
