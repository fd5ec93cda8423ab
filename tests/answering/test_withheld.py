"""A sentence that says the answer is not known is no answer (bot/answering/withheld.py)."""

from __future__ import annotations

from bot.answering.withheld import says_not_known


def _span(sentence: str, text: str) -> tuple[int, int]:
    start = sentence.index(text)
    return start, start + len(text)


def test_a_statement_that_the_thing_asked_is_not_known() -> None:
    cause = "The ACP said it had opened an investigation and that the cause of the failure was not yet known."
    stated = _span(cause, "the cause of the failure was not yet known")
    assert says_not_known("so why did the steering fail", cause, *stated)
    assert says_not_known("wat caused it", cause, *stated)
    cover = "Oduya said the hospital carries cyber insurance but declined to say how much coverage it has."
    assert says_not_known("how much coverage does it have", cover, *_span(cover, "how much coverage"))
    moon = "China hopes to land people on the moon, although no timeline has been offered for it."
    assert says_not_known("when will china land ppl on the moon", moon, *_span(moon, "no timeline"))


def test_what_the_sentence_does_say_and_questions_about_the_telling() -> None:
    cover = "Oduya said the hospital carries cyber insurance but declined to say how much coverage it has."
    # The span before the refusal is what the sentence does say.
    assert not says_not_known(
        "what insurance does the hospital have", cover, *_span(cover, "cyber insurance")
    )
    # Far from the refusal, or in another clause, the span is not the thing withheld.
    told = "Norvant did not name the customer, but two people said it was a large U.S. server maker."
    assert not says_not_known("who was the customer", told, *_span(told, "two people said it was"))
    late = "The company declined to comment on Monday; its shares fell 12% in Tokyo."
    assert not says_not_known("how far did shares fall", late, *_span(late, "12%"))
    # Asked what was said, or yes or no, the refusal is the answer.
    landlord = "A spokesperson for Halstead declined to comment."
    assert not says_not_known("what did the landlord say", landlord, *_span(landlord, "declined to comment"))
    pay = "The ACP did not say whether the ship would have to pay again."
    assert not says_not_known(
        "do they have to pay again", pay, *_span(pay, "whether the ship would have to pay")
    )
    # A statement of something known is no refusal.
    assert not says_not_known("what caused it", "The cause was a broken valve.", 14, 28)
