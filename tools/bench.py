"""Measured speed and scale: what `python -m bot bench` prints (from a clone of the project).

One run measures, on this machine:

- warm question latency through `ArticleQA.ask` (p50/p95/p99) at the seed corpus
  and at larger corpora, beside the time of embedding the question alone;
- the vector search on its own, its memory, and its recall@10 against exact search;
- the throughput of a real reindex beside the model's raw encode throughput;
- adding one article to a large index, beyond that article's own embedding;
- peak memory, and cold start to a first answer in a fresh process.

The larger corpora are the real articles (the seed corpus and the benchmark
articles) copied many times under new ids: real text, so BM25, sentence scoring
and citations do their real work. Embedding a million passages would take hours
on two cores, so their passage vectors are synthetic, made from the real ones
(see SYNTHETIC_NOTE); sentence vectors are the real ones of the copied text, and
questions are embedded by the model as usual. These indexes are written to disk
and loaded as the bot loads any index.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import logging
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import psutil

from bot.answering import ConfidenceModel, candidate_windows
from bot.answering.reader import Reader
from bot.articles import find_article_files, load_article
from bot.chunking import ChunkingConfig, build_record, chunk_sentences, split_article
from bot.embedding import Embedder
from bot.engine import ArticleQA
from bot.errors import CommandError, QuestionError
from bot.index import IndexSnapshot, IndexStore, VectorOptions, faiss_threads
from bot.models import Article, ArticleRecord, Sentence
from bot.settings import CoreSettings
from tools.evaluate import load_questions

log = logging.getLogger("bot.bench")

CLONE = Path(__file__).resolve().parent.parent
SEED_QUESTIONS = CLONE / "tests" / "data" / "seed_questions.jsonl"
BENCHMARK_DIR = CLONE.parent / "shared" / "benchmarks" / "squad2-dev-half"

SEED = 0  # the size that stands for the seed corpus itself
NAMED_SIZES = {"seed": SEED, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}
ADD_AT = 100_000  # the index size the one-article addition is measured at (when run)
NOISE = 0.35  # spread of the synthetic vectors around their source (see SYNTHETIC_NOTE)
DEPTH = 30  # passages the retriever asks the vector index for
COLD_START_TARGET_S = 15.0  # a fresh `ask` to its first answer, on these 2-core machines
SYNTHETIC_NOTE = (
    "Synthetic passage vectors: normalise(w·c + (1−w)·p + {noise}·g/√d), with c the real vector of "
    "the passage's source, p a random real passage or sentence vector, w uniform in [0.55, 1] and g "
    "Gaussian; the first copy of each article keeps its real vectors. Sentence vectors are the real "
    "ones; questions are embedded by the model."
)


@dataclass(frozen=True)
class Row:
    measure: str
    corpus: str
    result: str
    beside: str = ""
    ratio: str = ""
    target: str = ""


@dataclass
class BenchPlan:
    """What to measure, and with what."""

    corpus_dir: Path  # the seed corpus
    article_dirs: list[Path]  # real articles for the reindex and the larger corpora (corpus_dir first)
    seed_questions: list[str]
    questions: list[str]  # for the larger corpora
    sizes: list[int]  # passages; SEED for the seed corpus
    workdir: Path
    question_count: int = 200
    build_rounds: int = 2  # reindexes (each between raw encodes); the best of each counts
    add_article: bool = True
    cold_start_command: list[str] | None = None  # e.g. [python, "-m", "bot"]; None skips it
    cold_start_args: Sequence[str] = ()  # options for its `ask`, e.g. the model
    vector_options: VectorOptions | None = None  # when indexes turn approximate (tests: small)


def parse_sizes(text: str) -> list[int]:
    """'seed,10k,100k,1m' (or plain numbers of passages) as sizes, smallest first."""
    sizes = set()
    for part in (p.strip().lower() for p in text.split(",")):
        if not part:
            continue
        if part in NAMED_SIZES:
            sizes.add(NAMED_SIZES[part])
            continue
        scale = {"k": 1_000, "m": 1_000_000}.get(part[-1], 1)
        number = part[:-1] if scale > 1 else part
        try:
            sizes.add(int(float(number) * scale))
        except ValueError:
            raise ValueError(f"{part!r} is not a size (seed, 10k, 100k, 1m or a number)") from None
    return sorted(sizes)


def size_name(passages: int) -> str:
    if passages == SEED:
        return "seed"
    if passages % 1_000_000 == 0:
        return f"{passages // 1_000_000}M"
    if passages % 1_000 == 0:
        return f"{passages // 1_000}k"
    return str(passages)


class TimedEmbedder:
    """An embedder that adds up the time spent embedding."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.seconds = 0.0

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        began = time.perf_counter()
        try:
            return self.inner.embed(texts, batch_size=batch_size)
        finally:
            self.seconds += time.perf_counter() - began


def run(
    plan: BenchPlan,
    model: Embedder,
    say: Callable[[str], None] = lambda _: None,
    reader: Reader | None = None,
    confidence: ConfidenceModel | None = None,
) -> list[Row]:
    """Measure everything in `plan`; `say` hears what is being done. Questions are
    answered with `reader` and `confidence` (the similarity confidence without)."""
    embedder = TimedEmbedder(model)
    answering: dict[str, Any] = {
        "reader": reader,
        "confidence": confidence,
        "vector_options": plan.vector_options,
    }
    rows: list[Row] = []
    memory: list[tuple[int, int, str]] = []  # (RSS, of it mapped files, where) while answering
    plan.workdir.mkdir(parents=True, exist_ok=True)
    embedder.embed(["warming up the model"] * 8)

    say("real reindex and raw encode")
    real, build_row = _build_throughput(plan, embedder)
    rows.append(build_row)
    rows.append(_ingest_cost(plan.workdir / "real" / "corpus"))
    for passages in plan.sizes:
        gc.collect()
        if passages == SEED:
            say("seed corpus")
            core = ArticleQA(
                CoreSettings(corpus_dir=plan.corpus_dir, index_dir=plan.workdir / "seed-index"),
                embedder,
                **answering,
            )
            core.open()
            label = f"seed: {core.snapshot.passage_count} passages, real vectors"
            rows += _latency(
                core, embedder, plan.seed_questions or plan.questions, plan, label, passages, memory
            )
            if plan.cold_start_command:
                rows.append(_cold_start(plan, plan.corpus_dir, plan.workdir / "seed-index", "seed"))
            continue
        say(f"{size_name(passages)} passages: writing the index")
        rows += _at_size(plan, embedder, real, passages, say, memory, answering)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if memory:
        rss, mapped, where = max(memory)
        rows.append(
            Row(
                "peak memory (RSS)",
                f"while answering ({where}); the whole run",
                f"{_bytes(rss)} ({_bytes(rss - mapped)} private, {_bytes(mapped)} mapped files); "
                f"{_bytes(peak)}",
                "the whole run includes writing the synthetic indexes",
            )
        )
    order = ("warm ask", "vector search", "index build", "ingest", "add one", "cold start", "peak memory")
    return sorted(rows, key=lambda r: next(i for i, o in enumerate(order) if r.measure.startswith(o)))


# ---- build throughput --------------------------------------------------------------


def _build_throughput(plan: BenchPlan, embedder: TimedEmbedder) -> tuple[IndexSnapshot, Row]:
    """Reindex the real articles from nothing, beside encoding the same texts in one call.

    Raw encodes and reindexes alternate, and the fastest of each counts: on a
    machine shared with other work, that is the run least disturbed by it.
    """
    corpus = plan.workdir / "real" / "corpus"
    shutil.rmtree(plan.workdir / "real", ignore_errors=True)
    corpus.mkdir(parents=True)
    for folder in plan.article_dirs:
        for path in find_article_files(folder):
            if not (corpus / path.name).exists():
                shutil.copy(path, corpus / path.name)
    texts = _texts_of(corpus)
    longest = sorted(texts, key=len, reverse=True)
    embedder.embed(longest[:128] + longest[-128:])  # the model meets every batch shape once first

    raw = [_encode_rate(embedder, texts)]
    runs = []  # (seconds, of which embedding)
    for _ in range(max(plan.build_rounds, 1)):
        shutil.rmtree(plan.workdir / "real" / "index", ignore_errors=True)
        folders = CoreSettings(corpus_dir=corpus, index_dir=plan.workdir / "real" / "index")
        core = ArticleQA(folders, embedder, vector_options=plan.vector_options)
        embedder.seconds = 0.0
        began = time.perf_counter()
        report = core.reindex()
        runs.append((time.perf_counter() - began, embedder.seconds))
        if plan.build_rounds > 1:
            raw.append(_encode_rate(embedder, texts))
    took, embedding = min(runs)
    rate, raw_rate = report.texts_embedded / took, max(raw)
    several = f" (best of {len(runs)} reindexes and {len(raw)} encodes)" if len(runs) > 1 else ""
    row = Row(
        "index build throughput",
        f"real reindex from nothing: {len(core.snapshot.articles)} articles, "
        f"{report.texts_embedded:,} passages + sentences",
        f"{rate:.0f} texts/s ({took:.1f} s, of which embedding {embedding:.1f} s)",
        f"raw encode of the same texts {raw_rate:.0f} texts/s{several}",
        f"{rate / raw_rate:.2f}",
        _target(rate / raw_rate >= 0.9, "≥ 0.9"),
    )
    return core.snapshot, row


def _ingest_cost(corpus: Path, rounds: int = 3) -> Row:
    """Reading, sentence splitting and chunking per article (no embedding), beside the
    same with pysbd, the segmenter used before bot/sentences.py, when it is installed
    (`pip install -e ".[tools]"`). Best of `rounds` passes over the articles."""
    paths = find_article_files(corpus)
    config = ChunkingConfig()

    def ingest(split: Callable[[Article], list[Sentence]]) -> tuple[float, float]:
        best_total = best_split = math.inf
        for _ in range(rounds):
            total = splitting = 0.0
            for path in paths:
                began = time.perf_counter()
                article = load_article(path)
                middle = time.perf_counter()
                chunk_sentences(article, split(article), config)
                total += time.perf_counter() - began
                splitting += time.perf_counter() - middle
            best_total, best_split = min(best_total, total), min(best_split, splitting)
        return best_total * 1000 / len(paths), best_split * 1000 / len(paths)

    total, splitting = ingest(split_article)
    beside = ratio = ""
    try:
        import pysbd
    except ImportError:
        beside = "pysbd (the segmenter before) not installed: pip install -e '.[tools]'"
    else:
        segmenter = pysbd.Segmenter(language="en", clean=False)

        def with_pysbd(article: Article) -> list[Sentence]:
            """The sentences as the previous version found them (pieces located by search)."""
            out: list[Sentence] = []
            for paragraph in article.paragraphs:
                body, cursor = article.paragraph_text(paragraph), 0
                for piece in segmenter.segment(body):
                    start = max(body.find(piece.strip(), cursor), cursor)
                    cursor = start + len(piece.strip())
                    out.append(
                        Sentence(
                            len(out),
                            paragraph.number,
                            paragraph.start + start,
                            paragraph.start + cursor,
                            piece,
                        )
                    )
            return out

        old_total, old_split = ingest(with_pysbd)
        beside = (
            f"with pysbd, the segmenter before: {old_total:.1f} ms (splitting and chunking {old_split:.1f})"
        )
        ratio = f"{total / old_total:.2f}"
    return Row(
        "ingest cost per article",
        f"{len(paths)} real articles: read, split into sentences, chunked (no embedding)",
        f"{total:.1f} ms (splitting and chunking {splitting:.1f} ms)",
        beside,
        ratio,
    )


def _texts_of(corpus: Path) -> list[str]:
    """The passages and sentences a reindex of `corpus` embeds (parsed, not embedded)."""
    texts: list[str] = []
    for path in find_article_files(corpus):
        record = build_record(load_article(path), path.name, ChunkingConfig())
        texts += [c.embedding_text() for c in record.chunks] + [s.text for s in record.sentences]
    return texts


def _encode_rate(embedder: TimedEmbedder, texts: list[str]) -> float:
    began = time.perf_counter()
    embedder.embed(texts, batch_size=64)
    return len(texts) / (time.perf_counter() - began)


# ---- latency -----------------------------------------------------------------------


def _latency(
    core: ArticleQA,
    embedder: TimedEmbedder,
    questions: Sequence[str],
    plan: BenchPlan,
    label: str,
    passages: int,
    memory: list[tuple[int, int, str]],
) -> list[Row]:
    """Warm `ask` latency beside embedding alone, and the vector search on its own."""
    count = min(plan.question_count, max(len(questions), 1) * 4)
    asked = [questions[i % len(questions)] for i in range(count)]
    for question in asked[:10]:  # warm up caches, allocator and the model
        _ask(core, question)
    ask_ms, embed_ms, search_ms, floor_ms = [], [], [], []
    vectors = []
    for question in asked:
        began = time.perf_counter()
        _ask(core, question)
        asked_at = time.perf_counter()
        vector = embedder.embed([question])[0]
        embedded_at = time.perf_counter()
        core.snapshot.vectors.search(vector, DEPTH)
        searched_at = time.perf_counter()
        ask_ms.append(1000 * (asked_at - began))
        embed_ms.append(1000 * (embedded_at - asked_at))
        search_ms.append(1000 * (searched_at - embedded_at))
        vectors.append(vector)
        if core.reader is not None:
            floor_ms.append(_floor_ms(core, embedder, question))
    snapshot = core.snapshot
    index = snapshot.vectors
    described = index.describe()
    kind = str(described["type"])
    if not index.exact:
        kind += f" (nlist {described['nlist']}, nprobe {described['nprobe']})"
    corpus = f"{label}; {kind}"
    p50, p95, p99 = np.percentile(ask_ms, [50, 95, 99])
    e50 = float(np.median(embed_ms))
    if floor_ms:  # the floor: the question's embedding and one reader pass over its candidates
        f50 = float(np.median(floor_ms))
        beside = f"question embedding + one reader pass p50 {f50:.1f} ms (embedding alone {e50:.1f} ms)"
    else:
        f50, beside = e50, f"question embedding p50 {e50:.1f} ms"
    ratio = p50 / f50
    ask_row = Row(
        "warm ask p50 / p95 / p99",
        corpus,
        f"{p50:.1f} / {p95:.1f} / {p99:.1f} ms",
        beside,
        f"{ratio:.2f}",
        _target(ratio <= 1.3, "≤ 1.3") if passages == SEED else "",
    )
    recall, exact_ms = _recall(snapshot, np.array(vectors))
    s50, s95 = np.percentile(search_ms, [50, 95])
    rss = psutil.Process().memory_info()
    memory.append((int(rss.rss), int(rss.shared), size_name(passages)))
    index_bytes = index.memory_bytes
    at_scale = passages >= 1_000_000
    search_row = Row(
        "vector search p50 / p95, recall@10, index memory",
        f"{size_name(passages)}: {len(index):,} vectors; {kind}",
        f"{s50:.2f} / {s95:.2f} ms, recall {recall:.3f}, {_bytes(index_bytes)} "
        f"(process RSS {_bytes(rss.rss)}, {_bytes(rss.shared)} of it mapped files)",
        "exact search, the same" if index.exact else f"exact search p50 {exact_ms:.1f} ms",
        "",
        _target(s95 <= 50 and recall >= 0.95 and index_bytes <= 1 << 30, "p95 ≤ 50 ms, recall ≥ 0.95, ≤ 1 GB")
        if at_scale
        else "",
    )
    return [ask_row, search_row]


def _floor_ms(core: ArticleQA, embedder: TimedEmbedder, question: str) -> float:
    """Milliseconds to embed `question` and read its candidates once: what any answer costs."""
    assert core.reader is not None and core.confidence is not None
    try:
        windows = candidate_windows(core.rank(question)[: core.confidence.candidates])
    except QuestionError:
        return float("nan")
    began = time.perf_counter()
    embedder.embed([question])
    core.reader.read(question, windows)
    return 1000 * (time.perf_counter() - began)


def _ask(core: ArticleQA, question: str) -> None:
    with contextlib.suppress(QuestionError):  # a question the bot refuses still took its time
        core.ask(question)


def _recall(snapshot: IndexSnapshot, queries: np.ndarray, k: int = 10) -> tuple[float, float]:
    """Recall@k of the index against exact search, and exact search's p50 time (ms)."""
    base = snapshot.chunk_vectors
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    _, truth = faiss.knn(queries, np.ascontiguousarray(base), min(k, len(base)), faiss.METRIC_INNER_PRODUCT)
    found = [
        len({i for i, _ in snapshot.vectors.search(q, k)} & set(t.tolist())) / len(t)
        for q, t in zip(queries, truth, strict=True)
    ]
    times = []
    with faiss_threads(1):  # as the index searches
        for q in queries[:20]:
            began = time.perf_counter()
            faiss.knn(q[None, :], np.ascontiguousarray(base), DEPTH, faiss.METRIC_INNER_PRODUCT)
            times.append(1000 * (time.perf_counter() - began))
    return float(np.mean(found)), float(np.median(times))


# ---- the larger corpora -----------------------------------------------------------------


def _at_size(
    plan: BenchPlan,
    embedder: TimedEmbedder,
    real: IndexSnapshot,
    passages: int,
    say: Callable[[str], None],
    memory: list[tuple[int, int, str]],
    answering: dict[str, Any],
) -> list[Row]:
    folder = plan.workdir / size_name(passages)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    sources = list(real.articles)
    held_out = sources.pop() if plan.add_article and len(sources) > 1 else None
    adding = held_out is not None and passages == _add_size(plan)
    records = _copies(sources, passages)
    chunk_path, sentence_path = folder / "chunks.npy", folder / "sentences.npy"
    _write_vectors(real, sources, records, chunk_path, sentence_path, np.random.default_rng(passages))
    store = IndexStore(folder / "index", embedder, vector_options=plan.vector_options)
    store.install(records, np.load(chunk_path, mmap_mode="r"), np.load(sentence_path, mmap_mode="r"))
    chunk_path.unlink()
    sentence_path.unlink()
    corpus = folder / "corpus"
    corpus.mkdir()
    if adding:  # the corpus files, so a reindex sees the index as up to date
        originals = {r.id: (plan.workdir / "real" / "corpus" / r.file).read_bytes() for r in sources}
        for record in records:
            (corpus / record.file).write_bytes(originals[record.id.rsplit("-r", 1)[0]])
    say(f"{size_name(passages)} passages: loading")
    core = ArticleQA(CoreSettings(corpus_dir=corpus, index_dir=folder / "index"), embedder, **answering)
    began = time.perf_counter()
    core.open_readonly()
    load_s = time.perf_counter() - began
    label = (
        f"{size_name(passages)}: {core.snapshot.passage_count:,} passages, "
        f"{core.snapshot.sentence_count:,} sentences ({len(records):,} article copies, "
        f"loaded in {load_s:.1f} s); synthetic passage vectors"
    )
    say(f"{size_name(passages)} passages: asking")
    rows = _latency(core, embedder, plan.questions or plan.seed_questions, plan, label, passages, memory)
    if adding and held_out is not None:
        say(f"{size_name(passages)} passages: adding one article")
        rows.append(_add_one(plan, core, embedder, held_out, passages))
        if plan.cold_start_command:
            rows.append(_cold_start(plan, corpus, folder / "index", size_name(passages)))
    del core
    gc.collect()
    shutil.rmtree(folder, ignore_errors=True)
    return rows


def _add_size(plan: BenchPlan) -> int:
    """The size the addition is measured at: 100k when run, else the largest under a million."""
    candidates = [s for s in plan.sizes if SEED < s < 1_000_000]
    if ADD_AT in candidates:
        return ADD_AT
    return max(candidates, default=-1)


def _copies(sources: Sequence[ArticleRecord], passages: int) -> list[ArticleRecord]:
    """Copies of `sources` under new ids and files, until they hold `passages` passages."""
    records: list[ArticleRecord] = []
    count = 0
    for copy in range(math.ceil(passages / max(sum(len(s.chunks) for s in sources), 1))):
        for source in sources:
            if count >= passages:
                break
            new_id = f"{source.id}-r{copy:05d}"
            suffix = Path(source.file).suffix
            records.append(dataclasses.replace(source, id=new_id, file=new_id + suffix))
            count += len(source.chunks)
    return records


def _write_vectors(
    real: IndexSnapshot,
    sources: Sequence[ArticleRecord],
    records: Sequence[ArticleRecord],
    chunk_path: Path,
    sentence_path: Path,
    rng: np.random.Generator,
) -> None:
    """Write the copies' passage vectors (synthetic) and sentence vectors (real) as .npy files."""
    position = {s.id: real.position(s.id) for s in sources}
    pool = np.concatenate([np.asarray(real.chunk_vectors), np.asarray(real.sentence_vectors)])
    dimension = pool.shape[1]

    def source_rows(record: ArticleRecord) -> tuple[np.ndarray, np.ndarray, bool]:
        source_id, copy = record.id.rsplit("-r", 1)
        a = position[source_id]
        assert a is not None
        chunk0, sentence0 = int(real.chunk_start[a]), int(real.sentence_offset[a])
        return (
            np.arange(chunk0, chunk0 + len(record.chunks)),
            np.arange(sentence0, sentence0 + len(record.sentences)),
            int(copy) == 0,
        )

    def chunk_blocks() -> Iterator[np.ndarray]:
        for batch in _batches(records, 2000):
            parts = []
            for record in batch:
                rows, _, original = source_rows(record)
                source = np.asarray(real.chunk_vectors[rows])
                if original:
                    parts.append(source)
                    continue
                weight = rng.uniform(0.55, 1.0, (len(rows), 1)).astype(np.float32)
                mixed = weight * source + (1 - weight) * pool[rng.integers(0, len(pool), len(rows))]
                mixed += (NOISE / math.sqrt(dimension)) * rng.standard_normal(mixed.shape, dtype=np.float32)
                parts.append(mixed / np.linalg.norm(mixed, axis=1, keepdims=True))
            yield np.concatenate(parts)

    def sentence_blocks() -> Iterator[np.ndarray]:
        for batch in _batches(records, 2000):
            yield np.concatenate([np.asarray(real.sentence_vectors[source_rows(r)[1]]) for r in batch])

    _write_npy(chunk_path, sum(len(r.chunks) for r in records), dimension, chunk_blocks())
    _write_npy(sentence_path, sum(len(r.sentences) for r in records), dimension, sentence_blocks())


def _batches(items: Sequence[ArticleRecord], size: int) -> Iterator[Sequence[ArticleRecord]]:
    for at in range(0, len(items), size):
        yield items[at : at + size]


def _write_npy(path: Path, rows: int, dimension: int, blocks: Iterator[np.ndarray]) -> None:
    """A float32 .npy file written block by block (never whole in memory)."""
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)), "fortran_order": False}
    with path.open("wb") as handle:
        np.lib.format.write_array_header_1_0(handle, {**header, "shape": (rows, dimension)})
        written = 0
        for block in blocks:
            np.ascontiguousarray(block, dtype=np.float32).tofile(handle)
            written += len(block)
    if written != rows:
        raise RuntimeError(f"wrote {written} rows to {path}, expected {rows}")


def _add_one(
    plan: BenchPlan, core: ArticleQA, embedder: TimedEmbedder, article: ArticleRecord, passages: int
) -> Row:
    """Copy one new article into the corpus and reindex: the time beyond its embedding."""
    source = plan.workdir / "real" / "corpus" / article.file
    embedder.seconds = 0.0
    began = time.perf_counter()
    core.corpus.add_file(source)
    report = core.reindex()
    took = time.perf_counter() - began
    embedding = embedder.seconds
    served = core.snapshot.article(article.id) is not None
    beyond = took - embedding
    return Row(
        "add one article (copy into the corpus, reindex, serve)",
        f"{size_name(passages)} index + {article.id} ({report.texts_embedded} passages + sentences)",
        f"{beyond:.2f} s beyond its embedding ({took:.2f} s in all, embedding {embedding:.2f} s)"
        + ("" if served else "; NOT SERVED"),
        "",
        "",
        _target(beyond <= 2.0 and served, "≤ 2 s"),
    )


def _cold_start(plan: BenchPlan, corpus: Path, index: Path, name: str) -> Row:
    """Fresh processes on a built index: `ask` to its answer on stdout, and the commands
    that need no model (`list`, `status`), each timed from start to exit (seconds)."""
    assert plan.cold_start_command is not None
    question = (plan.seed_questions or plan.questions or ["What happened?"])[0]
    folders = [*plan.cold_start_args, "--corpus", str(corpus), "--index", str(index)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "DISCORD_TOKEN": ""}
    timings = []
    for command in (["ask", *folders, question], ["list", *folders], ["status", *folders]):
        began = time.perf_counter()
        done = subprocess.run(
            [*plan.cold_start_command, *command],
            capture_output=True, text=True, env=env, timeout=1800, check=False,
        )  # fmt: skip
        took = time.perf_counter() - began
        ok = done.returncode == 0 and done.stdout.strip()
        timings.append((command[0], took, ok))
    result = "; ".join(f"{c} {s:.1f} s" + ("" if ok else " (failed)") for c, s, ok in timings)
    ask_ok = timings[0][2] and timings[0][1] < COLD_START_TARGET_S
    return Row(
        "cold start per command",
        f"`python -m bot …` on the {name} index",
        result,
        target=_target(bool(ask_ok), f"ask < {COLD_START_TARGET_S:.0f} s"),
    )


# ---- the table ----------------------------------------------------------------------


def _target(met: bool, text: str) -> str:
    return f"{text}: {'met' if met else 'missed'}"


def _bytes(count: float) -> str:
    if count >= 1 << 30:
        return f"{count / (1 << 30):.2f} GB"
    if count >= 1 << 20:
        return f"{count / (1 << 20):.0f} MB"
    return f"{count / (1 << 10):.0f} kB"


def render(rows: Sequence[Row], notes: Sequence[str] = ()) -> str:
    """The rows as a Markdown table, then the notes."""
    lines = [
        "| measure | corpus | result | beside | ratio | target |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        cells = (row.measure, row.corpus, row.result, row.beside, row.ratio, row.target)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    if notes:
        lines.append("")
        lines += list(notes)
    return "\n".join(lines)


def machine_note() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    memory = psutil.virtual_memory().total
    return f"Machine: {os.cpu_count()} cores, {_bytes(memory)} memory; load average {load}."


# ---- from the command line ------------------------------------------------------------


def plan_from_options(
    corpus_dir: Path,
    model: str,
    sizes: str | None = None,
    quick: bool = False,
    questions: int | None = None,
    benchmark: Path | None = None,
    seed_questions: Path | None = None,
    workdir: Path | None = None,
) -> BenchPlan:
    """The plan for `python -m bot bench`'s options (see its --help); CommandError for a bad
    option. Without `benchmark` / `seed_questions`, the ones of the clone when it has them."""
    try:
        sizes_asked = parse_sizes(sizes or ("seed,10k" if quick else "seed,10k,100k,1m"))
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    count = questions or (40 if quick else 200)
    if count < 1:
        raise CommandError("--questions must be at least 1")
    benchmark = _given_or_default(benchmark, BENCHMARK_DIR, "--benchmark")
    seed_file = _given_or_default(seed_questions, SEED_QUESTIONS, "--seed-questions")
    extra_articles = [benchmark / "articles"] if benchmark and (benchmark / "articles").is_dir() else []
    try:
        larger = load_questions(benchmark / "questions.jsonl") if benchmark else []
        seed = load_questions(seed_file) if seed_file else []
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read the bench questions: {exc}") from None
    if not larger and not seed:
        raise CommandError(
            f"bench needs questions to ask and found none: no {SEED_QUESTIONS} and no "
            f"{BENCHMARK_DIR / 'questions.jsonl'}. Give --seed-questions FILE (JSONL, one "
            '{"question": …} per line) or --benchmark DIR (articles/ and questions.jsonl).'
        )
    rng = random.Random(0)  # the same questions on every run
    picked = rng.sample(larger, min(len(larger), 4 * count)) or seed
    return BenchPlan(
        corpus_dir=corpus_dir,
        article_dirs=[corpus_dir, *extra_articles],
        seed_questions=[q.question for q in seed or picked],
        questions=[q.question for q in picked],
        sizes=sizes_asked,
        workdir=workdir or Path(tempfile.mkdtemp(prefix="article-bot-bench-")),
        question_count=count,
        build_rounds=1 if quick else 2,
        cold_start_command=[sys.executable, "-m", "bot"],
        cold_start_args=["--model", model],
    )


def _given_or_default(given: Path | None, default: Path, option: str) -> Path | None:
    """`given` (CommandError if missing), else `default` when the clone has it, else None."""
    if given is not None:
        if not given.exists():
            raise CommandError(f"{option} {given}: no such file or folder")
        return given
    return default if default.exists() else None


def measure(
    plan: BenchPlan,
    make_embedder: Callable[[], Embedder],
    load_reader: Callable[[], tuple[Reader, ConfidenceModel]],
    temporary: bool,
) -> str:
    """Run `plan` with the model and the reader they load; the Markdown table and its notes.
    `temporary`: remove plan.workdir afterwards."""
    began = time.monotonic()
    try:
        reader, confidence = load_reader()
        rows = run(plan, make_embedder(), lambda m: log.info("bench: %s", m), reader, confidence)
    finally:
        if temporary:
            shutil.rmtree(plan.workdir, ignore_errors=True)
    notes = [
        SYNTHETIC_NOTE.format(noise=NOISE),
        machine_note() + f" Took {time.monotonic() - began:.0f} s.",
    ]
    return render(rows, notes)
