"""A channel's article: questions asked there are answered from it first.

Operators pin an article to a channel (`PinStore`, table `pins` of the operators'
database). A question asked in a pinned channel, or in a thread that follows up
on an answer, has a focus (`Focus`): the core is asked with that article alone,
and only when it abstains is the question put to every article (`ask_focused`; a
follow-up only when another article holds more of its words); the front end then
says that the answer comes from another article.

Several processes (shards) may share one database: each keeps what it read of a
channel's pin for `PIN_CACHE_SECONDS`, so a pin or unpin made in another process
is seen within that long; one made in this process is seen at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bot.db import schema
from bot.db.database import Database, utcnow
from bot.engine import ArticleQA, follow_up_context
from bot.models import Answer

log = logging.getLogger(__name__)

PIN_CACHE_SECONDS = 5.0  # how long a process trusts what it read of a channel's pin
PIN_CACHE_SIZE = 10_000  # channels whose pin (or absence of one) is remembered


@dataclass(frozen=True)
class Pin:
    """The article pinned to a channel; `pinned_by`: the operator's user hash (or None)."""

    channel_id: int
    article: str
    pinned_at: datetime
    guild_id: int | None = None
    pinned_by: str | None = None


class PinStore:
    """The pins of one `Database`; thread-safe.

    `cache_seconds`: how long `pinned` trusts a channel's pin read earlier (0: always
    read). `clock` gives seconds (monotonic). Methods that read or write the
    database raise StorageError when it fails.
    """

    def __init__(
        self,
        db: Database,
        cache_seconds: float = PIN_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._cache: OrderedDict[int, tuple[float, str | None]] = OrderedDict()

    def pin(
        self, channel_id: int, article: str, guild_id: int | None = None, user_id: int | None = None
    ) -> Pin | None:
        """Pin `article` (an article id) to the channel, replacing its pin if it had one;
        returns the pin replaced (None if there was none). `user_id` is stored hashed.

        The caller checks that the article exists (the store does not know the index).
        """
        pins = schema.pins
        values = {
            "guild_id": None if guild_id is None else str(guild_id),
            "article": article,
            "pinned_at": utcnow(),
            "pinned_by": None if user_id is None else self.db.user_hash(user_id),
        }
        insert = sqlite.insert if self.db.dialect == "sqlite" else postgresql.insert
        statement = insert(pins).values(channel_id=str(channel_id), **values)
        statement = statement.on_conflict_do_update(index_elements=[pins.c.channel_id], set_=values)
        with self.db.begin() as connection:
            before = self._read(connection, channel_id)
            connection.execute(statement)  # one statement: two operators pinning at once cannot clash
        self._remember(channel_id, article)
        return before

    def unpin(self, channel_id: int) -> Pin | None:
        """Take the channel's pin away; returns it (None when the channel had none)."""
        with self.db.begin() as connection:
            before = self._read(connection, channel_id)
            connection.execute(sa.delete(schema.pins).where(schema.pins.c.channel_id == str(channel_id)))
        self._remember(channel_id, None)
        return before

    def get(self, channel_id: int) -> Pin | None:
        """The channel's pin as stored now (not cached), or None."""
        with self.db.begin() as connection:
            found = self._read(connection, channel_id)
        self._remember(channel_id, found.article if found is not None else None)
        return found

    def pinned(self, channel_id: int) -> str | None:
        """The id of the article pinned to the channel, or None; read from the database at
        most once every `cache_seconds` per channel."""
        with self._lock:
            cached = self._cache.get(channel_id)
        if cached is not None and self.clock() - cached[0] < self.cache_seconds:
            return cached[1]
        found = self.get(channel_id)
        return found.article if found is not None else None

    def count(self) -> int:
        """How many channels have a pin."""
        with self.db.begin() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(schema.pins)).scalar_one())

    def _remember(self, channel_id: int, article: str | None) -> None:
        with self._lock:
            self._cache[channel_id] = (self.clock(), article)
            self._cache.move_to_end(channel_id)
            while len(self._cache) > PIN_CACHE_SIZE:
                self._cache.popitem(last=False)

    @staticmethod
    def _read(connection: sa.Connection, channel_id: int) -> Pin | None:
        pins = schema.pins
        row = connection.execute(sa.select(pins).where(pins.c.channel_id == str(channel_id))).first()
        if row is None:
            return None
        return Pin(
            channel_id=int(row.channel_id),
            article=row.article,
            pinned_at=row.pinned_at,
            guild_id=int(row.guild_id) if row.guild_id is not None else None,
            pinned_by=row.pinned_by,
        )


# ---- answering with a focus ------------------------------------------------------------


@dataclass(frozen=True)
class Focus:
    """The article a question is put to first, and why: "named" (the asker named it:
    only that article is asked), "pin" (the channel's pinned article), "follow-up" (the
    article of the answer the question follows up on: a reply, a thread) or
    "conversation" (the article of the answer to the asker's question before, which the
    next question may or may not be about; see next_question_focus)."""

    article: str
    reason: Literal["named", "pin", "follow-up", "conversation"]


@dataclass(frozen=True)
class FocusedAnswer:
    """What `ask_focused` found.

    `focus`: as given. `source`: the article the answer came from (its first
    citation's, or the focus article when the answer abstained on it; None for an
    abstention on all articles). `elsewhere`: the focus article did not answer and
    another article did (`answer` is that one's). `missing`: the focus named an
    article that is no longer indexed, so the question went to all articles.
    """

    answer: Answer
    focus: Focus | None
    source: str | None
    elsewhere: bool = False
    missing: bool = False

    @property
    def asked(self) -> str | None:
        """The article the question was put to first (None: all articles)."""
        return None if self.focus is None or self.missing else self.focus.article


def answer_source(answer: Answer, asked: str | None) -> str | None:
    """The article an answer came from: `asked` when the question was put to one
    article, else the first citation's article, or for an abstention the article it
    names (Answer.about; None for an abstention on all articles). None for a list of
    several articles' metadata ("who wrote this" asked first: metadata.metadata_overview),
    which settles on none of them."""
    if asked is not None:
        return asked
    if answer.abstained:
        return answer.about
    articles = {c.article for c in answer.citations}
    if len(articles) > 1 and all(c.metadata for c in answer.citations):
        return None
    return answer.citations[0].article if answer.citations else None


def reply_focus(asked: str | None, source: str | None) -> Focus | None:
    """The focus of a reply to an answer: the article the asker named (`asked`, alone),
    else the article the answer came from (`source`, see answer_source; when it does not
    say, ask_focused says when other articles are asked), else none."""
    if asked is not None:
        return Focus(asked, "named")
    return Focus(source, "follow-up") if source is not None else None


def next_question_focus(pinned: Focus | None, earlier: Answer, earlier_article: str | None) -> Focus | None:
    """The focus of a person's next question in a channel, one that may or may not follow
    up on their question before (`earlier`, the bot's answer to it, from `earlier_article`):
    the channel's pin when it has one, else the article that answer came from, unless it
    abstained (then the question is put to all articles, as when asked alone). ask_focused
    also puts it to all articles when another article holds more of its words
    (ArticleQA.holds_most_of: "and the landslide?" after a question about a flood).

    People ask about one story several questions in a row ("how many died", "when did it
    start"), each naming it no more than the first did. Measured with `eval --conversation`
    on calibration questions only (24 news articles of datasets/news-train-zf … -zi as one
    corpus, 1,219 questions in the files' order): overall 0.655 -> 0.674, first sentence of
    the answerable 0.615 -> 0.643, the unanswerable abstained on 0.710 both ways;
    datasets/news-calib-a and -b 0.762 -> 0.769 and 0.713 -> 0.720. The same 1,219 questions
    shuffled, so that nearly every question is about another story than the one before:
    0.628 -> 0.617, as the article before answered some questions about another one. With
    the words check (holds_most_of): in order 0.668, shuffled 0.628, as without a focus;
    p50 475 -> 669 ms in order (a question the focus does not answer is read again over
    all articles).
    """
    if pinned is not None:
        return pinned
    if earlier.abstained or earlier_article is None:
        return None
    return Focus(earlier_article, "conversation")


@dataclass(frozen=True)
class Earlier:
    """A question asked before and the bot's answer to it, which a later question may follow
    up on. `article`: the article that answer came from (FocusedAnswer.source: the one it
    was put to, else its first citation's; None for an abstention on all articles)."""

    question: str
    answer: Answer
    article: str | None = None

    @classmethod
    def of(cls, question: str, focused: FocusedAnswer) -> Earlier:
        """`question` and what ask_focused (or ask_next) answered it with."""
        return cls(question, focused.answer, focused.source)

    @property
    def context(self) -> str:
        """What a later question is read with (engine.follow_up_context)."""
        return follow_up_context(self.question, self.answer)


def ask_next(
    core: ArticleQA, question: str, earlier: Earlier | None, pinned: Focus | None = None
) -> FocusedAnswer:
    """Answer a person's next question in a channel (Discord, the terminal chat, `eval
    --conversation`): one that may or may not follow up on their question before.

    With `earlier` (that question and its answer; None when there is none or it is too
    old), `question` is read both alone and with it, the more confident reading kept
    (ArticleQA.ask's `context_optional`), and put first to the focus next_question_focus
    gives: `pinned` (the channel's pin or a named article), else the article of the answer
    before. Without it, `question` is put to `pinned` first, else to all articles.
    Raises what ask_focused raises. Blocking: run it off the event loop.
    """
    if earlier is None:
        return ask_focused(core, question, pinned)
    focus = next_question_focus(pinned, earlier.answer, earlier.article)
    return ask_focused(core, question, focus, earlier.context, True, earlier.article)


def ask_follow_up(
    core: ArticleQA, question: str, earlier: Earlier, asked: str | None = None
) -> FocusedAnswer:
    """Answer `question` as surely following up on `earlier` (a reply to its answer, `ask
    --previous`, a follow-up row of `eval`): read with it, and put to `asked` alone when
    given (the asker named an article), else first to the article of the answer before
    (reply_focus), and to all articles only when another holds more of its words (see
    ask_focused). Raises what ask_focused raises. Blocking: run it off the event loop.
    """
    focus = reply_focus(asked, earlier.article)
    return ask_focused(core, question, focus, earlier.context, False, earlier.article)


def ask_focused(
    core: ArticleQA,
    question: str,
    focus: Focus | None,
    context: str = "",
    context_optional: bool = False,
    context_article: str | None = None,
) -> FocusedAnswer:
    """Answer `question` from the focus article first, then, when it abstains, from all.

    The answer of all articles is kept only when it answers; otherwise the focus
    article's abstention is returned. A "follow-up" focus (a reply to an answer) that
    abstains is asked of all articles only when another one holds more of the
    question's words (ArticleQA.holds_most_of): a follow-up that names no other story
    is about the answer it follows, and an answer from another article answers
    another question. Measured with `eval` on the follow-up rows of the calibration
    sets (news-calib-a, -b and datasets/news-train-zf … -zi as one corpus, 171
    questions): no answerable one lost, one more unanswerable abstained on (of
    37); every follow-up answered from another article before was wrong. A reply to an
    abstention of the focus article (a thread about it) stays with it the same way.
    A "named" focus is asked alone. Any other focus on an article no longer in the index
    is ignored (`missing`), and a "conversation" focus on one that holds less of the
    question's words than another article is dropped (the FocusedAnswer has no focus).
    `context`, `context_optional` and `context_article` go to `ArticleQA.ask`, which raises what it
    raises (QuestionError for a bad question, or a named article not indexed).
    Blocking: run it off the event loop.
    """

    def ask(article: str | None, again: bool = False) -> Answer:
        return core.ask(
            question, article, context, context_optional, again=again, context_article=context_article
        )

    if focus is not None and focus.reason == "named":
        return FocusedAnswer(ask(focus.article), focus, focus.article)
    if focus is not None and core.snapshot.article(focus.article) is None:
        log.info("the %s article %r is no longer indexed; asking all articles", focus.reason, focus.article)
        answer = ask(None)
        return FocusedAnswer(answer, focus, answer_source(answer, None), missing=True)
    if focus is None or (focus.reason == "conversation" and not core.holds_most_of(question, focus.article)):
        # A next question that another article holds more of the words of is about that one.
        answer = ask(None)
        return FocusedAnswer(answer, None, answer_source(answer, None))
    first = ask(focus.article)
    if not first.abstained or len(core.snapshot.articles) < 2:
        return FocusedAnswer(first, focus, focus.article)
    if focus.reason == "follow-up" and core.holds_most_of(question, focus.article):
        # "what did he say" after an answer naming a union official: another article's quote
        # would answer someone else. Only a follow-up with more of its words in another
        # article ("and the landslide?") is about that one.
        return FocusedAnswer(first, focus, focus.article)
    wider = ask(None, again=True)
    source = answer_source(wider, None)
    if wider.abstained or source is None:
        return FocusedAnswer(first, focus, focus.article)
    return FocusedAnswer(wider, focus, source, elsewhere=source != focus.article)
