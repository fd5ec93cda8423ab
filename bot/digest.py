"""An article at a glance: its lead and its key facts, quoted and cited.

Both are picked from the article's own sentences, without the model: the lead
is how a news article summarises itself, and the sentences that hold names,
dates and numbers are where its who, when, where and how many are. Each
result cites the paragraph it quotes, like an answer does.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.answering import holds_kind
from bot.models import Answer, ArticleRecord, Citation, Sentence

LEAD_SENTENCES = 3
LEAD_CHARS = 700
FACT_COUNT = 5
MIN_FACT_WORDS = 6

# What a fact sentence can hold, in the order facts are labelled.
FACT_KINDS = (("date", "when"), ("number", "how many"), ("person", "who / where"))


@dataclass(frozen=True)
class Fact:
    kinds: tuple[str, ...]  # labels from FACT_KINDS, e.g. ("when", "how many")
    citation: Citation


def _citation(record: ArticleRecord, n: int, sentences: list[Sentence]) -> Citation:
    start, end = sentences[0].start, sentences[-1].end
    return Citation(
        n, record.id, record.title, sentences[0].paragraph, start, end, record.text[start:end], record.url
    )


def lead(record: ArticleRecord, max_sentences: int = LEAD_SENTENCES, max_chars: int = LEAD_CHARS) -> Answer:
    """The first sentences of the article, one citation per paragraph they come from."""
    chosen: list[Sentence] = []
    used = 0
    for sentence in record.sentences:
        if len(chosen) >= max_sentences or (chosen and used + len(sentence.text) > max_chars):
            break
        chosen.append(sentence)
        used += len(sentence.text) + 1
    citations: list[Citation] = []
    parts: list[str] = []
    for paragraph in dict.fromkeys(s.paragraph for s in chosen):
        group = [s for s in chosen if s.paragraph == paragraph]
        citation = _citation(record, len(citations) + 1, group)
        citations.append(citation)
        parts.append(f"{citation.text} [{citation.n}]")
    question = f"What is {record.title or record.id} about?"
    if not citations:
        return Answer(question, "The article has no text.", True, 0.0)
    return Answer(question, " ".join(parts), False, 1.0, tuple(citations))


def fact_kinds(text: str) -> tuple[str, ...]:
    """The labels of what `text` holds: a date, a number, a name."""
    return tuple(label for kind, label in FACT_KINDS if holds_kind(kind, text, set()))


def key_facts(record: ArticleRecord, limit: int = FACT_COUNT) -> list[Fact]:
    """The sentences richest in dates, numbers and names, in article order.

    Richer sentences come first; among equals the earlier one wins, since news
    articles put their main facts at the top.
    """
    candidates = []
    for sentence in record.sentences:
        if len(sentence.text.split()) < MIN_FACT_WORDS:
            continue
        kinds = fact_kinds(sentence.text)
        if kinds:
            candidates.append((-len(kinds), sentence.index, sentence, kinds))
    best = sorted(candidates)[:limit]
    best.sort(key=lambda item: item[1])
    return [
        Fact(kinds, _citation(record, n, [sentence]))
        for n, (_, _, sentence, kinds) in enumerate(best, start=1)
    ]
