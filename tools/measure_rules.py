"""How often an abstention rule fires on the text that answers: its false alarms, without a model.

    .venv/bin/python tools/measure_rules.py [other_number|other_ordinal ...]

The rules of bot/answering/quantities.py that lower the confidence when the best
sentence speaks of another member of a series than the question (other_number,
other_ordinal) read the question and the sentence with the one before it. Here every
answerable question of datasets/*/questions.jsonl and of the SQuAD 2.0 sample (metadata
questions aside) is put to the windows (previous sentence + sentence, as the bot splits
the article) whose sentence holds a gold answer; a rule that fires there would have turned
a right answer into an abstention. Prints the questions on whose every such window the
rule fires, and counts them and those with any such window it fires on (an answer written
more than once). A few seconds a rule; no model is loaded.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answering import quantities  # noqa: E402
from bot.articles import article_id_for, find_article_files, load_article  # noqa: E402
from bot.chunking import split_article  # noqa: E402
from tools.reader_data import SQUAD  # noqa: E402

RULES: dict[str, Callable[[str, str], bool]] = {
    "other_number": quantities.other_number,
    "other_ordinal": quantities.other_ordinal,
}


@cache
def article_paths(folder: Path) -> dict[str, Path]:
    """The article files of a set's `folder`, by article id."""
    return {article_id_for(path): path for path in find_article_files(folder)}


@cache
def windows(path: Path) -> list[tuple[str, str]]:
    """(the sentence before, the sentence) for each sentence of the article at `path`, in order."""
    sentences = [s.text for s in split_article(load_article(path))]
    return [(sentences[i - 1] if i else "", s) for i, s in enumerate(sentences)]


def false_alarms(rule: Callable[[str, str], bool]) -> tuple[list[tuple[str, str, str]], int, int]:
    """(set name, question, first window whose sentence holds a gold answer) for each answerable
    question on all of whose such windows `rule` fires; how many it fires on any of them for;
    and the number of questions put to it."""
    fired, some, asked = [], 0, 0
    sets = [*sorted((ROOT / "datasets").glob("*/questions.jsonl")), SQUAD / "questions.jsonl"]
    for questions in (s for s in sets if s.exists()):  # the SQuAD sample lies outside the repository
        for line in questions.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["is_impossible"] or row.get("style") == "metadata":
                continue
            path = article_paths(questions.parent / "articles")[row["article"]]
            held = [f"{p} {s}" for p, s in windows(path) if any(g in s for g in row["answers"])]
            if not held:
                continue
            asked += 1
            fires = [rule(row["question"], w) for w in held]
            some += any(fires)
            if all(fires):
                fired.append((questions.parent.name, row["question"], held[0]))
    return fired, some, asked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rules", nargs="*", help=f"of {', '.join(sorted(RULES))} (default: all)")
    names = parser.parse_args().rules or sorted(RULES)
    if unknown := [n for n in names if n not in RULES]:
        parser.error(f"no such rule: {', '.join(unknown)}; the rules are {', '.join(sorted(RULES))}")
    for name in names:
        fired, some, asked = false_alarms(RULES[name])
        for set_name, question, window in fired:
            print(f"  {set_name} | {question} | {window.strip()[:140]}")
        print(
            f"{name}: of {asked} answerable questions, fires on every window holding the answer of"
            f" {len(fired)}, on some window of {some}"
        )


if __name__ == "__main__":
    main()
