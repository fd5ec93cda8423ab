"""manifest.json as a typed record: the same JSON on disk, older manifests still read."""

from __future__ import annotations

import json

import pytest

from bot.errors import IndexUnusableError
from bot.index.manifest import FORMAT_VERSION, Manifest

WRITTEN = {
    "format": 1,
    "model": "fake-bow",
    "dimension": 64,
    "normalized": True,
    "metric": "inner_product",
    "chunking": {"max_words": 150, "version": 3},
    "built_at": "2026-11-30T19:29:14Z",
    "articles": {"rover": {"file": "rover.txt", "content_hash": "ab12", "passages": 1, "language": "en"}},
    "skipped": {"bad.txt": "bad.txt looks binary (it holds NUL bytes)"},
    "duplicates": {"copy.txt": {"same_as": "rover.txt", "content_hash": "ab12"}},
    "passages": 1,
    "sentences": 2,
    "index": {"type": "flat", "vectors": 1},
    "checksums": {"articles.json": "sha256/4MiB:00", "chunks.faiss": "sha256/4MiB:11"},
}


def test_round_trip_keeps_keys_order_and_text() -> None:
    manifest = Manifest.from_json(json.loads(json.dumps(WRITTEN)), "v-1")
    assert manifest.model == "fake-bow" and manifest.passages == 1 and manifest.index["type"] == "flat"
    assert list(manifest.to_json()) == list(WRITTEN)
    assert manifest.dumps() == json.dumps(WRITTEN, indent=1, ensure_ascii=False)


def test_older_manifest_without_later_keys_reads_with_defaults() -> None:
    older = {k: v for k, v in WRITTEN.items() if k not in ("duplicates", "index")}
    manifest = Manifest.from_json(older, "v-1")
    assert manifest.duplicates == {} and manifest.index == {}
    assert manifest.skipped == WRITTEN["skipped"]


def test_another_format_is_read_for_its_format_only() -> None:
    manifest = Manifest.from_json({**WRITTEN, "format": 2}, "v-1")
    assert manifest.format == 2 != FORMAT_VERSION and manifest.model == ""


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ([WRITTEN], "the manifest in v-1 is not an object"),
        ({**WRITTEN, "checksums": ["x"]}, "the manifest in v-1 has no checksums"),
        ({**WRITTEN, "passages": "many"}, "the manifest in v-1 is malformed"),
    ],
)
def test_malformed_manifest_is_refused(data: object, reason: str) -> None:
    with pytest.raises(IndexUnusableError, match=reason):
        Manifest.from_json(data, "v-1")
