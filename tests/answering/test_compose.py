"""Composing an answer from the reader's judgement: quotes, citations, the exact answer."""

from __future__ import annotations

from dataclasses import replace

from bot.answering.compose import (
    choose_span,
    cuts_a_name,
    from_reader,
    head_noun,
    short_answer,
    spelled_out,
)
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
    question = "who went with her"
    runners = [best, read(0, 0.6), read(2, 0.5)]
    answer = from_reader(question, runners, 0.5, 0.9, {"reader": 1.0}, short_answer(best, question))
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


def test_the_exact_answer_opens_or_closes_no_quotation_it_does_not_hold() -> None:
    sentence = 'Today it is quiet," Varga told reporters on the quay at 6:15 a.m.'
    rec = replace(record(), text=sentence, sentences=(Sentence(0, 1, 0, len(sentence), sentence),))
    span = (sentence.index('"'), sentence.index(" on the"))
    best = ReadSentence(ScoredSentence(rec, rec.sentences[0], 1.0, {}), Reading(1.0, span, 5.0), {}, 0.9)
    short = short_answer(best)
    assert short is not None and short.text == "Varga told reporters"
    assert sentence[short.start : short.end] == short.text
    quoted = 'He said "no" twice, and left.'
    rec = replace(rec, text=quoted, sentences=(Sentence(0, 1, 0, len(quoted), quoted),))
    span = (quoted.index('"'), quoted.index(" twice"))
    best = ReadSentence(ScoredSentence(rec, rec.sentences[0], 1.0, {}), Reading(1.0, span, 5.0), {}, 0.9)
    assert short_answer(best).text == '"no"'  # type: ignore[union-attr]  # a whole quotation keeps its marks


LAUNCH = (
    "The spaceship was launched on a Long March-2F rocket last month from the Jiuquan "
    "Satellite Launch Center, and the crew of three will stay for six months."
)


def spans_of(*texts: str) -> list[tuple[int, int, float]]:
    """Spans of LAUNCH as the reader gives them, best first (scores falling)."""
    return [(LAUNCH.index(t), LAUNCH.index(t) + len(t), 5.0 - i) for i, t in enumerate(texts)]


def picked(question: str, spans: list[tuple[int, int, float]]) -> str:
    chosen = choose_span(question, LAUNCH, spans)
    assert chosen is not None
    return LAUNCH[chosen[0] : chosen[1]]


def test_head_noun_is_the_thing_a_which_or_how_many_question_names() -> None:
    assert head_noun("which rocket?") == "rocket"
    assert head_noun("what kind of organisation is it") == "organis"
    assert head_noun("how many servers were wiped") == "server"
    assert head_noun("what is the rocket called") is None  # "what is" names nothing
    assert head_noun("what year did it open") is None  # a date does not name its unit
    assert head_noun("who went out") is None
    assert head_noun("and wat desert") == "desert"  # chat spelling
    # "the name of the …": the last word of the phrase, before a preposition or a clause
    assert head_noun("whats the name of the mars rover") == "rover"
    assert head_noun("what is the name of the rover on mars") == "rover"
    assert head_noun("names of the two astronauts?") == "astronaut"
    assert head_noun("what was the name of the man who designed it") == "man"
    assert head_noun("What is the name of the rover exploring Mars?") == "rover"
    assert head_noun("name of the man arrested on monday") == "man"
    assert head_noun("what is the name of the office building") == "build"  # a noun in -ing


def test_a_span_standing_before_or_ending_with_the_head_noun_comes_first() -> None:
    spans = spans_of("Jiuquan", "Long March-2F", "Jiuquan Satellite Launch Center")
    assert picked("which rocket", spans) == "Long March-2F"
    assert picked("what center", spans) == "Jiuquan Satellite Launch Center"
    # No span fits the noun: the reader's best that cuts no name ("Jiuquan" of "Jiuquan
    # Satellite Launch Center") stands.
    assert picked("which desert", spans) == "Long March-2F"
    assert picked("whats the name of the launch center", spans) == "Jiuquan Satellite Launch Center"
    assert picked("what is the name of the rocket they used", spans) == "Long March-2F"


def test_who_did_it_is_the_span_standing_before_the_questions_verb() -> None:
    video = "China Manned Space Engineering Network posted video to Weibo showing Wang Yaping."

    def pick(question: str, scores: tuple[float, float]) -> str:
        texts = ("Wang Yaping", "China Manned Space Engineering Network")
        spans = [(video.index(t), video.index(t) + len(t), x) for t, x in zip(texts, scores, strict=True)]
        chosen = choose_span(question, video, spans)
        assert chosen is not None
        return video[chosen[0] : chosen[1]]

    assert pick("who posted the video", (12.2, 11.1)) == "China Manned Space Engineering Network"
    assert pick("who posted the video", (12.2, 9.9)) == "Wang Yaping"  # the reader is sure: it stands
    assert pick("who was in the video", (12.2, 11.1)) == "Wang Yaping"  # no verb of the question


def test_a_quantity_question_takes_the_best_span_of_its_kind() -> None:
    spans = spans_of("three", "last month", "six months")
    assert picked("how long will they stay", spans) == "six months"
    assert picked("how many crew", spans) == "three"
    assert picked("how heavy is it", spans) == "three"  # none of its kind: the best


def test_a_span_is_of_the_kind_asked_as_read_in_its_sentence() -> None:
    walk = "They walked at about 4.5 kilometres per hour for 3 kilometres."
    spans = [(walk.index("about 4.5 kilometres"), walk.index(" per hour"), 5.0)]
    spans.append((walk.index("3 kilometres"), walk.rindex("."), 4.0))
    chosen = choose_span("how far did they walk", walk, spans)
    assert chosen is not None and walk[chosen[0] : chosen[1]] == "3 kilometres"  # not half of a speed
    chosen = choose_span("how fast did they walk", walk, spans)
    assert chosen is not None and walk[chosen[0] : chosen[1]] == "about 4.5 kilometres"


def test_a_span_of_only_the_questions_own_words_is_passed_over() -> None:
    spans = spans_of("Long March-2F rocket", "Jiuquan Satellite Launch Center")
    where = "where did the long march-2f rocket take off"
    assert picked(where, spans) == "Jiuquan Satellite Launch Center"
    assert choose_span("anything", LAUNCH, []) is None


def test_the_short_answer_is_the_span_that_fits_the_question() -> None:
    rec = record()
    candidate = ScoredSentence(rec, rec.sentences[2], 1.0, {})
    reading = Reading(1.0, (3, 7), 5.0, ((3, 7, 5.0), (8, 17, 4.0)))  # "took", "six hours"
    best = ReadSentence(candidate, reading, {}, 0.9)
    short = short_answer(best, "how long did it take")
    assert short is not None and short.text == "six hours" and TEXT[short.start : short.end] == "six hours"
    assert short_answer(best) is not None and short_answer(best).text == "took"  # type: ignore[union-attr]
    words = "x" * 130 + " and six hours"  # a span too long to show is passed over
    rec = replace(rec, text=f"{TEXT} {words}")
    long = Sentence(3, 1, len(TEXT) + 1, len(rec.text), words)
    reading = Reading(1.0, (0, 130), 6.0, ((0, 130, 6.0), (135, 144, 4.0)))
    best = ReadSentence(ScoredSentence(rec, long, 1.0, {}), reading, {}, 0.9)
    short = short_answer(best, "and how long")
    assert short is not None and short.text == rec.text[short.start : short.end] == "six hours"


def test_what_an_abbreviation_stands_for_is_the_phrase_the_sentence_spells_out() -> None:
    sentence = "Forecasters at the National Weather Service (NWS) warned of gusts up to 55 mph."
    phrase = (sentence.index("National"), sentence.index(" (NWS"))
    for question in (
        "whats the nws",
        "what does NWS stand for?",
        "wat is nws short for",
        "whats the nws (National Weather Service)",  # as the retriever expands it
    ):
        assert spelled_out(question, sentence) == phrase, question
        assert choose_span(question, sentence, [(0, 11, 3.0)]) == phrase
    # A question about what the body did is not asking what its name stands for.
    assert spelled_out("what did the nws warn of", sentence) is None
    assert spelled_out("and the nws?", sentence) is None  # a follow-up naming it asks something else
    assert spelled_out("whats the nws", "The NWS warned of gusts.") is None  # not spelled out here


def test_a_span_spelling_out_the_questions_own_abbreviation_is_passed_over() -> None:
    sentence = "The International Space Station (ISS) will weigh around 450 tons when it is done."
    spans = [
        (sentence.index(text), sentence.index(text) + len(text), score)
        for text, score in (("International Space Station", 5.0), ("around 450 tons", 4.0))
    ]
    chosen = choose_span("and the iss?", sentence, spans)
    assert chosen is not None and sentence[chosen[0] : chosen[1]] == "around 450 tons"


def test_a_span_that_cuts_a_word_or_a_name_in_two_is_passed_over() -> None:
    assert cuts_a_name(LAUNCH, LAUNCH.index("March-2F"), LAUNCH.index(" rocket"))  # "Long" stays
    assert cuts_a_name(LAUNCH, LAUNCH.index("2F"), LAUNCH.index(" rocket"))  # inside "March-2F"
    assert cuts_a_name(LAUNCH, LAUNCH.index("Jiuquan"), LAUNCH.index(" Satellite"))  # "… Launch Center"
    assert not cuts_a_name(LAUNCH, LAUNCH.index("Long"), LAUNCH.index(" rocket"))
    assert not cuts_a_name(LAUNCH, LAUNCH.index("spaceship"), LAUNCH.index(" was"))  # after "The"
    journal = "The findings were published in the Journal of Mountain Hydrology last week."
    assert cuts_a_name(journal, journal.index("the Journal"), journal.index(" of"))
    assert not cuts_a_name(journal, journal.index("the Journal"), journal.index(" last"))
    pair = "Talks between the US and China resumed."
    assert not cuts_a_name(pair, pair.index("the US"), pair.index(" and"))  # two names
    assert cuts_a_name(journal, journal.index("the Journal"), journal.index(" Mountain"))  # "… of"
    trial = "The trial was published on Thursday in the Pacific Journal of Child Health."
    spans = [
        (trial.index(text), trial.index(text) + len(text), 5.0 - i)
        for i, text in enumerate(
            ("Pacific Journal of", "Pacific Journal", "the Pacific Journal of Child Health")
        )
    ]
    start, end = choose_span("which journal", trial, spans) or (0, 0)
    assert trial[start:end] == "the Pacific Journal of Child Health"  # its head names the noun
    lab = "The remains will be flown to a laboratory in Hawaii for DNA testing."
    assert not cuts_a_name(lab, lab.index("a laboratory"), lab.index(" for"))
    spans = spans_of("March-2F", "Jiuquan", "Long March-2F", "Jiuquan Satellite Launch Center")
    assert picked("which rocket", spans) == "Long March-2F"
    assert picked("where from", spans) == "Long March-2F"  # the best whole one
    assert picked("where did it launch from", spans_of("Jiuquan")) == "Jiuquan"  # none whole: the best


def test_a_follow_up_is_not_answered_with_what_the_conversation_already_said() -> None:
    sentence = "The station will weigh about 66 tons, a fraction of the ISS, which will weigh around 450 tons"
    spans = [
        (sentence.index(text), sentence.index(text) + len(text), score)
        for text, score in (("about 66 tons", 6.0), ("around 450 tons", 4.0))
    ]

    def chosen(question: str, context: str = "") -> str:
        span = choose_span(question, sentence, spans, context)
        assert span is not None
        return sentence[span[0] : span[1]]

    assert chosen("and the iss?") == "about 66 tons"  # nothing said before: the reader's best
    assert chosen("and the iss?", "how heavy will the station be about 66 tons") == "around 450 tons"
    # When every span repeats the conversation, the rule is dropped.
    assert chosen("and the iss?", "66 tons around 450 tons") == "about 66 tons"
