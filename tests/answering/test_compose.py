"""Composing an answer from the reader's judgement: quotes, citations, the exact answer."""

from __future__ import annotations

from bot.answering.compose import from_reader, short_answer
from bot.answering.confidence import ReadSentence
from bot.answering.features import ScoredSentence
from bot.answering.reader import Reading
from bot.models import ArticleRecord, Sentence

SENTENCES = ["Wang Yaping walked in space.", "She went out with Zhai Zhigang.", "It took six hours."]
TEXT = " ".join(SENTENCES)


def record() -> ArticleRecord:
    sentences, start = [], 0
    for i, text in enumerate(SENTENCES):
        sentences.append(Sentence(i, 1, start, start + len(text), text))
        start += len(text) + 1
    return ArticleRecord("walk", "Walk", "https://example.org/walk", "", "", "walk.txt", "h", TEXT, 1,
                         tuple(sentences), ())  # fmt: skip


def read(index: int, probability: float, span: tuple[int, int] | None = None) -> ReadSentence:
    rec = record()
    candidate = ScoredSentence(rec, rec.sentences[index], 1.0, {})
    return ReadSentence(candidate, Reading(1.0, span, 5.0), {}, probability)


def test_the_exact_answer_leads_and_each_quote_is_cited_where_it_stands() -> None:
    best = read(1, 0.9, (18, 30))  # "Zhai Zhigang"
    answer = from_reader("who went with her", [best, read(0, 0.6), read(2, 0.5)], 0.5, 0.9, {"reader": 1.0})
    assert answer.text == (
        "Zhai Zhigang \u2014 \u201cShe went out with Zhai Zhigang.\u201d [1] "
        "\u201cWang Yaping walked in space.\u201d [2]"
    )  # the third is below RUNNER_UP_SHARE of the best's chance
    assert [(c.n, c.text, c.score) for c in answer.citations] == [
        (1, SENTENCES[1], 0.9),
        (2, SENTENCES[0], 0.6),
    ]
    for c in answer.citations:
        assert TEXT[c.start : c.end] == c.text and c.article == "walk" and c.url.endswith("/walk")
    assert answer.short is not None and TEXT[answer.short.start : answer.short.end] == "Zhai Zhigang"
    assert not answer.abstained and answer.confidence == 0.9


def test_no_exact_answer_when_the_span_is_the_whole_sentence_or_missing() -> None:
    assert short_answer(read(2, 0.9, (0, len(SENTENCES[2])))) is None
    assert short_answer(read(2, 0.9)) is None
    assert short_answer(read(2, 0.9, (9, 18))) is not None  # "six hours"
