"""Sentences that say the answer is not known: "the cause … was not yet known".

A news story often says what it could not find out: "the cause of the steering
failure was not yet known", "Oduya declined to say how much coverage it has",
"the ACP did not say whether …". Such a sentence resembles the question closely,
and the reader marks the statement itself as the answer. It tells the user that
the article does not say, so the bot abstains on it (and lists it among the
related passages). These are rules of English wording, not of any article or
question set.
"""

from __future__ import annotations

import re

# Verbs of telling that a source withholds ("declined to say", "did not disclose").
_TELLING = r"(?:say|disclose|reveal|confirm|specify|comment|explain|elaborate|discuss|name|identify|estimate)"
_WITHHELD = re.compile(
    r"\b(?:"
    rf"(?:did|does|do|would|could|will|has|have|had)\s*(?:not|n[o'’]t)\s+(?:yet\s+)?{_TELLING}"
    rf"|(?:declined|refused)\s+to\s+{_TELLING}"
    r"|(?:is|was|were|are|remains?|remained|ha(?:s|ve|d)\s+not\s+been)\s+"
    r"(?:still\s+|yet\s+|not\s+yet\s+|not\s+)?"
    r"(?:unknown|unclear|undisclosed|not\s+(?:yet\s+)?(?:known|clear|disclosed|released|made\s+public|"
    r"determined|confirmed|identified|established))"
    r"|no\s+(?:details?|information|figure|timeline|timetable|date|cause|reason|explanation|estimate)\s+"
    r"(?:was|were|has|had|have)\s+(?:yet\s+)?(?:been\s+)?"
    r"(?:given|released|provided|announced|set|offered|disclosed|made\s+public)"
    r"|gave\s+no\s+(?:details?|figure|timeline|reason|date|estimate|explanation)"
    r")\b",
    re.I,
)
_ENDS_TELLING = re.compile(rf"{_TELLING}\w*$", re.I)
# Questions about the telling itself ("what did the landlord say", "how did they respond")
# and yes/no questions ("are regulators looking into it": "declined to say whether …" answers).
_ASKS_TELLING = re.compile(
    r"\b(?:say|says|said|respond\w*|react\w*|comment\w*|confirm\w*|repl(?:y|ied|ies)|known?|clear|"
    r"explain\w*|disclos\w*)\b"
    r"|^\s*(?:is|are|was|were|did|does|do|has|have|had|can|could|will|would)\b",
    re.I,
)
# What ends the withheld thing: "did not name the customer, but two people said it was …".
_CLAUSE_BREAK = re.compile(r"[,.;:!?]|\b(?:but|although|though|however|while|yet)\b", re.I)
WORDS_BETWEEN = 3  # "declined to say how much coverage": the withheld thing follows at once


def says_not_known(question: str, sentence: str, start: int, end: int) -> bool:
    """Whether the answer span `sentence[start:end]` (character offsets) is a statement
    that the thing asked is not known or not told: the span holds such a statement ("the
    cause … was not yet known", "no timeline has been offered"), or follows within
    WORDS_BETWEEN words, with no comma or "but" between, a source's refusal to tell ("declined to say
    how much coverage"). False for questions about what was said or known and for yes/no
    questions, which such a sentence answers.

    Of the 12,181 answerable questions of datasets/ and the SQuAD 2.0 sample, it holds on
    every window holding the gold answer, taken as the span, for 1 and on some for 4
    (`python tools/measure_rules.py says_not_known`).
    """
    if _ASKS_TELLING.search(question):
        return False
    for match in _WITHHELD.finditer(sentence):
        if match.start() < end and start < match.end():
            return True
        if match.end() <= start and _ENDS_TELLING.search(match.group()):
            gap = sentence[match.end() : start]
            if len(gap.split()) <= WORDS_BETWEEN and not _CLAUSE_BREAK.search(gap):
                return True
    return False
