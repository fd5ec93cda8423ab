"""Measure the exact answer's choice (compose.choose_span) against the reader's best span.

    .venv/bin/python tools/measure_spans.py [--limit N] [--rows FILE]

On the answerable questions of the "calibration" split of tools/reader_data.py that were
written for this project (SQuAD's are left out: its gold spans follow other conventions),
every question goes through the bot's pipeline up to the reader, as fit_confidence.py
reads them. Where the reader's best sentence holds a gold answer, its exact answer is
scored against the gold spans with SQuAD's token F1 and with the hit `bot eval` counts (the
span holds a gold answer), once as the reader's best span and once as choose_span picks
it. About 10 minutes on two cores for 700 questions; `--rows FILE` keeps the readings in
FILE and reuses them (to try other rules).

Measured with `--limit 700` on the shipped reader of commit bc5de2b: the reader's best span F1 0.816,
hit 0.810, 19.6 characters; as chosen 0.819 / 0.826 / 20.4 (of that, passing over spans that
cut a word or a name: hit 0.813 -> 0.826). Tried and left out: taking a span inside the chosen
one when the reader scored it at most 0.5-3 logits lower ("Long March-2F" of "Shenzhou-13
spaceship was launched … on a Long March-2F"): F1 0.822 at 0.5 and lower beyond, hit 0.790
and lower; on the 227 questions with a head noun ("which rocket") no better. Since then
(choose_span's later rules, and SUBJECT_MARGIN for "who" questions): as chosen 0.823 / 0.827 /
20.3, the reader's best 0.816 / 0.810 / 19.6 (`--rows` of the same 700 questions).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answering.compose import choose_span  # noqa: E402
from tools.evaluate import is_hit, token_f1  # noqa: E402
from tools.reader_data import all_sets, indexed, previous_context  # noqa: E402

log = logging.getLogger("measure_spans")


def collect(limit: int | None) -> list[dict[str, Any]]:
    """The best-read sentence of each answerable calibration question whose best sentence
    holds a gold answer: the question, its context, the sentence, the reader's spans, golds."""
    from bot.cli import load_reader
    from bot.embedding import SentenceTransformerEmbedder
    from bot.settings import BUNDLED_MODEL

    embedder = SentenceTransformerEmbedder(BUNDLED_MODEL)
    reader, confidence = load_reader()
    rows: list[dict[str, Any]] = []
    for qset in all_sets():
        if qset.name == "squad":
            continue
        items = [i for i in qset.items if i.split == "calibration" and i.style != "metadata"]
        items = [i for i in items if not i.is_impossible]
        if not items:
            continue
        with indexed(qset, embedder, reader, confidence) as core:
            log.info("%s: reading %d questions", qset.name, len(items))
            for item in items:
                context = previous_context(qset.items, item)
                best = core.read(item.question, context=context)[0]
                sentence = best.candidate.sentence.text
                if not any(a in sentence for a in item.answers):
                    continue
                rows.append(
                    {
                        "question": core.as_read(item.question),
                        "context": context,
                        "sentence": sentence,
                        "spans": best.reading.spans,
                        "answers": item.answers,
                    }
                )
                if limit and len(rows) >= limit:
                    return rows
    return rows


def measure(rows: list[dict[str, Any]], chosen: bool) -> tuple[float, float, float]:
    """Mean token F1, hit rate and mean length (characters) of the exact answers: the
    reader's best spans, or with `chosen` the ones choose_span picks."""
    f1 = hits = length = 0.0
    for row in rows:
        if chosen:
            span = choose_span(row["question"], row["sentence"], row["spans"], row["context"])
        else:
            span = tuple(row["spans"][0][:2]) if row["spans"] else None
        text = row["sentence"][span[0] : span[1]] if span else ""
        f1 += max(token_f1(text, a) for a in row["answers"])
        hits += is_hit(text, row["answers"])
        length += len(text)
    n = max(len(rows), 1)
    return f1 / n, hits / n, length / n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="stop after this many questions")
    parser.add_argument("--rows", type=Path, default=None, help="keep the readings here, to reuse")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.rows is not None and args.rows.is_file():
        rows = json.loads(args.rows.read_text())
    else:
        rows = collect(args.limit)
        if args.rows is not None:
            args.rows.write_text(json.dumps(rows))
    print(f"{len(rows)} answerable calibration questions whose best sentence holds the answer")
    print("| exact answer | token F1 | hit | mean chars |\n| --- | --- | --- | --- |")
    for name, chosen in (("the reader's best span", False), ("choose_span", True)):
        f1, hit, chars = measure(rows, chosen)
        print(f"| {name} | {f1:.3f} | {hit:.3f} | {chars:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
