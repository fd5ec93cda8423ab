"""How likely a candidate sentence is to answer: the confidence models and their features.

With the reader, ConfidenceModel (fitted on the reader's readings and stored in its
card) decides. Without one (unit tests with a fake embedder), the older similarity
model (CONFIDENCE_WEIGHTS) does; questions in a language the reader was not
trained on are judged on their word overlap alone (OVERLAP_THRESHOLD).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from bot.answering.features import ScoredSentence
from bot.answering.kinds import QUANTITY_KINDS, holds_kind
from bot.answering.quantities import holds_quantity
from bot.answering.question import Question, unseen_idf
from bot.answering.reader import Reading
from bot.retrieval import HybridRetriever

# Confidence is scaled by this when no sentence near the best holds a quantity of the kind
# asked. It matters little: on the shipped reader's readings of the 4,367 calibration
# questions (tools/fit_confidence.py's decisions and sweep over its --rows file, this factor
# changed) the best balanced accuracy was 0.733 for factors 0 to 0.2 and 0.735 to 0.737 from
# 0.3 to 1.0.
MISSING_QUANTITY_FACTOR = 0.3

# For questions in a language the reader was not trained on, the idf share of the
# question's terms that the best sentence holds must reach this to be quoted. Chosen
# on datasets/languages-dev (120 questions in five languages, 45 unanswerable): the
# threshold of best overall accuracy, 0.625, with answerable hit 0.61 and abstention
# 0.64 (`python tools/fit_overlap.py`).
OVERLAP_THRESHOLD = 0.35

# Feature weights of the similarity confidence (see similarity_features): a logistic
# regression fitted on the questions of four of the eight SQuAD 2.0 benchmark
# articles (complexity, force, huguenot, immune-system), answerable and
# unanswerable, with "the answer holds a gold span" as the label, plus the same
# questions asked of another article; checked on the other four. The fit left the
# tree with the reader (commit c916f60); reproduce it at the commit before:
#   git checkout c916f60^ && python -m bot eval ../shared/benchmarks/squad2-dev-half/questions.jsonl \
#     --corpus ../shared/benchmarks/squad2-dev-half/articles \
#     --fit computational-complexity-theory,force,huguenot,immune-system
CONFIDENCE_WEIGHTS = {
    "bias": -7.055,
    "article_coverage": 0.099,
    "coverage": 0.088,
    "dense": 4.337,
    "kind": 0.447,
    "lexical": 2.046,
    "margin": -0.354,
    "missing_max_idf": 0.07,
    "negation_mismatch": -0.896,
    "question_terms": 1.263,
    "window_coverage": 1.295,
}
_NEGATION = re.compile(r"\b(not|never|no|none|nobody|nothing|neither|nor|without)\b|n't\b", re.I)


@dataclass(frozen=True)
class ConfidenceModel:
    """The chance that a candidate sentence answers the question, from its features.

    A logistic model: sigmoid(bias + sum(weights[name] * features[name])), in [0, 1].
    Features (see reader_features): "reader" (the reader's logit), "span" (its span
    margin over "no answer" / 10), "dense" (cosine, -1…1), "coverage" (idf share of
    the question's terms in the sentence, 0…1), "ranking" (the retrieval ranking
    score), "kind" (1 when the sentence holds the kind of thing asked for, 0 when
    not, 0.5 when the question asks for no particular kind), "qwords" (the question's
    words / 10, at most 2: the reader's logit and span margin run lower for short
    casual questions than for long formal ones about the same sentence, and with the
    question's length beside them one threshold suits both), coverage_features'
    "window_coverage", "article_coverage" and "missing_max_idf" (0…1), and "followup"
    (1 when the question was read with an earlier question and answer, else 0).
    `threshold`: below it the bot abstains. `passages` and `candidates`: how much
    retrieval hands the reader. Fitted and chosen by tools/fit_confidence.py and
    stored in the reader's card; without a fit, the reader's logit alone at 0.5.
    """

    weights: dict[str, float]
    bias: float = 0.0
    threshold: float = 0.5
    passages: int = 8  # passages retrieved; their sentences are ranked
    candidates: int = 8  # best-ranked sentences the reader reads

    @classmethod
    def from_card(cls, card: dict[str, object]) -> ConfidenceModel:
        """The model stored under the card's "confidence"; without one, the reader's logit alone.
        Raises KeyError or ValueError when a stored model lacks a field or holds a non-number."""
        fitted = card.get("confidence")
        if not isinstance(fitted, dict):
            return cls({"reader": 1.0})
        return cls(
            {str(k): float(v) for k, v in fitted["weights"].items()},
            float(fitted["bias"]),
            float(fitted["threshold"]),
            int(fitted.get("passages", 8)),
            int(fitted.get("candidates", 8)),
        )

    def probability(self, features: dict[str, float]) -> float:
        """The logistic of the weighted features, in [0, 1]; a missing feature counts 0."""
        z = self.bias + sum(w * features.get(name, 0.0) for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))


@dataclass(frozen=True)
class ReadSentence:
    """A candidate sentence with the reader's reading, the confidence model's
    features and its probability (0…1) that the sentence answers."""

    candidate: ScoredSentence
    reading: Reading
    features: dict[str, float]
    probability: float


def reader_features(question: Question, candidate: ScoredSentence, reading: Reading) -> dict[str, float]:
    """ConfidenceModel's features of one candidate as the reader read it. "kind" is the
    finer quantity kind (quantities.py) when the question asks for a quantity."""
    if question.quantity is not None:
        has_kind = 1.0 if holds_quantity(question.quantity, candidate.sentence.text) else 0.0
    else:
        has_kind = candidate.features.get("kind", 0.5)
    return {
        "reader": reading.logit,
        "span": reading.span_logit / 10.0 if math.isfinite(reading.span_logit) else 0.0,
        "dense": candidate.features.get("dense", 0.0),
        "coverage": candidate.features.get("coverage", 0.0),
        "ranking": candidate.score,
        "kind": has_kind,
        "qwords": min(question.word_count, 20) / 10.0,
    }


def article_coverages(retriever: HybridRetriever, question: Question) -> np.ndarray:
    """The idf share (0…1) of the question's tokens that each indexed article's text
    holds: float64 of shape (articles,), in the snapshot's article order."""
    snapshot = retriever.snapshot
    shares = np.zeros(len(snapshot.articles))
    for token, weight in question.weights.items():
        rows = retriever.sentences.rows_with(question.term_ids[token])
        if len(rows):
            owners = np.searchsorted(snapshot.sentence_offset, rows, side="right") - 1
            shares[np.unique(owners)] += weight
    return shares / (sum(question.weights.values()) or 1.0)


def coverage_features(
    retriever: HybridRetriever, question: Question, best: ScoredSentence
) -> dict[str, float]:
    """How well the sentence's window (it and its neighbours) and its article cover the
    question: "window_coverage" and "article_coverage" (idf shares, 0…1), and
    "missing_max_idf", the largest idf the window misses / the idf of an unseen term (0…1)."""
    snapshot = retriever.snapshot
    sentences = retriever.sentences
    article = snapshot.position(best.record.id)
    assert article is not None and snapshot.articles[article] is best.record
    base = int(snapshot.sentence_offset[article])
    index = best.sentence.index
    first, last = max(0, index - 1), min(len(best.record.sentences), index + 2)
    window = set(sentences.terms(base + first, base + last).tolist())
    article_terms = set(sentences.terms(base, base + len(best.record.sentences)).tolist())
    missing = [w for t, w in question.weights.items() if question.term_ids[t] not in window]
    return {
        "window_coverage": question.coverage(window),
        "article_coverage": question.coverage(article_terms),
        "missing_max_idf": max(missing, default=0.0) / unseen_idf(sentences.size),
    }


def similarity_features(
    retriever: HybridRetriever, question: Question, best: ScoredSentence, runner_up: float
) -> dict[str, float]:
    """What the similarity confidence reads of the best-ranked sentence: its ranking
    features, coverage_features, its lead over the `runner_up`'s ranking score, whether
    one of question and sentence is negated and the other not (0 or 1), and the number
    of distinct question terms / 10 (at most 2)."""
    negated = bool(_NEGATION.search(question.text)) != bool(_NEGATION.search(best.sentence.text))
    return {
        **best.features,
        **coverage_features(retriever, question, best),
        "margin": best.score - runner_up,
        "negation_mismatch": 1.0 if negated else 0.0,
        "question_terms": min(len(question.weights), 20) / 10.0,
    }


def similarity_confidence(features: dict[str, float]) -> float:
    """The chance (0…1) that the best-ranked sentence answers, from similarity_features."""
    z = CONFIDENCE_WEIGHTS["bias"] + sum(
        CONFIDENCE_WEIGHTS[name] * value for name, value in features.items() if name in CONFIDENCE_WEIGHTS
    )
    return 1.0 / (1.0 + math.exp(-z))


def window_holds_kind(question: Question, best: ScoredSentence) -> bool:
    """For a question asking for a quantity (QUANTITY_KINDS): whether the best sentence
    or a neighbour holds one. True for other questions."""
    if question.asks not in QUANTITY_KINDS:
        return True
    index, sentences = best.sentence.index, best.record.sentences
    window = " ".join(s.text for s in sentences[max(0, index - 1) : index + 2])
    return holds_kind(question.asks, window, question.words)
