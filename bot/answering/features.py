"""Ranking the sentences of the retrieved passages, and the features they are ranked on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.answering.kinds import holds_kind
from bot.answering.question import Question
from bot.answering.reader import Window
from bot.models import ArticleRecord, Sentence
from bot.retrieval import HybridRetriever, PassageHit

# How candidate sentences are ranked: the reader reads only the best of them, so an
# answering sentence ranked lower is lost. Chosen by `python tools/fit_ranking.py`, a grid
# search for the best mean of recall@8 and recall@12 of the answerable questions, each
# style (formal, casual, crowd, follow-up) weighted equally, over the train and calibration
# splits of tools/reader_data.py (8,270 questions). There it raised that mean from 0.9525
# (the weights before: dense 1.0, coverage 0.8, kind 0.1, passage 0.6, no lead; fitted on
# formal SQuAD questions alone) to 0.9603. On held-out sets the best eight held the answer
# more often: crowd-dec 0.745 -> 0.787, casual-dec 0.905 -> 0.929, seed-val 0.963 -> 0.988
# (news-val 0.894 -> 0.886, its follow-ups lower) (the script's `--measure`).
RANKING_WEIGHTS = {"dense": 1.0, "coverage": 0.4, "kind": 0.2, "lexical": 0.0, "passage": 0.3, "lead": 0.1}


@dataclass
class ScoredSentence:
    """A candidate sentence of `record` with its ranking `score` (unbounded, higher is
    better: RANKING_WEIGHTS over `features`) and `features`: "dense" (cosine with the
    question, -1…1), "coverage" (idf share of the question's tokens it holds, 0…1),
    "kind" (1 when it holds the kind of thing asked for, 0 when not, 0.5 when the
    question asks for no particular kind), "lexical" (BM25, divided by the best
    candidate's, 0…1), "passage" (its passage's fused retrieval score divided by the best
    passage's, 0…1) and "lead" (1 / (1 + its index in the article): news puts the main
    facts first)."""

    record: ArticleRecord
    sentence: Sentence
    score: float = 0.0
    features: dict[str, float] = field(default_factory=dict)


def score_sentences(
    retriever: HybridRetriever, question: Question, question_vector: np.ndarray, hits: Sequence[PassageHit]
) -> list[ScoredSentence]:
    """The sentences of the passages `hits` (at least one), each once, best ranked first.
    `question_vector`: the question's normalised embedding, float32 of shape (dimension,)."""
    snapshot = retriever.snapshot
    sentences = retriever.sentences
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
    dense = snapshot.sentence_vectors[flat] @ question_vector
    # BM25 of these sentences only (the same numbers as scoring every sentence).
    lexical = sentences.scores_of(question.tokens, flat)
    lex_top = float(lexical.max()) if len(lexical) and lexical.max() > 0 else 1.0
    scored = []
    for (a, s, passage), d, lx, row in zip(rows, dense, lexical, flat, strict=False):
        record = snapshot.articles[a]
        sentence = record.sentences[s]
        has_kind = 1.0 if holds_kind(question.asks, sentence.text, question.words) else 0.0
        features = {
            "dense": float(d),
            "coverage": question.coverage(set(sentences.terms(int(row)).tolist())),
            "kind": has_kind if question.asks != "other" else 0.5,
            "lexical": float(lx) / lex_top,
            "passage": passage,
            "lead": 1.0 / (1 + s),
        }
        score = sum(RANKING_WEIGHTS[name] * value for name, value in features.items())
        scored.append(ScoredSentence(record, sentence, score, features))
    scored.sort(key=lambda x: -x.score)
    return scored


def without_repeats(scored: list[ScoredSentence]) -> list[ScoredSentence]:
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


def candidate_windows(candidates: Sequence[ScoredSentence]) -> list[Window]:
    """What the reader reads of each candidate: the sentence and the one before it."""
    return [
        Window(c.sentence.text, c.record.sentences[c.sentence.index - 1].text if c.sentence.index else "")
        for c in candidates
    ]
