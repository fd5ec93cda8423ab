"""The FAISS layer, behind a small interface: build, add, search, save, load, len.

Which FAISS index `build` makes depends on how many vectors there are. Up to
EXACT_LIMIT (`VectorOptions.exact_limit`) it is exact (a flat inner-product
index): a question scans every vector, which on two cores costs about as much
as embedding the question once there are 100k of them. Above it, an inverted-file index with fp16 scalar
quantisation (IVF-SQfp16): the vectors are grouped into `nlist` clusters and a
question scans the `nprobe` clusters nearest to it; at a million vectors that is
a few milliseconds, recall@10 about 0.99 against exact search, in 0.8 GB.
`python -m bot bench` measures both.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

EXACT_LIMIT = 50_000  # vectors; above it the index is approximate
MIN_LISTS = 256
TRAINING_POINTS_PER_LIST = 64  # k-means sample size per cluster (FAISS asks for at least 39)
REBUILD_GROWTH = 4  # retrain when the index has grown this much since its clusters were fitted


@dataclass(frozen=True)
class VectorOptions:
    """When `VectorIndex.build` turns approximate, and its fewest clusters.

    exact_limit: the most vectors (count, >= 0) searched exactly; above it, IVF-SQfp16.
    min_lists: the fewest IVF clusters (>= 1); see `ivf_lists`.
    Tests pass small values to get approximate indexes from a few thousand vectors.
    """

    exact_limit: int = EXACT_LIMIT
    min_lists: int = MIN_LISTS


class VectorIndex:
    """Inner-product search over L2-normalised vectors, with explicit int64 ids.

    Vectors are (n, dimension) float32 rows of norm 1 (other float dtypes are
    converted); scores are cosines in [-1, 1].
    """

    def __init__(self, dimension: int, index: faiss.Index | None = None, trained_on: int = 0) -> None:
        self.dimension = dimension
        if index is None:
            index = faiss.IndexIDMap(faiss.IndexFlatIP(dimension))
        self._index: faiss.Index = index
        self.trained_on = trained_on  # vectors the clusters were fitted to (approximate indexes)

    @classmethod
    def build(
        cls,
        vectors: np.ndarray,
        ids: np.ndarray | None = None,
        previous: VectorIndex | None = None,
        exact: bool = False,
        options: VectorOptions | None = None,
    ) -> VectorIndex:
        """An index of `vectors` ((n, d) float rows, memory-mapped ones too; ids
        0, 1, … unless `ids`, n int64), exact or approximate by size (`options`).

        `previous`, an index of the first len(previous) of these same rows, is
        extended rather than rebuilt when it is approximate and still fits:
        adding an article to a large index does not refit its clusters.
        """
        # Without options, the module's values as they are now (tests/test_bench.py sets them).
        options = options or VectorOptions(EXACT_LIMIT, MIN_LISTS)
        count, dimension = len(vectors), int(vectors.shape[1])
        ids = np.arange(count, dtype=np.int64) if ids is None else np.asarray(ids, dtype=np.int64)
        if exact or count <= options.exact_limit:
            index = cls(dimension)
            index.add(vectors, ids)
            return index
        if (
            previous is not None
            and not previous.exact
            and len(previous) <= count
            and count <= REBUILD_GROWTH * max(previous.trained_on, 1)
        ):
            extended = cls(dimension, faiss.clone_index(previous._index), previous.trained_on)
            extended.add(vectors[len(previous) :], ids[len(previous) :])
            return extended
        nlist = ivf_lists(count, options.min_lists)
        ivf = faiss.IndexIVFScalarQuantizer(
            faiss.IndexFlatIP(dimension),
            dimension,
            nlist,
            faiss.ScalarQuantizer.QT_fp16,
            faiss.METRIC_INNER_PRODUCT,
        )
        points = min(count, TRAINING_POINTS_PER_LIST * nlist)
        sample = np.sort(np.random.default_rng(0).choice(count, points, replace=False))
        ivf.train(np.ascontiguousarray(vectors[sample], dtype=np.float32))
        ivf.nprobe = max(nlist // 8, min(64, nlist // 4))  # an eighth of the clusters, a quarter of few
        index = cls(dimension, ivf, trained_on=count)
        index.add(vectors, ids)
        return index

    @property
    def exact(self) -> bool:
        """True for a flat (exact) index, False for an approximate IVF one."""
        return not isinstance(self._index, faiss.IndexIVF)

    def describe(self) -> dict[str, object]:
        """The index type and its parameters, as recorded in the manifest."""
        if self.exact:
            return {"type": "flat", "vectors": len(self)}
        ivf = faiss.extract_index_ivf(self._index)
        return {
            "type": "ivf-sqfp16",
            "vectors": len(self),
            "nlist": int(ivf.nlist),
            "nprobe": int(ivf.nprobe),
            "trained_on": self.trained_on,
        }

    @property
    def memory_bytes(self) -> int:
        """About how much memory the index holds (vectors, ids, cluster centroids)."""
        if self.exact:
            return len(self) * (4 * self.dimension + 8)
        ivf = faiss.extract_index_ivf(self._index)
        return len(self) * (int(ivf.code_size) + 8) + int(ivf.nlist) * 4 * self.dimension

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        """Add (n, dimension) rows under `ids` (n int64); ValueError for another dimension."""
        if len(vectors) == 0:
            return
        if vectors.shape[1] != self.dimension:
            raise ValueError(f"vectors have dimension {vectors.shape[1]}, index {self.dimension}")
        ids = np.asarray(ids, dtype=np.int64)
        step = 65_536  # bounds the float32 copy of memory-mapped vectors
        for at in range(0, len(vectors), step):
            part = np.ascontiguousarray(vectors[at : at + step], dtype=np.float32)
            self._index.add_with_ids(part, ids[at : at + step])

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The k nearest ids with their cosine scores, best first (`query`: one row of `dimension`)."""
        if len(self) == 0 or k <= 0:
            return []
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        with faiss_threads(1):
            scores, ids = self._index.search(q, min(k, len(self)))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=False) if i >= 0]

    def save(self, path: Path) -> None:
        """Write the index to `path` (FAISS's own format); OSError when the disk refuses."""
        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path, trained_on: int = 0) -> VectorIndex:
        """The index `save` wrote; `trained_on` as the manifest records it (0: all its vectors)."""
        raw = faiss.read_index(str(path))
        return cls(raw.d, raw, trained_on=trained_on or int(raw.ntotal))


@contextlib.contextmanager
def faiss_threads(count: int) -> Iterator[None]:
    """FAISS's OpenMP threads for this thread, for the duration.

    One question is searched on one thread: a thread team gains nothing there,
    and FAISS's OpenMP runtime (not torch's) keeps its threads spinning after the
    search, on the cores the next question is embedded on (measured: ~7 ms more
    per question on two cores).
    """
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(count)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def ivf_lists(count: int, minimum: int = MIN_LISTS) -> int:
    """Clusters for an inverted-file index of `count` vectors: the power of two nearest √count,
    and at least `minimum`."""
    return max(minimum, 1 << int(np.rint(np.log2(max(count, 1)) / 2)))
