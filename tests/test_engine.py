"""The core's handling of questions nobody should have to type: empty, huge, invisible, hostile, foreign."""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

import numpy as np
import pytest

from bot.embedding import Embedder
from bot.engine import ArticleQA, check_question
from bot.errors import QuestionError, StorageError
from bot.models import Answer
from bot.settings import CoreSettings, Settings
from tests.conftest import SEED_ARTICLE
from tests.fakes import FakeEmbedder

ROCKET_QUESTION = "Which rocket launched the Shenzhou-13 spaceship?"
ROCKET_SENTENCE = "The Shenzhou-13 spaceship was launched into space on a Long March-2F rocket"


@pytest.fixture
def core(settings: Settings) -> ArticleQA:
    qa = ArticleQA(settings.core, FakeEmbedder())
    qa.open()
    return qa


def assert_well_formed(core: ArticleQA, answer: Answer) -> None:
    """An answer or a clean abstention, whose every quote is the article's text at the cited place."""
    if answer.abstained:
        told = ("The article does not say", "The article is in ", "The articles are in ")  # see below
        assert answer.citations == () and answer.text.startswith(told)
        return
    assert answer.citations
    for citation in answer.citations:
        record = core.snapshot.article(citation.article)
        assert record is not None
        assert record.text[citation.start : citation.end] == citation.text
        assert citation.text in answer.text


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "the question is empty"),
        ("   \n\t ", "the question is empty"),
        ("\u200b\u200c\u200d\u2060\ufeff\u00ad", "the question is empty"),  # only invisible characters
        ("x" * 10_000, "the question is 10,000 characters; the limit is 1,000"),
        ("\U0001f680\U0001f6f0\ufe0f\U0001f469\u200d\U0001f680", "the question has no words in it"),  # emoji
        ("?!? \u2026 \u2014", "the question has no words in it"),
    ],
)
def test_questions_that_cannot_be_asked(core: ArticleQA, question: str, message: str) -> None:
    with pytest.raises(QuestionError, match=message):
        core.ask(question)
    assert core.questions_answered == 0


def test_zero_width_characters_inside_words_do_not_change_the_answer(core: ArticleQA) -> None:
    hidden = "Wh\u200bich rock\u200det la\u00adunched the Shen\u200czhou-13 space\u2060ship?\ufeff"
    assert check_question(hidden, 1000) == ROCKET_QUESTION
    plain, spiked = core.ask(ROCKET_QUESTION), core.ask(hidden)
    assert spiked.text == plain.text and spiked.text.startswith(ROCKET_SENTENCE)
    assert spiked.citations == plain.citations


def test_markdown_and_mentions_in_a_question_stay_out_of_the_answer(core: ArticleQA) -> None:
    question = (
        "@everyone <@123> <@&456> **Which** rocket `launched` the\n```py\nShenzhou-13\n```\n"
        "spaceship? [click](https://evil.example) ||spoiler|| # heading"
    )
    answer = core.ask(question)
    assert answer.text.startswith(ROCKET_SENTENCE)
    for injected in ("@everyone", "<@123>", "<@&456>", "```", "evil.example", "||"):
        assert injected not in answer.text
    assert_well_formed(core, answer)


def test_an_emoji_decorated_question_is_answered(core: ArticleQA) -> None:
    answer = core.ask("\U0001f680 Which rocket launched the Shenzhou-13 spaceship? \U0001f680\U0001f30c")
    assert answer.text.startswith(ROCKET_SENTENCE)


@pytest.fixture(scope="module")
def real_core(real_embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> ArticleQA:
    corpus = tmp_path_factory.mktemp("corpus")
    (corpus / SEED_ARTICLE.name).write_bytes(SEED_ARTICLE.read_bytes())
    qa = ArticleQA(CoreSettings(corpus_dir=corpus, index_dir=tmp_path_factory.mktemp("index")), real_embedder)
    qa.open()
    return qa


@pytest.mark.model
@pytest.mark.parametrize(
    ("question", "other_language"),
    [
        ("¿Qué cohete lanzó la nave Shenzhou-13?", True),  # Spanish
        ("谁是第一位在太空行走的中国女性？", True),  # Chinese
        ("من هي أول امرأة صينية تمشي في الفضاء؟", True),  # Arabic, right to left
        ("Кто первая китайская женщина, вышедшая в открытый космос?", True),  # Russian
        ("Wang Yaping 是谁？", False),  # mixed scripts, most letters Latin
    ],
)
def test_questions_in_other_languages_answer_or_abstain_cleanly(
    real_core: ArticleQA, question: str, other_language: bool
) -> None:
    answer = real_core.ask(question)
    assert answer.question == question
    assert 0.0 <= answer.confidence <= 1.0
    assert_well_formed(real_core, answer)
    if answer.abstained:  # surely in another language than the article's: told its language instead
        assert answer.text.startswith("The article is in English") is other_language


# ---- starting on a full disk ---------------------------------------------------------------


def _disk_full(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_at_start_serves_the_previous_index(
    settings: Settings, corpus: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ArticleQA(settings.core, FakeEmbedder()).open()
    (corpus / "rover.txt").write_text("Rover news\n\nThe rover found ice near the pole.\n")
    monkeypatch.setattr(np, "save", _disk_full)
    core = ArticleQA(settings.core, FakeEmbedder())
    with caplog.at_level(logging.ERROR, logger="bot.engine"):
        assert core.open() is None
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "no space left on the disk" in errors[0]
    assert [r.id for r in core.snapshot.articles] == ["china-first-woman-spacewalk"]
    assert core.ask(ROCKET_QUESTION).text.startswith(ROCKET_SENTENCE)


def test_a_full_disk_with_no_previous_index_is_an_error(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(np, "save", _disk_full)
    with pytest.raises(
        StorageError, match="the reindex failed: no space left on the disk; no index was written"
    ):
        ArticleQA(settings.core, FakeEmbedder()).open()
    assert not list(settings.index_dir.glob(".tmp-*")) and not list(settings.index_dir.glob("v-*"))


def test_adding_a_file_of_the_same_name_with_other_text_needs_replace(
    settings: Settings, tmp_path: Path
) -> None:
    from bot.articles import ArticleError

    core = ArticleQA(settings.core, FakeEmbedder())
    first = b"Lighthouse restored\n\nThe Old Point lighthouse was restored by 40 volunteers.\n"
    second = b"Lighthouse restored\n\nThe Old Point lighthouse was restored by 45 volunteers.\n"
    path = core.corpus.add_bytes("lighthouse.txt", first)
    assert core.corpus.add_bytes("lighthouse.txt", first) == path  # the same text again: nothing to replace
    with pytest.raises(ArticleError, match="already in the corpus with other text; add it with --replace"):
        core.corpus.add_bytes("lighthouse.txt", second)
    assert path.read_bytes() == first and not (settings.corpus_dir / ".removed").exists()
    core.corpus.add_bytes("lighthouse.txt", second, replace=True)
    assert path.read_bytes() == second
    assert (settings.corpus_dir / ".removed" / "lighthouse.txt").read_bytes() == first
    third = second.replace(b"45", b"50")
    core.corpus.add_bytes("lighthouse.txt", third, replace=True)  # an older kept version is not overwritten
    assert (settings.corpus_dir / ".removed" / "lighthouse.2.txt").read_bytes() == second


def test_look_alike_articles_are_told_apart_and_no_sentence_is_quoted_twice(
    settings: Settings, corpus: Path
) -> None:
    wire = (
        "---\nsource: Pacific Wire Service\ndate: 2021-11-08\n---\n"
        "Astronaut becomes China's first woman to walk in space\n\n"
        "China sent the astronauts to the Tianhe space station on Oct. 16 as part of the Shenzhou-13 "
        "mission to build the space station, according to China\u2019s Xinhua News Agency.\n\n"
        "Wang, 41, is a former air force pilot who first flew to space in 2013.\n"
    )
    (corpus / "china-spacewalk-wire.txt").write_text(wire)
    core = ArticleQA(settings.core, FakeEmbedder())
    core.open()
    answer = core.ask("When did China send the astronauts to the Tianhe space station?")
    assert not answer.abstained
    quoted = [" ".join(c.text.split()) for c in answer.citations]
    assert len(quoted) == len(set(quoted))
    shared = "China sent the astronauts to the Tianhe space station on Oct. 16"
    assert sum(shared in text for text in quoted) == 1
    names = {c.article: c.to_json()["label"] for c in answer.citations}
    title = "Astronaut becomes China's first woman to walk in space"
    for article, name in names.items():
        assert name in (
            f"{title} (Pacific Wire Service, 2021-11-08)",
            f"{title} (china-first-woman-spacewalk.txt)",
        ), article
    found = core.search("Tianhe space station astronauts", k=5)
    assert {c.name for c in found} <= {
        f"{title} (Pacific Wire Service, 2021-11-08)",
        f"{title} (china-first-woman-spacewalk.txt)",
    }


def test_a_question_the_article_asks_itself_is_not_the_answer(settings: Settings, corpus: Path) -> None:
    (corpus / "pool.txt").write_text(
        "Tregenna pool\n\nThe Tregenna pool has been closed since the storm. When will the pool open? "
        "The council says the pool will open on June 3 after repairs.\n"
    )
    core = ArticleQA(settings.core, FakeEmbedder())
    core.open()
    answer = core.ask("When will the Tregenna pool open?")
    assert all(
        not c.text.rstrip().endswith("?") for c in (*answer.citations, *answer.related) if "\n" not in c.text
    )
    assert "When will the pool open?" not in [c.text for c in answer.citations]
