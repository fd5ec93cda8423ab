"""Questions about quantities, and whether a text holds a quantity of the kind asked.

"How long" wants a duration (or a length), "how old" an age, "how far" a
distance, "how heavy" a weight, "how much did it cost" a sum of money: a
sentence that holds only some other number does not answer. These are rules of
English units and question words, not of any article or question set.
"""

from __future__ import annotations

import itertools
import re
from functools import cache

from bot.retrieval import STOPWORDS, english_stemmer

_NUM = (
    r"(?:\d[\d,.]*|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"fifteen|twenty|thirty|forty|fifty|sixty|hundred|several|few|many|half|a dozen|dozens of)"
)
_SEP = r"[\s-]*"


def _units(units: str, not_before: str = "") -> re.Pattern[str]:
    """A number followed by one of `units` (with a space or hyphen between), and not by
    `not_before` (a pattern) when given."""
    after = f"(?!{not_before})" if not_before else ""
    return re.compile(
        rf"\b{_NUM}(?:{_SEP}(?:and a half|million|billion|thousand|hundred))?{_SEP}(?:{units})\b{after}", re.I
    )


_DURATION = _units(
    r"seconds?|minutes?|mins?|hours?|hrs?|days?|nights?|weeks?|months?|years?|decades?|centur(?:y|ies)"
)
_DURATION_WORDS = re.compile(r"\b(overnight|all day|all night|fortnight)\b", re.I)
# A length, but not the length in a speed: "4.5 kilometres per hour" says how fast, not how
# far or how long.
_LENGTH = _units(
    r"(?:kilo|centi|milli)?met(?:er|re)s?|km|cm|mm|m|miles?|feet|foot|ft|inch(?:es)?|yards?|"
    r"light[\s-]years?|nautical miles?",
    not_before=r"\s*(?:/|per\b|an?\b|each\b)\s*(?:h|hr|hour|s|sec|second|minute|min)\b",
)
# An age, of a person ("41", "aged 41", "a 19-year-old") or of a thing ("800 years old", "72
# million years old", a fossil of "about 72 million years ago"; not "two years ago", which
# dates an event in a person's life).
_AGE = re.compile(
    rf"\b{_NUM}{_SEP}(?:(?:million|billion|thousand){_SEP})?years?{_SEP}old\b|"
    rf"\b{_NUM}{_SEP}(?:million|billion|thousand){_SEP}years?{_SEP}ago\b|"
    r"\baged?\s+\d{1,3}\b|\bage of \d{1,3}\b|"
    r"\b\d{1,3}-year-old\b|,\s\d{1,3},|\bin (?:his|her|their) (?:teens|twenties|thirties|forties|fifties|"
    r"sixties|seventies|eighties|nineties|\d0s)\b|\b(?:teenager|toddler|infant|newborn)\b",
    re.I,
)
_WEIGHT = _units(r"(?:metric )?tons?|tonnes?|(?:kilo)?grams?|kg|g|pounds?|lbs?|ounces?|oz")


@cache
def _money() -> re.Pattern[str]:
    """A sum of money: a currency sign or code, or a number (of millions…) followed by the last
    word of a currency's English name, singular or plural, per Babel ("dollars", "baht",
    "kroner", "zlotys", "tugriks", "rupiah", "pounds"). Built on first use (Babel's data)."""
    from babel.numbers import get_currency_name, list_currencies

    words = {
        get_currency_name(code, count=count, locale="en").split()[-1].lower()
        for code in list_currencies()
        for count in (1, 2)
    }
    words = {w for w in words if w.isalpha()} - _NOT_CURRENCIES - _CURRENCIES_AFTER_MILLIONS
    named = "|".join(sorted(words, key=lambda w: (-len(w), w)))
    after_millions = "|".join(sorted(_CURRENCIES_AFTER_MILLIONS))
    return re.compile(
        r"[$€£¥₹]\s?\d|\b(?:USD|EUR|GBP|US\$|A\$|C\$)\s?\d|"
        r"\b\d[\d,.]*\s?(?:(?:million|billion|trillion|thousand|bn|m)\s)?"
        rf"(?:{named}|pounds sterling|cents?|USD|EUR|GBP)\b|"
        rf"\b\d[\d,.]*\s?(?:million|billion|trillion|bn)\s(?:{after_millions})\b|"
        r"\bfree of charge\b|\bfor free\b",
        re.I,
    )


# Last words of Babel's currency names that are no money in news: metals, accounting units,
# school marks ("10 marks out of 10").
_NOT_CURRENCIES = frozenset(
    {
        "account",
        "gold",
        "silver",
        "palladium",
        "platinum",
        "rights",
        "unit",
        "units",
        "value",
        "mark",
        "marks",
    }
)
# Currency names that are also English words after a number ("in 2019 won the cup", "the 2
# real problems", "on sol 15"): money only after millions ("284 billion won").
_CURRENCIES_AFTER_MILLIONS = frozenset({"won", "real", "sol"})
_SPEED = re.compile(
    r"\d[\d,.]*\s?(?:mph|km/h|kph|m/s|knots?)\b|\d[\d,.]*\s(?:miles?|kilomet(?:er|re)s?|met(?:er|re)s?|feet)"
    r"\s(?:an|per|a)\s(?:hour|second|minute)\b|\bmach \d",
    re.I,
)
_TEMPERATURE = re.compile(r"\d\s?°|\b\d[\d,.]*\s?degrees?\b", re.I)
_PERCENT = re.compile(r"\d\s?%|\b\d[\d,.]*\s?(?:percent|per cent)\b|\b(?:half|a third|a quarter)\b", re.I)
_AREA = _units(
    r"square (?:kilomet(?:er|re)s?|miles?|met(?:er|re)s?|feet)|sq\.? ?(?:km|mi|m|ft)|hectares?|acres?|km2"
)
_COUNT = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds?|"
    r"thousands?|millions?|billions?|dozens?|both|no|none|several|single|a pair|a couple|twice|once)\b",
    re.I,
)

# (kind, question pattern) in the order they are tried.
_ASKED = [
    ("age", re.compile(r"\bhow old\b|\bwhat age\b|\bat what age\b|\bhow young\b", re.I)),
    (
        "money",
        re.compile(
            r"\bhow much (?:did|does|do|will|would|is|was|are|were)?\s?(?:\w+\s){0,5}?"
            r"(?:cost|costs|pay|paid|charge|charged|earn|earns|earned|spend|spent|raise|raised|worth|fine|fined|"
            r"sell for|sold for|owe|owed|make|makes|made)\b|"
            r"\bhow much money\b|\bwhat (?:did|does|will) (?:\w+\s){0,4}?(?:cost|pay)\b|"
            r"\bwhat(?:'s| is| was)? the "
            r"(?:cost|price|budget|salary|fine|fee|bill|bail|reward|ransom|value)\b|\bcost of\b|\bprice of\b",
            re.I,
        ),
    ),
    (
        "speed",
        re.compile(r"\bhow fast\b|\bhow quickly\b|\bwhat speed\b|\bat what speed\b|\bspeed of\b", re.I),
    ),
    ("temperature", re.compile(r"\bhow (?:hot|cold|warm)\b|\bwhat temperature\b", re.I)),
    (
        "weight",
        re.compile(
            r"\bhow heavy\b|\bhow much (?:\w+\s){0,4}?weigh|\bweight of\b|\bwhat(?:'s| is| was)? "
            r"the weight\b",
            re.I,
        ),
    ),
    (
        "area",
        re.compile(r"\bhow (?:big|large) an area\b|\bhow many (?:acres|hectares|square)\b|\barea of\b", re.I),
    ),
    (
        "percent",
        re.compile(r"\bwhat (?:percent|percentage|share|proportion|fraction)\b|\bhow many percent\b", re.I),
    ),
    (
        "distance",
        re.compile(
            r"\bhow (?:far|tall|high|deep|wide|close|long a (?:way|distance|drive|walk))\b|"
            r"\bwhat distance\b|\bhow many (?:miles|kilomet(?:er|re)s|km|meters|metres|feet)\b",
            re.I,
        ),
    ),
    (
        "duration",
        re.compile(
            r"\bhow long\b|\bhow much time\b|"
            r"\bhow many (?:years|months|weeks|days|hours|minutes|seconds|decades)\b|"
            r"\bfor how long\b|\bwhat (?:duration|period)\b",
            re.I,
        ),
    ),
    # "how much is the fare", "how much r tickets", "how much was the cut": a sum of money, a
    # share or a measure, not a count; not a change ("by how much was the day lengthened").
    ("amount", re.compile(r"(?<!\bby )\bhow much(?:['’]s|\s+(?:is|are|r|was|were|s))\b", re.I)),
    ("count", re.compile(r"\bhow many\b|\bhow much\b|\bwhat number\b|\bnumber of\b", re.I)),
]

_MILLIONS = re.compile(r"\b\d[\d,.]*\s?(?:million|billion|trillion|bn|m)\b", re.I)
_HOLDS = {
    "age": (_AGE,),
    "money": (_MILLIONS,),  # and _money()
    # and _money(): a sum of money, a share, or a measure ("how much was the snowfall").
    "amount": (_MILLIONS, _PERCENT, _WEIGHT, _LENGTH, _AREA, _DURATION, _TEMPERATURE),
    "speed": (_SPEED,),
    "temperature": (_TEMPERATURE,),
    "weight": (_WEIGHT,),
    "area": (_AREA,),
    "percent": (_PERCENT,),
    "distance": (_LENGTH,),
    # "How long" asks for a duration, or for a length ("how long is the arm"). The tense does
    # not tell them apart: of the answerable "how long was / were" questions of datasets/ and
    # the SQuAD sample, 66 ask for a time and 16 for a length ("how long was the boat").
    "duration": (_DURATION, _DURATION_WORDS, _LENGTH),
    "count": (_COUNT,),
}


def _patterns(kind: str) -> tuple[re.Pattern[str], ...]:
    """The patterns of a quantity of `kind`; none for an unknown kind."""
    held = _HOLDS.get(kind, ())
    return (_money(), *held) if kind in ("money", "amount") else held


def asked_quantity(question: str) -> str | None:
    """The kind of quantity `question` asks for ("duration", "age", "distance", "weight",
    "money", "amount" (money, a share or a measure), "speed", "temperature", "area", "percent",
    "count"), or None."""
    for kind, pattern in _ASKED:
        if pattern.search(question):
            return kind
    return None


def holds_quantity(kind: str, text: str) -> bool:
    """Whether `text` holds a quantity of `kind` (see asked_quantity)."""
    return any(p.search(text) for p in _patterns(kind))


def quantity_spans(kind: str, text: str) -> list[tuple[int, int]]:
    """The quantities of `kind` in `text`, as (start, end) character offsets in it, in
    the order of the kind's patterns. Read in the whole sentence, so "4.5 kilometres" of
    "4.5 kilometres per hour" is no distance, though the same words alone would be."""
    return [m.span() for p in _patterns(kind) for m in p.finditer(text)]


_NUMBERED = re.compile(r"(?<![\w.,])(\d[\d,.]*\d)(?![\w])|[^\W\d_]+(-\d[^\W_]*)", re.I)
_YEAR = re.compile(r"1[89]\d\d|20\d\d")


def _digits_plain(text: str) -> str:
    return re.sub(r"(?<=\d),(?=\d)", "", text.lower())


def unknown_numbers(question: str, *article: str) -> list[str]:
    """The numbers of two digits or more ("0.5", "10,000"; not years) and the numbers of
    numbered names ("Shenzhou-14", "R-2626") in `question` that the `article` texts (its
    title, its body) never write (case and thousands separators aside; a numbered name
    counts as written when its "-14" is, so a misspelt name is no unknown one). A question
    about a mission or an amount the article never mentions asks about something else."""
    asked = [m for m in _NUMBERED.finditer(question) if not (m.group(1) and _YEAR.fullmatch(m.group(1)))]
    if not asked:  # most questions: the article is not read at all
        return []
    text = _digits_plain("\n".join(article))
    found = []
    for match in asked:
        number, suffix = match.group(1), match.group(2)
        if number is not None:
            wanted = rf"(?<![\d.]){re.escape(_digits_plain(number))}(?![\d]|[.,]\d)"
        else:  # years are left out above: news often leaves the year out ("on Nov. 7")
            wanted = rf"{re.escape(_digits_plain(suffix))}(?!\w)"
        if not re.search(wanted, text):
            found.append(match.group(0))
    return found


# Ordinal words by the place they name; "initial" is a first, "final" and "latest" a last.
_ORDINALS = {
    "first": "1", "initial": "1", "1st": "1", "second": "2", "2nd": "2", "third": "3", "3rd": "3",
    "fourth": "4", "4th": "4", "fifth": "5", "5th": "5", "sixth": "6", "6th": "6", "seventh": "7",
    "7th": "7", "eighth": "8", "8th": "8", "ninth": "9", "9th": "9", "tenth": "10", "10th": "10",
    "last": "last", "final": "last", "latest": "last",
}  # fmt: skip
_ORDINAL_WORDS = re.compile(r"[^\W_]+")
# "for the first time" and "the last time" say when, not which one of a series.
_NOT_A_SERIES = frozenset({"time", "times"})


def _ordinal_pairs(text: str) -> set[tuple[str, str]]:
    """(place, the word after it, stemmed) for each ordinal in `text`: "the final module" ->
    ("last", "modul")."""
    words = [w.lower() for w in _ORDINAL_WORDS.findall(text)]
    stem = english_stemmer().stemWord
    return {
        (_ORDINALS[a], stem(b))
        for a, b in itertools.pairwise(words)
        if a in _ORDINALS and b not in _NOT_A_SERIES
    }


def other_ordinal(question: str, text: str) -> bool:
    """Whether `question` asks for the n-th of something ("the final module", "the third
    round", "the second quarter") of which `text` names another only ("its first module",
    "a fourth round", "the third quarter"): a question about a member of a series that the
    text does not speak of (SQuAD 2.0's unanswerable questions swap ordinals so)."""
    asked = _ordinal_pairs(question)
    if not asked:
        return False
    held = _ordinal_pairs(text)
    return any(
        (place, noun) not in held and any(n == noun and p != place for p, n in held) for place, noun in asked
    )


_NUMBER = re.compile(r"(?<![\w.,])(\d[\d,.:/]*\d|\d)(?!\w)")  # "41", "10,000", "9/11", "5:30"
_LETTER_WORDS = re.compile(r"[^\W\d_]+")
_NUMBER_WORDS = {
    word: str(n)
    for n, word in enumerate((
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
    ))
}  # fmt: skip
_STOP = frozenset(STOPWORDS)  # a neighbour word that marks no place
# Before a number, these make it a bound, not a member of a series ("over 100 points" of
# "scored 112 points", "at least 50", "up to 5").
_BOUNDS = frozenset(
    {"over", "under", "than", "about", "above", "below", "beyond", "to", "least", "most", "around"}
    | {"nearly", "almost", "roughly", "approximately", "exceeding", "some"}
)


def _numbers_in_place(text: str, words: bool = False) -> list[tuple[str, str, str]]:
    """(number, the word before it, the word after it) for each number in `text` written in
    digits (and with `words`, as a word up to twenty), lower case, thousands separators aside:
    "the 43 cost" -> ("43", "the", "cost"), "Shenzhou-13 spaceship" -> ("13", "shenzhou",
    "spaceship")."""
    out = []
    for match in _NUMBER.finditer(text):
        before = _LETTER_WORDS.findall(text[: match.start()][-40:])
        after = _LETTER_WORDS.findall(text[match.end() :][:40])
        number = _digits_plain(match.group(1))
        out.append((number, before[-1].lower() if before else "", after[0].lower() if after else ""))
    if words:
        seen = [w.lower() for w in _LETTER_WORDS.findall(text)]
        for i, word in enumerate(seen):
            if word in _NUMBER_WORDS:
                out.append((_NUMBER_WORDS[word], seen[i - 1] if i else "", "".join(seen[i + 1 : i + 2])))
    return out


def other_number(question: str, text: str) -> bool:
    """Whether `question` names a number (a route, a year, a numbered name, an amount) that
    `text` never writes, in a place where `text` writes another: "each journey on the 41" of
    "each journey on the 43", "shenzhou-12" of "Shenzhou-13", "how many died in 2016" of "died
    in 2025". The question asks about another member of a series than the one the text speaks
    of (SQuAD 2.0's unanswerable questions swap numbers and dates so). The place is a
    neighbour word, the one before or the one after, that is no stop word ("journey on the 41
    cost": "cost"); a year is in the place of any other year the text writes ("let go in 2021"
    of "In November 2022 it let go of 290 workers"). A number after a bound ("over 100 points",
    "at least 50") asks for none in particular; numbers written as words up to twenty count as
    written ("the 3 astronauts" of "the three astronauts"), and so do a year's last two digits
    ("beat kasparov in 97" of "1997")."""
    asked = [a for a in _numbers_in_place(question) if a[1] not in _BOUNDS]
    if not asked:
        return False
    held = _numbers_in_place(text, words=True)
    written = {number for number, _, _ in held}
    written |= {number[2:] for number in written if _YEAR.fullmatch(number)}  # "in 97" of "1997"

    def same_place(number: str, before: str, after: str, other: str, b: str, a: str) -> bool:
        if _YEAR.fullmatch(number) and _YEAR.fullmatch(other):
            return True  # "let go in 2021" of "In November 2022 it let go of 290 workers"
        return (bool(before) and b == before and before not in _STOP) or (
            bool(after) and a == after and after not in _STOP
        )

    return any(
        number not in written and any(same_place(number, before, after, *h) for h in held)
        for number, before, after in asked
    )
