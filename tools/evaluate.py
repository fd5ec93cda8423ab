"""Measuring answers on a question set (SQuAD 2.0 format), side by side with baselines:
what `python -m bot eval` prints (from a clone of the project).

Each line of the question file: {"article", "question", "answers": [...], "is_impossible"}.
An answerable question is hit when a gold answer appears in the answer text after
SQuAD normalisation; an unanswerable one is handled when the bot abstains.
"""

from __future__ import annotations

import json
import re
import string
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.engine import ArticleQA
from bot.errors import CommandError
from bot.models import Answer
from bot.pins import Earlier, answer_source, ask_follow_up, ask_next, reply_focus

MAX_ANSWER_CHARS = 400


@dataclass(frozen=True)
class Question:
    """One line of a question set; `previous` names the question a follow-up follows."""

    article: str
    question: str
    answers: tuple[str, ...]
    is_impossible: bool
    style: str = ""
    previous: str = ""


def load_questions(path: Path) -> list[Question]:
    """The questions of a JSONL file, in order; ValueError naming the line of a bad one."""
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
                    style=str(data.get("style", "")),
                    previous=str(data.get("previous", "")).strip(),
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


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD's token F1 of two texts after squad_normalize (0…1)."""
    predicted, wanted = squad_normalize(prediction).split(), squad_normalize(gold).split()
    common = sum((Counter(predicted) & Counter(wanted)).values())
    if not common:
        return 0.0
    precision, recall = common / len(predicted), common / len(wanted)
    return 2 * precision * recall / (precision + recall)


def strip_markers(text: str) -> str:
    return re.sub(r"\s*\[\d+\]", "", text)


@dataclass
class Tally:
    """Hits and abstentions of one system over a question set.

    An answerable question is counted three ways: its short answer, its first
    quoted sentence and its whole answer (at most 400 characters) each hold a
    gold span or not. The short answer is also scored by SQuAD's token F1 against
    its best gold span (0 when abstained or without one), which, unlike the hit,
    counts words around the answer against it. Overall counts whole-answer hits
    and right abstentions.
    """

    name: str
    answerable: int = 0
    unanswerable: int = 0
    hits: int = 0
    short_hits: int = 0
    short_f1: float = 0.0
    first_hits: int = 0
    abstained_correctly: int = 0
    abstained_wrongly: int = 0
    lengths: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def add(
        self, question: Question, text: str, abstained: bool, seconds: float, short: str = "", first: str = ""
    ) -> bool:
        """Count one answer: `text` the whole answer, `short` its exact answer, `first`
        its first quoted sentence. True when it is right (a hit, or a right abstention)."""
        self.seconds.append(seconds)
        if not abstained:
            self.lengths.append(len(strip_markers(text)))
        if question.is_impossible:
            self.unanswerable += 1
            self.abstained_correctly += abstained
            return abstained
        self.answerable += 1
        self.abstained_wrongly += abstained
        if abstained:
            return False
        self.short_hits += bool(short) and is_hit(short, question.answers)
        self.short_f1 += max((token_f1(short, g) for g in question.answers), default=0.0)  # none: 0
        self.first_hits += bool(first) and is_hit(first, question.answers)
        hit = is_hit(strip_markers(text), question.answers)
        self.hits += hit
        return hit

    def row(self) -> dict[str, float]:
        total = self.answerable + self.unanswerable
        ms = np.array(self.seconds) * 1000 if self.seconds else np.zeros(1)
        answerable = max(self.answerable, 1)
        return {
            "answerable_hit": self.hits / answerable,
            "short_hit": self.short_hits / answerable,
            "short_f1": self.short_f1 / answerable,
            "first_hit": self.first_hits / answerable,
            "unanswerable_abstained": self.abstained_correctly / max(self.unanswerable, 1),
            "overall": (self.hits + self.abstained_correctly) / max(total, 1),
            "mean_chars": float(np.mean(self.lengths)) if self.lengths else 0.0,
            "p50_ms": float(np.percentile(ms, 50)),
            "p95_ms": float(np.percentile(ms, 95)),
        }


@dataclass
class Record:
    """One question's outcome."""

    question: Question
    answer: Answer
    hit: bool
    context: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            **self.answer.to_json(),
            "article": self.question.article,
            "style": self.question.style,
            "context": self.context,
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
    conversation: bool = False,
) -> tuple[list[Tally], list[Record]]:
    """Run the bot and the two top-sentence baselines on the same questions.

    A follow-up (a question with `previous`) is asked as the Discord bot reads a reply
    to an answer: after its earlier question, with that question and the bot's answer
    to it as context, and of the article that answer came from first (pins.ask_follow_up).
    With `conversation`, the questions are one person's messages in one channel, in
    the file's order: every other question is read both alone and with the question
    before it and the bot's answer, the more confident reading kept, and put to the
    article of that answer first, as the Discord bot reads a person's next question
    (pins.ask_next).
    Returns the tallies (bot, BM25, dense, question embedding alone) and the bot's
    record of every question.
    """
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
    answered: dict[tuple[str, str], Answer] = {}
    records = []
    last: Earlier | None = None  # the question before, and the bot's answer
    for i, question in enumerate(questions):
        article = question.article if per_article and question.article in known else None
        earlier, follows = None, False  # the question this one is read with; surely?
        if question.previous:
            key = (question.article, question.previous)
            if key not in answered:
                answered[key] = core.ask(question.previous, article=article)
            before = answered[key]
            earlier, follows = Earlier(question.previous, before, answer_source(before, article)), True
        elif conversation:
            earlier = last
        context = earlier.context if earlier is not None else ""
        began = time.perf_counter()
        if earlier is not None and follows:  # as the bot reads a reply to an answer
            focused = ask_follow_up(core, question.question, earlier, article)
        else:  # alone, or as the next question of a conversation (--per-article: of its article)
            focused = ask_next(core, question.question, earlier, reply_focus(article, None))
        took = time.perf_counter() - began
        answer = focused.answer
        answered[(question.article, question.question)] = answer
        last = Earlier.of(question.question, focused)
        first = answer.citations[0].text if answer.citations else ""
        short = answer.short.text if answer.short is not None else ""
        hit = bot.add(question, answer.text, answer.abstained, took, short, first)
        records.append(Record(question, answer, hit and not question.is_impossible, context))

        # The baselines read a reply with its context, a question of a conversation alone.
        retrieval_text = f"{context} {question.question}".strip() if follows else question.question
        began = time.perf_counter()
        vector = core.embedder.embed([retrieval_text])[0]
        embed_only.add(question, "", True, time.perf_counter() - began)

        mask = None
        if article is not None:
            owner = next(j for j, r in enumerate(snapshot.articles) if r.id == article)
            mask = sentence_owner == owner
        began = time.perf_counter()
        lexical = retriever.sentences.scores(retriever.tokens(retrieval_text))
        if mask is not None:
            lexical = np.where(mask, lexical, -1.0)
        top = sentence_texts[int(np.argmax(lexical))]
        bm25.add(question, top, False, time.perf_counter() - began, first=top)
        cosine = snapshot.sentence_vectors @ vector
        if mask is not None:
            cosine = np.where(mask, cosine, -2.0)
        top = sentence_texts[int(np.argmax(cosine))]
        dense.add(question, top, False, 0.0, first=top)
        if progress:
            progress(i + 1)
    return [bot, bm25, dense, embed_only], records


def tallies_by_style(records: list[Record]) -> list[Tally]:
    """The bot's tally for each style of question (formal, casual, …), from its records."""
    by_style: dict[str, Tally] = {}
    for r in records:
        tally = by_style.setdefault(r.question.style or "unstyled", Tally(r.question.style or "unstyled"))
        first = r.answer.citations[0].text if r.answer.citations else ""
        short = r.answer.short.text if r.answer.short is not None else ""
        tally.add(r.question, r.answer.text, r.answer.abstained, 0.0, short, first)
    return [by_style[k] for k in sorted(by_style)]


def render_table(tallies: list[Tally], latency: bool = True) -> str:
    header = (
        "| system | answerable: short answer | short answer F1 | first sentence | whole answer "
        "| unanswerable abstained | overall | mean answer chars |"
    )
    columns = 8
    if latency:
        header += " p50 ms | p95 ms |"
        columns += 2
    lines = [header, "|" + " --- |" * columns]
    for tally in tallies:
        r = tally.row()
        if tally.name == "question embedding alone":
            blanks = " – |" * 7
            lines.append(f"| {tally.name} |{blanks} {r['p50_ms']:.1f} | {r['p95_ms']:.1f} |")
            continue
        baseline = tally.name.endswith("top sentence")
        answerable = tally.answerable > 0  # else "–" (a style with no such questions), not 0.000
        short = "– | –" if baseline or not answerable else f"{r['short_hit']:.3f} | {r['short_f1']:.3f}"
        hits = f"{r['first_hit']:.3f} | {r['answerable_hit']:.3f}" if answerable else "– | –"
        abstained = f"{r['unanswerable_abstained']:.3f}" if tally.unanswerable else "–"
        line = (
            f"| {tally.name} ({tally.answerable} + {tally.unanswerable}) | {short} | {hits} | "
            f"{abstained} | {r['overall']:.3f} | {r['mean_chars']:.0f} |"
        )
        if latency:
            line += f" {r['p50_ms']:.1f} | {r['p95_ms']:.1f} |"
        lines.append(line)
    return "\n".join(lines)


def select_questions(path: Path, articles: str | None = None, limit: int | None = None) -> list[Question]:
    """The questions of `path` about `articles` (comma-separated ids; None: all), the first
    `limit` of them. CommandError when the file is missing, malformed or selects none."""
    if not path.is_file():
        raise CommandError(f"{path} is not a file")
    try:
        questions = load_questions(path)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if articles:
        wanted = {a.strip() for a in articles.split(",") if a.strip()}
        questions = [q for q in questions if q.article in wanted]
    if limit:
        questions = questions[:limit]
    if not questions:
        raise CommandError(f"{path} holds no questions to ask (check --articles and --limit)")
    return questions


def report(
    core: ArticleQA,
    questions: list[Question],
    per_article: bool,
    dump: Path | None,
    by_style: bool,
    conversation: bool = False,
) -> str:
    """Ask `questions` (progress on stderr; `conversation`: see evaluate), write every
    answer to `dump` as JSONL when given, and return the table of the bot beside the
    baselines (and by style)."""
    from tqdm import tqdm

    with tqdm(total=len(questions), unit="q", disable=None, file=sys.stderr) as bar:
        tallies, records = evaluate(core, questions, per_article, lambda n: bar.update(1), conversation)
    if dump:
        with dump.open("w") as handle:
            for record in records:
                handle.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
    table = render_table(tallies)
    if by_style:
        table += "\n\n" + render_table(tallies_by_style(records), latency=False)
    return table
