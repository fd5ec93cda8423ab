"""Test doubles shared by the tests (and by subprocesses the tests start)."""

from __future__ import annotations

import hashlib
import re
import time

import numpy as np


class FakeEmbedder:
    """Deterministic bag-of-words vectors: texts sharing words are close.

    Each lower-cased word is hashed to a few dimensions; the sum is normalised.
    It counts what it embeds, so tests can see what a reindex re-embedded.
    """

    def __init__(self, name: str = "fake-bow", dimension: int = 64, delay: float = 0.0) -> None:
        self.name = name
        self.dimension = dimension
        self.delay = delay
        self.embedded = 0

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                for k in range(2):
                    out[row, digest[k] % self.dimension] += 1.0 if digest[k + 2] % 2 else -1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            out[row, 0] = out[row, 0] if norm else 1.0
        self.embedded += len(texts)
        if self.delay:
            time.sleep(self.delay)
        return out


class FakeReader:
    """A deterministic stand-in for the trained reader (bot/answering/reader.py).

    A sentence's logit is 2 * (question words it holds) - 4, so sentences sharing
    three or more words with the question "answer"; the span is the first run of
    capitalised words or digits in the sentence that the question does not hold.
    It records what it was asked to read.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[object], str]] = []

    def read(self, question, windows, context=""):  # type: ignore[no-untyped-def]
        from bot.answering.reader import Reading

        self.calls.append((question, list(windows), context))
        asked = {w.lower() for w in re.findall(r"\w+", f"{question} {context}")}
        out = []
        for window in windows:
            words = {w.lower() for w in re.findall(r"\w+", window.sentence)}
            logit = 2.0 * len(asked & words) - 4.0
            span = None
            for match in re.finditer(r"(?:[A-Z0-9][\w-]*)(?:\s+[A-Z0-9][\w-]*)*", window.sentence):
                if match.group(0).lower() not in asked:
                    span = (match.start(), match.end())
                    break
            out.append(Reading(logit, span, 5.0 if span else float("-inf")))
        return out
