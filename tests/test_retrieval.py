"""BM25 and the hybrid retriever: the same numbers as bm25s, built incrementally."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import bm25s
import numpy as np
import pytest

from bot.articles import load_article
from bot.chunking import ChunkingConfig, build_record
from bot.index import IndexSnapshot, VectorIndex
from bot.index.manifest import Manifest
from bot.models import ArticleRecord
from bot.retrieval import STOPWORDS, TOKEN_PATTERN, Bags, HybridRetriever, LexicalIndex, _stemmer, tokenize
from tests.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent
QUERIES = [
    "Who was the first Chinese woman to walk in space?",
    "When did the spacewalk happen, and how long did it last?",
    "rocket rocket launch",
    "What is the capital of Peru?",
    "",
]


def _seed_texts() -> list[str]:
    record = _record(ROOT / "corpus" / "china-first-woman-spacewalk.txt")
    return [s.text for s in record.sentences] + [c.embedding_text() for c in record.chunks]


def _record(path: Path, article_id: str | None = None) -> ArticleRecord:
    record = build_record(load_article(path), path.name, ChunkingConfig())
    return dataclasses.replace(record, id=article_id) if article_id else record


def _bm25s(texts: list[str]) -> tuple[bm25s.BM25, set[str]]:
    tokens = bm25s.tokenize(
        texts, token_pattern=TOKEN_PATTERN, stopwords=STOPWORDS, stemmer=_stemmer().stemWords,
        return_ids=False, show_progress=False,
    )  # fmt: skip
    model = bm25s.BM25()
    model.index([list(t) for t in tokens], show_progress=False)
    return model, {t for doc in tokens for t in doc}


def _reference_scores(model: bm25s.BM25, vocab: set[str], size: int, query: str) -> np.ndarray:
    known = [t for t in tokenize([query])[0] if t in vocab]
    if not known:
        return np.zeros(size, dtype=np.float32)
    return np.asarray(model.get_scores(known), dtype=np.float32)


def test_tokens_are_bm25s_tokens() -> None:
    texts = [*_seed_texts(), *QUERIES, "Ünïcode café — naïve 42 x", "the of and", "A-B c'd e_f"]
    expected = bm25s.tokenize(
        texts, token_pattern=TOKEN_PATTERN, stopwords=STOPWORDS, stemmer=_stemmer().stemWords,
        return_ids=False, show_progress=False,
    )  # fmt: skip
    assert tokenize(texts) == [list(t) for t in expected]


@pytest.mark.parametrize("by_term", [True, False])
def test_scores_equal_bm25s_exactly(by_term: bool) -> None:
    texts = _seed_texts()
    model, vocab = _bm25s(texts)
    words: dict[str, int] = {}
    index = LexicalIndex(Bags.of(tokenize(texts), words), words, by_term=by_term)
    for query in QUERIES:
        expected = _reference_scores(model, vocab, len(texts), query)
        tokens = tokenize([query])[0]
        assert np.array_equal(index.scores(tokens), expected), query
        rows = np.array([3, 0, 7, len(texts) - 1])
        assert np.array_equal(index.scores_of(tokens, rows), expected[rows]), query


def test_appended_and_selected_equal_a_fresh_build() -> None:
    texts = _seed_texts()
    half = len(texts) // 2
    words: dict[str, int] = {}
    first = LexicalIndex(Bags.of(tokenize(texts[:half]), words), words, by_term=True)
    grown = first.appended(Bags.of(tokenize([*texts[half:], "an entirely new word: zyzzyva"]), words))
    fresh_words: dict[str, int] = {}
    fresh = LexicalIndex(
        Bags.of(tokenize([*texts, "an entirely new word: zyzzyva"]), fresh_words), fresh_words, True
    )
    keep = np.array([0, 2, 5, half, half + 1, len(texts)])
    picked_words: dict[str, int] = {}
    picked = LexicalIndex(
        Bags.of(tokenize([[*texts, "an entirely new word: zyzzyva"][i] for i in keep]), picked_words),
        picked_words,
        True,
    )
    for query in [*QUERIES, "zyzzyva"]:
        tokens = tokenize([query])[0]
        assert np.array_equal(grown.scores(tokens), fresh.scores(tokens)), query
        assert np.array_equal(grown.selected(keep).scores(tokens), picked.scores(tokens)), query
        assert grown.top(tokens, 5) == fresh.top(tokens, 5)
    assert first.size == half  # the index it grew from is unchanged
    assert first.scores(tokenize(["zyzzyva"])[0]).sum() == 0


def test_top_within_keeps_the_order_of_the_full_ranking() -> None:
    texts = _seed_texts()
    words: dict[str, int] = {}
    index = LexicalIndex(Bags.of(tokenize(texts), words), words, by_term=True)
    tokens = tokenize(["space station woman walk"])[0]
    within = np.zeros(len(texts), dtype=bool)
    within[::2] = True
    everything = index.top(tokens, len(texts))
    assert index.top(tokens, len(texts), within) == [(i, s) for i, s in everything if within[i]]


@pytest.mark.parametrize("by_term", [True, False])
def test_rows_with_a_token_are_the_rows_that_hold_it(by_term: bool) -> None:
    texts = ["the rocket launched", "a rocket and a rocket", "no such word", "rockets again"]
    words: dict[str, int] = {}
    index = LexicalIndex(Bags.of(tokenize(texts), words), words, by_term=by_term)
    rocket = words[tokenize(["rocket"])[0][0]]
    assert index.rows_with(rocket).tolist() == [0, 1, 3]  # "rockets" stems to "rocket"
    assert index.rows_with(rocket).dtype == np.int64
    assert index.rows_with(-1).tolist() == [] and index.rows_with(len(words) + 5).tolist() == []


def _snapshot(records: list[ArticleRecord]) -> IndexSnapshot:
    embedder = FakeEmbedder()
    chunks = embedder.embed([c.embedding_text() for r in records for c in r.chunks])
    sentences = embedder.embed([s.text for r in records for s in r.sentences])
    return IndexSnapshot(Manifest(), records, chunks, sentences, VectorIndex.build(chunks))


def test_retriever_built_from_the_previous_one_matches_a_fresh_one(tmp_path: Path) -> None:
    seed = _record(ROOT / "corpus" / "china-first-woman-spacewalk.txt")
    other = tmp_path / "rover.txt"
    other.write_text(
        "Rover news\n\nThe rover found ice near the pole. It drilled twice.\n\nWater was found.\n"
    )
    rover = _record(other)
    copy = dataclasses.replace(seed, id="copy-of-seed")
    old = HybridRetriever(_snapshot([seed, rover]))
    cases = {
        "appended": [seed, rover, copy],
        "one dropped": [rover, copy],
        "reordered": [rover, seed],
        "unchanged": [seed, rover],
    }
    for name, records in cases.items():
        snapshot = _snapshot(records)
        reused, fresh = HybridRetriever(snapshot, old), HybridRetriever(snapshot)
        vector = FakeEmbedder().embed(["woman walk in space ice"])[0]
        for query in QUERIES:
            tokens = tokenize([query])[0]
            assert np.array_equal(reused.chunks.scores(tokens), fresh.chunks.scores(tokens)), name
            assert np.array_equal(reused.sentences.scores(tokens), fresh.sentences.scores(tokens)), name
            assert reused.passages(tokens, vector) == fresh.passages(tokens, vector), name
            assert reused.passages(tokens, vector, article_ids={"rover"}) == fresh.passages(
                tokens, vector, article_ids={"rover"}
            )


def test_abbreviations_come_from_capitalised_phrases() -> None:
    from bot.retrieval import abbreviations

    text = "The International Space Station and the Federal Aviation Administration (FAA) met. Tom said so."
    assert ("iss", "International Space Station") in abbreviations(text)
    assert ("faa", "Federal Aviation Administration") in abbreviations(text)
    assert not any(short == "t" for short, _ in abbreviations(text))  # one word is no phrase


def test_questions_gain_the_articles_own_spellings(settings, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    from bot.engine import ArticleQA

    core = ArticleQA(settings.core, fake_embedder)
    core.open()
    expand = core.retriever.expand
    assert expand("how heavy is the iss") == "how heavy is the iss (International Space Station)"
    assert expand("how heavy is the ISS?") == "how heavy is the ISS? (International Space Station)"
    assert expand("who went out with her") == "who went out with her"  # nothing to add
    assert expand("who walked in space") == "who walked in space (spacewalked)"  # matched by its stem
    assert "spacewalk" in expand("how many times did they walk in space")  # the article's compound
    assert expand("who is it") == "who is it"  # stop words never expand ("it", "us", "who")


def test_a_typed_word_one_edit_from_an_article_word_gains_it(settings, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    from bot.engine import ArticleQA

    core = ArticleQA(settings.core, fake_embedder)
    core.open()
    expand = core.retriever.expand
    known = frozenset({"what", "much", "cost", "rocker"})  # words a language model knows
    # two letters swapped
    assert expand("wat rokcet did they use", known) == "wat rocket did they use"
    assert expand("how big is the Staton", known) == "how big is the station"  # a letter dropped
    assert expand("how much did it cost", known) == "how much did it cost"  # a known word is no typo
    assert expand("whos on the staton", known) == "whos on the station"  # nor chat for a stop word
    assert expand("which rocker", known) == "which rocker"  # nor is one a letter from "rocket"
    assert expand("wat rokcet did they use") == "wat rokcet did they use"  # no vocabulary: typos stay
    # Two letters swapped back: the article's word ("china", not "chain"), else a common English
    # one, before any article word one edit away ("back" for "balck").
    assert expand("wat did chian launch", known) == "wat did china launch"
    assert expand("who wore the balck suit", known) == "who wore the black suit"
    assert core.retriever.spelling("balck") == ["back"] and core.retriever.swapped("balck") == "black"
    assert core.retriever.swapped("wats") is None  # "wast" is no common English word
    assert core.retriever.spelling("rokcet") == ["rocket"]
    assert core.retriever.spelling("rocket") == []  # the article's own word
    assert core.retriever.spelling("xqzvw") == []
