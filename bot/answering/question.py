"""A question, analysed once and passed along: its tokens, words, language and the kind
of thing it asks for."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Set
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.answering.kinds import asks_for
from bot.answering.quantities import asked_quantity

if TYPE_CHECKING:
    from bot.retrieval import HybridRetriever


def unseen_idf(sentence_count: int) -> float:
    """The idf (BM25's, over sentences, >= 0) of a term that no sentence holds."""
    return math.log(1 + (sentence_count + 0.5) / 0.5)


@dataclass(frozen=True)
class Question:
    """What answering needs to know about one question, worked out once.

    `text`: the question as answered. `language`: ISO 639-1, that of the articles it
    is in. `tokens`: its BM25 tokens (stemmed, in that language). `words`: its
    lower-cased words as typed. `asks`: the kind of thing it asks for
    (kinds.asks_for: "money", "speed", "number", "date", "person", "place" or
    "other"). `quantity`: the kind of quantity it asks for (quantities.asked_quantity)
    or None. `weights`: each distinct token's idf over the indexed sentences (> 0);
    `term_ids`: each distinct token's row in the retriever's vocabulary (-1 when unknown).
    """

    text: str
    language: str
    tokens: list[str]
    words: frozenset[str]
    word_count: int
    asks: str
    quantity: str | None
    weights: Mapping[str, float]
    term_ids: Mapping[str, int]

    @classmethod
    def analyse(cls, text: str, retriever: HybridRetriever) -> Question:
        """`text` analysed against the snapshot that `retriever` searches."""
        tokens = retriever.tokens(text)
        words = re.findall(r"\w+", text)
        n = retriever.sentences.size
        df = retriever.sentences.df
        weights = {}
        for t in set(tokens):
            i = retriever.vocab.get(t, -1)
            f = int(df[i]) if 0 <= i < len(df) else 0
            weights[t] = math.log(1 + (n - f + 0.5) / (f + 0.5)) if f else unseen_idf(n)
        return cls(
            text,
            retriever.question_language(text),
            tokens,
            frozenset(w.lower() for w in words),
            len(words),
            asks_for(text),
            asked_quantity(text),
            weights,
            {t: retriever.vocab.get(t, -1) for t in weights},
        )

    def coverage(self, terms: Set[int]) -> float:
        """The idf share (0…1) of the question's tokens whose vocabulary rows are in `terms`."""
        total = sum(self.weights.values()) or 1.0
        return sum(w for t, w in self.weights.items() if self.term_ids[t] in terms) / total
