"""Answering one question from one index snapshot: retrieval -> reader -> confidence -> compose.

Candidate sentences come from the best passages of the hybrid retrieval, ranked
on their own (features.py). The reader judges the best-ranked ones and the
confidence model turns its reading into a chance that each answers; below the
threshold the bot abstains and offers the passages as related reading. Without
a reader (unit tests with a fake embedder) the older similarity confidence
decides; questions in a language the reader was not trained on are answered by
word overlap.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.answering import compose
from bot.answering.confidence import (
    MISSING_QUANTITY_FACTOR,
    OVERLAP_THRESHOLD,
    ConfidenceModel,
    ReadSentence,
    coverage_features,
    reader_features,
    similarity_confidence,
    similarity_features,
    window_holds_kind,
)
from bot.answering.features import ScoredSentence, candidate_windows, score_sentences, without_repeats
from bot.answering.quantities import holds_quantity, other_number, other_ordinal, unknown_numbers
from bot.answering.question import Question
from bot.answering.reader import READER_LANGUAGES, Reader
from bot.answering.withheld import says_not_known
from bot.models import Answer
from bot.retrieval import HybridRetriever, PassageHit

PASSAGES = 8  # passages retrieved per question without a reader (the similarity confidence)
# Confidence is scaled by this when the question names a number or a numbered thing that the
# best sentence's article never writes (quantities.unknown_numbers). In the README's eval runs
# it turned two answered unanswerable questions (of 781) into abstentions and no answerable
# one (of 1,018); the factor is MISSING_QUANTITY_FACTOR's, not tuned.
UNKNOWN_NUMBER_FACTOR = 0.3
# Confidence is scaled by this when the question asks for the n-th of something of which the
# best sentence and the one before it name another only (quantities.other_ordinal: "its final
# module" of "launched its first module in 1998"). On the shipped reader's readings of the
# 4,367 calibration questions (tools/fit_confidence.py's --rows, the best sentence alone) the
# best sentence was such a one for 8 unanswerable questions and no answerable one, 3 of them
# above the threshold: balanced accuracy 0.7351 -> 0.7354, the threshold unchanged. The factor
# is MISSING_QUANTITY_FACTOR's, not tuned.
OTHER_ORDINAL_FACTOR = 0.3
# Confidence is scaled by this when the question names a number that the best sentence and
# the one before it never write, where they write another (quantities.other_number: "each
# journey on the 41" of "each journey on the 43"). It multiplies with UNKNOWN_NUMBER_FACTOR:
# that one says the article never writes the number, this one that the chosen sentence speaks
# of another member of the series ("shenzhou-12" of "The Shenzhou-13 spaceship", in an
# article that never names Shenzhou-12). On the calibration-only sets (news-calib-a, -b,
# news-train-zf ... -zi) the reader's best window was such a one for 5 of 467 unanswerable
# questions and none of 1,286 answerable ones (`python tools/measure_rules.py --best
# other_number`); of the 12,181 answerable questions of datasets/ and the SQuAD sample, it fires
# on every window holding the answer of 2, on some of 12 (`python tools/measure_rules.py
# other_number`). The factor is MISSING_QUANTITY_FACTOR's, not tuned.
OTHER_NUMBER_FACTOR = 0.3
# Confidence is scaled by this when the exact answer is a statement that the thing asked is
# not known or not told (withheld.says_not_known: "so why did the steering fail" of "the cause
# of the steering failure was not yet known"). Of the 12,181 answerable questions of datasets/
# and the SQuAD sample, it fires on every window holding the answer of 1 and on some window of
# 4 (`python tools/measure_rules.py says_not_known`), and on the calibration-only sets on the
# best-read span of none of 1,286 answerable and none of 467 unanswerable questions (`--best
# says_not_known`): such sentences are rare. In the README's eval runs it turned 3 answered
# unanswerable questions of news-val into abstentions and no answer of any other set. The
# factor is MISSING_QUANTITY_FACTOR's, not tuned.
NOT_KNOWN_FACTOR = 0.3


class Answerer:
    """Answers from one index snapshot: retrieval, then the reader (when given), then abstention.

    Without a reader (unit tests with a fake embedder) the older similarity
    confidence (confidence.CONFIDENCE_WEIGHTS) decides.
    """

    def __init__(
        self,
        retriever: HybridRetriever,
        reader: Reader | None = None,
        confidence: ConfidenceModel | None = None,
    ) -> None:
        self.retriever = retriever
        self.snapshot = retriever.snapshot
        self.reader = reader
        self.confidence = confidence or ConfidenceModel({"reader": 1.0})

    def answer(
        self,
        question: str,
        question_vector: np.ndarray,
        threshold: float,
        article_ids: set[str] | None = None,
        context: str = "",
    ) -> Answer:
        """Answer `question`, quoting and citing the articles, or abstain below `threshold`
        (a confidence, 0…1). `question_vector`: its normalised embedding, float32 of shape
        (dimension,). `article_ids`: answer from these articles only (None: all).
        `context` (an earlier question and answer) widens retrieval and is read with it."""
        q = Question.analyse(question, self.retriever)
        hits, scored = self._rank(q, question_vector, article_ids, context)
        if not hits or not scored:
            return compose.abstention(q.text, 0.0, compose.related(self.snapshot, hits))
        if q.language not in READER_LANGUAGES:
            return self._answer_by_overlap(q, hits, scored)
        if self.reader is not None:
            return self._answer_by_reader(q, hits, scored, threshold, context)
        return self._answer_by_similarity(q, hits, scored, threshold)

    def rank(
        self,
        question: str,
        question_vector: np.ndarray,
        article_ids: set[str] | None = None,
        context: str = "",
    ) -> tuple[list[PassageHit], list[ScoredSentence]]:
        """The retrieved passages, and their sentences ranked best first (empty when none)."""
        return self._rank(Question.analyse(question, self.retriever), question_vector, article_ids, context)

    def read(self, question: str, scored: list[ScoredSentence], context: str = "") -> list[ReadSentence]:
        """The reader's judgement of the best-ranked candidates, most likely answer first.
        Raises RuntimeError when this answerer has no reader."""
        return self._read(Question.analyse(question, self.retriever), scored, context)

    def _rank(
        self, q: Question, question_vector: np.ndarray, article_ids: set[str] | None, context: str
    ) -> tuple[list[PassageHit], list[ScoredSentence]]:
        retrieval_tokens = self.retriever.tokens(f"{context} {q.text}".strip()) if context else q.tokens
        k = self.confidence.passages if self.reader is not None else PASSAGES
        hits = self.retriever.passages(retrieval_tokens, question_vector, k=k, article_ids=article_ids)
        if not hits:
            return [], []
        return hits, without_repeats(score_sentences(self.retriever, q, question_vector, hits))

    def _read(self, q: Question, scored: list[ScoredSentence], context: str) -> list[ReadSentence]:
        if self.reader is None:
            raise RuntimeError("no reader: build the Answerer with one")
        candidates = scored[: self.confidence.candidates]
        readings = self.reader.read(q.text, candidate_windows(candidates), context)
        out = []
        for c, reading in zip(candidates, readings, strict=True):
            features = {
                **reader_features(q, c, reading),
                **coverage_features(self.retriever, q, c),
                "followup": 1.0 if context else 0.0,
            }
            out.append(ReadSentence(c, reading, features, self.confidence.probability(features)))
        out.sort(key=lambda r: -r.probability)
        return out

    def _answer_by_reader(
        self,
        q: Question,
        hits: Sequence[PassageHit],
        scored: list[ScoredSentence],
        threshold: float,
        context: str,
    ) -> Answer:
        read = self._read(q, scored, context)
        best = read[0]
        confidence = best.probability
        if q.quantity is not None and not holds_quantity(q.quantity, best.candidate.sentence.text):
            confidence *= MISSING_QUANTITY_FACTOR
        window = candidate_windows([best.candidate])[0]
        read_text = f"{window.previous} {window.sentence}"
        if unknown_numbers(q.text, best.candidate.record.title, best.candidate.record.text):
            confidence *= UNKNOWN_NUMBER_FACTOR  # "when did shenzhou-14 launch" of Shenzhou-13's
        if other_number(q.text, read_text):  # and this sentence of a sibling
            confidence *= OTHER_NUMBER_FACTOR
        if other_ordinal(q.text, read_text):
            confidence *= OTHER_ORDINAL_FACTOR
        short = compose.short_answer(best, q.text, context)
        sentence = best.candidate.sentence
        if short is not None and says_not_known(
            q.text, sentence.text, short.start - sentence.start, short.end - sentence.start
        ):
            confidence *= NOT_KNOWN_FACTOR
        features = {**best.features, "probability": best.probability}
        if confidence < threshold:
            return compose.abstention(q.text, confidence, compose.related(self.snapshot, hits), features)
        return compose.from_reader(q.text, read, threshold, confidence, features, short)

    def _answer_by_overlap(
        self, q: Question, hits: Sequence[PassageHit], scored: list[ScoredSentence]
    ) -> Answer:
        """A question in a language the reader and the embedding model were not trained
        on: the sentence that shares most of the question's words (BM25 and the idf
        share of the question's terms, in the article's own language), quoted when
        that share reaches OVERLAP_THRESHOLD; no short answer."""
        best = max(scored, key=lambda c: c.features["lexical"] + c.features["coverage"])
        confidence = best.features["coverage"]
        if confidence < OVERLAP_THRESHOLD:
            return compose.abstention(q.text, confidence, compose.related(self.snapshot, hits), best.features)
        return compose.from_overlap(q.text, best, confidence)

    def _answer_by_similarity(
        self, q: Question, hits: Sequence[PassageHit], scored: list[ScoredSentence], threshold: float
    ) -> Answer:
        best = scored[0]
        runner_up = scored[1].score if len(scored) > 1 else 0.0
        features = similarity_features(self.retriever, q, best, runner_up)
        confidence = similarity_confidence(features)
        if not window_holds_kind(q, best):
            confidence *= MISSING_QUANTITY_FACTOR
        if confidence < threshold:
            return compose.abstention(q.text, confidence, compose.related(self.snapshot, hits), features)
        return compose.from_similarity(q, scored, confidence, features)
