from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bot.chunking import ChunkingConfig
from bot.store import CorpusError, IndexError_, IndexStore
from tests.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent


def _article(folder: Path, name: str, title: str, body: str) -> Path:
    path = folder / name
    path.write_text(f"{title}\n\n{body}\n")
    return path


def test_build_then_unchanged_reindex_embeds_nothing(corpus: Path, tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    store = IndexStore(tmp_path / "index", embedder)
    first = store.reindex(corpus)
    assert first.added == ["china-first-woman-spacewalk"]
    assert first.texts_embedded > 0
    snapshot = store.load()
    assert snapshot.passage_count == first.passages_added
    assert snapshot.manifest["model"] == "fake-bow"
    assert snapshot.manifest["dimension"] == 64
    assert snapshot.manifest["chunking"] == ChunkingConfig().as_dict()
    assert snapshot.manifest["articles"]["china-first-woman-spacewalk"]["content_hash"]

    embedder.embedded = 0
    second = IndexStore(tmp_path / "index", embedder).reindex(corpus)
    assert second.texts_embedded == 0
    assert embedder.embedded == 0
    assert second.unchanged == ["china-first-woman-spacewalk"]
    assert not second.changed_anything


def test_changed_added_removed(corpus: Path, tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    store = IndexStore(tmp_path / "index", embedder)
    _article(corpus, "rover.txt", "Rover news", "The rover found ice near the pole. It drilled twice.")
    store.reindex(corpus)
    before = store.load()
    seed_rows = before.chunk_vectors[: len(before.article("china-first-woman-spacewalk").chunks)]

    _article(corpus, "rover.txt", "Rover news", "The rover found water in the crater. It drilled once.")
    _article(corpus, "comet.md", "# Comet", "A comet passed close to Earth on Tuesday.")
    embedder.embedded = 0
    report = store.reindex(corpus)
    assert report.changed == ["rover"]
    assert report.added == ["comet"]
    assert report.unchanged == ["china-first-woman-spacewalk"]
    rover = store.load().article("rover")
    assert rover is not None and "crater" in rover.text and "pole" not in rover.text
    # Only the new and changed articles were embedded.
    assert embedder.embedded == sum(
        len(r.chunks) + len(r.sentences) for r in store.load().articles if r.id in {"rover", "comet"}
    )
    # Reused vectors are the very same rows.
    after = store.load()
    assert [r.id for r in after.articles] == ["china-first-woman-spacewalk", "comet", "rover"]
    assert np.array_equal(after.chunk_vectors[: len(seed_rows)], seed_rows)

    (corpus / "rover.txt").unlink()
    report = store.reindex(corpus)
    assert report.removed == ["rover"]
    assert store.load().article("rover") is None
    hits = store.load().vectors.search(FakeEmbedder().embed(["rover water crater"])[0], 50)
    assert all(store.load().chunk(row)[0].id != "rover" for row, _ in hits)


def test_bad_files_are_skipped_and_others_indexed(corpus: Path, tmp_path: Path) -> None:
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02\x03")
    (corpus / "latin1.txt").write_bytes(b"Caf\xe9\n\nDu caf\xe9.")
    (corpus / "empty.md").write_text("")
    store = IndexStore(tmp_path / "index", FakeEmbedder())
    report = store.reindex(corpus)
    assert set(report.skipped) == {"binary.txt", "latin1.txt", "empty.md"}
    assert "binary" in report.skipped["binary.txt"]
    assert "UTF-8" in report.skipped["latin1.txt"]
    assert [r.id for r in store.load().articles] == ["china-first-woman-spacewalk"]
    assert store.is_stale(corpus) == ""


def test_missing_corpus_is_a_clear_error(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "index", FakeEmbedder())
    with pytest.raises(CorpusError, match="does not exist"):
        store.reindex(tmp_path / "nowhere")


@pytest.mark.parametrize("victim", ["chunks.faiss", "articles.json", "manifest.json", "sentence_vectors.npy"])
def test_corrupt_index_is_detected_and_rebuilt(corpus: Path, tmp_path: Path, victim: str) -> None:
    store = IndexStore(tmp_path / "index", FakeEmbedder())
    store.reindex(corpus)
    version = store.current_version()
    assert version is not None
    path = version / victim
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(IndexError_):
        store.load()
    assert store.is_stale(corpus)
    report = store.reindex(corpus)
    assert report.rebuilt_because
    assert store.load().article("china-first-woman-spacewalk") is not None


def test_other_model_triggers_rebuild(corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    IndexStore(tmp_path / "index", FakeEmbedder(name="model-a")).reindex(corpus)
    store_b = IndexStore(tmp_path / "index", FakeEmbedder(name="model-b", dimension=32))
    with pytest.raises(IndexError_, match="model-a"):
        store_b.load()
    with caplog.at_level("WARNING"):
        report = store_b.reindex(corpus)
    assert "model-a" in report.rebuilt_because
    assert "rebuilding the index" in caplog.text
    assert store_b.load().manifest["dimension"] == 32


_KILL_SCRIPT = """
import sys
sys.path.insert(0, {root!r})
from pathlib import Path
from bot.store import IndexStore
from tests.fakes import FakeEmbedder

class Announcing(FakeEmbedder):
    def embed(self, texts, batch_size=64):
        Path({marker!r}).touch()
        return super().embed(texts, batch_size)

IndexStore(Path({index!r}), Announcing(delay=0.5)).reindex(Path({corpus!r}))
"""


def test_kill_during_reindex_leaves_old_index_loadable(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    store = IndexStore(index, FakeEmbedder())
    store.reindex(corpus)
    old_version = store.current_version()
    for i in range(40):
        _article(corpus, f"extra-{i}.txt", f"Extra {i}", " ".join(["Word salad sentence here."] * 30))
    marker = tmp_path / "embedding-started"
    script = _KILL_SCRIPT.format(root=str(ROOT), marker=str(marker), index=str(index), corpus=str(corpus))
    process = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert marker.exists(), "the reindex never started embedding"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    assert store.current_version() == old_version
    snapshot = store.load()
    assert [r.id for r in snapshot.articles] == ["china-first-woman-spacewalk"]
    # The next reindex completes and cleans the half-written folder.
    report = store.reindex(corpus)
    assert len(report.added) == 40
    assert not list(index.glob(".tmp-*"))


def test_manifest_lists_checksums_and_build_time(corpus: Path, tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "index", FakeEmbedder())
    store.reindex(corpus)
    version = store.current_version()
    assert version is not None
    manifest = json.loads((version / "manifest.json").read_text())
    assert set(manifest["checksums"]) == {
        "articles.json",
        "chunk_vectors.npy",
        "sentence_vectors.npy",
        "chunks.faiss",
    }
    assert manifest["built_at"].endswith("Z")
