from __future__ import annotations

import inspect
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.db import Database
from bot.settings import Settings
from tests.fakes import FakeEmbedder
from tests.postgres import PostgresServer, find_binaries

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
    from bot.answering.reader import TrainedReader
    from bot.embedding import resolve_model
    from bot.settings import BUNDLED_MODEL

    reader = TrainedReader(resolve_model(BUNDLED_MODEL))
    return reader, ConfidenceModel.from_card(reader.card)


# ---- markers for a quick run (`make test-quick`: -m "not model and not slow") ----------------

MODEL_FIXTURES = {"real_embedder", "real_reader"}  # load the bundled model or the trained reader
SPAWNS = re.compile(r"subprocess|sys\.executable")  # starts `python -m bot`, `make`, a script


def _sources(item: pytest.Function) -> Iterator[str]:
    """The test's source, then that of the functions and fixtures of its module it names."""
    source = inspect.getsource(item.function)
    yield source
    module = item.function.__module__
    for name in set(re.findall(r"\w+", source)) | set(item.fixturenames):
        helper = getattr(item.module, name, None)
        helper = inspect.unwrap(helper) if callable(helper) else None  # a fixture: its function
        if inspect.isfunction(helper) and helper is not item.function and helper.__module__ == module:
            yield inspect.getsource(helper)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `model` what uses the real model or reader, and `slow` what starts a process."""
    for item in items:
        if not isinstance(item, pytest.Function):
            continue
        if MODEL_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.model)
        if "slow" not in item.keywords and any(SPAWNS.search(source) for source in _sources(item)):
            item.add_marker(pytest.mark.slow)


# ---- the operators' database: SQLite, and a real PostgreSQL the tests start ------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    binaries = find_binaries()
    if binaries is None:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but PostgreSQL's initdb and pg_ctl are not installed")
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    server = PostgresServer(binaries)
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a new empty database: a SQLite file, then a database on the test server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bot.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """An open `Database` on each kind of server in turn (tests run once per kind)."""
    db = Database(database_url)
    yield db
    db.close()
