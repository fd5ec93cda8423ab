"""Sentence boundaries in a paragraph of news text, in any language.

A segmenter only proposes where sentences end; the spans are then cut from the
paragraph itself, so every character belongs to exactly one sentence or to the
white space between two (`split_sentences` never loses or alters text, whatever
the segmenter does with symbols it uses internally). The segmenter was chosen
on measured accuracy over tests/data/sentences/ (`python tools/compare_segmenters.py`,
figures in the README).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

import blingfire

# Words that end in a full stop without ending the sentence: titles before a name
# ("Dr. Pike", "г. Твери", "κ. Δημητρίου", "Sra. Ruiz", "د. ليلى") and the like.
_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "gov",
        "sen",
        "rep",
        "gen",
        "lt",
        "col",
        "capt",
        "sgt",
        "st",
        "rev",
        "hon",
        "pres",
        "supt",
        "det",
        "insp",
        "cmdr",
        "adm",
        "maj",
        "sr",
        "sra",
        "srta",
        "dra",
        "lic",
        "ing",
        "ud",
        "uds",
        "mme",
        "mlle",
        "hr",
        "fr",
        "frau",
        "г",
        "гг",
        "ул",
        "им",
        "тов",
        "проф",
        "акад",
        "κ",
        "κα",
        "κος",
        "δρ",
        "د",
        "م",
    ]
)
_LAST_WORD = re.compile(r"(?:^|[\s(\"'“‘«])(\w{1,5})\.$")
_DOTTED = re.compile(r"(?:^|[\s(\"'“‘«])(?:\w{1,3}\.){2,}$")
# After "p.m." a capitalised word starts a sentence unless it is a day, month or time zone.
_AFTER_TIME = frozenset(
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "jan",
        "feb",
        "mar",
        "apr",
        "may",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "january",
        "february",
        "march",
        "april",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "et",
        "est",
        "edt",
        "ct",
        "cst",
        "cdt",
        "mt",
        "pt",
        "pst",
        "pdt",
        "gmt",
        "utc",
        "bst",
        "cet",
        "local",
        "mr",
        "mrs",
        "ms",
        "dr",
    ]
)
_CLOSERS = "\"'”’)]»」』"
_BULLETS = "•▪◦‣●■➢►"
_NUMBERED = re.compile(r"(?:^|(?<=\s))(\d{1,2}|[a-z])(\.\)|[.)])(?=\s)")

Boundaries = Callable[[str], list[int]]  # a paragraph -> offsets where sentences end


def segmenter_boundaries(text: str) -> list[int]:
    """Offsets in `text` (characters) where blingfire ends a sentence, ascending.

    Text blingfire cannot map back to offsets (it asserts on some control
    characters) is left as one sentence rather than failing the article.
    """
    if not text.strip():
        return []
    try:
        _, offsets = blingfire.text_to_sentences_and_offsets(text)
    except AssertionError:
        return []
    return [end for _, end in offsets][:-1]


def split_sentences(
    text: str, language: str = "en", boundaries: Boundaries = segmenter_boundaries
) -> list[tuple[int, int]]:
    """(start, end) character offsets of the sentences of one paragraph.

    The spans are in order, do not overlap, are stripped of white space, and
    together cover every non-space character of `text`. `language` is an ISO
    639-1 code. `boundaries` is the segmenter (another one is passed in only to
    compare them); `adjust_boundaries` then corrects what segmenters get wrong
    in news text.
    """
    return spans_between(text, adjust_boundaries(text, boundaries(text), language))


def adjust_boundaries(text: str, cuts: list[int], language: str = "en") -> list[int]:
    """The segmenter's sentence ends (character offsets), corrected for news text.

    A closing quote mark or bracket stays with the sentence it closes; no
    sentence starts with a lower-case word after "?", "!", a quotation or an
    abbreviation ("…?" the mayor asked; approx. 3,300), nor after a title before
    a name ("Dr. Pike"); "p.m." ends a sentence before a capitalised word that is
    not a day, month or time zone; list items ("1.", "a.", "•") are sentences of
    their own, their marker kept with them; in Greek ";" is a question mark.
    """
    adjusted: set[int] = set()
    for cut in cuts:
        if not 0 < cut < len(text):
            continue
        while cut < len(text) and text[cut] in _CLOSERS and not text[cut - 1].isspace():
            cut += 1
        if not _holds_together(text, cut):
            adjusted.add(cut)
    adjusted |= _time_ends(text)
    adjusted = _list_items(text, adjusted)
    if language == "el":
        adjusted |= {m.end() for m in re.finditer(r";(?=\s+[«\"]?[Α-ΩΆ-Ώ])", text)}
    return sorted(c for c in adjusted if 0 < c < len(text))


def _holds_together(text: str, cut: int) -> bool:
    """Whether the sentence end proposed at `cut` falls inside a sentence."""
    before = text[:cut].rstrip()
    after = text[cut:].lstrip()
    if not after or not before:
        return True
    first = after[0]
    ended_by_mark = before[-1] in _CLOSERS or before[-1] in "?!…"
    abbreviation = _LAST_WORD.search(before)
    dotted = bool(_DOTTED.search(before))  # a.m.; U.S.; e.g.
    if first.islower() and (ended_by_mark or abbreviation or dotted):
        return True  # "…?" the mayor asked; approx. three; 9:30 a.m. in Boston; "Oh, Brother!" opens
    if first.isdigit() and abbreviation and not before[-2:-1].isdigit():
        return True  # approx. 3,300; No. 3
    if abbreviation and abbreviation.group(1).lower() in _TITLES:
        # Dr. Pike; г. Твери (but "в 2025 г. Ремонт…": after a year, "г." is "год", the year)
        return not re.search(r"\d\s+\w{1,2}\.$", before)
    return bool(abbreviation and len(abbreviation.group(1)) == 1 and abbreviation.group(1).isupper())


def _time_ends(text: str) -> set[int]:
    """Sentence ends after "a.m."/"p.m." followed by a capitalised word that is not a day,
    month, time zone or title ("…close at 9 p.m. Managers said…")."""
    ends = set()
    for match in re.finditer(r"\b[aApP]\.[mM]\.(?=\s+([A-Z][\w']*))", text):
        if match.group(1).lower().rstrip(".") not in _AFTER_TIME:
            ends.add(match.end())
    return ends


def _list_items(text: str, cuts: set[int]) -> set[int]:
    """Cuts before each item of a list written inline: bullets when the paragraph opens
    with one, and markers numbered in sequence ("1." "2." "3.", "a." "b." "c.")."""
    opener = text.lstrip()[:1]
    if opener in _BULLETS or (opener in "-*" and text.lstrip()[1:2] == " "):
        starts = [m.start() for m in re.finditer(rf"(?<=\s){re.escape(opener)}(?=\s)", text)]
        return cuts | set(starts)
    markers = list(_NUMBERED.finditer(text))
    items: dict[int, int] = {}  # where an item's marker starts -> where it ends
    for one, nxt in itertools.pairwise(markers):
        label, mark = one.group(1), one.group(2)
        if mark == nxt.group(2) and _successor(label) == nxt.group(1) and (label.isdigit() or mark != ")"):
            items[one.start()] = one.end()
            items[nxt.start()] = nxt.end()
    if not items:
        return cuts
    after_markers = {end + gap for end in items.values() for gap in (0, 1)}
    return (cuts - after_markers) | set(items)


def _successor(label: str) -> str:
    return str(int(label) + 1) if label.isdigit() else chr(ord(label) + 1)


# Characters a sentence neither starts nor ends with: white space, and the invisible
# joiners and marks that editors and feeds leave between sentences.
INVISIBLE_EDGES = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"  # every character str.isspace() accepts
    "\u200b\u200c\u200d\u2060\ufeff"
)


def spans_between(text: str, cuts: list[int]) -> list[tuple[int, int]]:
    """The pieces of `text` between consecutive cut offsets, stripped of white space and
    zero-width characters (those between two sentences belong to neither)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in [*sorted(set(cuts)), len(text)]:
        if cut <= start:
            continue
        piece = text[start:cut]
        left = len(piece) - len(piece.lstrip(INVISIBLE_EDGES))
        right = len(piece.rstrip(INVISIBLE_EDGES))
        if right > left:
            spans.append((start + left, start + right))
        start = cut
    return _merge_wordless(text, spans)


def _merge_wordless(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Glue pieces with no word in them (a stray "—" or "…") onto the sentence before."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and not re.search(r"\w", text[start:end]):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged
