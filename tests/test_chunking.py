from __future__ import annotations

from pathlib import Path

from bot.articles import load_article, parse_article
from bot.chunking import ChunkingConfig, chunk_sentences, split_article, word_count
from bot.sentences import split_sentences

SEED = Path(__file__).resolve().parent.parent / "corpus" / "china-first-woman-spacewalk.txt"


def test_sentences_keep_abbreviations_together() -> None:
    text = "China sent them on Oct. 16 to the station. U.S. law requires approval. It worked."
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "China sent them on Oct. 16 to the station.",
        "U.S. law requires approval.",
        "It worked.",
    ]


def test_sentence_offsets_match_article_text() -> None:
    article = load_article(SEED)
    sentences = split_article(article)
    assert len(sentences) > 20
    for sentence in sentences:
        assert article.text[sentence.start : sentence.end] == sentence.text
        assert sentence.text[-1] in ".!?\"'”’"


def test_chunks_are_whole_sentences_within_a_paragraph_and_size() -> None:
    paragraph = " ".join(f"Sentence number {i} talks about rockets and the moon." for i in range(60))
    article = parse_article(f"Title\n\n{paragraph}\n\nA second paragraph.".encode(), "a.txt", "a")
    sentences = split_article(article)
    config = ChunkingConfig(max_words=40)
    chunks = chunk_sentences(article, sentences, config)
    assert len(chunks) > 5
    for chunk in chunks:
        assert word_count(chunk.text) <= 40
        assert article.text[chunk.start : chunk.end] == chunk.text
        assert chunk.text.endswith(".")
        assert {sentences[i].paragraph for i in chunk.sentence_ids} == {chunk.paragraph}
    assert chunks[-1].text == "A second paragraph."
    covered = [i for c in chunks for i in c.sentence_ids]
    assert covered == list(range(len(sentences)))
