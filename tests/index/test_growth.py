"""The index as it grows: new versions reuse the old one's bytes, checksums and memory."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.engine import ArticleQA
from bot.errors import StorageError
from bot.index import IndexStore, VectorOptions
from bot.settings import Settings
from tests.fakes import FakeEmbedder

SEED = "china-first-woman-spacewalk"


def _article(folder: Path, name: str, title: str, body: str) -> Path:
    path = folder / name
    path.write_text(f"{title}\n\n{body}\n")
    return path


def _versions(index: Path) -> list[Path]:
    return sorted((p for p in index.glob("v-*")), key=lambda p: p.stat().st_mtime)


def test_new_articles_go_after_the_old_ones(corpus: Path, tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "index", FakeEmbedder())
    store.reindex(corpus)
    before = store.load()
    _article(corpus, "aaa.txt", "Aardvarks", "An aardvark dug a burrow. It was deep.")
    report = store.reindex(corpus)
    after = store.load()
    # Rows keep the old articles first (so the files begin with the same bytes), then the new.
    assert [r.id for r in after.articles] == [SEED, "aaa"]
    assert np.array_equal(after.chunk_vectors[: before.passage_count], before.chunk_vectors)
    assert np.array_equal(after.sentence_vectors[: before.sentence_count], before.sentence_vectors)
    assert after.article("aaa") is not None and after.chunk(before.passage_count)[0].id == "aaa"
    assert report.snapshot is not None and [r.id for r in report.snapshot.articles] == [SEED, "aaa"]
    assert after.manifest.index == {"type": "flat", "vectors": after.passage_count}
    hit = after.vectors.search(FakeEmbedder().embed(["aardvark burrow"])[0], 1)[0][0]
    assert after.chunk(hit)[0].id == "aaa"


def test_checksums_match_the_files_after_reuse(corpus: Path, tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "index", FakeEmbedder())
    store.reindex(corpus)
    for i in range(3):
        _article(corpus, f"extra-{i}.txt", f"Extra {i}", f"Ünïcode café {i}. " * 50)
        served = store.reindex(corpus, current=store.load()).snapshot
        assert served is not None
        loaded = store.load()  # verifies every file against the manifest
        assert loaded.path is not None
        assert loaded.digests == served.digests and loaded.json_spans == served.json_spans
        text = (loaded.path / "articles.json").read_bytes()
        assert json.loads(text) == [r.to_json() for r in loaded.articles]
        for record, (start, end) in zip(loaded.articles, loaded.json_spans, strict=True):
            assert json.loads(text[start:end]) == record.to_json()


def test_large_vector_files_grow_in_place(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    store = IndexStore(index, FakeEmbedder(), large_file_bytes=0)  # every vector file counts as large
    store.reindex(corpus)
    old = store.current_version()
    assert old is not None
    first = store.load()
    _article(corpus, "rover.txt", "Rover news", "The rover found ice near the pole. It drilled twice.")
    store.reindex(corpus, current=first)
    new = store.current_version()
    assert new is not None and new != old
    # The new version's vector files are the old files, with the new rows in their spare rows.
    for name in ("chunk_vectors.npy", "sentence_vectors.npy"):
        assert os.path.samefile(old / name, new / name)
        assert len(np.load(new / name, mmap_mode="r")) > store.load().passage_count
    # The old version is untouched: pointed at again, it loads and passes its checksums.
    (index / "CURRENT").write_text(old.name + "\n")
    again = store.load()
    assert [r.id for r in again.articles] == [SEED]
    assert np.array_equal(again.chunk_vectors, first.chunk_vectors)
    (index / "CURRENT").write_text(new.name + "\n")
    assert [r.id for r in store.load().articles] == [SEED, "rover"]
    # A removal shifts rows: the files are written anew.
    (corpus / "rover.txt").unlink()
    store.reindex(corpus)
    latest = store.current_version()
    assert latest is not None
    assert not os.path.samefile(new / "chunk_vectors.npy", latest / "chunk_vectors.npy")
    assert [r.id for r in store.load().articles] == [SEED]


class FullDisk(io.BufferedRandom):
    """A file opened for update on a disk with no space left: every write fails."""

    def write(self, data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_disk_full_while_growing_in_place_keeps_the_old_index(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = IndexStore(tmp_path / "index", FakeEmbedder(), large_file_bytes=0)
    store.reindex(corpus)
    old = store.current_version()
    _article(corpus, "rover.txt", "Rover news", "The rover found ice near the pole.")

    open_path = Path.open

    def full_when_updated(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        # The harness: writing new rows into a linked vector file's spare rows (mode r+b) fails.
        return FullDisk(io.FileIO(self, "r+")) if mode == "r+b" else open_path(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", full_when_updated)
    before = sorted(p.name for p in (tmp_path / "index").iterdir())
    with pytest.raises(StorageError, match="no space left"):
        store.reindex(corpus, current=store.load())
    monkeypatch.undo()
    assert sorted(p.name for p in (tmp_path / "index").iterdir()) == before
    assert store.current_version() == old
    assert [r.id for r in store.load().articles] == [SEED]  # its checksums still hold
    assert store.reindex(corpus).added == ["rover"]


def test_index_with_whole_file_checksums_still_loads(corpus: Path, tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "index", FakeEmbedder())
    store.reindex(corpus)
    version = store.current_version()
    assert version is not None
    manifest = json.loads((version / "manifest.json").read_text())
    manifest["checksums"] = {
        name: hashlib.sha256((version / name).read_bytes()).hexdigest() for name in manifest["checksums"]
    }
    del manifest["index"]
    (version / "manifest.json").write_text(json.dumps(manifest))
    assert store.load().article(SEED) is not None
    _article(corpus, "rover.txt", "Rover news", "The rover found ice near the pole.")
    assert store.reindex(corpus).added == ["rover"]
    assert [r.id for r in store.load().articles] == [SEED, "rover"]


def test_served_snapshot_stands_in_for_reading_the_index(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    core = ArticleQA(
        Settings(corpus_dir=corpus, index_dir=tmp_path / "index", model="fake-bow").core, FakeEmbedder()
    )
    core.open()
    retriever = core.retriever
    _article(corpus, "rover.txt", "Rover news", "The rover found ice near the pole. It drilled twice.")

    def no_reading() -> None:
        raise AssertionError("the live version was read again")

    monkeypatch.setattr(core.store, "load", no_reading)
    report = core.reindex()
    assert report.added == ["rover"] and core.snapshot is report.snapshot
    assert core.retriever is not retriever and core.retriever.vocab is retriever.vocab
    assert core.search("rover ice pole", k=1)[0].article == "rover"
    monkeypatch.undo()
    fresh = IndexStore(tmp_path / "index", FakeEmbedder()).load()
    assert [r.id for r in fresh.articles] == [r.id for r in core.snapshot.articles]


def test_corrupt_file_under_a_served_snapshot_is_read_again_and_rebuilt(corpus: Path, tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "index", FakeEmbedder())
    store.reindex(corpus)
    served = store.load()
    assert served.path is not None
    articles = served.path / "articles.json"
    data = bytearray(articles.read_bytes())
    data[5] ^= 0x20  # inside the bytes the next version would copy
    articles.write_bytes(bytes(data))
    _article(corpus, "rover.txt", "Rover news", "The rover found ice near the pole.")
    report = store.reindex(corpus, current=served)
    assert "does not match its checksum" in report.rebuilt_because
    assert [r.id for r in store.load().articles] == [SEED, "rover"]


def test_approximate_index_is_recorded_and_extended(corpus: Path, tmp_path: Path) -> None:
    small = VectorOptions(exact_limit=5, min_lists=2)
    store = IndexStore(tmp_path / "index", FakeEmbedder(), vector_options=small)
    store.reindex(corpus)
    first = store.load()
    assert first.manifest.index["type"] == "ivf-sqfp16"
    trained_on = first.manifest.index["trained_on"]
    _article(corpus, "rover.txt", "Rover news", "The rover found ice near the pole. It drilled twice.")
    store.reindex(corpus, current=first)
    grown = store.load()
    assert grown.manifest.index["trained_on"] == trained_on  # extended, not fitted again
    assert len(grown.vectors) == grown.passage_count > first.passage_count
    hit = grown.vectors.search(grown.chunk_vectors[grown.passage_count - 1], 1)[0][0]
    assert hit == grown.passage_count - 1
