"""The ranking search's recall@k and its choice of weights, on hand-made candidates."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tools import fit_ranking
from tools.fit_ranking import NAMES


def _candidate(**values: float) -> list[float]:
    return [values.get(name, 0.0) for name in NAMES]


def _row(style: str, candidates: list[list[float]], labels: list[int]) -> dict[str, Any]:
    return {"set": "made", "split": "train", "style": style, "features": candidates, "labels": labels}


def test_recall_at_k_counts_a_gold_candidate_within_the_k_best() -> None:
    rows = [
        # the answer is the densest candidate
        _row("formal", [_candidate(dense=0.9), _candidate(dense=0.2)], [1, 0]),
        # the answer ranks second by cosine; the padding of this short list never counts
        _row("casual", [_candidate(dense=0.8), _candidate(dense=0.5)], [0, 1]),
    ]
    x, mask, labels = fit_ranking.arrays(rows)
    assert x.shape == (2, 2, len(NAMES)) and x.dtype == np.float32
    weights = np.array([1.0 if n == "dense" else 0.0 for n in NAMES], np.float32)
    assert fit_ranking.recall_at(x, mask, labels, weights, 1).tolist() == [True, False]
    assert fit_ranking.recall_at(x, mask, labels, weights, 2).tolist() == [True, True]


def test_search_finds_the_feature_that_ranks_the_answer_first(monkeypatch: pytest.MonkeyPatch) -> None:
    # Twelve decoys per question out-rank the answer by cosine; only the answer is the
    # article's first sentence, so only a weight on "lead" brings it into the best twelve.
    rows = []
    for style in ("formal", "crowd"):
        decoys = [_candidate(dense=0.6, lead=0.1) for _ in range(12)]
        rows.append(_row(style, [*decoys, _candidate(dense=0.5, lead=1.0)], [0] * 12 + [1]))
    monkeypatch.setattr(
        fit_ranking, "GRID", {n: [0.0, 0.2] if n == "lead" else [1.0 if n == "dense" else 0.0] for n in NAMES}
    )
    weights, best, _ = fit_ranking.search(rows)
    assert weights["lead"] == 0.2
    assert best == 1.0
