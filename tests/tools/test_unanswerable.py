"""Unanswerable variants: the word put in is one the article never uses."""

from __future__ import annotations

import random
import re

from tools.unanswerable import article_names, unanswerable_variant

ARTICLE = (
    "Wang Yaping became the first Chinese woman to walk in space on Nov. 7, 2021. "
    "She and Zhai Zhigang spent six hours outside the Tianhe module. "
    "The station will weigh about 66 tons when it is finished. "
    "The council said the station is the largest China has built."
)
OTHERS = ["Lorraine Vick", "Ohio", "Diane Kowalczyk", "Brazil"]


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]+", text)}


def test_names_are_words_the_article_capitalises_mid_sentence() -> None:
    names = article_names(ARTICLE)
    assert {"Zhai Zhigang", "Tianhe", "Zhigang", "Chinese", "China"} <= names
    assert "The" not in names and "She" not in names  # capitalised only to start a sentence
    assert "Nov" not in names  # months are no names
    assert "Zhigang" not in article_names(ARTICLE, parts=False)


def test_an_ordinal_or_gendered_word_is_swapped_for_one_the_article_lacks() -> None:
    question = "Who was the first Chinese woman in space?"
    for seed in range(10):
        variant = unanswerable_variant(question, ARTICLE, OTHERS, random.Random(seed))
        assert variant is not None and variant != question
        added = _words(variant) - _words(question)
        assert added and not added & _words(ARTICLE), variant


def test_a_number_becomes_one_the_article_does_not_give() -> None:
    variant = unanswerable_variant("What will the station weigh in 2021?", ARTICLE, [], random.Random(1))
    assert variant is not None
    year = re.search(r"\d{4}", variant)
    assert year and year.group() != "2021" and year.group() not in ARTICLE


def test_a_name_is_swapped_for_another_articles_name_in_the_questions_case() -> None:
    variant = unanswerable_variant("how long was zhai zhigang outside", ARTICLE, OTHERS, random.Random(3))
    assert variant is not None and variant == variant.lower()
    assert "zhai zhigang" not in variant
    assert any(other.lower() in variant for other in OTHERS)


def test_no_variant_when_nothing_fits() -> None:
    assert unanswerable_variant("what did she say", ARTICLE, OTHERS, random.Random(0)) is None
