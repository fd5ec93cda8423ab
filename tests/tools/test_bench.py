"""The benchmark's table, from tiny corpora and the fake embedder (timings are not checked)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.errors import CommandError
from bot.index import VectorOptions
from tests.fakes import FakeEmbedder
from tools import bench

ROOT = Path(__file__).resolve().parents[2]
ROVER = """Rover finds ice

The rover found ice near the south pole of the Moon on Tuesday. It drilled twice.

Engineers said the drill reached a depth of 40 centimetres. The mission will last 300 days.

The team plans to send a second rover in 2027, according to the space agency.
"""


def test_parse_sizes() -> None:
    assert bench.parse_sizes("1m, seed,10k,100k") == [0, 10_000, 100_000, 1_000_000]
    assert bench.parse_sizes("2500,1.5k") == [1500, 2500]
    assert [bench.size_name(s) for s in (0, 10_000, 1_000_000, 2500)] == ["seed", "10k", "1M", "2500"]
    with pytest.raises(ValueError, match="not a size"):
        bench.parse_sizes("huge")


def test_bench_prints_the_expected_rows(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "china-first-woman-spacewalk.txt", corpus)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "rover.txt").write_text(ROVER)
    questions = ["Who walked in space?", "When did the rover find ice?", "How deep did the drill go?"]
    plan = bench.BenchPlan(
        corpus_dir=corpus,
        article_dirs=[corpus, extra],
        seed_questions=questions[:1],
        questions=questions,
        sizes=[bench.SEED, 600],
        workdir=tmp_path / "work",
        question_count=12,
        build_rounds=1,
        vector_options=VectorOptions(exact_limit=300, min_lists=8),  # the larger corpus: approximate
    )
    said: list[str] = []
    rows = bench.run(plan, FakeEmbedder(), said.append)

    measures = [(r.measure, r.corpus.split(":")[0]) for r in rows]
    assert measures[:5] == [
        ("warm ask p50 / p95 / p99", "seed"),
        ("warm ask p50 / p95 / p99", "600"),
        ("vector search p50 / p95, recall@10, index memory", "seed"),
        ("vector search p50 / p95, recall@10, index memory", "600"),
        ("index build throughput", "real reindex from nothing"),
    ]
    assert measures[5][0] == "ingest cost per article"
    assert measures[6][0] == "add one article (copy into the corpus, reindex, serve)"
    assert measures[6][1].startswith("600 index + rover (")
    assert measures[7:] == [("peak memory (RSS)", "while answering (seed); the whole run")] or measures[
        7:
    ] == [("peak memory (RSS)", "while answering (600); the whole run")]
    by_measure = {(r.measure, r.corpus.split(":")[0]): r for r in rows}
    seed = by_measure[("warm ask p50 / p95 / p99", "seed")]
    assert seed.target.startswith("≤ 1.3: ") and seed.beside.startswith("question embedding p50")
    larger = by_measure[("vector search p50 / p95, recall@10, index memory", "600")]
    assert "ivf-sqfp16" in larger.corpus and "recall" in larger.result
    assert "copies of real text" not in larger.corpus  # the corpus line says what the vectors are
    assert "synthetic passage vectors" in by_measure[("warm ask p50 / p95 / p99", "600")].corpus
    add = next(r for r in rows if r.measure.startswith("add one article"))
    assert "beyond its embedding" in add.result and "NOT SERVED" not in add.result
    ingest = next(r for r in rows if r.measure == "ingest cost per article")
    assert ingest.result.endswith(" ms)") and "real articles" in ingest.corpus
    build = next(r for r in rows if r.measure == "index build throughput")
    assert build.target.startswith("≥ 0.9: ") and "texts/s" in build.result
    assert any("writing the index" in s for s in said)

    table = bench.render(rows, ["a note"])
    lines = table.splitlines()
    assert lines[0] == "| measure | corpus | result | beside | ratio | target |"
    assert len([line for line in lines if line.startswith("| ")]) == len(rows) + 2  # header and rule
    assert lines[-1] == "a note"
    assert not (tmp_path / "work" / "600").exists()  # the large index is removed after use


def test_plan_from_options(tmp_path: Path) -> None:
    seed = tmp_path / "seed.jsonl"
    seed.write_text('{"question": "Who walked in space?"}\n')
    benchmark = tmp_path / "benchmark"
    (benchmark / "articles").mkdir(parents=True)
    (benchmark / "questions.jsonl").write_text('{"question": "Which river?"}\n')
    plan = bench.plan_from_options(
        tmp_path, "fake-bow", quick=True, seed_questions=seed, benchmark=benchmark, workdir=tmp_path / "w"
    )
    assert plan.sizes == [bench.SEED, 10_000] and plan.question_count == 40 and plan.build_rounds == 1
    assert plan.seed_questions == ["Who walked in space?"] and plan.questions == ["Which river?"]
    assert plan.article_dirs == [tmp_path, benchmark / "articles"]
    assert plan.cold_start_args == ["--model", "fake-bow"] and plan.workdir == tmp_path / "w"
    with pytest.raises(CommandError, match="'huge' is not a size"):
        bench.plan_from_options(tmp_path, "m", sizes="huge")
    with pytest.raises(CommandError, match=r"^--benchmark .*: no such file or folder$"):
        bench.plan_from_options(tmp_path, "m", benchmark=tmp_path / "nope")
