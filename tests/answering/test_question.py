"""Question analysis, done once per question, and the kinds of thing a question asks for."""

from __future__ import annotations

import pytest

from bot.answering.kinds import asks_for, holds_kind
from bot.answering.question import Question, unseen_idf
from bot.engine import ArticleQA
from bot.settings import Settings
from tests.fakes import FakeEmbedder


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How much did the mission cost?", "money"),
        ("how fast does it orbit", "speed"),
        ("How heavy will the station be?", "number"),
        ("When did she walk in space?", "date"),
        ("who went out with her", "person"),
        ("where did they launch from", "place"),
        ("what rocket", "other"),
    ],
)
def test_the_kind_a_question_asks_for(question: str, kind: str) -> None:
    assert asks_for(question) == kind


def test_a_kind_counts_only_when_the_question_does_not_already_name_it() -> None:
    sentence = "Wang Yaping left the module with Zhai Zhigang in 2021."
    assert holds_kind("person", sentence, {"wang", "yaping"})  # Zhai Zhigang is new
    assert not holds_kind("person", "It was Wang Yaping.", {"wang", "yaping"})
    assert holds_kind("date", sentence, set()) and not holds_kind("date", sentence, {"2021"})
    assert not holds_kind("money", sentence, set()) and holds_kind("other", sentence, set())


def test_analysed_once_against_the_index(settings: Settings) -> None:
    core = ArticleQA(settings.core, FakeEmbedder())
    core.open()
    q = Question.analyse("How heavy will the station be, Wang?", core.retriever)
    assert q.language == "en" and q.asks == "number" and q.quantity == "weight"
    assert q.words == {"how", "heavy", "will", "the", "station", "be", "wang"}
    assert q.tokens == core.retriever.tokens(q.text) and set(q.weights) == set(q.tokens)
    unseen = unseen_idf(core.retriever.sentences.size)
    assert all(0 < w <= unseen for w in q.weights.values()) and q.weights["heavi"] == unseen  # no sentence
    assert q.coverage(set()) == 0.0 and q.coverage(set(q.term_ids.values())) == pytest.approx(1.0)
    station = q.weights["station"] / sum(q.weights.values())
    assert q.coverage({q.term_ids["station"]}) == pytest.approx(station)
