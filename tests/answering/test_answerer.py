"""Answers from the real bundled model and the shipped reader on the seed article.

One test per kind of question people ask: formal and casual, on-topic questions the
article does not answer, quantities of a kind, follow-ups, abbreviations and
questions about the article itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.answering import NOT_IN_ARTICLE
from bot.engine import ArticleQA, follow_up_context
from bot.settings import Settings
from tests.conftest import ROOT
from tools.evaluate import is_hit

pytestmark = pytest.mark.model

QUESTIONS = ROOT / "tests" / "data" / "seed_questions.jsonl"
SEED = "china-first-woman-spacewalk"


@pytest.fixture(scope="module")
def core(real_embedder, real_reader, tmp_path_factory: pytest.TempPathFactory) -> ArticleQA:
    reader, confidence = real_reader
    settings = Settings(corpus_dir=ROOT / "corpus", index_dir=tmp_path_factory.mktemp("index"))
    qa = ArticleQA(settings.core, real_embedder, reader=reader, confidence=confidence)
    qa.open()
    return qa


def assert_answers(core: ArticleQA, question: str, gold: str, context: str = "") -> None:
    answer = core.ask(question, context=context)
    assert not answer.abstained, (question, answer.confidence)
    assert is_hit(answer.citations[0].text, [gold]), (question, answer.text)  # the first quote says it


def test_the_project_seed_set(core: ArticleQA) -> None:
    items = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    answerable = [q for q in items if not q["is_impossible"]]
    unanswerable = [q for q in items if q["is_impossible"]]
    hits = [q["question"] for q in answerable if is_hit(_text(core, q["question"]), q["answers"])]
    abstained = [q["question"] for q in unanswerable if core.ask(q["question"]).abstained]
    assert len(hits) / len(answerable) >= 0.85, sorted({q["question"] for q in answerable} - set(hits))
    assert len(abstained) / len(unanswerable) >= 0.9


def _text(core: ArticleQA, question: str) -> str:
    answer = core.ask(question)
    return "" if answer.abstained else answer.text


@pytest.mark.parametrize(
    ("question", "gold"),
    [
        ("what rocket", "Long March-2F"),
        ("who went out w her", "Zhai Zhigang"),
        ("wher did they launch from", "Jiuquan Satellite Launch Center"),
        ("who runs chinas space program", "military"),
    ],
)
def test_casual_questions_are_answered(core: ArticleQA, question: str, gold: str) -> None:
    assert_answers(core, question, gold)


@pytest.mark.parametrize(
    "question",
    [
        "who was the first american woman to walk in space",
        "how much did the mission cost",
        "what did wang yaping say after the spacewalk",
        "when did shenzhou-14 launch",  # the article speaks of Shenzhou-13 (and -12, -11 nowhere)
        "when did the iss launch its final module",  # the article gives its first module's year
    ],
)
def test_on_topic_questions_the_article_does_not_answer_are_abstained(core: ArticleQA, question: str) -> None:
    answer = core.ask(question)
    assert answer.abstained and answer.text == NOT_IN_ARTICLE and not answer.citations, answer.confidence


def test_a_quantity_of_the_kind_asked(core: ArticleQA) -> None:
    assert_answers(core, "how heavy will the station be", "66 tons")
    assert core.ask("how old is wang yaping").abstained  # the article gives no age


def test_the_exact_answer_comes_first(core: ArticleQA) -> None:
    answer = core.ask("Which rocket launched the Shenzhou-13 spaceship?")
    assert answer.short is not None and answer.short.text in answer.citations[0].text
    assert answer.text.startswith(answer.short.text + " \u2014 ")
    record = core.snapshot.article(SEED)
    assert record is not None and record.text[answer.short.start : answer.short.end] == answer.short.text


def test_a_follow_up_is_read_with_the_earlier_question(core: ArticleQA) -> None:
    first = core.ask("who walked in space with wang yaping")
    assert "Zhai Zhigang" in first.text
    for follow_up in ("when was that", "when did she do it"):
        assert_answers(core, follow_up, "Nov. 7", context=follow_up_context(first.question, first))


def test_an_abbreviation_the_article_spells_out(core: ArticleQA) -> None:
    assert_answers(core, "how heavy will the iss be", "450 tons")


def test_questions_about_the_article_itself(core: ArticleQA) -> None:
    answer = core.ask("who wrote this")
    assert answer.abstained and answer.text.startswith("The article \u201c")
    assert answer.text.endswith("\u201d does not give its author.")


def test_a_question_worded_as_one_about_the_article_that_its_text_answers(core: ArticleQA) -> None:
    assert_answers(core, "acc to which news agency", "Xinhua News Agency")  # whom it quotes
    first = core.ask("who posted the video")  # the seed article carries no outlet: the text answers
    assert_answers(core, "on what site", "Weibo", context=follow_up_context(first.question, first))
    # A link the article lacks is no person of the text, however sure the reader is of one.
    walk = core.ask("who walked in space with Wang Yaping?")
    link = core.ask("link?", context=follow_up_context(walk.question, walk))
    assert link.abstained and link.text.endswith("does not give its link.")


def test_it_in_a_follow_up_is_what_the_conversation_is_about(
    real_embedder, real_reader, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    seed = (ROOT / "corpus" / f"{SEED}.txt").read_text(encoding="utf-8")
    (corpus / f"{SEED}.txt").write_text(f"---\nsource: The Example Herald\n---\n{seed}", encoding="utf-8")
    reader, confidence = real_reader
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    qa = ArticleQA(settings.core, real_embedder, reader=reader, confidence=confidence)
    qa.open()
    assert qa.ask("what outlet is this from").short.text == "The Example Herald"  # type: ignore[union-attr]
    first = qa.ask("who posted the video")
    assert_answers(qa, "what site was it on", "Weibo", context=follow_up_context(first.question, first))
