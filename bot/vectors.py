"""The FAISS layer, behind a small interface: build, search, save, load."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np


class VectorIndex:
    """Inner-product search over L2-normalised vectors, with explicit int64 ids."""

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self._index: faiss.Index = faiss.IndexIDMap(faiss.IndexFlatIP(dimension))

    @classmethod
    def build(cls, vectors: np.ndarray, ids: np.ndarray | None = None) -> VectorIndex:
        index = cls(int(vectors.shape[1]))
        index.add(vectors, np.arange(len(vectors)) if ids is None else ids)
        return index

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        if len(vectors) == 0:
            return
        if vectors.shape[1] != self.dimension:
            raise ValueError(f"vectors have dimension {vectors.shape[1]}, index {self.dimension}")
        self._index.add_with_ids(
            np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
        )

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The k nearest ids with their cosine scores, best first."""
        if len(self) == 0 or k <= 0:
            return []
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        scores, ids = self._index.search(q, min(k, len(self)))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=False) if i >= 0]

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        raw = faiss.read_index(str(path))
        index = cls(raw.d)
        index._index = raw
        return index
