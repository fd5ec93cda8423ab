"""Unanswerable variants of answerable questions, made by changing the one word that matters.

SQuAD 2.0's writers made most of their unanswerable questions this way: a question the
paragraph answers, with a name, a number, an ordinal or a word like "woman" swapped for
one the paragraph never uses. The reader (tools/train_reader.py, --perturbed) learns from
these that the sentence which answered the original no longer answers: a neighbouring
fact is not the answer ("first Chinese man" against a sentence about the first Chinese
woman, "flown three times" against "flown twice").

A variant is kept only when the word put in occurs nowhere in the article (checked by
code, whole words, any case), so the article cannot answer it with some other sentence.
The word pairs below are general English (ordinals, gendered nouns, opposite
superlatives), not taken from any question set.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence

_ORDINALS = ("first", "second", "third", "fourth", "fifth", "last")
_OPPOSITES = (
    ("woman", "man"),
    ("women", "men"),
    ("female", "male"),
    ("girl", "boy"),
    ("mother", "father"),
    ("wife", "husband"),
    ("daughter", "son"),
    ("sister", "brother"),
    ("largest", "smallest"),
    ("biggest", "smallest"),
    ("highest", "lowest"),
    ("longest", "shortest"),
    ("most", "least"),
    ("oldest", "youngest"),
    ("earliest", "latest"),
    ("before", "after"),
    ("north", "south"),
    ("east", "west"),
)
_SWAPS: dict[str, tuple[str, ...]] = {o: tuple(x for x in _ORDINALS if x != o) for o in _ORDINALS}
for _a, _b in _OPPOSITES:
    _SWAPS.setdefault(_a, ()), _SWAPS.setdefault(_b, ())
    _SWAPS[_a] += (_b,)
    _SWAPS[_b] += (_a,)

_NUMBER = re.compile(r"(?<![\w.,])\d{1,3}(?:,\d{3})+(?![\w,]|\.\d)|(?<![\w.,])\d+(?![\w,]|\.\d)")
# A name: capitalised words, not at the start of a sentence (checked against the article).
_NAME = re.compile(r"\b[A-Z][a-z]+(?:[- ][A-Z][a-z]+)*\b")
# Capitalised words that are no names: question words, articles, months and days.
_NOT_NAMES = frozenset(
    re.findall(
        r"\w+",
        "what who whom whose which when where why how is are was were do does did can could will "
        "would the a an in on of to for and or if january february march april may june july august "
        "september october november december jan feb mar apr jun jul aug sep sept oct nov dec "
        "monday tuesday wednesday thursday friday saturday sunday",
    )
)


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]+", text)}


def article_names(article: str, parts: bool = True) -> set[str]:
    """The names of `article`: capitalised words and phrases that follow another word in
    their sentence (so not capitalised just for starting it) and, with `parts`, each word
    of them alone, but only words the article never writes in lower case ("Council" of
    "City Council" is not a name where the article speaks of "the council"). Months and
    days of the week are left out."""
    lower_words = set(re.findall(r"\b[a-z]+\b", article))
    names = set()
    for match in _NAME.finditer(article):
        before = article[max(0, match.start() - 3) : match.start()]
        if re.search(r"[.!?\n:\"]\s*$|^\s*$", before):
            continue
        words = re.split(r"[- ]", match.group())
        kept = [w for w in words if w.lower() not in lower_words and w.lower() not in _NOT_NAMES]
        if len(kept) == len(words):
            names.add(match.group())
        if parts:
            names.update(kept)
    return names


def _swap_word(question: str, article_words: set[str], rng: random.Random) -> str | None:
    spots = [m for m in re.finditer(r"[A-Za-z]+", question) if m.group().lower() in _SWAPS]
    rng.shuffle(spots)
    for m in spots:
        choices = [w for w in _SWAPS[m.group().lower()] if w not in article_words]
        if choices:
            new = rng.choice(choices)
            new = new.capitalize() if m.group()[0].isupper() else new
            return question[: m.start()] + new + question[m.end() :]
    return None


def _swap_number(question: str, article: str, rng: random.Random) -> str | None:
    spots = [m for m in _NUMBER.finditer(question)]
    rng.shuffle(spots)
    for m in spots:
        value = int(m.group().replace(",", ""))
        if 1800 <= value <= 2100:  # a year: a nearby one
            candidates = [value + d for d in (-3, -2, -1, 1, 2, 3)]
        else:
            nearby = [value + d for d in (1, 2, 3) if value > 20]
            candidates = [*nearby, value * 2, value * 3, max(1, value // 2)]
        rng.shuffle(candidates)
        for new in candidates:
            text = f"{new:,}" if "," in m.group() else str(new)
            if new != value and not re.search(rf"(?<![\d,.]){re.escape(text)}(?![\d,])", article):
                return question[: m.start()] + text + question[m.end() :]
    return None


def _swap_name(
    question: str, article: str, names: set[str], others: Sequence[str], rng: random.Random
) -> str | None:
    """A name of the article in the question (in any case: casual questions are lower
    case) swapped for a name from another article that this one never uses."""
    lowered = question.lower()
    casual = question == lowered  # a casual question is all lower case: so are its names
    spots = []
    for name in names:
        at = re.search(rf"\b{re.escape(name.lower() if casual else name)}\b", question)
        if at:
            spots.append((at.start(), at.end(), name))
    if not spots or not others:
        return None
    start, end, name = max(spots, key=lambda s: (s[1] - s[0], s[0]))  # the longest name
    length = len(name.split())
    pool = [o for o in others if len(o.split()) == length] or list(others)
    for _ in range(20):
        new = rng.choice(pool)
        if new.lower() not in lowered and new.lower() not in article.lower():
            new = new if question[start:end] != question[start:end].lower() else new.lower()
            return question[:start] + new + question[end:]
    return None


def unanswerable_variant(
    question: str, article: str, other_names: Sequence[str], rng: random.Random
) -> str | None:
    """`question` (which `article` answers) with one word or name swapped so that the
    article no longer does, or None when no swap fits.

    other_names: names from other articles (article_names(..., parts=False)), the pool a
    name is swapped for; any that `article` uses are skipped. The swap tried: a word of
    _SWAPS (an ordinal, a gendered noun, an opposite superlative) first, else a number (a
    nearby year, another count), else a name."""
    words = _words(article)
    names = {n for n in article_names(article) if n.lower() not in _NOT_NAMES}
    makers: list[Callable[[], str | None]] = [
        lambda: _swap_word(question, words, rng),
        lambda: _swap_number(question, article, rng),
        lambda: _swap_name(question, article, names, [o for o in other_names if o not in names], rng),
    ]
    for make in makers:
        variant = make()
        if variant is not None and variant != question:
            return variant
    return None
