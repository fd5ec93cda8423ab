"""The FAISS layer on random vectors: exact below the limit, approximate above it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.index.vectors import VectorIndex, VectorOptions, ivf_lists

# Approximate indexes from a few thousand vectors, so the tests stay fast.
SMALL = VectorOptions(exact_limit=500, min_lists=16)


def _unit(rows: np.ndarray) -> np.ndarray:
    unit: np.ndarray = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    return unit


def _clustered(count: int, dimension: int = 32, centres: int = 40, seed: int = 0) -> np.ndarray:
    """Unit vectors around a few centres, as embeddings of related texts are."""
    rng = np.random.default_rng(seed)
    middle = _unit(rng.standard_normal((centres, dimension)))
    picked = middle[rng.integers(0, centres, count)]
    return _unit(picked + 0.35 * rng.standard_normal((count, dimension)) / np.sqrt(dimension))


def _exact_top(vectors: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    return [int(i) for i in np.argsort(-(vectors @ query), kind="stable")[:k]]


def test_small_index_is_exact_and_returns_cosines_best_first() -> None:
    vectors = _clustered(300)
    index = VectorIndex.build(vectors)
    assert index.exact and index.describe() == {"type": "flat", "vectors": 300}
    query = vectors[7]
    hits = index.search(query, 10)
    assert [i for i, _ in hits] == _exact_top(vectors, query, 10)
    assert hits[0][0] == 7 and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    assert np.allclose([s for _, s in hits], [float(vectors[i] @ query) for i, _ in hits], atol=1e-5)


def test_large_index_is_approximate_with_high_recall() -> None:
    vectors = _clustered(5000)
    index = VectorIndex.build(vectors, options=SMALL)
    described = index.describe()
    assert not index.exact and described["type"] == "ivf-sqfp16"
    assert described["nlist"] == ivf_lists(5000, SMALL.min_lists) == 64 and described["nprobe"] == 16
    queries = _clustered(50, seed=1)
    recall = np.mean(
        [len({i for i, _ in index.search(q, 10)} & set(_exact_top(vectors, q, 10))) / 10 for q in queries]
    )
    assert recall >= 0.9
    forced = VectorIndex.build(vectors, exact=True, options=SMALL)
    assert forced.exact and [i for i, _ in forced.search(queries[0], 10)] == _exact_top(
        vectors, queries[0], 10
    )


def test_explicit_ids_come_back() -> None:
    vectors = _clustered(800)
    ids = np.arange(800, dtype=np.int64) * 7 + 1000
    for exact in (True, False):
        index = VectorIndex.build(vectors, ids, exact=exact, options=SMALL)
        assert index.search(vectors[123], 1)[0][0] == 123 * 7 + 1000
        assert {i for i, _ in index.search(vectors[5], 20)} <= set(ids.tolist())


@pytest.mark.parametrize("count", [300, 2000])
def test_save_and_load_round_trip(tmp_path: Path, count: int) -> None:
    vectors = _clustered(count)
    index = VectorIndex.build(vectors, options=SMALL)
    index.save(tmp_path / "chunks.faiss")
    loaded = VectorIndex.load(tmp_path / "chunks.faiss", trained_on=index.trained_on)
    assert len(loaded) == count and loaded.exact == index.exact
    assert loaded.describe() == index.describe()
    for query in _clustered(5, seed=2):
        assert loaded.search(query, 10) == index.search(query, 10)


def test_approximate_index_grows_without_refitting() -> None:
    vectors = _clustered(3000)
    first = VectorIndex.build(vectors[:2000], options=SMALL)
    grown = VectorIndex.build(vectors, previous=first, options=SMALL)
    assert len(grown) == 3000 and len(first) == 2000  # the previous index is left as it was
    assert grown.trained_on == first.trained_on == 2000
    assert grown.search(vectors[2500], 1)[0][0] == 2500
    # Far past the size its clusters were fitted to, it is fitted again.
    refitted = VectorIndex.build(_clustered(9000), previous=first, options=SMALL)
    assert refitted.trained_on == 9000


def test_wrong_dimension_is_refused() -> None:
    index = VectorIndex.build(_clustered(10, dimension=8))
    with pytest.raises(ValueError, match="dimension"):
        index.add(_clustered(2, dimension=4), np.array([100, 101]))
