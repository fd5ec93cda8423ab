"""Questions about an article itself, answered from its metadata."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answering.metadata import fits_field, metadata_field, strip_metadata_words
from bot.engine import ArticleQA
from bot.models import Answer, ShortAnswer
from bot.pins import answer_source
from bot.settings import Settings
from tests.fakes import FakeEmbedder

PANDA = """---
url: https://news.example.org/2024/09/02/panda-cub
date: 2024-09-02
source: The Example Herald
author: Dana Whitfield
---
Zoo celebrates the birth of a panda cub

The zoo's giant panda gave birth to a cub early on Sunday, keepers said.

The cub weighed 150 grams and is being cared for by its mother.
"""

TRAM = """City council approves the tram line

The council voted 7-2 on Tuesday to build a tram line through the city centre.
"""


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ("who wrote this", "author"),
        ("whos the reporter", "author"),
        ("who wrote the panda story?", "author"),
        ("when was this published", "date"),
        ("date?", "date"),
        ("what outlet is this from", "source"),
        ("which paper published it", "source"),
        ("link pls", "url"),
        ("whats the link to the article", "url"),
        ("wat date was this published", "date"),  # chat spelling
        ("when was this publishd", "date"),  # a typo of a field word
        ("whos the auther", "author"),
        ("wen was it posted", "date"),
        ("who won the vote", None),
        ("who is the publisher", None),
        ("what newspaper did she work for", None),
        ("when was the bridge opened", None),
        ("**Which** rocket [link](https://evil.example)", None),
        ("who is the author of the report on air quality", None),
        ("acc to which news agency", None),  # whom the story quotes, not where it ran
        ("according to which newspaper", None),
    ],
)
def test_questions_about_the_article_are_recognised(question: str, field: str | None) -> None:
    assert metadata_field(question) == field


def test_the_topic_is_what_remains() -> None:
    assert strip_metadata_words("who wrote the panda story?") == "panda"
    assert strip_metadata_words("when was this published") == ""
    assert strip_metadata_words("wat outlet is this from") == ""  # chat spelling
    assert strip_metadata_words("who's the author pls") == ""  # not the "'s"
    assert strip_metadata_words("link to the EU story pls") == "EU"
    assert strip_metadata_words("when was this publishd") == ""  # the typo is no topic


def test_this_asked_first_of_several_articles_lists_each_ones(core: ArticleQA, tmp_path: Path) -> None:
    """ "who wrote this" with no earlier answer to go by: the author of every article that
    names one, newest first, cited, then those that name none; none is the short answer."""
    answer = core.ask("who wrote this")
    assert not answer.abstained and answer.short is None
    assert answer.text == (
        "Which article? Authors, newest first: \u201cZoo celebrates the birth of a panda cub\u201d, "
        "Dana Whitfield [1]. \u201cCity council approves the tram line\u201d gives none."
    )
    [citation] = answer.citations
    assert (
        citation.article == "panda"
        and citation.metadata == "author"
        and citation.text.endswith("Dana Whitfield")
    )
    assert core.ask("who wrote this", article="tram").abstained  # one article named: its own
    for n in range(6):
        (tmp_path / "corpus" / f"more-{n}.txt").write_text(
            f"---\nauthor: Writer {n}\n---\nStory {n}\n\nDay {n}.\n"
        )
    core.reindex()
    many = core.ask("who wrote this")
    assert many.text.count("[") == 5 and many.text.endswith(
        "2 more: name the article to ask of it. "
        + ("\u201cCity council approves the tram line\u201d gives none.")
    )
    assert core.ask("link?").text.endswith("7 others give none.")


@pytest.fixture
def core(tmp_path: Path) -> ArticleQA:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "panda.txt").write_text(PANDA)
    (corpus / "tram.txt").write_text(TRAM)
    qa = ArticleQA(Settings(corpus_dir=corpus, index_dir=tmp_path / "index").core, FakeEmbedder())
    qa.open()
    return qa


def test_answered_from_the_metadata_with_a_citation_naming_the_field(core: ArticleQA) -> None:
    answer = core.ask("who wrote this", article="panda")
    assert not answer.abstained and answer.text.startswith("Dana Whitfield")
    assert answer.short is not None and answer.short.text == "Dana Whitfield"
    assert answer.short.metadata == "author"
    [citation] = answer.citations
    assert citation.metadata == "author" and citation.article == "panda" and "Dana Whitfield" in citation.text
    assert citation.to_json()["metadata"] == "author"
    assert core.ask("when was this published", article="panda").short.text == "2024-09-02"  # type: ignore[union-attr]
    assert core.ask("link?", article="panda").short.text.endswith("/panda-cub")  # type: ignore[union-attr]


def test_the_article_is_the_one_the_question_names(core: ArticleQA) -> None:
    assert core.ask("which outlet ran the panda story").short.text == "The Example Herald"  # type: ignore[union-attr]
    answer = core.ask("who wrote the tram story")
    assert answer.abstained
    assert (
        answer.text == "The article \u201cCity council approves the tram line\u201d does not give its author."
    )


def test_a_follow_up_asks_about_the_article_of_the_conversation(core: ArticleQA) -> None:
    answer = core.ask("when was it published", context="how much did the cub weigh 150 grams")
    assert answer.short is not None and answer.short.text == "2024-09-02"


def test_this_after_an_answer_is_the_article_that_answer_came_from(core: ArticleQA) -> None:
    """After "who wrote this" of the panda story, "link?" means that story, though the
    context names no topic and the tram story is the newest."""
    earlier = core.ask("who wrote this", article="panda")
    assert earlier.citations[0].article == "panda"
    context = "who wrote this Dana Whitfield"  # engine.follow_up_context
    answer = core.ask("link?", None, context, context_optional=True, context_article="panda")
    assert answer.short is not None and answer.short.text.endswith("/panda-cub")
    alone = core.ask("link?")  # nothing says which: each article's, the newest first
    assert not alone.abstained and alone.short is None
    assert alone.text.index("/panda-cub [1]") < alone.text.index("tram line\u201d gives none")
    unknown = core.ask("link?", None, context, context_optional=True)
    gone = core.ask("link?", None, context, context_optional=True, context_article="no-such-article")
    assert gone.text == unknown.text  # an article no longer indexed is no guide
    named = core.ask("link to the tram story", None, context, context_optional=True, context_article="panda")
    assert named.abstained and "tram line" in named.text  # a question that names its article


def test_an_abstention_on_a_field_keeps_the_conversation_on_its_article(core: ArticleQA) -> None:
    """ "when was this published" after "the tram story does not give its author" is about
    the tram story still, not the article the words of the context find."""
    earlier = core.ask("who wrote the tram story")
    assert earlier.abstained and earlier.about == "tram" and answer_source(earlier, None) == "tram"
    answer = core.ask(
        "when was this published", None, "who wrote this", context_optional=True, context_article="tram"
    )
    assert answer.abstained and "tram line" in answer.text and "publication date" in answer.text
    assert core.ask("what is the tram line", article="tram").about is None  # not one about a field


@pytest.mark.parametrize(
    ("field", "short", "fits"),
    [
        ("url", "https://news.example.org/a", True),
        ("url", "www.example.com", True),
        ("url", "Zhai Zhigang", False),  # "link?" after "who walked in space with her?"
        ("date", "Nov. 7", True),
        ("date", "Zhai Zhigang", False),
        ("source", "Weibo", True),  # "on what site" after "who posted the video"
        ("author", "Dana Whitfield", True),
    ],
)
def test_an_answer_from_the_text_must_be_of_the_fields_kind(field: str, short: str, fits: bool) -> None:
    answer = Answer("q", short, False, 0.9, short=ShortAnswer(short, "a", 0, len(short)))
    assert fits_field(field, answer) is fits
    assert not fits_field(field, Answer("q", "a sentence", False, 0.9))  # no exact answer


def test_a_field_the_article_lacks_is_looked_for_in_that_article_only(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tram.txt").write_text(TRAM)
    (corpus / "bridge.txt").write_text(
        "Engineers publish the bridge report\n\nThe bridge report was written by engineer Maria Gomez.\n"
    )
    qa = ArticleQA(Settings(corpus_dir=corpus, index_dir=tmp_path / "index").core, FakeEmbedder())
    qa.open()
    answer = qa.ask("who wrote the tram story")
    assert answer.abstained and "tram line" in answer.text and "Gomez" not in answer.text
    assert answer.related and {c.article for c in answer.related} == {"tram"}  # further reading, of it
    # Of "this" article, with no topic named, no passage is further reading.
    bare = qa.ask("who wrote this", article="tram")
    assert bare.abstained and "tram line" in bare.text and bare.related == ()


def test_an_article_is_named_only_by_words_that_single_it_out(core: ArticleQA) -> None:
    """Words left over that no article holds, or that two hold as much, name none ("lol"); the
    article a question names wins over the one the conversation was about."""
    for question in ("who wrote this lol", "hey who wrote this", "who wrote the dinosaur story"):
        assert core.ask(question).text.startswith("Which article? Authors"), question
    assert core.ask("who wrote the cub story").short.text == "Dana Whitfield"  # type: ignore[union-attr]
    after = core.ask("who wrote the tram story", context="how much did the cub weigh 150 grams")
    assert after.abstained and "tram line" in after.text
    zoo = core.ask("who wrote the celebration story", context="how did the council vote 7-2")  # title
    assert zoo.short is not None and zoo.short.text == "Dana Whitfield"
    # So a conversation about the tram story does not keep a question that names another.
    assert not core.holds_most_of("who wrote the celebration story", "tram")
    assert core.holds_most_of("who wrote this", "tram") and core.holds_most_of("who wrote this lol", "tram")


def test_a_list_settles_on_no_article(core: ArticleQA, tmp_path: Path) -> None:
    """The list is no answer about one article: the next question's "this" does not mean the
    first one listed, and a reading with the conversation that finds the article wins."""
    (tmp_path / "corpus" / "ferry.txt").write_text(
        "---\nauthor: Ann Lee\n---\nFerry strike\n\nThe ferries stopped.\n"
    )
    core.reindex()
    listed = core.ask("who wrote this")
    assert answer_source(listed, None) is None and 0.0 < listed.confidence < 1.0
    assert "Ann Lee [1]" in listed.text and "Dana Whitfield [2]" in listed.text
    answer = core.ask("who wrote this", None, "how much did the cub weigh", context_optional=True)
    assert answer.short is not None and answer.short.text == "Dana Whitfield"
