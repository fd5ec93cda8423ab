"""Questions about an article itself: when it was published, who wrote it, where, its link.

Such questions are answered from the article's metadata (front matter or the
HTML page's own tags), with a citation that names the field, or abstained on
when the article does not carry it. They are recognised by English phrasing
("who wrote this", "when was the story published", "what outlet", "link?").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.answering.compose import cite
from bot.answering.kinds import holds_kind
from bot.models import Answer, ArticleRecord, Citation, ShortAnswer

if TYPE_CHECKING:
    from symspellpy import SymSpell

_REFERENCE = r"(?:this|that|it|(?:the|this|that) (?:[\w'-]+ ){0,3}?(?:article|story|piece|post|news))"

_PLEASE = r"\W*(?:pls|plz|please)?\W*$"

_FIELDS = [
    (
        "url",
        re.compile(
            r"^\W*(?:(?:what(?:'s| is| was)?|whats|wats|got|give me|send|share|post|drop|"
            r"can i (?:get|have))\s+)?"
            r"(?:(?:the|a|an|ur|your)\s+)?(?:source\s+)?(?:link|url|web ?address|permalink)s?" + _PLEASE + "|"
            r"\b(?:link|url|web ?address|permalink)s?\s+(?:to|for|of)\s+" + _REFERENCE + r"\b|"
            r"\bwhere (?:can i|do i|could i) (?:read|find) " + _REFERENCE + r"\b",
            re.I,
        ),
    ),
    (
        "author",
        re.compile(
            r"\bwho (?:wrote|writes|authored|penned|reported)\s+" + _REFERENCE + r"\b|"
            r"\b(?:author|byline|writer|reporter|journalist)\s+of\s+" + _REFERENCE + r"\b|"
            r"\bwho(?:'s|s| is| was)? the (?:author|writer|reporter|journalist)(?: (?:on|of|for) "
            + _REFERENCE
            + r")?\s*\??$|\bby ?line\b|^\W*(?:author|writer|reporter)"
            + _PLEASE
            + "|"
            r"\bwho (?:wrote|writes)\s*\??$",
            re.I,
        ),
    ),
    (
        "date",
        re.compile(
            r"\bwhen (?:was|is|did|were) " + _REFERENCE + r"\s+(?:\w+\s+)?(?:published|posted|written|"
            r"released|put out|dated|come out|out|updated)\b|"
            r"\b(?:publication|publish|published|posting|release) (?:date|day|time)\b|"
            r"\bwhat (?:date|day) (?:is|was) " + _REFERENCE + r"\s*(?:from|published|posted|dated)?\s*\??$|"
            r"\bhow (?:old|recent|new) is " + _REFERENCE + r"\s*\??$|\bdate of " + _REFERENCE + r"\b|"
            r"^\W*(?:date|published|pub(?:lication|lish)? date)" + _PLEASE + r"|\bpublished when\b|"
            r"\bwhat(?:'s|s| is)? the date (?:on|of) " + _REFERENCE + r"\b",
            re.I,
        ),
    ),
    (
        "source",
        re.compile(
            r"\b(?:what|which|wat|wich) (?:news ?)?(?:outlet|publication|newspaper|paper|site|website|agency|"
            r"source|magazine|media|channel)\b(?:\s+(?:is|was) (?:this|it|that)\b|\s*\??$|"
            r"\s+(?:published|ran|posted|reported|wrote|printed|carried) " + _REFERENCE + r"\b|"
            r"\s+(?:is|was) " + _REFERENCE + r"\s+(?:from|in|published|on)\b)|"
            r"\bwhere(?:'s|s| is| was| did) " + _REFERENCE + r"\s+(?:from|published|run|appear)\b|"
            r"^\W*(?:source|outlet)" + _PLEASE + "|"
            r"\bwho (?:published|publishes|ran|printed|reported)\s+" + _REFERENCE + r"\b",
            re.I,
        ),
    ),
]

_FIELD_WORDS = re.compile(
    r"\b(?:who|whos|when|what|whats|wat|wats|which|wich|where|was|is|did|come|out|wrote|writes|written|"
    r"authored|author|byline|writer|reporter|reported|journalist|publish|published|posted|ran|publication|"
    r"date|day|outlet|newspaper|paper|news|agency|site|website|source|link|url|this|that|it|the|a|an|"
    r"article|story|piece|post|from|of|on|to|for|got|pls|plz|please)\b",
    re.I,
)

_DESCRIBE = {
    "date": "publication date",
    "author": "author",
    "source": "outlet",
    "url": "link",
}


# "According to which agency": whom the story quotes, not where it ran.
_ATTRIBUTION = re.compile(
    r"\b(?:acc(?:ording|\.)?|as per|per)\s+(?:to\s+)?(?:which|what|wat|wich|whom?)\b", re.I
)
# The article named as such ("this", "the story"), not by a pronoun that may mean something else.
_NAMED_ARTICLE = re.compile(r"\b(?:this|article|story|piece|post|news)\b", re.I)
_PRONOUN = re.compile(r"\b(?:it|that)\b", re.I)


# Chat spellings of the question words the patterns above are written with ("wat date was
# this published", "wen was it posted"), read as those words before matching.
_CHAT_SPELLINGS = {
    "wat": "what",
    "wut": "what",
    "wats": "whats",
    "wich": "which",
    "wen": "when",
    "whn": "when",
    "wher": "where",
    "hw": "how",
}
# The words of the patterns that a typo may hide ("when was this publishd", "whos the auther"),
# the one preferred first where a typo is one edit from two ("publishd": "published", "publish").
_FIELD_VOCABULARY = [
    "published",
    "posted",
    "written",
    "released",
    "updated",
    "publish",
    "publisher",
    "author",
    "authored",
    "writer",
    "reporter",
    "journalist",
    "byline",
    "outlet",
    "newspaper",
    "publication",
    "website",
    "source",
    "article",
    "story",
    "link",
    "date",
]


def metadata_field(question: str) -> str | None:
    """The metadata field a question asks for ("date", "author", "source", "url"), or None
    (also for a question about whom the story quotes: "according to which agency").

    Chat spellings of the question words ("wat", "wen") and a typo one edit from one of the
    patterns' words that is no English word ("publishd", "auther": see _respelled) are read
    as those words."""
    if _ATTRIBUTION.search(question):
        return None
    respelled = _respelled(question)
    for field, pattern in _FIELDS:
        if pattern.search(question) or pattern.search(respelled):
            return field
    return None


def _respelled(question: str) -> str:
    """`question` with chat spellings of question words and typos of the patterns' words
    (_FIELD_VOCABULARY) replaced by those words. A typo is a word of at least 5 letters
    that symspellpy's English frequency list (82,765 words) lacks and that is one edit from
    a field word; of two such, the one earlier in _FIELD_VOCABULARY."""

    def fix(match: re.Match[str]) -> str:
        word = match.group(0).lower()
        if word in _CHAT_SPELLINGS:
            return _CHAT_SPELLINGS[word]
        if len(word) < 5 or word in _english_words():
            return match.group(0)
        from symspellpy import Verbosity

        near = _field_speller().lookup(word, Verbosity.TOP, max_edit_distance=1)
        return near[0].term if near else match.group(0)

    return re.sub(r"[A-Za-z]+", fix, question)


@functools.cache
def _english_words() -> frozenset[str]:
    """The words of symspellpy's English frequency list (82,765, from Google Books)."""
    from importlib.resources import files

    text = (files("symspellpy") / "frequency_dictionary_en_82_765.txt").read_text(encoding="utf-8")
    return frozenset(line.split()[0] for line in text.splitlines() if line)


@functools.cache
def _field_speller() -> SymSpell:
    """symspellpy's look-up one edit away, over _FIELD_VOCABULARY."""
    from symspellpy import SymSpell

    speller = SymSpell(max_dictionary_edit_distance=1, prefix_length=7)
    for rank, word in enumerate(_FIELD_VOCABULARY):
        speller.create_dictionary_entry(word, len(_FIELD_VOCABULARY) - rank)  # earlier: more frequent
    return speller


_WEB_ADDRESS = re.compile(r"https?://\S|\bwww\.\S|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}/\S*", re.I)


def fits_field(field: str, answer: Answer) -> bool:
    """Whether the exact answer of `answer` (one taken from an article's text) could be the
    value of metadata `field`: a web address for "url", a date for "date" (kinds.py);
    any answer for "author" and "source", whose values are names. False without one."""
    if answer.short is None:
        return False
    text = answer.short.text
    if field == "url":
        return bool(_WEB_ADDRESS.search(text))
    if field == "date":
        return holds_kind("date", text, set())
    return True


def refers_by_pronoun(question: str) -> bool:
    """Whether a question about an article's metadata names the article only by "it" or "that"
    ("when was it published"), which after another question may mean what that one was about."""
    return bool(_PRONOUN.search(question)) and not _NAMED_ARTICLE.search(question)


def strip_metadata_words(question: str) -> str:
    """What is left of a metadata question when its question and field words go:
    the topic that says which article is meant ("who wrote the panda story" -> "panda")."""
    left = _FIELD_WORDS.sub(" ", _respelled(question)).replace("?", " ").split()
    return " ".join(w for w in left if sum(ch.isalnum() for ch in w) >= 2)  # not the "'s" of "who's"


def metadata_answer(question: str, field: str, record: ArticleRecord) -> Answer:
    """The answer to a metadata question about `record`: its value, cited, or an abstention
    that names the article (in a corpus of several, the one the question was taken to mean)."""
    value = str(getattr(record, field, "") or "").strip()
    label = _DESCRIBE[field]
    if not value:
        named = f" \u201c{record.title}\u201d" if record.title else ""
        return Answer(question, f"The article{named} does not give its {label}.", True, 0.0, about=record.id)
    citation = cite(1, record, 0, 0, 0, f"{label}: {value}", 1.0, metadata=field)
    short = ShortAnswer(value, record.id, 0, 0, field)
    return Answer(
        question, f"{value} \u2014 the article's {label} [1]", False, 1.0, (citation,), (), {}, short
    )


# How many articles a question about "this" article lists when nothing tells which is meant.
OVERVIEW_ARTICLES = 5
# The list settles on no article: a reading with the conversation that settles on one (a
# metadata answer, 1.0) is kept over it, and it is kept over an abstention (0.0; see
# ArticleQA.ask's `context_optional`).
OVERVIEW_CONFIDENCE = 0.5
_PLURAL = {"date": "Publication dates", "author": "Authors", "source": "Outlets", "url": "Links"}


def metadata_overview(question: str, field: str, records: Sequence[ArticleRecord]) -> Answer:
    """The answer to a metadata question about "this" article asked of several articles with
    nothing to tell which ("who wrote this" with no earlier answer): the field of the first
    OVERVIEW_ARTICLES of `records` that carry it (give them newest first), each value cited,
    then how many more carry it, and the articles without it (named when two at most, else
    counted). No short answer: none of the values is the one answer, and the confidence is
    OVERVIEW_CONFIDENCE. An abstention that
    says so when no article carries the field. Raises ValueError when `records` is empty."""
    if not records:
        raise ValueError("no articles to describe")
    label = _DESCRIBE[field]
    carrying = [(r, str(getattr(r, field, "") or "").strip()) for r in records]
    without = [r for r, value in carrying if not value]
    carrying = [(r, value) for r, value in carrying if value]
    if not carrying:
        return Answer(question, f"The articles do not give their {_PLURAL[field].lower()}.", True, 0.0)
    parts: list[str] = []
    citations: list[Citation] = []
    for n, (record, value) in enumerate(carrying[:OVERVIEW_ARTICLES], 1):
        citations.append(cite(n, record, 0, 0, 0, f"{label}: {value}", 1.0, metadata=field))
        parts.append(f"\u201c{record.title or record.id}\u201d, {value} [{n}]")
    text = f"Which article? {_PLURAL[field]}, newest first: {'; '.join(parts)}."
    if len(carrying) > OVERVIEW_ARTICLES:
        text += f" {len(carrying) - OVERVIEW_ARTICLES} more: name the article to ask of it."
    if len(without) <= 2:
        names = " and ".join(f"\u201c{r.title or r.id}\u201d" for r in without)
        text += f" {names} {'gives' if len(without) == 1 else 'give'} none." if without else ""
    else:
        text += f" {len(without)} others give none."
    return Answer(question, text, False, OVERVIEW_CONFIDENCE, tuple(citations))
