"""Choose the weights that rank candidate sentences before the reader reads the best of them.

    .venv/bin/python tools/fit_ranking.py [--features FILE]

The reader only reads the best-ranked candidates (8, 12 or 16; tools/fit_confidence.py
chooses how many), so an answering sentence ranked below them is lost whatever the
reader can do. This measures how often the candidates hold a gold answer (recall@k of
the answerable questions) and searches a grid of the ranking weights
(bot/answering/features.RANKING_WEIGHTS) for the best mean of recall@8 and recall@12,
each question style (formal, casual, crowd, follow-up) weighted equally, so the many
formal SQuAD questions do not decide alone.

Questions: the "train" and "calibration" splits of tools/reader_data.py (SQuAD 2.0's
articles but the two held out, and every written training set); the validation split
and the held-out sets (datasets/news-val, seed-val, crowd-dec, casual-*) are only
measured, with `--measure`. Each question is ranked as the bot ranks it (ArticleQA.rank:
the question as expanded, as many passages as the shipped confidence model asks for, 16,
every sentence of those a candidate with the features score_sentences gives it). A
follow-up is asked with its earlier question and that question's first gold answer.

Collecting the features takes about 15 minutes on two cores; `--features FILE` keeps
them and reuses them. The grid search takes about a minute. Deterministic: no seed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answering.features import RANKING_WEIGHTS  # noqa: E402
from tools.reader_data import DATASETS, QuestionSet, all_sets, indexed, load_set, previous_context  # noqa: E402

log = logging.getLogger("fit_ranking")

NAMES = tuple(RANKING_WEIGHTS)  # the features, in the order of the weight vectors here
HELD_OUT = ("crowd-dec", "casual-dec", "casual-fresh", "casual-cases")
GRID = {
    "dense": [1.0],  # the scale: the other weights are relative to the cosine's
    "coverage": [0.2, 0.4, 0.6, 0.8, 1.2],
    "kind": [0.0, 0.1, 0.2, 0.3],
    "lexical": [0.0, 0.2, 0.4],
    "passage": [0.2, 0.3, 0.4, 0.6, 0.9],
    "lead": [0.0, 0.05, 0.1, 0.15, 0.2],
}


def collect(qset: QuestionSet, embedder: Any, reader: Any, confidence: Any) -> list[dict[str, Any]]:
    """The candidates of each answerable question of `qset`, ranked as the bot with the
    shipped `reader` and `confidence` (bot.cli.load_reader) ranks them (ArticleQA.rank):
    their features and whether they hold a gold answer."""
    rows = []
    with indexed(qset, embedder, reader, confidence) as core:
        for item in qset.items:
            if item.is_impossible or item.style == "metadata":
                continue
            ranked = core.rank(item.question, context=previous_context(qset.items, item))
            if not ranked:
                continue
            rows.append(
                {
                    "set": qset.name,
                    "split": item.split,
                    "style": item.style,
                    "features": [[round(c.features[n], 5) for n in NAMES] for c in ranked],
                    "labels": [int(any(a in c.sentence.text for a in item.answers)) for c in ranked],
                }
            )
    log.info("%s: %d answerable questions", qset.name, len(rows))
    return rows


def arrays(rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Padded features (questions, candidates, features) float32, the mask of real
    candidates and their labels, both bool of shape (questions, candidates)."""
    width = max(len(r["labels"]) for r in rows)
    x = np.zeros((len(rows), width, len(NAMES)), dtype=np.float32)
    mask = np.zeros((len(rows), width), dtype=bool)
    labels = np.zeros((len(rows), width), dtype=bool)
    for i, r in enumerate(rows):
        n = len(r["labels"])
        x[i, :n] = r["features"]
        mask[i, :n] = True
        labels[i, :n] = r["labels"]
    return x, mask, labels


def recall_at(x: np.ndarray, mask: np.ndarray, labels: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray:
    """Whether the k best-ranked candidates hold a gold answer, bool of shape (questions,)."""
    scores = np.where(mask, x @ weights, -np.inf)
    best = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.asarray(np.take_along_axis(labels, best, axis=1).any(axis=1))


def by_style(rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    styles: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        styles.setdefault(r["style"], []).append(i)
    return {s: np.array(v) for s, v in sorted(styles.items())}


def objective(
    x: np.ndarray, mask: np.ndarray, labels: np.ndarray, styles: dict[str, np.ndarray], w: np.ndarray
) -> float:
    return float(
        np.mean([recall_at(x, mask, labels, w, k)[idx].mean() for idx in styles.values() for k in (8, 12)])
    )


def search(rows: list[dict[str, Any]]) -> tuple[dict[str, float], float, float]:
    """The grid's best weights, their objective and the current weights' objective."""
    answerable = [r for r in rows if any(r["labels"])]  # an answer the passages miss ranks nowhere
    x, mask, labels = arrays(answerable)
    styles = by_style(answerable)
    current = objective(x, mask, labels, styles, np.array([RANKING_WEIGHTS[n] for n in NAMES], np.float32))
    best, best_w = -1.0, dict(RANKING_WEIGHTS)
    for values in itertools.product(*(GRID[n] for n in NAMES)):
        score = objective(x, mask, labels, styles, np.array(values, np.float32))
        if score > best + 1e-9:
            best, best_w = score, dict(zip(NAMES, values, strict=True))
    return best_w, best, current


def measure(rows: list[dict[str, Any]], weights: dict[str, float]) -> list[str]:
    """Recall@1, @8 and @12 of each set and style, over all its answerable questions."""
    w = np.array([weights[n] for n in NAMES], np.float32)
    lines = []
    for name in dict.fromkeys(r["set"] for r in rows):
        part = [r for r in rows if r["set"] == name]
        x, mask, labels = arrays(part)
        for style, idx in by_style(part).items():
            figures = " ".join(f"@{k} {recall_at(x, mask, labels, w, k)[idx].mean():.3f}" for k in (1, 8, 12))
            lines.append(f"{name} {style} ({len(idx)}): {figures}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--features", type=Path, help="keep the collected features in this file, and reuse them"
    )
    parser.add_argument("--measure", action="store_true", help="also measure the held-out sets")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    if args.features is not None and args.features.is_file():
        rows = json.loads(args.features.read_text(encoding="utf-8"))
    else:
        sets = all_sets()
        if args.measure:
            sets += [load_set(n, DATASETS / n) for n in HELD_OUT if (DATASETS / n).is_dir()]
        from bot.cli import load_reader
        from bot.embedding import SentenceTransformerEmbedder
        from bot.settings import BUNDLED_MODEL

        embedder = SentenceTransformerEmbedder(BUNDLED_MODEL)
        reader, confidence = load_reader()  # ranking reads none, but retrieves as many passages
        rows = [row for qset in sets for row in collect(qset, embedder, reader, confidence)]
        if args.features is not None:
            args.features.write_text(json.dumps(rows), encoding="utf-8")
    fitting = [r for r in rows if r["split"] in ("train", "calibration") and r["set"] not in HELD_OUT]
    weights, best, current = search(fitting)
    print(f"{len(fitting)} questions; mean recall@8 and @12 by style: {current:.4f} now, {best:.4f} with")
    print(json.dumps(weights))
    if args.measure:
        held_out = [r for r in rows if r["split"] == "validation" or r["set"] in HELD_OUT]
        print("\nnow:", *measure(held_out, RANKING_WEIGHTS), sep="\n")
        print("\nwith:", *measure(held_out, weights), sep="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
