"""The lead and the key facts of an article, picked from its own sentences."""

from __future__ import annotations

from pathlib import Path

from bot.articles import load_article
from bot.chunking import ChunkingConfig, build_record
from bot.digest import fact_kinds, key_facts, lead
from bot.models import ArticleRecord
from tests.conftest import SEED_ARTICLE


def record_of(path: Path) -> ArticleRecord:
    return build_record(load_article(path), path.name, ChunkingConfig())


def test_lead_quotes_the_first_sentences_with_one_citation_per_paragraph() -> None:
    record = record_of(SEED_ARTICLE)
    answer = lead(record)
    assert not answer.abstained
    assert answer.text.startswith("China saw its first woman to ever walk in space")
    assert [c.paragraph for c in answer.citations] == [1, 2, 3]
    for citation in answer.citations:
        assert record.text[citation.start : citation.end] == citation.text
        assert f"{citation.text} [{citation.n}]" in answer.text


def test_lead_stops_at_the_length_limit(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text("Long\n\n" + " ".join(f"Sentence number {i} is here." for i in range(50)) + "\n")
    answer = lead(record_of(path), max_sentences=10, max_chars=100)
    assert (
        answer.text == "Sentence number 0 is here. Sentence number 1 is here. Sentence number 2 is here. [1]"
    )


def test_fact_kinds() -> None:
    assert fact_kinds("The station will weigh about 66 tons when completed in 2022.") == ("when", "how many")
    assert fact_kinds("It was launched from the Jiuquan Satellite Launch Center.") == ("who / where",)
    assert fact_kinds("nothing to see here at all") == ()


def test_key_facts_are_rich_sentences_in_article_order() -> None:
    record = record_of(SEED_ARTICLE)
    facts = key_facts(record, limit=4)
    assert len(facts) == 4
    positions = [record.text.index(f.citation.text) for f in facts]
    assert positions == sorted(positions)
    assert [f.citation.n for f in facts] == [1, 2, 3, 4]
    for fact in facts:
        assert fact.kinds == fact_kinds(fact.citation.text)
        assert len(fact.kinds) >= 2
        sentence = next(s for s in record.sentences if s.text == fact.citation.text)
        assert sentence.paragraph == fact.citation.paragraph
    assert any("Nov. 7" in f.citation.text for f in facts)
