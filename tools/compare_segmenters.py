"""Compare sentence segmenters on the project's sentence test set, side by side.

    python tools/compare_segmenters.py [--show NAME]

Reads tests/data/sentences/news.jsonl (English news paragraphs with their gold
sentences), other_languages.jsonl, and heldout.jsonl (written apart from the
corrections below, which were never tuned on it), runs every candidate, and prints per
candidate: the share of gold sentences reproduced exactly, boundary precision
and recall, the share of paragraphs split exactly right, and how many
characters of the paragraphs its own output lost or altered (before the
project cuts the spans out of the paragraph itself, which loses none). Each
candidate is run alone and "+ guards" with the project's corrections for news
text (bot/sentences.py `adjust_boundaries`). `--show NAME` prints that candidate's
wrong paragraphs. Needs the `tools` extra (pysbd, sentencex, syntok).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.sentences import adjust_boundaries, segmenter_boundaries, spans_between  # noqa: E402

DATA = ROOT / "tests" / "data" / "sentences"
Pieces = Callable[[str, str], list[str]]  # (paragraph, language) -> the segmenter's own pieces


def _pysbd(text: str, language: str) -> list[str]:
    import pysbd

    try:
        segmenter = pysbd.Segmenter(language=language, clean=False)
    except ValueError:  # a language pysbd has no rules for
        segmenter = pysbd.Segmenter(language="en", clean=False)
    return list(segmenter.segment(text))


def _blingfire(text: str, language: str) -> list[str]:
    return [text[a:b] for a, b in __import__("blingfire").text_to_sentences_and_offsets(text)[1]]


def _sentencex(text: str, language: str) -> list[str]:
    from sentencex import segment

    return list(segment(language, text))


def _syntok(text: str, language: str) -> list[str]:
    from syntok import segmenter

    pieces = []
    for paragraph in segmenter.analyze(text):
        for sentence in paragraph:
            pieces.append(text[sentence[0].offset : sentence[-1].offset + len(sentence[-1].value)])
    return pieces


CANDIDATES: dict[str, Pieces] = {
    "pysbd": _pysbd,
    "blingfire": _blingfire,
    "sentencex": _sentencex,
    "syntok": _syntok,
}


def cuts_of(text: str, pieces: list[str]) -> tuple[list[int], int]:
    """Where the pieces end in `text`, and how many non-space characters they lost or altered."""
    cuts, cursor, found = [], 0, 0
    for piece in pieces:
        stripped = piece.strip()
        at = text.find(stripped, cursor) if stripped else -1
        if at < 0:
            continue
        found += len("".join(stripped.split()))
        cursor = at + len(stripped)
        cuts.append(cursor)
    return cuts[:-1], len("".join(text.split())) - found


def load(name: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line]


def evaluate(rows: list[dict[str, object]], split: Callable[[str, str], tuple[list[tuple[int, int]], int]]):
    gold_n = pred_n = exact = tp_b = gold_b = pred_b = right = lost = 0
    wrong = []
    for row in rows:
        text, language = str(row["text"]), str(row.get("lang", "en"))
        gold = [str(s) for s in row["sentences"]]  # type: ignore[union-attr]
        spans, lost_here = split(text, language)
        pred = [text[a:b] for a, b in spans]
        lost += lost_here
        gold_n += len(gold)
        pred_n += len(pred)
        exact += len(set(gold) & set(pred))
        gold_ends = _ends(text, gold)
        pred_ends = {b for _, b in spans[:-1]}
        tp_b += len(gold_ends & pred_ends)
        gold_b += len(gold_ends)
        pred_b += len(pred_ends)
        if pred == gold:
            right += 1
        else:
            wrong.append((row["id"], gold, pred))
    return {
        "sentences": exact / gold_n,
        "precision": tp_b / pred_b if pred_b else 1.0,
        "recall": tp_b / gold_b if gold_b else 1.0,
        "paragraphs": right / len(rows),
        "lost": lost,
    }, wrong


def _ends(text: str, sentences: list[str]) -> set[int]:
    ends, cursor = set(), 0
    for sentence in sentences[:-1]:
        cursor = text.index(sentence, cursor) + len(sentence)
        ends.add(cursor)
    return ends


def splitter(pieces: Pieces, guards: bool) -> Callable[[str, str], tuple[list[tuple[int, int]], int]]:
    def split(text: str, language: str) -> tuple[list[tuple[int, int]], int]:
        cuts, lost = cuts_of(text, pieces(text, language))
        if guards:
            cuts = adjust_boundaries(text, cuts, language)
        return spans_between(text, cuts), lost

    return split


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--show", help="print the paragraphs this candidate splits wrongly")
    args = parser.parse_args()
    news, other = load("news.jsonl"), load("other_languages.jsonl")
    by_kind: dict[str, list[dict[str, object]]] = defaultdict(list)
    for row in news:
        by_kind[str(row["kind"])].append(row)
    header = f"{'segmenter':<22}{'sentences':>10}{'precision':>10}{'recall':>8}{'paras':>7}{'lost':>6}"
    heldout = load("heldout.jsonl")
    tables = (
        ("English news", news),
        ("other languages", other),
        (
            "held out, English (written apart; the corrections were not tuned on it)",
            [r for r in heldout if r["lang"] == "en"],
        ),
        ("held out, other languages", [r for r in heldout if r["lang"] != "en"]),
    )
    for title, rows in tables:
        print(f"\n{title}: {len(rows)} paragraphs, {sum(len(r['sentences']) for r in rows)} sentences")  # type: ignore[arg-type]
        print(header)
        for name, pieces in CANDIDATES.items():
            for guards in (False, True):
                label = name + (" + guards" if guards else "")
                scores, wrong = evaluate(rows, splitter(pieces, guards))
                print(
                    f"{label:<22}{scores['sentences']:>10.3f}{scores['precision']:>10.3f}"
                    f"{scores['recall']:>8.3f}{scores['paragraphs']:>7.3f}{scores['lost']:>6}"
                )
                if args.show == label:
                    for row_id, gold, pred in wrong:
                        print(f"  {row_id}\n    gold {gold}\n    got  {pred}")
    print("\nsentences reproduced exactly, by kind (English news):")
    names = [*CANDIDATES, "blingfire + guards"]
    print(f"{'kind':<20}" + "".join(f"{n[:16]:>18}" for n in names))
    for kind, rows in sorted(by_kind.items()):
        cells = []
        for name in names:
            base = name.replace(" + guards", "")
            scores, _ = evaluate(rows, splitter(CANDIDATES[base], name.endswith("guards")))
            cells.append(f"{scores['sentences']:>18.3f}")
        print(f"{kind:<20}" + "".join(cells))
    print("\nproduction split (bot.sentences.split_sentences):", segmenter_boundaries.__module__)


if __name__ == "__main__":
    main()
