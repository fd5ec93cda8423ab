from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent
SEED_ARTICLE = ROOT / "corpus" / "china-first-woman-spacewalk.txt"


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(SEED_ARTICLE, folder / SEED_ARTICLE.name)
    return folder


@pytest.fixture
def settings(tmp_path: Path, corpus: Path) -> Settings:
    return Settings(corpus_dir=corpus, index_dir=tmp_path / "index", model="fake-bow")


@pytest.fixture(scope="session")
def real_embedder():
    from bot.embedding import SentenceTransformerEmbedder
    from bot.settings import BUNDLED_MODEL

    return SentenceTransformerEmbedder(BUNDLED_MODEL)


@pytest.fixture(scope="session")
def real_reader():
    """The shipped reader and its fitted confidence model, loaded once."""
    from bot.answering import ConfidenceModel
    from bot.embedding import resolve_model
    from bot.reader import TrainedReader
    from bot.settings import BUNDLED_MODEL

    reader = TrainedReader(resolve_model(BUNDLED_MODEL))
    return reader, ConfidenceModel.from_card(reader.card)
