"""Articles in other languages, answered from their own sentences (real model and reader).

tests/data/languages/ was written apart from datasets/languages-dev, on which the
overlap threshold was chosen (tools/fit_overlap.py); the floors here are below the
figures measured when they were written: 0.65 of the answerable questions quoted
the sentence that answers, 0.8 of the unanswerable abstained.
"""

from __future__ import annotations

import json

import pytest

from bot.answering import NOT_IN_ARTICLE
from bot.engine import ArticleQA
from bot.settings import Settings
from tests.conftest import ROOT, SEED_ARTICLE

DATA = ROOT / "tests" / "data" / "languages"


@pytest.fixture(scope="module")
def core(real_embedder, real_reader, tmp_path_factory: pytest.TempPathFactory) -> ArticleQA:
    corpus = tmp_path_factory.mktemp("corpus")
    for path in [*(DATA / "corpus").glob("*.txt"), SEED_ARTICLE]:
        (corpus / path.name).write_bytes(path.read_bytes())
    reader, confidence = real_reader
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path_factory.mktemp("index"))
    qa = ArticleQA(settings.core, real_embedder, reader=reader, confidence=confidence)
    qa.open()
    return qa


@pytest.mark.model
def test_each_article_keeps_its_language_and_its_own_sentences(core: ArticleQA) -> None:
    languages = {r.id.split("-")[0]: r.language for r in core.snapshot.articles}
    assert languages == {"ar": "ar", "el": "el", "es": "es", "ru": "ru", "zh": "zh", "china": "en"}
    for record in core.snapshot.articles:
        # Split into sentences, not glued into whole paragraphs.
        assert len(record.sentences) > record.paragraph_count, record.id


@pytest.mark.model
def test_questions_in_the_articles_language_are_answered_from_its_sentences(core: ArticleQA) -> None:
    questions = [json.loads(line) for line in (DATA / "questions.jsonl").read_text().splitlines() if line]
    answered = abstained = answerable = unanswerable = 0
    for q in questions:
        answer = core.ask(q["question"])
        if q["answers"]:
            answerable += 1
            first = answer.citations[0] if answer.citations else None
            answered += bool(first and first.article == q["article"] and q["sentence"] in first.text)
        else:
            unanswerable += 1
            abstained += answer.abstained
    assert answered / answerable >= 0.6
    assert abstained / unanswerable >= 0.6


@pytest.mark.model
def test_english_questions_beside_other_languages_still_get_the_reader(core: ArticleQA) -> None:
    answer = core.ask("Which rocket launched the Shenzhou-13 spaceship?")
    assert not answer.abstained and "Long March-2F rocket" in answer.citations[0].text
    assert answer.short is not None  # a span the reader found: the English path


def test_a_question_in_a_language_no_article_is_in_is_told_so(settings: Settings, fake_embedder) -> None:
    qa = ArticleQA(settings.core, fake_embedder)  # the seed article alone: English
    qa.open()
    told = "The articles are in English, and this question does not look like English: ask in English."
    for question in ["Кто вышел в открытый космос вместе с Ван Япин?", "王亚平和谁一起出舱？"]:
        answer = qa.ask(question)
        assert answer.abstained and answer.text == told and answer.related == ()
    # A casual English question the article does not answer keeps the usual abstention.
    answer = qa.ask("wats the capital of france")
    assert answer.abstained and answer.text == NOT_IN_ARTICLE


@pytest.mark.model
def test_english_articles_name_their_language_to_a_question_in_another(core: ArticleQA) -> None:
    # With articles in six languages, a question in a seventh is told all six.
    answer = core.ask("왕야핑은 누구입니까? 그녀는 우주에서 무엇을 했습니까?")
    assert answer.abstained and answer.text == (
        "The articles are in Arabic, Chinese, English, Greek, Russian and Spanish,"
        " and this question looks like none of them: ask in one of them."
    )
