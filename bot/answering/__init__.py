"""Answering a question from the retrieved passages: the reader, the confidence, the cited answer."""

from bot.answering.answerer import (
    NOT_IN_ARTICLE,
    Answerer,
    ConfidenceModel,
    ReadSentence,
    ScoredSentence,
    candidate_windows,
    holds_kind,
)

__all__ = [
    "NOT_IN_ARTICLE",
    "Answerer",
    "ConfidenceModel",
    "ReadSentence",
    "ScoredSentence",
    "candidate_windows",
    "holds_kind",
]
