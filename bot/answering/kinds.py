"""The kind of thing a question asks for, and whether a text holds one.

A date for "when", a number for "how many", a name for "who", a sum of money
for "how much did it cost": a sentence without one cannot be the answer. These
are rules of English question words, not of any article or question set; the
finer kinds of quantity the reader's confidence uses are in quantities.py.
"""

from __future__ import annotations

import re
from collections.abc import Set

from bot.answering.quantities import holds_quantity

KINDS = ("money", "speed", "number", "date", "person", "place")  # and "other": no particular kind

_ASKS = [
    (
        "money",
        re.compile(
            r"\b(cost|costs|price|priced|spend|spent|paid|salary|salaries|wages?|earn|earns|budget|fee|fees)\b",
            re.I,
        ),
    ),
    ("speed", re.compile(r"\bhow fast\b|\b(speed|velocity)\b", re.I)),
    (
        "number",
        re.compile(
            r"\bhow (many|much|long|old|far|large|big|high|fast|often|heavy|tall|wide|deep)\b|\b(what|which) (percent|percentage|number|amount|fraction|proportion)\b",  # noqa: E501
            re.I,
        ),
    ),
    (
        "date",
        re.compile(
            r"\bwhen\b|\b(what|which) (year|years|century|decade|date|day|month|time|era|period)\b|\bhow long ago\b",  # noqa: E501
            re.I,
        ),
    ),
    (
        "person",
        re.compile(
            r"\bwho\b|\bwhom\b|\bwhose\b|\b(what|which) (person|people|man|woman|king|leader|group|scientist|astronaut)\b",  # noqa: E501
            re.I,
        ),
    ),
    (
        "place",
        re.compile(
            r"\bwhere\b|\b(what|which) (country|countries|city|cities|place|region|state|continent|location|area|island|river)\b",  # noqa: E501
            re.I,
        ),
    ),
]
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|trillion|dozen|half|quarter|percent)\b",
    re.I,
)
_DATE = re.compile(
    r"\b(1\d{3}|20\d{2})s?\b|\b\d{1,2}(st|nd|rd|th)\b|\bcentur(y|ies)\b|\bdecades?\b|\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d|\b(January|February|March|April|June|July|August|September|October|November|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|tomorrow|last (year|month|week))\b|\b(BC|AD|BCE|CE)\b",  # noqa: E501
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:[\s-][A-Z][a-z]+)*")
_SPEED = re.compile(
    r"\d[\d,.]*\s?(mph|km/h|kph|m/s|knots?|(miles?|kilomet(er|re)s?|met(er|re)s?|feet) (an|per|a) "
    r"(hour|second|minute))\b|\bmach \d",
    re.I,
)
# Kinds whose answer must be a quantity: a sentence without one cannot answer.
QUANTITY_KINDS = ("money", "speed", "number")


def asks_for(question: str) -> str:
    """The kind of thing `question` asks for: one of KINDS, or "other"."""
    for kind, pattern in _ASKS:
        if pattern.search(question):
            return kind
    return "other"


def holds_kind(kind: str, text: str, question_words: Set[str]) -> bool:
    """Whether `text` holds something of `kind` (see asks_for) that the question does not
    already name; `question_words` are the question's lower-cased words. Always True
    for "other"."""
    if kind == "money":  # in any currency (quantities.py), or millions of something
        return holds_quantity("money", text)
    if kind == "speed":
        return bool(_SPEED.search(text))
    if kind == "number":
        return any(m.group(0).lower() not in question_words for m in _NUMBER.finditer(text))
    if kind == "date":
        return any(m.group(0).lower() not in question_words for m in _DATE.finditer(text))
    if kind in ("person", "place"):
        for match in _NAME.finditer(text):
            words = {w.lower() for w in re.split(r"[\s-]", match.group(0))}
            if not words <= question_words:
                return True
        return False
    return True
