"""tools/measure_rules.py: a rule's false alarms on the windows that answer, without a model."""

from __future__ import annotations

from tools.measure_rules import RULES, false_alarms


def test_the_number_rule_almost_never_fires_on_the_window_that_answers() -> None:
    fired, some, asked = false_alarms(RULES["other_number"])
    assert asked > 10_000  # every answerable question of datasets/ (and the SQuAD sample, when beside)
    assert len(fired) <= some <= 12  # measured: 2 on every answering window, 12 on some
    assert all(question and window for _, question, window in fired)


def test_the_not_known_rule_reads_the_gold_span() -> None:
    fired, some, asked = false_alarms(RULES["says_not_known"])
    assert asked > 10_000
    assert len(fired) <= some <= 4  # measured: 1 on every answering window, 4 on some
    assert [question for _, question, _ in fired] == ["Why didn't the panel believe her?"]
