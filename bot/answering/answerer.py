"""Choosing the answer: sentence scoring, neighbour context, citations, abstention.

The answer is always quoted word for word from an article. Candidate sentences
come from the best passages of the hybrid retrieval; each is scored on its own
cosine similarity to the question, how much of the question's rarer vocabulary
it covers, and whether it holds the kind of thing the question asks for (a
date for "when", a number for "how many", a name for "who"). A sentence that
leans on its neighbour ("she", "it") brings that neighbour along.

Confidence is a logistic function of the best sentence's features; below the
configured threshold the bot abstains and offers the passages as related
reading.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.answering.quantities import asked_quantity, holds_quantity
from bot.answering.reader import Reader, Reading, Window
from bot.models import Answer, ArticleRecord, Citation, Sentence, ShortAnswer
from bot.retrieval import HybridRetriever, PassageHit

MAX_ANSWER_CHARS = 400
MAX_ANSWER_SENTENCES = 3


NOT_IN_ARTICLE = "The article does not say."


def _candidates(scored: list[ScoredSentence]) -> list[ScoredSentence]:
    """The ranking without repeats and without questions: a sentence that two articles
    print word for word (a wire copy, an update) is kept once, at its best place, so no
    answer quotes it twice; and a question the article itself asks ("When will the pool
    open?") never answers the same question asked of it."""
    seen: set[str] = set()
    out = []
    for candidate in scored:
        text = candidate.sentence.text
        key = " ".join(text.lower().split())
        ending = text.rstrip("\"'\u201d\u2019\u00bb)]")[-1:]
        asks = ending in ("?", "\uff1f", "\u061f", "\u037e") or (
            ending == ";" and candidate.record.language == "el"
        )
        if key not in seen and not asks:
            seen.add(key)
            out.append(candidate)
    return out


# ---- what the question asks for -------------------------------------------------

_ASKS = [
    (
        "money",
        re.compile(
            r"\b(cost|costs|price|priced|spend|spent|paid|salary|salaries|wages?|earn|earns|budget|fee|fees)\b",
            re.I,
        ),
    ),
    ("speed", re.compile(r"\bhow fast\b|\b(speed|velocity)\b", re.I)),
    (
        "number",
        re.compile(
            r"\bhow (many|much|long|old|far|large|big|high|fast|often|heavy|tall|wide|deep)\b|\b(what|which) (percent|percentage|number|amount|fraction|proportion)\b",  # noqa: E501
            re.I,
        ),
    ),
    (
        "date",
        re.compile(
            r"\bwhen\b|\b(what|which) (year|years|century|decade|date|day|month|time|era|period)\b|\bhow long ago\b",  # noqa: E501
            re.I,
        ),
    ),
    (
        "person",
        re.compile(
            r"\bwho\b|\bwhom\b|\bwhose\b|\b(what|which) (person|people|man|woman|king|leader|group|scientist|astronaut)\b",  # noqa: E501
            re.I,
        ),
    ),
    (
        "place",
        re.compile(
            r"\bwhere\b|\b(what|which) (country|countries|city|cities|place|region|state|continent|location|area|island|river)\b",  # noqa: E501
            re.I,
        ),
    ),
]
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|trillion|dozen|half|quarter|percent)\b",
    re.I,
)
_DATE = re.compile(
    r"\b(1\d{3}|20\d{2})s?\b|\b\d{1,2}(st|nd|rd|th)\b|\bcentur(y|ies)\b|\bdecades?\b|\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d|\b(January|February|March|April|June|July|August|September|October|November|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|tomorrow|last (year|month|week))\b|\b(BC|AD|BCE|CE)\b",  # noqa: E501
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:[\s-][A-Z][a-z]+)*")
_LEANS_ON_PREVIOUS = re.compile(
    r"^(he|she|it|they|his|her|its|their|this|these|those|that|there|such|both|also|however|but|then|later|the (latter|former|same|move|decision|mission|company|group|country)|in (addition|contrast)|as a result)\b",  # noqa: E501
    re.I,
)
_NEGATION = re.compile(r"\b(not|never|no|none|nobody|nothing|neither|nor|without)\b|n't\b", re.I)
_PRONOUN = re.compile(r"\b(he|she|they|him|her|them)\b", re.I)


def asks_for(question: str) -> str:
    for kind, pattern in _ASKS:
        if pattern.search(question):
            return kind
    return "other"


_MONEY = re.compile(
    r"[$€£¥]\s?\d|\b\d[\d,.]*\s?(dollars?|euros?|pounds?|yuan|yen|rupees?|francs?|marks?|cents?|"
    r"USD|EUR|GBP|bn|billion|million)\b",
    re.I,
)
_SPEED = re.compile(
    r"\d[\d,.]*\s?(mph|km/h|kph|m/s|knots?|(miles?|kilomet(er|re)s?|met(er|re)s?|feet) (an|per|a) "
    r"(hour|second|minute))\b|\bmach \d",
    re.I,
)
# Kinds whose answer must be a quantity: a sentence without one cannot answer.
QUANTITY_KINDS = ("money", "speed", "number")
MISSING_QUANTITY_FACTOR = 0.3  # confidence is scaled by this when no sentence near the best holds one


def holds_kind(kind: str, text: str, question_words: set[str]) -> bool:
    """Whether `text` holds something of `kind` that the question does not already name."""
    if kind == "money":
        return bool(_MONEY.search(text))
    if kind == "speed":
        return bool(_SPEED.search(text))
    if kind == "number":
        return any(m.group(0).lower() not in question_words for m in _NUMBER.finditer(text))
    if kind == "date":
        return any(m.group(0).lower() not in question_words for m in _DATE.finditer(text))
    if kind in ("person", "place"):
        for match in _NAME.finditer(text):
            words = {w.lower() for w in re.split(r"[\s-]", match.group(0))}
            if not words <= question_words:
                return True
        return False
    return True


# ---- scoring -----------------------------------------------------------------------

# Feature weights of the confidence model: a logistic regression fitted on the
# questions of four of the eight SQuAD 2.0 benchmark articles (complexity,
# force, huguenot, immune-system), answerable and unanswerable, with "the answer
# holds a gold span" as the label, plus the same questions asked of another
# article (see bot/evaluation.py: off_article_records); checked on the other
# four. Reproduce with
#   python -m bot eval ../shared/benchmarks/squad2-dev-half/questions.jsonl \
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


# How candidate sentences are ranked. Chosen by a grid search for the rate at
# which the top sentence holds the gold answer, on the answerable questions of
# four SQuAD 2.0 benchmark articles (complexity, force, huguenot, immune-system);
# on the other four the top sentence then holds it for 0.824 of questions.
RANKING_WEIGHTS = {"dense": 1.0, "coverage": 0.8, "kind": 0.1, "lexical": 0.0, "passage": 0.6}


@dataclass
class ScoredSentence:
    record: ArticleRecord
    sentence: Sentence
    score: float = 0.0
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ReadSentence:
    """A candidate sentence with the reader's reading, the confidence model's
    features and its probability (0…1) that the sentence answers."""

    candidate: ScoredSentence
    reading: Reading
    features: dict[str, float]
    probability: float


def candidate_windows(candidates: Sequence[ScoredSentence]) -> list[Window]:
    """What the reader reads of each candidate: the sentence and the one before it."""
    return [
        Window(c.sentence.text, c.record.sentences[c.sentence.index - 1].text if c.sentence.index else "")
        for c in candidates
    ]


def confidence_of(features: dict[str, float]) -> float:
    z = CONFIDENCE_WEIGHTS["bias"] + sum(
        CONFIDENCE_WEIGHTS[name] * value for name, value in features.items() if name in CONFIDENCE_WEIGHTS
    )
    return 1.0 / (1.0 + math.exp(-z))


PASSAGES = 8  # passages retrieved per question without a reader (the similarity confidence)
# Languages the reader was trained on (tools/train_reader.py: English questions and
# articles); questions in other languages are answered by the similarity ranking.
READER_LANGUAGES = frozenset({"en"})
# For those, the idf share of the question's terms that the best sentence holds must
# reach this to be quoted. Chosen on datasets/languages-dev (120 questions in five
# languages, 45 unanswerable): the threshold of best overall accuracy, 0.625, with
# answerable hit 0.61 and abstention 0.64 (`python tools/fit_overlap.py`).
OVERLAP_THRESHOLD = 0.35
MAX_SHORT_ANSWER_CHARS = 120  # a longer span is not an "exact answer"; the quote stands alone
RUNNER_UP_SHARE = 0.6  # a runner-up is quoted when its chance is at least this share of the best's


@dataclass(frozen=True)
class ConfidenceModel:
    """The chance that a candidate sentence answers the question, from its features.

    A logistic model: sigmoid(bias + sum(weights[name] * features[name])), in [0, 1].
    Features (see Answerer._reader_features): "reader" (the reader's logit),
    "span" (its span margin over "no answer" / 10), "dense" (cosine, -1…1), "coverage" (idf share of
    the question's terms in the sentence, 0…1), "ranking" (the retrieval ranking
    score), "kind" (1 when the sentence holds the kind of thing asked for, 0 when
    not, 0.5 when the question asks for no particular kind).
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
        z = self.bias + sum(w * features.get(name, 0.0) for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))


class Answerer:
    """Answers from one index snapshot: retrieval, then the reader (when given), then abstention.

    Without a reader (unit tests with a fake embedder) the older similarity
    confidence (CONFIDENCE_WEIGHTS) decides.
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
        self.sentence_count = retriever.sentences.size

    def answer(
        self,
        question: str,
        question_vector: np.ndarray,
        threshold: float,
        article_ids: set[str] | None = None,
        context: str = "",
    ) -> Answer:
        """Answer `question`; `context` (an earlier question and answer) widens retrieval."""
        q_tokens = self.retriever.tokens(question)
        hits, scored = self.rank(question, question_vector, article_ids, context)
        if not hits or not scored:
            return Answer(question, NOT_IN_ARTICLE, True, 0.0, (), self._related(hits))
        if self.retriever.question_language(question) not in READER_LANGUAGES:
            return self._answer_by_overlap(question, hits, scored)
        if self.reader is not None:
            return self._answer_by_reader(question, hits, scored, threshold, context)
        best = scored[0]
        best.features = self._confidence_features(question, q_tokens, best, scored)
        confidence = confidence_of(best.features)
        if not self._window_holds_kind(question, best):
            confidence *= MISSING_QUANTITY_FACTOR
        if confidence < threshold:
            related = self._related(hits)
            return Answer(question, NOT_IN_ARTICLE, True, confidence, (), related, best.features)
        citations: list[Citation] = []
        parts = []
        for group in self._compose(question, best, scored):
            rec = group[0].record
            # One citation per paragraph, so each names the exact place it quotes.
            for paragraph in dict.fromkeys(g.sentence.paragraph for g in group):
                sents = [g.sentence for g in group if g.sentence.paragraph == paragraph]
                start, end = sents[0].start, sents[-1].end
                n = len(citations) + 1
                text = rec.text[start:end]
                citations.append(
                    Citation(n, rec.id, rec.title, paragraph, start, end, text, rec.url, group[0].score)
                )
                parts.append(f"{text} [{n}]")
        return Answer(question, " ".join(parts), False, confidence, tuple(citations), (), best.features)

    def _answer_by_overlap(
        self, question: str, hits: Sequence[PassageHit], scored: list[ScoredSentence]
    ) -> Answer:
        """A question in a language the reader and the embedding model were not trained
        on: the sentence that shares most of the question's words (BM25 and the idf
        share of the question's terms, in the article's own language), quoted when
        that share reaches OVERLAP_THRESHOLD; no short answer."""
        best = max(scored, key=lambda c: c.features["lexical"] + c.features["coverage"])
        confidence = best.features["coverage"]
        if confidence < OVERLAP_THRESHOLD:
            return Answer(question, NOT_IN_ARTICLE, True, confidence, (), self._related(hits), best.features)
        rec, sentence = best.record, best.sentence
        citation = Citation.of_sentence(1, rec, sentence, confidence)
        text = f"\u201c{sentence.text}\u201d [1]"
        return Answer(question, text, False, confidence, (citation,), (), best.features)

    def rank(
        self,
        question: str,
        question_vector: np.ndarray,
        article_ids: set[str] | None = None,
        context: str = "",
    ) -> tuple[list[PassageHit], list[ScoredSentence]]:
        """The retrieved passages, and their sentences ranked best first (empty when none)."""
        retrieval_text = f"{context} {question}".strip() if context else question
        q_tokens = self.retriever.tokens(question)
        r_tokens = self.retriever.tokens(retrieval_text) if context else q_tokens
        k = self.confidence.passages if self.reader is not None else PASSAGES
        hits = self.retriever.passages(r_tokens, question_vector, k=k, article_ids=article_ids)
        if not hits:
            return [], []
        return hits, _candidates(self._score_sentences(question, q_tokens, question_vector, hits))

    def read(self, question: str, scored: list[ScoredSentence], context: str = "") -> list[ReadSentence]:
        """The reader's judgement of the best-ranked candidates, most likely answer first.
        Raises RuntimeError when this answerer has no reader."""
        if self.reader is None:
            raise RuntimeError("no reader: build the Answerer with one")
        candidates = scored[: self.confidence.candidates]
        readings = self.reader.read(question, candidate_windows(candidates), context)
        kind = asked_quantity(question)
        out = []
        for c, reading in zip(candidates, readings, strict=True):
            features = self._reader_features(c, reading, kind)
            out.append(ReadSentence(c, reading, features, self.confidence.probability(features)))
        out.sort(key=lambda r: -r.probability)
        return out

    @staticmethod
    def _reader_features(c: ScoredSentence, reading: Reading, kind: str | None) -> dict[str, float]:
        if kind is not None:
            has_kind = 1.0 if holds_quantity(kind, c.sentence.text) else 0.0
        else:
            has_kind = c.features.get("kind", 0.5)
        return {
            "reader": reading.logit,
            "span": reading.span_logit / 10.0 if math.isfinite(reading.span_logit) else 0.0,
            "dense": c.features.get("dense", 0.0),
            "coverage": c.features.get("coverage", 0.0),
            "ranking": c.score,
            "kind": has_kind,
        }

    def _answer_by_reader(
        self,
        question: str,
        hits: Sequence[PassageHit],
        scored: list[ScoredSentence],
        threshold: float,
        context: str,
    ) -> Answer:
        read = self.read(question, scored, context)
        best = read[0]
        confidence = best.probability
        kind = asked_quantity(question)
        if kind is not None and not holds_quantity(kind, best.candidate.sentence.text):
            confidence *= MISSING_QUANTITY_FACTOR
        features = {**best.features, "probability": best.probability}
        if confidence < threshold:
            return Answer(question, NOT_IN_ARTICLE, True, confidence, (), self._related(hits), features)
        chosen = [best]
        used = len(best.candidate.sentence.text)
        for runner in read[1:]:
            if len(chosen) >= MAX_ANSWER_SENTENCES:
                break
            size = len(runner.candidate.sentence.text) + 6
            if (
                runner.probability >= max(threshold, RUNNER_UP_SHARE * best.probability)
                and used + size <= MAX_ANSWER_CHARS
            ):
                chosen.append(runner)
                used += size
        short = self._short_answer(best)
        citations = []
        parts = []
        for n, r in enumerate(chosen, start=1):
            rec, sentence = r.candidate.record, r.candidate.sentence
            citations.append(Citation.of_sentence(n, rec, sentence, r.probability))
            parts.append(f"\u201c{sentence.text}\u201d [{n}]")
        text = " ".join(parts)
        if short is not None:
            text = f"{short.text} \u2014 {text}"
        return Answer(question, text, False, confidence, tuple(citations), (), features, short)

    @staticmethod
    def _short_answer(best: ReadSentence) -> ShortAnswer | None:
        span = best.reading.span
        sentence = best.candidate.sentence
        if span is None:
            return None
        start, end = span
        text = sentence.text[start:end].strip(" ,;:")
        if not text or len(text) > MAX_SHORT_ANSWER_CHARS or len(text) >= len(sentence.text) - 1:
            return None
        start = sentence.start + sentence.text.index(text, start)
        return ShortAnswer(text, best.candidate.record.id, start, start + len(text))

    # ---- internals -------------------------------------------------------------------

    def _score_sentences(
        self, question: str, q_tokens: list[str], qv: np.ndarray, hits: Sequence[PassageHit]
    ) -> list[ScoredSentence]:
        snapshot = self.snapshot
        sentences = self.retriever.sentences
        kind = asks_for(question)
        q_words = {w.lower() for w in re.findall(r"\w+", question)}
        weights = self._weights(q_tokens)
        ids = {t: self.retriever.vocab.get(t, -1) for t in weights}
        total_weight = sum(weights.values()) or 1.0
        rows: list[tuple[int, int, float]] = []  # (article index, sentence index, passage score)
        seen: set[tuple[int, int]] = set()
        top_fused = max(h.fused for h in hits) or 1.0
        for hit in hits:
            a = int(snapshot.chunk_article[hit.row])
            c = hit.row - int(snapshot.chunk_start[a])
            for s in snapshot.articles[a].chunks[c].sentence_ids:
                if (a, s) not in seen:
                    seen.add((a, s))
                    rows.append((a, s, hit.fused / top_fused))
        flat = np.array([snapshot.sentence_offset[a] + s for a, s, _ in rows])
        dense = snapshot.sentence_vectors[flat] @ qv
        # BM25 of these sentences only (the same numbers as scoring every sentence).
        lexical = sentences.scores_of(q_tokens, flat)
        lex_top = float(lexical.max()) if len(lexical) and lexical.max() > 0 else 1.0
        scored = []
        for (a, s, passage), d, lx, row in zip(rows, dense, lexical, flat, strict=False):
            record = snapshot.articles[a]
            sentence = record.sentences[s]
            s_terms = set(sentences.terms(int(row)).tolist())
            coverage = sum(w for t, w in weights.items() if ids[t] in s_terms) / total_weight
            has_kind = 1.0 if holds_kind(kind, sentence.text, q_words) else 0.0
            features = {
                "dense": float(d),
                "coverage": coverage,
                "kind": has_kind if kind != "other" else 0.5,
                "lexical": float(lx) / lex_top,
            }
            score = sum(RANKING_WEIGHTS[name] * value for name, value in features.items())
            scored.append(
                ScoredSentence(record, sentence, score + RANKING_WEIGHTS["passage"] * passage, features)
            )
        scored.sort(key=lambda x: -x.score)
        return scored

    def _confidence_features(
        self, question: str, q_tokens: list[str], best: ScoredSentence, scored: list[ScoredSentence]
    ) -> dict[str, float]:
        """What the confidence model reads: how well the best sentence and its
        neighbours cover the question, and how far ahead of the rest it is."""
        snapshot = self.snapshot
        sentences = self.retriever.sentences
        unseen = math.log(1 + (self.sentence_count + 0.5) / 0.5)
        weights = self._weights(q_tokens)
        ids = {t: self.retriever.vocab.get(t, -1) for t in weights}
        total = sum(weights.values()) or 1.0
        article = snapshot.position(best.record.id)
        assert article is not None and snapshot.articles[article] is best.record
        base = int(snapshot.sentence_offset[article])
        index = best.sentence.index
        first, last = max(0, index - 1), min(len(best.record.sentences), index + 2)
        window = set(sentences.terms(base + first, base + last).tolist())
        article_tokens = set(sentences.terms(base, base + len(best.record.sentences)).tolist())
        missing = [w for t, w in weights.items() if ids[t] not in window]
        runner_up = next((x.score for x in scored[1:]), 0.0)
        negated = bool(_NEGATION.search(question)) != bool(_NEGATION.search(best.sentence.text))
        return {
            **best.features,
            "window_coverage": sum(w for t, w in weights.items() if ids[t] in window) / total,
            "article_coverage": sum(w for t, w in weights.items() if ids[t] in article_tokens) / total,
            "missing_max_idf": max(missing, default=0.0) / unseen,
            "margin": best.score - runner_up,
            "negation_mismatch": 1.0 if negated else 0.0,
            "question_terms": min(len(weights), 20) / 10.0,
        }

    def _weights(self, q_tokens: list[str]) -> dict[str, float]:
        """Each distinct question token's inverse document frequency over the sentences."""
        n = self.sentence_count
        unseen = math.log(1 + (n + 0.5) / 0.5)
        df = self.retriever.sentences.df
        weights = {}
        for t in set(q_tokens):
            i = self.retriever.vocab.get(t, -1)
            f = int(df[i]) if 0 <= i < len(df) else 0
            weights[t] = math.log(1 + (n - f + 0.5) / (f + 0.5)) if f else unseen
        return weights

    @staticmethod
    def _window_holds_kind(question: str, best: ScoredSentence) -> bool:
        """For questions asking for a quantity: does the best sentence or a neighbour hold one?"""
        kind = asks_for(question)
        if kind not in QUANTITY_KINDS:
            return True
        q_words = {w.lower() for w in re.findall(r"\w+", question)}
        index, sentences = best.sentence.index, best.record.sentences
        window = " ".join(s.text for s in sentences[max(0, index - 1) : index + 2])
        return holds_kind(kind, window, q_words)

    def _compose(
        self, question: str, best: ScoredSentence, scored: list[ScoredSentence]
    ) -> list[list[ScoredSentence]]:
        """The best sentence with the neighbour it leans on, then runners-up that fit."""
        kind = asks_for(question)
        q_words = {w.lower() for w in re.findall(r"\w+", question)}
        record = best.record
        group = [best]
        used = len(best.sentence.text)
        index = best.sentence.index
        lookup = {(id(x.record), x.sentence.index): x for x in scored}

        def neighbour(i: int) -> ScoredSentence | None:
            if not 0 <= i < len(record.sentences):
                return None
            found = lookup.get((id(record), i))
            if found is not None:
                return found
            return ScoredSentence(record, record.sentences[i])

        prev, nxt = neighbour(index - 1), neighbour(index + 1)
        missing_kind = kind != "other" and not holds_kind(kind, best.sentence.text, q_words)
        if (
            prev is not None
            and _LEANS_ON_PREVIOUS.match(best.sentence.text)
            and used + len(prev.sentence.text) + 1 <= MAX_ANSWER_CHARS
        ):
            group.insert(0, prev)
            used += len(prev.sentence.text) + 1
        elif missing_kind or _PRONOUN.search(best.sentence.text):
            for candidate in (nxt, prev):
                if (
                    candidate is not None
                    and holds_kind(kind, candidate.sentence.text, q_words)
                    and used + len(candidate.sentence.text) + 1 <= MAX_ANSWER_CHARS
                ):
                    group.append(candidate) if candidate is nxt else group.insert(0, candidate)
                    used += len(candidate.sentence.text) + 1
                    break
        groups = [group]
        count = len(group)
        taken = {(id(x.record), x.sentence.index) for x in group}
        for runner in scored[1:]:
            if count >= MAX_ANSWER_SENTENCES:
                break
            key = (id(runner.record), runner.sentence.index)
            if key in taken or runner.score < best.score * 0.75:
                continue
            extra = len(runner.sentence.text) + 6
            if used + extra > MAX_ANSWER_CHARS - 8 * len(groups):
                continue
            groups.append([runner])
            taken.add(key)
            used += extra
            count += 1
        return groups

    def _related(self, hits: Sequence[PassageHit], limit: int = 3) -> tuple[Citation, ...]:
        """The closest passages, best first, each text once (copies of an article may print
        the same passage)."""
        related: list[Citation] = []
        seen: set[str] = set()
        for hit in hits:
            if len(related) == limit:
                break
            record, chunk = self.snapshot.chunk(hit.row)
            key = " ".join(chunk.text.lower().split())
            if key in seen:
                continue
            seen.add(key)
            n = len(related) + 1
            related.append(
                Citation(
                    n,
                    record.id,
                    record.title,
                    chunk.paragraph,
                    chunk.start,
                    chunk.end,
                    chunk.text,
                    record.url,
                    hit.fused,
                )
            )
        return tuple(related)
