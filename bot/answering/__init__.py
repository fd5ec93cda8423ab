"""Answering a question from the retrieved passages: the reader, the confidence, the cited answer.

question.py analyses the question once (kinds.py and quantities.py: what kind of
thing it asks for, and whether a sentence holds one); features.py ranks the
candidate sentences; reader.py is the cross-encoder that reads them;
confidence.py turns what it says into a chance of answering; compose.py builds
the answer and its citations; metadata.py answers questions about the article
itself (its date, author, outlet, link); answerer.py runs those steps in order.
"""

from bot.answering.answerer import Answerer
from bot.answering.compose import NOT_IN_ARTICLE
from bot.answering.confidence import ConfidenceModel, ReadSentence
from bot.answering.features import ScoredSentence, candidate_windows
from bot.answering.kinds import holds_kind

__all__ = [
    "NOT_IN_ARTICLE",
    "Answerer",
    "ConfidenceModel",
    "ReadSentence",
    "ScoredSentence",
    "candidate_windows",
    "holds_kind",
]
