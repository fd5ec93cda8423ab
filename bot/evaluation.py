"""Measuring answers on a question set (SQuAD 2.0 format), side by side with baselines.

Each line of the question file: {"article", "question", "answers": [...], "is_impossible"}.
An answerable question is hit when a gold answer appears in the answer text after
SQuAD normalisation; an unanswerable one is handled when the bot abstains.
"""

from __future__ import annotations

import json
import re
import string
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.answering import Answer
from bot.engine import ArticleQA
from bot.retrieval import tokenize

MAX_ANSWER_CHARS = 400


@dataclass(frozen=True)
class Question:
    article: str
    question: str
    answers: tuple[str, ...]
    is_impossible: bool


def load_questions(path: Path) -> list[Question]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            questions.append(
                Question(
                    article=str(data.get("article", "")),
                    question=str(data["question"]),
                    answers=tuple(str(a) for a in data.get("answers", [])),
                    is_impossible=bool(data.get("is_impossible", not data.get("answers"))),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a question object ({exc})") from None
    return questions


_PUNCTUATION = set(string.punctuation)


def squad_normalize(text: str) -> str:
    """SQuAD's normalisation: lower case, no punctuation, no articles, single spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def is_hit(answer_text: str, gold: Iterable[str]) -> bool:
    if len(answer_text) > MAX_ANSWER_CHARS:
        answer_text = answer_text[:MAX_ANSWER_CHARS]
    normalized = squad_normalize(answer_text)
    return any(squad_normalize(g) and squad_normalize(g) in normalized for g in gold)


def strip_markers(text: str) -> str:
    return re.sub(r"\s*\[\d+\]", "", text)


@dataclass
class Tally:
    """Hits and abstentions of one system over a question set."""

    name: str
    answerable: int = 0
    unanswerable: int = 0
    hits: int = 0
    abstained_correctly: int = 0
    abstained_wrongly: int = 0
    lengths: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def add(self, question: Question, text: str, abstained: bool, seconds: float) -> bool:
        self.seconds.append(seconds)
        if not abstained:
            self.lengths.append(len(strip_markers(text)))
        if question.is_impossible:
            self.unanswerable += 1
            self.abstained_correctly += abstained
            return abstained
        self.answerable += 1
        self.abstained_wrongly += abstained
        hit = not abstained and is_hit(strip_markers(text), question.answers)
        self.hits += hit
        return hit

    def row(self) -> dict[str, float]:
        total = self.answerable + self.unanswerable
        ms = np.array(self.seconds) * 1000 if self.seconds else np.zeros(1)
        return {
            "answerable_hit": self.hits / max(self.answerable, 1),
            "unanswerable_abstained": self.abstained_correctly / max(self.unanswerable, 1),
            "overall": (self.hits + self.abstained_correctly) / max(total, 1),
            "mean_chars": float(np.mean(self.lengths)) if self.lengths else 0.0,
            "p50_ms": float(np.percentile(ms, 50)),
            "p95_ms": float(np.percentile(ms, 95)),
        }


@dataclass
class Record:
    """One question's outcome, for fitting the confidence model."""

    question: Question
    answer: Answer
    hit: bool

    def to_json(self) -> dict[str, object]:
        return {
            **self.answer.to_json(),
            "article": self.question.article,
            "gold": list(self.question.answers),
            "is_impossible": self.question.is_impossible,
            "hit": self.hit,
            "features": self.answer.features,
        }


def evaluate(
    core: ArticleQA,
    questions: list[Question],
    per_article: bool = False,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Tally], list[Record]]:
    """Run the bot and the two top-sentence baselines on the same questions."""
    snapshot = core.snapshot
    known = {r.id for r in snapshot.articles}
    bot, bm25, dense, embed_only = (
        Tally("article-bot"),
        Tally("BM25 top sentence"),
        Tally("dense top sentence"),
        Tally("question embedding alone"),
    )
    retriever = core.retriever
    sentence_owner = (
        np.concatenate([np.full(len(r.sentences), i) for i, r in enumerate(snapshot.articles)])
        if snapshot.articles
        else np.zeros(0, dtype=int)
    )
    sentence_texts = [s.text for r in snapshot.articles for s in r.sentences]
    records = []
    for i, question in enumerate(questions):
        article = question.article if per_article and question.article in known else None
        began = time.perf_counter()
        answer = core.ask(question.question, article=article)
        took = time.perf_counter() - began
        hit = bot.add(question, answer.text, answer.abstained, took)
        records.append(Record(question, answer, hit and not question.is_impossible))

        began = time.perf_counter()
        vector = core.embedder.embed([question.question])[0]
        embed_only.add(question, "", True, time.perf_counter() - began)

        mask = None
        if article is not None:
            owner = next(j for j, r in enumerate(snapshot.articles) if r.id == article)
            mask = sentence_owner == owner
        began = time.perf_counter()
        lexical = retriever.sentences.scores(tokenize([question.question])[0])
        if mask is not None:
            lexical = np.where(mask, lexical, -1.0)
        bm25.add(question, sentence_texts[int(np.argmax(lexical))], False, time.perf_counter() - began)
        cosine = snapshot.sentence_vectors @ vector
        if mask is not None:
            cosine = np.where(mask, cosine, -2.0)
        dense.add(question, sentence_texts[int(np.argmax(cosine))], False, 0.0)
        if progress:
            progress(i + 1)
    return [bot, bm25, dense, embed_only], records


def render_table(tallies: list[Tally]) -> str:
    header = (
        "| system | answerable hit | unanswerable abstained | overall | mean answer chars | p50 ms | p95 ms |"
    )
    lines = [header, "|" + " --- |" * 7]
    for tally in tallies:
        r = tally.row()
        if tally.name == "question embedding alone":
            lines.append(f"| {tally.name} | – | – | – | – | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} |")
            continue
        lines.append(
            f"| {tally.name} | {r['answerable_hit']:.3f} | {r['unanswerable_abstained']:.3f} | "
            f"{r['overall']:.3f} | {r['mean_chars']:.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} |"
        )
    return "\n".join(lines)


HIT_FLOOR = 0.80  # the threshold is the highest that keeps this answerable hit rate on the dev split


@dataclass(frozen=True)
class Fit:
    weights: dict[str, float]
    threshold: float
    dev_rows: list[tuple[float, float, float, float]]  # threshold, hit, abstained, overall
    test_rows: list[tuple[float, float, float, float]]


def off_article_records(core: ArticleQA, records: list[Record], dev_articles: set[str]) -> list[Record]:
    """Unanswerable examples of the everyday kind: each dev question asked of another article.

    SQuAD 2.0's unanswerable questions are written to look answerable from
    their own article; people also ask about things an article never covers.
    Asking every answerable dev question of the next dev article (by name)
    supplies that second kind to the fit.
    """
    articles = sorted(a for a in dev_articles if core.snapshot.article(a) is not None)
    if len(articles) < 2:
        return []
    other = {a: articles[(i + 1) % len(articles)] for i, a in enumerate(articles)}
    extra = []
    for record in records:
        q = record.question
        if q.is_impossible or q.article not in other:
            continue
        answer = core.ask(q.question, article=other[q.article])
        extra.append(Record(Question(other[q.article], q.question, (), True), answer, False))
    return extra


def fit_confidence(records: list[Record], dev_articles: set[str], extra: list[Record] | None = None) -> Fit:
    """Fit the confidence model on the dev articles' questions; pick the threshold there.

    The label is "this answer is right": answerable and hit. Unanswerable
    questions and misses are negatives, so confidence estimates the chance the
    answer is right, and abstaining below it trades misses for abstentions.
    `extra` records join the training set but not the threshold choice.
    """
    from sklearn.linear_model import LogisticRegression  # a dev dependency, used only here

    names = sorted(records[0].answer.features)
    dev = [r for r in records if r.question.article in dev_articles]
    test = [r for r in records if r.question.article not in dev_articles]
    if not dev or not test:
        raise ValueError("the dev articles must hold some, but not all, of the questions")

    def matrix(rows: list[Record]) -> np.ndarray:
        return np.array([[r.answer.features[n] for n in names] for r in rows])

    model = LogisticRegression(C=1.0, max_iter=5000)
    train = dev + (extra or [])
    model.fit(matrix(train), np.array([r.hit for r in train], dtype=int))
    weights = {"bias": float(model.intercept_[0])}
    weights.update({n: float(w) for n, w in zip(names, model.coef_[0], strict=True)})
    grid = [round(t, 2) for t in np.arange(0.0, 0.71, 0.05)]
    dev_rows = _sweep(dev, model.predict_proba(matrix(dev))[:, 1], grid)
    test_rows = _sweep(test, model.predict_proba(matrix(test))[:, 1], grid)
    eligible = [t for t, hit, _, _ in dev_rows if hit >= HIT_FLOOR]
    return Fit(weights, max(eligible, default=0.0), dev_rows, test_rows)


def _sweep(
    rows: list[Record], confidence: np.ndarray, grid: list[float]
) -> list[tuple[float, float, float, float]]:
    answerable = np.array([not r.question.is_impossible for r in rows])
    hit = np.array([r.hit for r in rows])
    out = []
    for t in grid:
        keep = confidence >= t
        hits = int((hit & keep).sum())
        abstained = int((~answerable & ~keep).sum())
        out.append(
            (
                t,
                hits / max(int(answerable.sum()), 1),
                abstained / max(int((~answerable).sum()), 1),
                (hits + abstained) / len(rows),
            )
        )
    return out
