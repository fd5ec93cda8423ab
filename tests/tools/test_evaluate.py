from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.engine import ArticleQA, follow_up_context
from bot.settings import Settings
from tests.fakes import FakeEmbedder
from tools.evaluate import (
    Question,
    Tally,
    evaluate,
    is_hit,
    load_questions,
    render_table,
    squad_normalize,
    strip_markers,
    token_f1,
)


def test_squad_normalisation() -> None:
    assert squad_normalize("The  Long March-2F, rocket!") == "long march2f rocket"
    assert is_hit("It launched on a Long March-2F rocket [1].", ["long March-2F"])
    assert not is_hit("It launched on a rocket.", ["Long March-2F"])
    assert not is_hit("x" * 400 + " Long March-2F", ["Long March-2F"])  # past 400 characters
    assert strip_markers("One [1] two [12].") == "One two."


def test_tally_counts_hits_and_abstentions() -> None:
    tally = Tally("t")
    answerable = Question("a", "q", ("Rollo",), False)
    unanswerable = Question("a", "q", (), True)
    assert tally.add(answerable, "Rollo was the leader [1]", False, 0.01)
    assert not tally.add(answerable, "The article does not say.", True, 0.01)
    assert tally.add(unanswerable, "The article does not say.", True, 0.01)
    assert not tally.add(unanswerable, "Something invented.", False, 0.01)
    row = tally.row()
    assert row["answerable_hit"] == 0.5
    assert row["unanswerable_abstained"] == 0.5
    assert row["overall"] == 0.5


def test_short_answer_f1_counts_words_around_the_answer_against_it() -> None:
    assert token_f1("the Long March-2F", "Long March-2F") == 1.0
    assert token_f1("launched on a Long March-2F", "Long March-2F") == pytest.approx(2 / 3)  # 2 of 4 words
    assert token_f1("Jiuquan", "Long March-2F") == 0.0
    tally = Tally("t")
    answerable = Question("a", "q", ("Long March-2F", "March-2F"), False)
    tally.add(answerable, "a Long March-2F [1]", False, 0.01, short="launched on a Long March-2F")
    tally.add(answerable, "The article does not say.", True, 0.01)
    row = tally.row()
    assert row["short_hit"] == 0.5 and row["short_f1"] == pytest.approx(1 / 3)  # the best gold; abstained: 0


def test_load_questions_reports_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"article": "a", "question": "Who?", "answers": ["B"]}) + "\n{oops\n")
    with pytest.raises(ValueError, match=":2:"):
        load_questions(path)


SEED = "china-first-woman-spacewalk"
ROCKET = Question(SEED, "Which rocket launched the Shenzhou-13 spaceship?", ("Long March-2F",), False)


@pytest.fixture
def core(settings: Settings) -> ArticleQA:
    """The seed article's core with the fake embedder, no reader, answering whatever its confidence."""
    qa = ArticleQA(settings.with_overrides(abstain_threshold=0.0).core, FakeEmbedder())
    qa.open()
    return qa


def test_evaluate_runs_bot_and_baselines_side_by_side(core: ArticleQA) -> None:
    questions = [ROCKET, Question(SEED, "What probe landed on Mars?", ("Tianwen-1",), False)]
    tallies, records = evaluate(core, questions)
    assert [t.name for t in tallies][:3] == ["article-bot", "BM25 top sentence", "dense top sentence"]
    assert all(t.answerable == 2 for t in tallies[:3])
    assert tallies[1].hits == 2  # BM25 finds both sentences by their words
    assert len(records) == 2 and records[0].answer.features


def test_a_conversation_reads_each_question_with_the_one_before(core: ArticleQA) -> None:
    questions = [ROCKET, Question(SEED, "and from where?", ("Jiuquan",), False)]
    _, alone = evaluate(core, questions)
    assert [r.context for r in alone] == ["", ""]
    _, talk = evaluate(core, questions, conversation=True)
    assert talk[0].context == ""
    first = talk[0].answer
    assert not first.abstained and "Long March-2F" in talk[1].context
    assert talk[1].context == follow_up_context(questions[0].question, first)


def test_a_row_without_unanswerable_questions_shows_no_abstention_figure() -> None:
    tally = Tally("metadata")
    question = Question("a", "who wrote this", ("Dana Whitfield",), False)
    tally.add(question, "Dana Whitfield [1]", False, 0.0, short="Dana Whitfield", first="Dana Whitfield")
    row = render_table([tally], latency=False).splitlines()[-1]
    assert row == "| metadata (1 + 0) | 1.000 | 1.000 | 1.000 | 1.000 | – | 1.000 | 14 |"
    empty = Tally("none answerable")
    empty.add(Question("a", "q", (), True), "The article does not say.", True, 0.0)
    row = render_table([empty], latency=False).splitlines()[-1]
    assert row == "| none answerable (0 + 1) | – | – | – | – | 1.000 | 1.000 | 0 |"
