"""How often an abstention rule fires on the text that answers: its false alarms, without a model.

    .venv/bin/python tools/measure_rules.py [other_number|other_ordinal ...]

The rules of bot/answering/quantities.py that lower the confidence when the best
sentence speaks of another member of a series than the question (other_number,
other_ordinal) read the question and the sentence with the one before it;
withheld.says_not_known reads the question, the sentence and the answer span in it
(here the gold answer's). Here every
answerable question of datasets/*/questions.jsonl and of the SQuAD 2.0 sample (metadata
questions aside) is put to the windows (previous sentence + sentence, as the bot splits
the article) whose sentence holds a gold answer; a rule that fires there would have turned
a right answer into an abstention. Prints the questions on whose every such window the
rule fires, and counts them and those with any such window it fires on (an answer written
more than once). A few seconds a rule; no model is loaded.

    .venv/bin/python tools/measure_rules.py --best [RULE ...]

puts instead every question of the calibration-only sets (datasets/*-calib-* and those not
yet trained on, tools/reader_data.py) through the bot's pipeline up to the reader, as
tools/fit_confidence.py reads them, and counts, answerable and unanswerable apart, the
questions on whose best-read window each rule fires. About ten minutes on two cores.
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

from bot.answering import quantities, withheld  # noqa: E402
from bot.answering.compose import short_answer  # noqa: E402
from bot.answering.features import candidate_windows  # noqa: E402
from bot.articles import article_id_for, find_article_files, load_article  # noqa: E402
from bot.chunking import split_article  # noqa: E402
from tools.reader_data import (  # noqa: E402
    CALIBRATION_SETS,
    DATASETS,
    NOT_YET_TRAINED,
    SQUAD,
    indexed,
    load_set,
    previous_context,
)

# A rule reads (question, the sentence before, the sentence, the answer's character
# (start, end) in the sentence) and says whether it fires.
Rule = Callable[[str, str, str, tuple[int, int]], bool]
RULES: dict[str, Rule] = {
    "other_number": lambda question, previous, sentence, _: quantities.other_number(
        question, f"{previous} {sentence}"
    ),
    "other_ordinal": lambda question, previous, sentence, _: quantities.other_ordinal(
        question, f"{previous} {sentence}"
    ),
    "says_not_known": lambda question, _, sentence, span: withheld.says_not_known(question, sentence, *span),
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


def false_alarms(rule: Rule) -> tuple[list[tuple[str, str, str]], int, int]:
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
            held = [
                (p, s, (s.index(g), s.index(g) + len(g)))
                for p, s in windows(path)
                for g in row["answers"]
                if g and g in s
            ]
            if not held:
                continue
            asked += 1
            fires = [rule(row["question"], p, s, span) for p, s, span in held]
            some += any(fires)
            if all(fires):
                fired.append((questions.parent.name, row["question"], f"{held[0][0]} {held[0][1]}"))
    return fired, some, asked


def best_window_fires(names: list[str]) -> dict[str, dict[str, list[int]]]:
    """For each rule of `names`: {"answerable" | "unanswerable": [fired, asked]} over the
    calibration-only sets' questions, on the window of the reader's best sentence."""
    from bot.cli import load_reader
    from bot.embedding import SentenceTransformerEmbedder
    from bot.settings import BUNDLED_MODEL

    embedder = SentenceTransformerEmbedder(BUNDLED_MODEL)
    reader, confidence = load_reader()
    counts = {name: {"answerable": [0, 0], "unanswerable": [0, 0]} for name in names}
    for set_name in (*CALIBRATION_SETS, *sorted(NOT_YET_TRAINED)):
        qset = load_set(set_name, DATASETS / set_name)
        with indexed(qset, embedder, reader, confidence) as core:
            for item in qset.items:
                context = previous_context(qset.items, item)
                read = core.read(item.question, context=context)
                if not read:
                    continue
                window = candidate_windows([read[0].candidate])[0]
                question = core.as_read(item.question)
                short = short_answer(read[0], question, context)
                sentence = read[0].candidate.sentence
                span = (short.start - sentence.start, short.end - sentence.start) if short else (0, 0)
                kind = "unanswerable" if item.is_impossible else "answerable"
                for name in names:
                    fired = RULES[name](question, window.previous, window.sentence, span)
                    counts[name][kind][0] += fired
                    counts[name][kind][1] += 1
                    if fired:
                        print(f"  {name} | {set_name} | {kind} | {item.question} | {window.sentence[:100]}")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rules", nargs="*", help=f"of {', '.join(sorted(RULES))} (default: all)")
    parser.add_argument("--best", action="store_true", help="on the best-read windows instead")
    args = parser.parse_args()
    names = args.rules or sorted(RULES)
    if unknown := [n for n in names if n not in RULES]:
        parser.error(f"no such rule: {', '.join(unknown)}; the rules are {', '.join(sorted(RULES))}")
    if args.best:
        for name, kinds in best_window_fires(names).items():
            told = ", ".join(f"{kind} {fired} of {asked}" for kind, (fired, asked) in kinds.items())
            print(f"{name}: fires on the best-read window of {told}")
        return
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
