"""Answers from the real bundled model on the seed article."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.engine import ArticleQA
from bot.settings import Settings

QUESTIONS = Path(__file__).resolve().parent / "data" / "seed_questions.jsonl"


def _normalize(text: str) -> str:
    text = re.sub(r"[^\w\s]", " ", text.lower())
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


@pytest.fixture(scope="module")
def core(real_embedder, tmp_path_factory: pytest.TempPathFactory) -> ArticleQA:
    root = Path(__file__).resolve().parent.parent
    index = tmp_path_factory.mktemp("index")
    qa = ArticleQA(Settings(corpus_dir=root / "corpus", index_dir=index), real_embedder)
    qa.open()
    return qa


def _load() -> list[dict]:
    return [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]


def test_seed_questions_answered_and_abstained(core: ArticleQA) -> None:
    items = _load()
    answered = abstained = 0
    answerable = [q for q in items if not q["is_impossible"]]
    unanswerable = [q for q in items if q["is_impossible"]]
    misses = []
    for item in answerable:
        answer = core.ask(item["question"])
        gold = [_normalize(a) for a in item["answers"]]
        if not answer.abstained and any(g in _normalize(answer.text) for g in gold):
            answered += 1
        else:
            misses.append(item["question"])
        assert len(answer.text) <= 400 + 12
    for item in unanswerable:
        if core.ask(item["question"]).abstained:
            abstained += 1
    assert answered / len(answerable) >= 0.85, misses
    assert abstained / len(unanswerable) >= 0.6


def test_answer_quotes_the_article_and_cites_exact_offsets(core: ArticleQA) -> None:
    answer = core.ask("Who was the first Chinese woman to walk in space?")
    assert not answer.abstained
    assert "Wang Yaping" in answer.text
    record = core.snapshot.article("china-first-woman-spacewalk")
    assert record is not None
    for citation in answer.citations:
        assert record.text[citation.start : citation.end] == citation.text
        assert citation.text in answer.text
        assert f"[{citation.n}]" in answer.text
        paragraph_numbers = {
            s.paragraph for s in record.sentences if citation.start <= s.start < citation.end
        }
        assert paragraph_numbers == {citation.paragraph}


def test_abstains_with_related_reading(core: ArticleQA) -> None:
    answer = core.ask("What is the boiling point of water?")
    assert answer.abstained
    assert answer.citations == ()
    assert answer.related
    assert "does not say" in answer.text
