"""The shipped reader: it loads offline and reads a fixed set as its card records."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bot.answering.reader import READER_DIR, Window
from bot.articles import load_article
from bot.chunking import split_article
from tests.conftest import SEED_ARTICLE

pytestmark = pytest.mark.model


def test_the_artifact_is_small_and_documented() -> None:
    sizes = {p.name: p.stat().st_size for p in READER_DIR.iterdir()}
    assert sum(sizes.values()) < 5_000_000, sizes  # rank 112: why, in tools/train_reader.py
    card = json.loads((READER_DIR / "card.json").read_text())
    for key in ("command", "data", "settings", "training", "adapter", "validation", "confidence", "check"):
        assert key in card, key
    assert card["settings"]["seed"] == 13
    assert 0.0 < card["confidence"]["threshold"] < 1.0


def test_it_reads_the_fixed_set_as_recorded(real_reader) -> None:
    reader, _ = real_reader
    sentences = split_article(load_article(SEED_ARTICLE))
    for check in reader.card["check"]:
        index = check["sentence"]
        window = Window(sentences[index].text, sentences[index - 1].text if index else "")
        [reading] = reader.read(check["question"], [window])
        assert reading.logit == pytest.approx(check["logit"], abs=0.05), check["question"]
        assert reading.span == (tuple(check["span"]) if check["span"] else None), check["question"]


def test_it_loads_with_the_network_switched_off(real_reader, tmp_path) -> None:
    """In a fresh process, offline, with no route out and an empty cache: nothing is
    downloaded, and it reads as the reader loaded here does."""
    window = Window("The spaceship was launched on a Long March-2F rocket last month.")
    code = (
        "from bot.answering.reader import TrainedReader, Window; from bot.embedding import resolve_model; "
        "r = TrainedReader(resolve_model('bundled:all-MiniLM-L6-v2')); "
        f"print(r.read('what rocket', [Window({window.sentence!r})])[0].logit)"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HOME": str(tmp_path),
           "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    reader, _ = real_reader
    assert float(done.stdout.strip()) == pytest.approx(
        reader.read("what rocket", [window])[0].logit, abs=1e-4
    )
