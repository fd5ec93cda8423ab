"""The question sets the reader is trained, calibrated and measured on, and their splits.

Sets (each a folder of `articles/*.txt` and `questions.jsonl`, see datasets/WRITING.md):

- the SQuAD 2.0 benchmark in ../shared/benchmarks/squad2-dev-half (8 Wikipedia articles);
- datasets/news-train-*, wiki-train-*, seed-train: written for training;
- datasets/*-calib-*: written for calibrating only, never trained on;
- datasets/news-val, seed-val: written apart, for measuring only.

Splits, fixed here so that every tool agrees:

- train: what the reader learns from;
- calibration: what the confidence model and the abstention threshold are fitted on
  (every fourth article of each training set by name, the SQuAD article "normans",
  a quarter of the seed-train questions, chosen by a hash of the question, and the
  sets in CALIBRATION_SETS and NOT_YET_TRAINED whole);
- validation: never used to fit anything (news-val, seed-val and the SQuAD articles
  "packet-switching" and "steam-engine").
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "datasets"
SQUAD = ROOT.parent / "shared" / "benchmarks" / "squad2-dev-half"

# Written after the shipped reader was trained (its card lists what it learned from): the
# reader never saw them, so all their questions calibrate the confidence (split
# "calibration"), until the next training run takes them in by emptying this.
NOT_YET_TRAINED: frozenset[str] = frozenset(
    {"news-train-zf", "news-train-zg", "news-train-zh", "news-train-zi"}
)
TRAIN_SETS = tuple(
    sorted(
        p.name
        for p in DATASETS.glob("*-train-*")
        if (p / "questions.jsonl").is_file() and p.name not in NOT_YET_TRAINED
    )
)  # news-train-a … and wiki-train-a …
# Written to calibrate the confidence only (crowd-heavy news): no reader trains on them, so
# the threshold is always fitted on some questions whatever the reader learned from.
CALIBRATION_SETS = tuple(
    sorted(p.name for p in DATASETS.glob("*-calib-*") if (p / "questions.jsonl").is_file())
)
SEED_TRAIN = "seed-train"
VALIDATION_SETS = ("news-val", "seed-val")
SQUAD_CALIBRATION = ("normans",)
SQUAD_VALIDATION = ("packet-switching", "steam-engine")


@dataclass(frozen=True)
class Item:
    """One question of a set, with its split."""

    set: str
    article: str
    question: str
    answers: tuple[str, ...]
    is_impossible: bool
    style: str
    previous: str
    split: str

    def to_json(self) -> dict[str, object]:
        return {
            "article": self.article,
            "question": self.question,
            "answers": list(self.answers),
            "is_impossible": self.is_impossible,
            "style": self.style,
            **({"previous": self.previous} if self.previous else {}),
        }


@dataclass(frozen=True)
class QuestionSet:
    name: str
    articles: Path
    items: tuple[Item, ...]


def _hash_quarter(text: str) -> bool:
    return hashlib.sha256(text.encode()).digest()[0] % 4 == 3


def _split(set_name: str, article: str, question: str, calibration_articles: set[str]) -> str:
    if set_name in VALIDATION_SETS:
        return "validation"
    if set_name == "squad":
        if article in SQUAD_VALIDATION:
            return "validation"
        return "calibration" if article in SQUAD_CALIBRATION else "train"
    if set_name in NOT_YET_TRAINED or set_name in CALIBRATION_SETS:
        return "calibration"
    if set_name.startswith(SEED_TRAIN):  # one article: a quarter of its questions calibrate
        return "calibration" if _hash_quarter(question) else "train"
    return "calibration" if article in calibration_articles else "train"


def load_set(name: str, folder: Path) -> QuestionSet:
    set_name = "squad" if folder.resolve() == SQUAD.resolve() else name
    articles = sorted(p.stem for p in (folder / "articles").glob("*.txt"))
    calibration = {a for i, a in enumerate(articles) if i % 4 == 3}
    items = []
    for line in (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        question = str(row["question"]).strip()
        items.append(
            Item(
                set=set_name,
                article=str(row["article"]),
                question=question,
                answers=tuple(str(a) for a in row.get("answers", [])),
                is_impossible=bool(row.get("is_impossible", not row.get("answers"))),
                style=str(row.get("style", "formal")),
                previous=str(row.get("previous", "")).strip(),
                split=_split(set_name, str(row["article"]), question, calibration),
            )
        )
    return QuestionSet(set_name, folder / "articles", tuple(items))


def all_sets() -> list[QuestionSet]:
    """Every set, the SQuAD benchmark first."""
    sets = [load_set("squad", SQUAD)]
    for name in (*TRAIN_SETS, *sorted(NOT_YET_TRAINED), *CALIBRATION_SETS, SEED_TRAIN, *VALIDATION_SETS):
        if (DATASETS / name / "questions.jsonl").is_file():
            sets.append(load_set(name, DATASETS / name))
    return sets


def previous_context(items: tuple[Item, ...], item: Item) -> str:
    """For a follow-up: its earlier question and that question's first gold answer."""
    if not item.previous:
        return ""
    for other in items:
        if other.article == item.article and other.question == item.previous:
            answer = other.answers[0] if other.answers else ""
            return f"{other.question} {answer}".strip()
    return item.previous


@contextmanager
def indexed(qset: QuestionSet, embedder: Any, reader: Any = None, confidence: Any = None) -> Iterator[Any]:
    """An ArticleQA (bot/engine.py) over `qset`'s articles, indexed in a scratch folder that
    is removed afterwards; `reader` and `confidence` as ArticleQA takes them (None: no
    reader, which ranks from fewer passages than the bot)."""
    from bot.engine import ArticleQA
    from bot.settings import Settings

    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(corpus_dir=qset.articles, index_dir=Path(scratch) / "index")
        core = ArticleQA(settings.core, embedder, reader=reader, confidence=confidence)
        core.open()
        yield core
