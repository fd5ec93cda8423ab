"""A channel's article (bot/pins.py): the pin store on SQLite and PostgreSQL, and answering
from the focus article first."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.db import Database, schema
from bot.db.database import utcnow
from bot.engine import ArticleQA, follow_up_context
from bot.errors import QuestionError
from bot.pins import Earlier, Focus, PinStore, ask_focused, ask_follow_up, ask_next, next_question_focus
from bot.settings import Settings
from tests.fakes import FakeEmbedder

CHANNEL = 910000000000000001
OTHER_CHANNEL = 910000000000000002
GUILD = 797716384012345


class Clock:
    """Seconds that move only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_pin_unpin_and_get(database: Database) -> None:
    pins = PinStore(database)
    assert pins.pinned(CHANNEL) is None and pins.get(CHANNEL) is None and pins.count() == 0

    before = utcnow()
    assert pins.pin(CHANNEL, "mill-bridge", guild_id=GUILD, user_id=42) is None
    pin = pins.get(CHANNEL)
    assert pin is not None
    assert (pin.channel_id, pin.guild_id, pin.article) == (CHANNEL, GUILD, "mill-bridge")
    assert pin.pinned_by == database.user_hash(42) and len(pin.pinned_by) == 64
    assert before - timedelta(seconds=1) <= pin.pinned_at <= utcnow()
    assert pin.pinned_at.tzinfo is not None
    assert pins.pinned(CHANNEL) == "mill-bridge" and pins.pinned(OTHER_CHANNEL) is None

    replaced = pins.pin(CHANNEL, "harbour-bridge", guild_id=GUILD, user_id=43)
    assert replaced is not None and replaced.article == "mill-bridge"
    assert pins.pinned(CHANNEL) == "harbour-bridge" and pins.count() == 1
    pins.pin(OTHER_CHANNEL, "mill-bridge")
    assert pins.count() == 2

    removed = pins.unpin(CHANNEL)
    assert removed is not None and removed.article == "harbour-bridge"
    assert pins.unpin(CHANNEL) is None
    assert pins.pinned(CHANNEL) is None and pins.count() == 1
    with database.begin() as connection:
        rows = connection.execute(sa.select(schema.pins)).all()
    assert [(r.channel_id, r.article, r.pinned_by) for r in rows] == [
        (str(OTHER_CHANNEL), "mill-bridge", None)
    ]


def test_another_process_sees_a_pin_within_the_cache_time(database: Database) -> None:
    """Two stores on one database stand for two shard processes."""
    clock = Clock()
    here, there = PinStore(database, clock=clock), PinStore(database, clock=clock)
    assert there.pinned(CHANNEL) is None  # read (and remembered) before the pin
    here.pin(CHANNEL, "mill-bridge")
    assert here.pinned(CHANNEL) == "mill-bridge"  # the pinning process: at once
    clock.now += 4.9
    assert there.pinned(CHANNEL) is None  # still trusting what it read
    clock.now += 0.2
    assert there.pinned(CHANNEL) == "mill-bridge"
    here.unpin(CHANNEL)
    clock.now += 5.1
    assert there.pinned(CHANNEL) is None


def test_the_cache_spares_the_database(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'bot.db'}")
    clock = Clock()
    pins = PinStore(db, clock=clock)
    pins.pin(CHANNEL, "mill-bridge")
    reads: list[str] = []
    sa.event.listen(db.engine, "before_cursor_execute", lambda *args: reads.append(args[2]))
    for _ in range(100):
        assert pins.pinned(CHANNEL) == "mill-bridge"
    assert reads == []
    clock.now += 6
    assert pins.pinned(CHANNEL) == "mill-bridge"
    assert len(reads) == 1 and "FROM pins" in reads[0]


def test_pins_at_once_from_several_threads_leave_one_row(database: Database) -> None:
    pins = PinStore(database)
    articles = [f"article-{i}" for i in range(8)]
    errors: list[BaseException] = []

    def pin(article: str) -> None:
        try:
            pins.pin(CHANNEL, article)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=pin, args=(a,)) for a in articles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert pins.count() == 1
    stored = pins.get(CHANNEL)
    assert stored is not None and stored.article in articles


# ---- answering from the focus article first ------------------------------------------------

MILL = """Mill Bridge to reopen after repairs

The Mill Bridge over the River Avon will reopen to traffic on 14 March, the county council said on Tuesday.

Engineers replaced the rusted steel cables that had closed the bridge in October. The repairs cost \
2.3 million pounds.

Cyclists will be able to use a new lane on the bridge's east side.
"""

HARBOUR = """Harbour Bridge closed for resurfacing

The Harbour Bridge in Portwell will reopen to traffic on 2 June, the port authority said.

Crews are laying new asphalt on all four lanes. Ferries run every twenty minutes while the bridge is shut.

The bridge was painted green by the artist Mara Olsen in 1998.
"""

REOPEN = "When will the bridge reopen to traffic?"
PAINTED = "Who painted the bridge green?"


def write_bridges(corpus: Path) -> None:
    """Two stories that both say when their bridge reopens; only the Harbour one says who painted it."""
    (corpus / "mill-bridge.txt").write_text(MILL, encoding="utf-8")
    (corpus / "harbour-bridge.txt").write_text(HARBOUR, encoding="utf-8")


@pytest.fixture
def bridges(settings: Settings, corpus: Path, fake_embedder: FakeEmbedder) -> ArticleQA:
    write_bridges(corpus)
    core = ArticleQA(settings.core, fake_embedder)
    core.open()
    return core


def test_without_a_focus_the_question_goes_to_all_articles(bridges: ArticleQA) -> None:
    found = ask_focused(bridges, REOPEN, None)
    assert found.focus is None and found.asked is None and not found.elsewhere
    assert found.answer.citations[0].article == "mill-bridge" == found.source  # all articles: Mill first
    assert "14 March" in found.answer.text


def test_the_focus_article_answers_first(bridges: ArticleQA) -> None:
    found = ask_focused(bridges, REOPEN, Focus("harbour-bridge", "pin"))
    assert "2 June" in found.answer.text and "14 March" not in found.answer.text
    assert {c.article for c in found.answer.citations} == {"harbour-bridge"}
    assert found.asked == found.source == "harbour-bridge" and not found.elsewhere


def test_another_article_answers_when_the_focus_does_not_say(bridges: ArticleQA) -> None:
    found = ask_focused(bridges, PAINTED, Focus("mill-bridge", "pin"))
    assert not found.answer.abstained and "Mara Olsen" in found.answer.text
    assert found.elsewhere and found.asked == "mill-bridge" and found.source == "harbour-bridge"


def test_when_no_article_says_the_focus_articles_abstention_is_kept(bridges: ArticleQA) -> None:
    found = ask_focused(bridges, "How often do the ferries run?", Focus("mill-bridge", "follow-up"))
    assert found.answer.abstained and not found.elsewhere
    assert found.asked == found.source == "mill-bridge"
    assert all(c.article == "mill-bridge" for c in found.answer.related)


def test_a_focus_on_a_removed_article_is_ignored(bridges: ArticleQA) -> None:
    found = ask_focused(bridges, REOPEN, Focus("old-story", "pin"))
    assert found.missing and found.asked is None and not found.answer.abstained
    assert found.source == "mill-bridge"


def test_a_named_article_is_asked_alone(bridges: ArticleQA) -> None:
    found = ask_focused(bridges, PAINTED, Focus("mill-bridge", "named"))
    assert found.answer.abstained and not found.elsewhere and found.source == "mill-bridge"
    with pytest.raises(QuestionError, match="no article 'old-story'"):
        ask_focused(bridges, PAINTED, Focus("old-story", "named"))


def test_a_next_question_goes_first_to_the_article_of_the_answer_before(bridges: ArticleQA) -> None:
    before = ask_focused(bridges, PAINTED, None)
    assert before.source == "harbour-bridge" and not before.answer.abstained
    focus = next_question_focus(None, before.answer, before.source)
    assert focus == Focus("harbour-bridge", "conversation")
    earlier = Earlier.of(PAINTED, before)
    assert earlier.context == follow_up_context(PAINTED, before.answer)
    found = ask_next(bridges, REOPEN, earlier)
    assert found.focus == focus and found.source == "harbour-bridge"
    assert "2 June" in found.answer.text and "14 March" not in found.answer.text
    # Asked with no question before, it goes to all articles; with one, a pin wins.
    assert ask_next(bridges, REOPEN, None).focus is None
    assert ask_next(bridges, REOPEN, earlier, Focus("mill-bridge", "pin")).source == "mill-bridge"
    # The channel's pin wins; after an abstention the next question goes to all articles.
    pin = Focus("mill-bridge", "pin")
    assert next_question_focus(pin, before.answer, before.source) is pin
    ferries = ask_focused(bridges, "Who rebuilt the ferry terminal?", None).answer
    assert ferries.abstained and next_question_focus(None, ferries, "harbour-bridge") is None
    assert next_question_focus(None, before.answer, None) is None


def test_a_follow_up_goes_first_to_the_article_of_the_answer_it_follows(bridges: ArticleQA) -> None:
    earlier = Earlier.of(PAINTED, ask_focused(bridges, PAINTED, None))
    found = ask_follow_up(bridges, REOPEN, earlier)
    assert found.focus == Focus("harbour-bridge", "follow-up") and found.asked == "harbour-bridge"
    assert "2 June" in found.answer.text and "14 March" not in found.answer.text
    # An article the asker named is asked alone.
    named = ask_follow_up(bridges, REOPEN, earlier, "mill-bridge")
    assert named.focus == Focus("mill-bridge", "named") and "14 March" in named.answer.text


def test_a_follow_up_stays_with_its_story_unless_another_holds_more_of_its_words(
    settings: Settings, corpus: Path, fake_embedder: FakeEmbedder
) -> None:
    # The Mill story mentions green paint too, but not who painted the bridge green.
    mural = "A mural was painted on its green railings by local children.\n"
    (corpus / "mill-bridge.txt").write_text(MILL + mural, encoding="utf-8")
    (corpus / "harbour-bridge.txt").write_text(HARBOUR, encoding="utf-8")
    core = ArticleQA(settings.core, fake_embedder)
    core.open()
    assert core.holds_most_of(PAINTED, "mill-bridge")
    found = ask_focused(core, PAINTED, Focus("mill-bridge", "follow-up"))
    # Not the Harbour Bridge's painter: the follow-up is about the Mill Bridge.
    assert found.answer.abstained and "Mara Olsen" not in found.answer.text
    assert found.source == "mill-bridge" and not found.elsewhere
    # A pin, or a next question that may be about another story, still looks further.
    for reason in ("pin", "conversation"):
        further = ask_focused(core, PAINTED, Focus("mill-bridge", reason))
        assert further.elsewhere and "Mara Olsen" in further.answer.text, reason
    # A follow-up with words only the other story holds goes there.
    olsen = "When did the artist Mara Olsen paint it?"
    assert not core.holds_most_of(olsen, "mill-bridge")
    found = ask_focused(core, olsen, Focus("mill-bridge", "follow-up"))
    assert found.elsewhere and found.source == "harbour-bridge" and "1998" in found.answer.text


def test_a_next_question_whose_words_another_article_holds_goes_to_all(bridges: ArticleQA) -> None:
    assert bridges.holds_most_of(REOPEN, "mill-bridge") and bridges.holds_most_of(REOPEN, "harbour-bridge")
    cables = "When were the rusted steel cables replaced?"  # words of the Mill story only
    assert not bridges.holds_most_of(cables, "harbour-bridge") and bridges.holds_most_of(
        cables, "mill-bridge"
    )
    assert not bridges.holds_most_of(REOPEN, "old-story")
    found = ask_focused(bridges, cables, Focus("harbour-bridge", "conversation"))
    assert found.focus is None and found.source == "mill-bridge" and not found.elsewhere
    # A pin is asked first all the same.
    assert ask_focused(bridges, cables, Focus("harbour-bridge", "pin")).asked == "harbour-bridge"


def test_the_pinned_article_first_with_the_real_model(
    real_embedder, real_reader, settings: Settings, corpus: Path
) -> None:
    """The same with the bundled model and the trained reader (marked `model`)."""
    write_bridges(corpus)
    reader, confidence = real_reader
    core = ArticleQA(settings.core, real_embedder, reader=reader, confidence=confidence)
    core.open()
    harbour = ask_focused(core, REOPEN, Focus("harbour-bridge", "pin"))
    assert "2 June" in harbour.answer.text and "14 March" not in harbour.answer.text
    mill = ask_focused(core, REOPEN, Focus("mill-bridge", "pin"))
    assert "14 March" in mill.answer.text and "2 June" not in mill.answer.text
    painted = ask_focused(core, PAINTED, Focus("mill-bridge", "pin"))
    assert painted.elsewhere and painted.source == "harbour-bridge" and "Mara Olsen" in painted.answer.text
