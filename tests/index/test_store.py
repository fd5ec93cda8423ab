from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.chunking import ChunkingConfig
from bot.errors import CorpusError, IndexUnusableError, StorageError
from bot.index import IndexStore, VectorIndex
from bot.index.corpus import corpus_files
from tests.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parents[2]


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
    assert snapshot.manifest.model == "fake-bow"
    assert snapshot.manifest.dimension == 64
    assert snapshot.manifest.chunking == ChunkingConfig().as_dict()
    assert snapshot.manifest.articles["china-first-woman-spacewalk"]["content_hash"]

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
    seed = before.article("china-first-woman-spacewalk")
    assert seed is not None
    seed_rows = before.chunk_vectors[: len(seed.chunks)]

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


@pytest.mark.parametrize("pointer", [b"\xff\xfe", b"v-1\x00x"])
def test_an_unreadable_pointer_is_an_unusable_index_then_rebuilt(
    corpus: Path, tmp_path: Path, pointer: bytes
) -> None:
    store = IndexStore(tmp_path / "index", FakeEmbedder())
    store.reindex(corpus)
    (tmp_path / "index" / "CURRENT").write_bytes(pointer)
    with pytest.raises(IndexUnusableError, match="CURRENT"):
        store.load()
    assert "CURRENT" in store.reindex(corpus).rebuilt_because
    assert store.load().article("china-first-woman-spacewalk") is not None


@pytest.mark.parametrize(
    ("victim", "reason"),
    [
        ("chunks.faiss", "does not match its checksum"),
        ("articles.json", "does not match its checksum"),
        ("sentence_vectors.npy", "does not match its checksum"),
        ("manifest.json", "manifest"),
        ("CURRENT", "manifest"),  # the pointer names a version that is not there
    ],
)
def test_corrupt_index_is_detected_and_rebuilt(
    corpus: Path, tmp_path: Path, victim: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = IndexStore(tmp_path / "index", FakeEmbedder())
    store.reindex(corpus)
    version = store.current_version()
    assert version is not None
    path = tmp_path / "index" / "CURRENT" if victim == "CURRENT" else version / victim
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(IndexUnusableError, match=reason):
        store.load()
    assert reason in store.is_stale(corpus)
    with caplog.at_level("WARNING", logger="bot.index.store"):
        report = store.reindex(corpus)
    assert reason in report.rebuilt_because
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(w.startswith("rebuilding the index: ") and reason in w for w in warnings), warnings
    assert report.added == ["china-first-woman-spacewalk"]
    assert store.load().article("china-first-woman-spacewalk") is not None
    assert store.is_stale(corpus) == ""


def test_other_model_triggers_rebuild(corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    IndexStore(tmp_path / "index", FakeEmbedder(name="model-a")).reindex(corpus)
    store_b = IndexStore(tmp_path / "index", FakeEmbedder(name="model-b", dimension=32))
    with pytest.raises(IndexUnusableError, match="model-a"):
        store_b.load()
    with caplog.at_level("WARNING"):
        report = store_b.reindex(corpus)
    assert "model-a" in report.rebuilt_because
    assert "rebuilding the index" in caplog.text
    assert store_b.load().manifest.dimension == 32


_KILL_SCRIPT = """
import sys
sys.path.insert(0, {root!r})
from pathlib import Path
from bot.index import IndexStore
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
        _article(corpus, f"extra-{i}.txt", f"Extra {i}", " ".join([f"Word salad sentence {i} here."] * 30))
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
    assert len(store.load().articles) == 41
    assert store.is_stale(corpus) == ""


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


# ---- the corpus changing under a reindex ------------------------------------------------


def test_file_deleted_after_listing_is_left_out(corpus: Path, tmp_path: Path) -> None:
    _article(corpus, "rover.txt", "Rover news", "The rover found ice near the pole.")
    _article(corpus, "comet.txt", "Comet news", "A comet passed close to Earth.")
    store = IndexStore(tmp_path / "index", FakeEmbedder())
    store.reindex(corpus)

    def list_then_delete(folder: Path) -> list[Path]:
        files = corpus_files(folder)
        (folder / "rover.txt").unlink()  # gone between the listing and the read
        _article(folder, "comet.txt", "Comet news", "A comet passed close to Mars.")
        return files

    report = IndexStore(tmp_path / "index", FakeEmbedder(), list_files=list_then_delete).reindex(corpus)

    assert report.removed == ["rover"] and report.changed == ["comet"]
    assert report.skipped == {}  # a deleted file is simply not in the corpus any more
    snapshot = store.load()
    assert [r.id for r in snapshot.articles] == ["china-first-woman-spacewalk", "comet"]
    comet = snapshot.article("comet")
    assert comet is not None and "Mars" in comet.text
    assert store.is_stale(corpus) == ""


class EditingEmbedder(FakeEmbedder):
    """Rewrites (or deletes) an article file the first time a batch is embedded: mid-reindex."""

    def __init__(self, path: Path, new_text: str | None) -> None:
        super().__init__()
        self.path, self.new_text, self.done = path, new_text, False

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not self.done:
            self.done = True
            if self.new_text is None:
                self.path.unlink()
            else:
                self.path.write_text(self.new_text)
        return super().embed(texts, batch_size)


def test_file_changed_mid_reindex_is_indexed_as_read_and_noticed_next_time(
    corpus: Path, tmp_path: Path
) -> None:
    rover = _article(corpus, "rover.txt", "Rover news", "The rover found ice near the pole.")
    old_hash = hashlib.sha256(rover.read_bytes()).hexdigest()
    changed = "Rover news\n\nThe rover found water in the crater.\n"
    store = IndexStore(tmp_path / "index", EditingEmbedder(rover, changed))
    first = store.reindex(corpus)

    assert "rover" in first.added
    record = store.load().article("rover")
    assert record is not None  # one version, consistently: the text and the hash it was read with
    assert "pole" in record.text and "crater" not in record.text
    assert record.content_hash == old_hash
    assert store.is_stale(corpus) == "rover.txt is new or changed"
    second = store.reindex(corpus)
    assert second.changed == ["rover"]
    record = store.load().article("rover")
    assert record is not None and "crater" in record.text
    assert record.content_hash == hashlib.sha256(changed.encode()).hexdigest()


def test_file_deleted_mid_reindex_is_removed_next_time(corpus: Path, tmp_path: Path) -> None:
    rover = _article(corpus, "rover.txt", "Rover news", "The rover found ice near the pole.")
    store = IndexStore(tmp_path / "index", EditingEmbedder(rover, None))
    store.reindex(corpus)
    assert store.load().article("rover") is not None  # it was read before it went
    assert store.is_stale(corpus) == "rover.txt was removed"
    assert store.reindex(corpus).removed == ["rover"]
    assert store.load().article("rover") is None


# ---- the disk filling up -------------------------------------------------------------------


def _disk_full(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def fill_disk_at(monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """The test's harness: make one step of writing a new index version fail with ENOSPC."""
    if where == "vectors":
        monkeypatch.setattr(np, "save", _disk_full)
    elif where == "faiss":
        monkeypatch.setattr(VectorIndex, "save", _disk_full)
    else:  # the new CURRENT pointer, written after the version folder is in place
        write_text = Path.write_text

        def failing_write_text(self: Path, *args: Any, **kwargs: Any) -> int:
            if self.name.startswith(".CURRENT."):
                _disk_full()
            return write_text(self, *args, **kwargs)

        monkeypatch.setattr(Path, "write_text", failing_write_text)


@pytest.mark.parametrize("where", ["vectors", "faiss", "pointer"])
def test_disk_full_keeps_the_old_index(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    index = tmp_path / "index"
    store = IndexStore(index, FakeEmbedder())
    store.reindex(corpus)
    old_version = store.current_version()
    before = sorted(p.name for p in index.iterdir())
    _article(corpus, "rover.txt", "Rover news", "The rover found ice near the pole.")

    fill_disk_at(monkeypatch, where)
    with pytest.raises(StorageError, match="no space left on the disk") as caught:
        store.reindex(corpus)
    monkeypatch.undo()

    assert "the previous index" in str(caught.value) and "\n" not in str(caught.value)
    assert store.current_version() == old_version
    assert sorted(p.name for p in index.iterdir()) == before  # no temporary or half-made version left
    assert [r.id for r in store.load().articles] == ["china-first-woman-spacewalk"]
    assert store.reindex(corpus).added == ["rover"]  # with space again, the reindex goes through


# ---- oversized articles ------------------------------------------------------------------------


def test_huge_article_is_skipped_without_reading_it(corpus: Path, tmp_path: Path) -> None:
    huge = corpus / "huge.txt"
    with huge.open("wb") as handle:  # 50 MB, sparse: nothing is really written
        handle.truncate(50 * 1024 * 1024)
    store = IndexStore(tmp_path / "index", FakeEmbedder(), max_article_bytes=5_000_000)
    tracemalloc.start()
    try:
        report = store.reindex(corpus)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.skipped == {"huge.txt": "52,428,800 bytes, over the limit of 5,000,000"}
    assert peak < 10 * 1024 * 1024  # the 50 MB were never read into memory
    assert [r.id for r in store.load().articles] == ["china-first-woman-spacewalk"]


def test_the_same_text_under_two_names_is_indexed_once(corpus: Path, tmp_path: Path) -> None:
    seed = corpus / "china-first-woman-spacewalk.txt"
    (corpus / "spacewalk-copy.txt").write_bytes(seed.read_bytes())
    # The same article with front matter: other bytes, the same text once read.
    (corpus / "spacewalk-meta.txt").write_text("---\nsource: Wire\n---\n" + seed.read_text(encoding="utf-8"))
    store = IndexStore(tmp_path / "index", FakeEmbedder())
    report = store.reindex(corpus)
    assert [r.file for r in report.snapshot.articles] == ["china-first-woman-spacewalk.txt"]  # type: ignore[union-attr]
    same = {
        "spacewalk-copy.txt": "china-first-woman-spacewalk.txt",
        "spacewalk-meta.txt": "china-first-woman-spacewalk.txt",
    }
    assert {f: d["same_as"] for f, d in report.duplicates.items()} == same
    assert "spacewalk-copy.txt holds the same article as china-first-woman-spacewalk.txt" in report.summary()
    snapshot = store.load()
    assert snapshot.duplicates == same
    assert store.corpus_changed(corpus, snapshot) == ""
    assert store.reindex(corpus).changed_anything is False
    # The copy is edited into an article of its own: now both are indexed.
    (corpus / "spacewalk-copy.txt").write_text("Another story\n\nA different text altogether.\n")
    assert store.corpus_changed(corpus, store.load()) == "spacewalk-copy.txt is new or changed"
    report = store.reindex(corpus)
    assert report.added == ["spacewalk-copy"] and list(report.duplicates) == ["spacewalk-meta.txt"]


def test_look_alike_articles_are_labelled_by_what_differs(corpus: Path, tmp_path: Path) -> None:
    _article(corpus, "wire.txt", "Astronaut becomes China's first woman to walk in space", "Wang, 41, flew.")
    front = "---\nsource: Pacific Wire\ndate: 2021-11-08\n---\n"
    (corpus / "wire.txt").write_text(front + (corpus / "wire.txt").read_text())
    _article(
        corpus, "copy-desk.txt", "ASTRONAUT becomes China's first woman to walk in space", "Another text."
    )
    _article(corpus, "rover.txt", "Rover finds ice", "The rover found ice.")
    labels = IndexStore(tmp_path / "index", FakeEmbedder()).reindex(corpus).snapshot.labels  # type: ignore[union-attr]
    assert labels["rover"] == "Rover finds ice"
    assert (
        labels["wire"] == "Astronaut becomes China's first woman to walk in space (Pacific Wire, 2021-11-08)"
    )
    # Neither outlet nor date given: the file name tells them apart.
    assert labels["china-first-woman-spacewalk"].endswith("(china-first-woman-spacewalk.txt)")
    assert labels["copy-desk"].endswith("(copy-desk.txt)")


def test_newest_article_without_a_date_counts_from_when_it_was_added(corpus: Path, tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "index", FakeEmbedder())
    store.reindex(corpus)  # the seed article states no date
    _article(corpus, "old.txt", "Old news", "It happened.")
    (corpus / "old.txt").write_text("---\ndate: 2019-05-01\n---\n" + (corpus / "old.txt").read_text())
    snapshot = store.reindex(corpus).snapshot
    assert snapshot is not None
    assert snapshot.article("china-first-woman-spacewalk").date == ""  # type: ignore[union-attr]
    assert snapshot.newest().id == "china-first-woman-spacewalk"  # type: ignore[union-attr]
    _article(corpus, "future.txt", "Later news", "It will happen.")
    (corpus / "future.txt").write_text("---\ndate: 2099-01-02\n---\n" + (corpus / "future.txt").read_text())
    assert store.reindex(corpus).snapshot.newest().id == "future"  # type: ignore[union-attr]


def test_language_is_recorded_per_article(corpus: Path, tmp_path: Path) -> None:
    _article(
        corpus, "ru.txt", "Новый мост", "В Костроме открыли новый мост через Волгу. Его длина 1240 метров."
    )
    snapshot = IndexStore(tmp_path / "index", FakeEmbedder()).reindex(corpus).snapshot
    assert snapshot is not None
    assert {r.id: r.language for r in snapshot.articles} == {"china-first-woman-spacewalk": "en", "ru": "ru"}
    again = IndexStore(tmp_path / "index", FakeEmbedder()).load()
    assert again.article("ru").language == "ru"  # type: ignore[union-attr]
    assert again.manifest.articles["ru"]["language"] == "ru"


def test_files_whose_names_give_the_same_id_are_all_indexed(corpus: Path, tmp_path: Path) -> None:
    _article(corpus, "heron.txt", "Herons return", "Herons returned to Marshby, first seen by Ivy Dunmore.")
    page = (
        "<html><head><title>{0}</title></head><body><article><h1>{0}</h1>\n"
        "<p>The Elsford bakery won the national bread award on Monday, beating 300 others.</p>\n"
        "<p>Its owner said the prize would go towards a second oven for the busy shop.</p>\n"
        "</article></body></html>"
    )
    (corpus / "heron.html").write_text(page.format("Bakery wins award"))
    for name in ("мост.txt", "μουσείο.txt", "地铁.txt"):
        _article(corpus, name, name, f"The text of {name}.")
    store = IndexStore(tmp_path / "index", FakeEmbedder())
    report = store.reindex(corpus)
    assert not report.skipped
    ids = {r.file: r.id for r in report.snapshot.articles}  # type: ignore[union-attr]
    assert ids["heron.html"] == "heron" and ids["heron.txt"] == "heron-txt"
    assert (ids["мост.txt"], ids["μουσείο.txt"], ids["地铁.txt"]) == ("мост", "μουσείο", "地铁")
    # Ids stay with their files when a file that sorts first comes later.
    (corpus / "heron.htm").write_text(page.format("Bakery wins again").replace("300", "400"))
    again = {r.file: r.id for r in store.reindex(corpus).snapshot.articles}  # type: ignore[union-attr]
    assert (
        again["heron.html"] == "heron"
        and again["heron.txt"] == "heron-txt"
        and again["heron.htm"] == "heron-htm"
    )
