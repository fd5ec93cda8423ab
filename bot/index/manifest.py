"""manifest.json: what a version holds and how it was built, as a typed record.

The JSON keeps the keys and order it always had; indexes written before a key
existed ("duplicates", "index", block checksums) still load.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.errors import IndexUnusableError

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Manifest:
    """The manifest of one version.

    articles: id -> {"file", "content_hash" (SHA-256 hex of the file's bytes),
    "passages" (count), "language"}. skipped: corpus file -> why it is not indexed.
    duplicates: file left out -> {"same_as": file indexed, "content_hash": …}.
    passages, sentences: rows in use in the vector files. index: the FAISS index
    as `VectorIndex.describe` tells it. checksums: file name -> "sha256/4MiB:<hex>"
    (or a whole-file SHA-256 hex from older indexes). built_at: UTC, ISO 8601 with "Z".
    """

    model: str = ""
    dimension: int = 0
    chunking: dict[str, Any] = field(default_factory=dict)
    built_at: str = ""
    articles: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    duplicates: dict[str, dict[str, str]] = field(default_factory=dict)
    passages: int = 0
    sentences: int = 0
    index: dict[str, Any] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)
    format: object = FORMAT_VERSION  # whatever the file says; `mismatch` compares it
    normalized: bool = True
    metric: str = "inner_product"

    def to_json(self) -> dict[str, object]:
        """The manifest.json object, keys in the order they are written."""
        return {
            "format": self.format,
            "model": self.model,
            "dimension": self.dimension,
            "normalized": self.normalized,
            "metric": self.metric,
            "chunking": self.chunking,
            "built_at": self.built_at,
            "articles": self.articles,
            "skipped": self.skipped,
            "duplicates": self.duplicates,
            "passages": self.passages,
            "sentences": self.sentences,
            "index": self.index,
            "checksums": self.checksums,
        }

    def dumps(self) -> str:
        """The text of manifest.json."""
        return json.dumps(self.to_json(), indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, data: object, where: object) -> Manifest:
        """The manifest in `data` (parsed manifest.json); keys it lacks take their defaults.

        Of an index in another format only `format` is read. Raises IndexUnusableError
        naming `where` (the version folder) when `data` is not an object or a field
        has the wrong type.
        """
        if not isinstance(data, dict):
            raise IndexUnusableError(f"the manifest in {where} is not an object")
        if data.get("format") != FORMAT_VERSION:
            return cls(format=data.get("format"))
        if not isinstance(data.get("checksums", {}), dict):
            raise IndexUnusableError(f"the manifest in {where} has no checksums")
        try:
            return cls(
                model=data.get("model", ""),
                dimension=data.get("dimension", 0),
                chunking=data.get("chunking", {}),
                built_at=str(data.get("built_at", "")),
                articles=dict(data.get("articles", {})),
                skipped=dict(data.get("skipped", {})),
                duplicates=dict(data.get("duplicates", {})),
                passages=int(data.get("passages", 0)),
                sentences=int(data.get("sentences", 0)),
                index=dict(data.get("index", {})),
                checksums=data.get("checksums", {}),
                normalized=bool(data.get("normalized", True)),
                metric=str(data.get("metric", "inner_product")),
            )
        except (TypeError, ValueError) as exc:
            raise IndexUnusableError(f"the manifest in {where} is malformed: {exc}") from exc
