"""Hybrid retrieval: BM25 (bm25s) fused with FAISS dense scores.

Passages are found with both a lexical and a dense ranking, fused by
reciprocal rank. The sentences of the chosen passages are then scored one by
one (bot/answering.py) using the per-sentence BM25 and cosine scores computed
here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS

from bot.store import IndexSnapshot

TOKEN_PATTERN = r"(?u)\b\w+\b"
# NLTK's English list: it also drops question words (what, when, did, …), which
# would otherwise count as question terms the article never uses.
STOPWORDS = sorted(STOPWORDS_EN_PLUS)
RRF_K = 60  # the usual reciprocal-rank-fusion constant


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, stemmed tokens, the same for passages and questions."""
    tokens = bm25s.tokenize(
        texts,
        token_pattern=TOKEN_PATTERN,
        stopwords=STOPWORDS,
        stemmer=_stemmer().stemWords,
        return_ids=False,
        show_progress=False,
    )
    return [list(t) for t in tokens]


class LexicalIndex:
    """BM25 over a list of texts."""

    def __init__(self, tokens: list[list[str]]) -> None:
        self.size = len(tokens)
        self._bm25 = bm25s.BM25()
        self._vocab = {t for doc in tokens for t in doc}
        if self._vocab:
            self._bm25.index(tokens, show_progress=False)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        known = [t for t in query_tokens if t in self._vocab]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def top(self, query_tokens: list[str], k: int) -> list[tuple[int, float]]:
        scores = self.scores(query_tokens)
        if not len(scores):
            return []
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        ranked = sorted(((int(i), float(scores[i])) for i in best), key=lambda p: -p[1])
        return [(i, s) for i, s in ranked if s > 0]


@dataclass(frozen=True)
class PassageHit:
    row: int  # chunk row in the snapshot
    fused: float
    dense: float
    lexical: float


class HybridRetriever:
    """Search structures for one index snapshot; built once per snapshot."""

    def __init__(self, snapshot: IndexSnapshot) -> None:
        self.snapshot = snapshot
        self.chunks = LexicalIndex(
            tokenize([c.embedding_text() for record in snapshot.articles for c in record.chunks])
        )
        sentence_tokens = tokenize([s.text for record in snapshot.articles for s in record.sentences])
        self.sentences = LexicalIndex(sentence_tokens)
        self.sentence_tokens = [frozenset(t) for t in sentence_tokens]
        self.article_tokens: list[frozenset[str]] = []
        at = 0
        for record in snapshot.articles:
            self.article_tokens.append(
                frozenset().union(*self.sentence_tokens[at : at + len(record.sentences)])
            )
            at += len(record.sentences)

    def passages(
        self,
        question_tokens: list[str],
        question_vector: np.ndarray,
        k: int = 8,
        depth: int = 30,
        article_ids: set[str] | None = None,
    ) -> list[PassageHit]:
        """The k best passages by reciprocal-rank fusion of BM25 and dense rankings."""
        snapshot = self.snapshot
        if snapshot.passage_count == 0:
            return []
        allowed = None
        if article_ids is not None:
            allowed = {
                row
                for row, (a, _) in enumerate(snapshot.chunk_rows)
                if snapshot.articles[a].id in article_ids
            }
            depth = max(depth, len(allowed))
        dense = snapshot.vectors.search(question_vector, depth if allowed is None else snapshot.passage_count)
        lexical = self.chunks.top(question_tokens, depth if allowed is None else snapshot.passage_count)
        if allowed is not None:
            dense = [(r, s) for r, s in dense if r in allowed][:depth]
            lexical = [(r, s) for r, s in lexical if r in allowed][:depth]
        fused: dict[int, float] = {}
        for ranking in (dense, lexical):
            for rank, (row, _) in enumerate(ranking):
                fused[row] = fused.get(row, 0.0) + 1.0 / (RRF_K + rank + 1)
        dense_score = dict(dense)
        lexical_score = dict(lexical)
        best = sorted(fused, key=lambda r: -fused[r])[:k]
        return [
            PassageHit(
                row=r,
                fused=fused[r],
                dense=dense_score.get(r, float(snapshot.chunk_vectors[r] @ question_vector)),
                lexical=lexical_score.get(r, 0.0),
            )
            for r in best
        ]


_SPACE = re.compile(r"\s+")


def normalize_question(text: str) -> str:
    """Strip invisible characters and collapse white space."""
    text = re.sub(r"[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]", "", text)
    return _SPACE.sub(" ", text).strip()
