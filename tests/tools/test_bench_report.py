"""The report benchmark's synthetic log (tools/bench_report.py), read back by the report."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from bot.db import Database, sqlite_url
from bot.insights import build_report
from tests.fakes import FakeEmbedder
from tools import bench_report


def test_the_synthetic_log_is_a_week_of_questions_abstained_in_its_topics(tmp_path: Path) -> None:
    db = Database(sqlite_url(tmp_path / "bot.db"))
    bench_report.fill(db, 300, 0.3, random.Random(1))
    report = build_report(db, FakeEmbedder, timedelta(days=7), max_clustered=50)
    db.close()
    assert report.questions == 300 and 60 <= report.abstained <= 120
    assert report.capped and report.clustered == 50 and report.group_count >= 2
    assert {u.article for u in report.articles} == set(bench_report.ARTICLES)
    topic_words = {"charge", "score", "bake", "deposit", "rain", "ticket", "range", "scored"}
    assert any(word in example for g in report.groups for example in g.examples for word in topic_words)
    assert 1 <= len(report.days) <= 8
