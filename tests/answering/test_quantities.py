"""Quantities asked for and held; numbers a question names that its article never writes."""

from __future__ import annotations

from bot.answering.quantities import (
    asked_quantity,
    holds_quantity,
    other_number,
    other_ordinal,
    unknown_numbers,
)

ARTICLE = (
    "The Shenzhou-13 spaceship was launched on a Long March-2F rocket in 2021. It carried "
    "10,000 pieces of kit and 0.5 tonnes of water; 14 astronauts have flown since 2003."
)


def test_a_numbered_name_or_a_number_the_article_never_writes_is_unknown() -> None:
    assert unknown_numbers("when did shenzhou-14 launch", ARTICLE) == ["shenzhou-14"]
    assert unknown_numbers("was it a long march-3b", ARTICLE) == ["march-3b"]
    assert unknown_numbers("did it carry 0.7 tonnes", ARTICLE) == ["0.7"]
    assert unknown_numbers("were there 15 astronauts", ARTICLE) == ["15"]


def test_what_the_article_writes_however_spelt_is_known() -> None:
    assert unknown_numbers("when did Shenzhou-13 launch", ARTICLE) == []
    assert unknown_numbers("when did shenzou-13 launch", ARTICLE) == []  # a misspelt name, its number written
    assert unknown_numbers("who brought 10000 pieces", ARTICLE) == []  # thousands separators aside
    assert unknown_numbers("what about 0.5 tonnes", ARTICLE) == []
    assert unknown_numbers("how many of the 14 went out", ARTICLE) == []
    assert unknown_numbers("what happened in 2019", ARTICLE) == []  # years: news often leaves them out
    assert unknown_numbers("the 2 women", ARTICLE) == []  # one digit: "two" is written out as often


def test_a_length_in_a_speed_is_no_distance() -> None:
    asked = asked_quantity("how far did they walk each time")
    assert asked == "distance"
    assert holds_quantity(asked, "The walkers covered 3.1 kilometres on each outing.")
    assert holds_quantity(asked, "They walked 4 miles a day.")
    for speed in ("at a pace of about 4.5 kilometres per hour", "at 30 km/h", "at 5 miles an hour"):
        assert not holds_quantity(asked, f"They walked {speed}.")
        assert holds_quantity("speed", f"They walked {speed}.")


def test_the_age_of_a_thing_as_well_as_of_a_person() -> None:
    asked = asked_quantity("how old is the turtle")
    assert asked == "age"
    for held in (
        "Wang, 41, is a former pilot.",
        "The 61-year-old pool will close.",
        "The fossil is about 72 million years old.",
        "The turtle lived about 72 million years ago.",
        "The oak is a thousand years old.",
    ):
        assert holds_quantity(asked, held), held
    for not_held in ("She moved to the city two years ago.", "The pool opened in 1965."):
        assert not holds_quantity(asked, not_held), not_held


def test_the_nth_of_a_series_the_text_does_not_name() -> None:
    text = "It is a fifth the size of the ISS, which launched its first module in 1998."
    assert other_ordinal("When did the ISS launch its final module?", text)
    quarter = "It grew 2.1 percent in the third quarter."
    assert other_ordinal("how fast did it grow in the second quarter", quarter)
    assert not other_ordinal("When did the ISS launch its first module?", text)  # the one it names
    assert not other_ordinal("wat did the first crew do", "They continue the work of the initial crew.")
    assert not other_ordinal("when did moon rocks last come back", "It was the first time since 1976.")
    assert not other_ordinal("how heavy is the station", text)  # no ordinal asked


def test_a_number_in_the_place_of_another_the_text_writes() -> None:
    bus = "Officers said each journey on the 43 cost the council £11.20 in subsidy per passenger."
    assert other_number("how much did each journey on the 41 cost", bus)
    launch = "The Shenzhou-13 spaceship was launched into space on a Long March-2F rocket."
    assert other_number("what rocket launched shenzhou-12", launch)
    assert other_number("How many hectares did it lose in 2016?", "It lost 113,000 hectares in 2025.")
    layoffs = "In November 2022 it let go of 290 workers."
    assert other_number("how many ppl were let go in 2021", layoffs)  # a year in another's place
    assert not other_number("how many ppl were let go in 2022", layoffs)
    assert not other_number("how much did each journey on the 43 cost", bus)  # the one it writes
    assert not other_number("what rocket launched shenzhou-13", launch)
    assert not other_number("how many of the 14 went out", launch)  # no other number in its place
    assert not other_number("who beat kasparov in 97", "On 11 May 1997 Deep Blue defeated Kasparov.")
    assert not other_number("what rocket", launch)  # no number asked
    # A bound, a number the text writes as a word, a date written another way: no other number.
    assert not other_number("which team scored over 100 points", "The Lakers scored 112 points.")
    assert not other_number("what did the 3 astronauts do", "The three astronauts of the 2021 mission")
    assert not other_number("what happened on 9/11", "On 11 September 2001 the towers fell.")
    assert other_number("what did the 2 astronauts do", "The three astronauts of the 2021 mission")


def test_money_in_any_currency_and_an_amount_asked_with_how_much_is() -> None:
    for held in ("385 kwacha", "2,890 tugriks a litre", "520 baht", "about 3 million pounds", "89 kroner"):
        assert holds_quantity("money", held), held
    assert not holds_quantity("money", "She scored 10 marks out of 10.")
    assert not holds_quantity("money", "About 2,000 tickets were still available.")
    for not_money in ("Liverpool, who in 2019 won the cup", "the 2 real problems"):  # English words
        assert not holds_quantity("money", not_money), not_money
    assert holds_quantity("money", "a budget of 284 billion won")
    assert asked_quantity("how much r tickets") == "amount"  # a price, a share or a measure
    assert asked_quantity("how much’s the fare") == "amount"
    assert holds_quantity("amount", "Tickets cost $15.") and holds_quantity("amount", "The cut was 28%.")
    assert holds_quantity("amount", "About 20 cm of snow fell.")
    assert not holds_quantity("amount", "About 2,000 tickets were still available.")
    assert asked_quantity("by how much was the school day lengthened") == "count"  # a change, of anything
    assert asked_quantity("how much is it worth") == "money"
    assert asked_quantity("how much time is left") == "duration"
