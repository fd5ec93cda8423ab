"""Plain-text answers: wrapped to the terminal, never mid-word, not at all into a pipe."""

from __future__ import annotations

from bot.formatting import render_answer
from bot.models import Answer, Citation

SENTENCE = (
    "China Manned Space Engineering Network posted video to Weibo showing Wang Yaping leaving "
    "and re-entering the module, along with fellow astronaut Zhai Zhigang."
)


def answer() -> Answer:
    citation = Citation(
        n=1, article="a", title="Astronaut becomes China's first woman to walk in space",
        paragraph=2, start=0, end=len(SENTENCE), text=SENTENCE, score=1.0,
    )  # fmt: skip
    return Answer(
        "Who left the module?", f"Wang Yaping \u2014 \u201c{SENTENCE}\u201d [1]", False, 0.9, (citation,)
    )


def test_wraps_to_the_width_without_breaking_words() -> None:
    wrapped, whole = render_answer(answer(), 60), render_answer(answer(), None)
    assert max(len(line) for line in wrapped.splitlines()) <= 60
    assert wrapped.split() == whole.split()  # a word broken in two would be two tokens here


def test_no_wrapping_without_a_terminal() -> None:
    assert render_answer(answer(), None).splitlines()[0] == answer().text
