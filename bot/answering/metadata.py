"""Questions about an article itself: when it was published, who wrote it, where, its link.

Such questions are answered from the article's metadata (front matter or the
HTML page's own tags), with a citation that names the field, or abstained on
when the article does not carry it. They are recognised by English phrasing
("who wrote this", "when was the story published", "what outlet", "link?").
"""

from __future__ import annotations

import re

from bot.answering.compose import cite
from bot.answering.kinds import holds_kind
from bot.models import Answer, ArticleRecord, ShortAnswer

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


def metadata_field(question: str) -> str | None:
    """The metadata field a question asks for ("date", "author", "source", "url"), or None
    (also for a question about whom the story quotes: "according to which agency")."""
    if _ATTRIBUTION.search(question):
        return None
    for field, pattern in _FIELDS:
        if pattern.search(question):
            return field
    return None


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
    left = _FIELD_WORDS.sub(" ", question).replace("?", " ").split()
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
