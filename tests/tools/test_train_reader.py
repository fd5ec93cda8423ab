"""What training records of a reader it goes on from, and the chat rewriting of questions."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from bot.answering.reader import READER_DIR
from tools import train_reader


def test_a_reader_trained_further_records_the_one_it_started_from() -> None:
    earlier = train_reader.earlier_reader(READER_DIR)
    card = json.loads((READER_DIR / "card.json").read_text(encoding="utf-8"))
    assert earlier["folder"] == str(READER_DIR)
    assert re.fullmatch(r"[0-9a-f]{7,40}", earlier["commit"])  # the commit that last changed its weights
    assert earlier["training"] == card["training"]
    assert earlier["command"].startswith("python tools/train_reader.py")


def test_a_reader_without_history_has_no_commit(tmp_path: Path) -> None:
    (tmp_path / "card.json").write_text(json.dumps({"command": "python tools/train_reader.py"}))
    earlier = train_reader.earlier_reader(tmp_path)
    assert earlier == {"folder": str(tmp_path), "commit": "", "command": "python tools/train_reader.py"}


def test_casual_rewriting_types_a_question_as_in_a_chat() -> None:
    rng = random.Random(3)
    typed = [train_reader.casual("Who is the director of the National Museum?", rng) for _ in range(20)]
    assert all(t == t.lower() and not t.endswith("?") for t in typed)
    assert any(t.startswith("whos ") for t in typed)  # a contraction, in about half of them
    words = {"who", "whos", "is", "the", "director", "of", "national", "museum"}
    typos = [t for t in typed if not set(t.split()) <= words]  # a letter dropped or two swapped
    assert 0 < len(typos) < len(typed)
    assert all(len(t.split()) == (7 if t.startswith("whos ") else 8) for t in typed)  # no word lost
