"""The reader: a cross-encoder that reads a question beside one candidate sentence.

Retrieval finds sentences that resemble the question; the reader judges whether a
sentence *answers* it, and where in it the short answer is. It reads, as one
input of word pieces,

    [CLS] question | earlier question and answer [SEP] previous sentence [SEP] sentence [SEP]

and gives two things: a logit that the sentence answers the question (from the
[CLS] vector), and start/end logits over [CLS] and the sentence's own word
pieces, from which the best short answer span is taken and compared with "no
answer" (start and end on [CLS]). The previous sentence is there to be
read (who "she" is), never quoted.

The network is the bundled all-MiniLM-L6-v2 encoder, fine-tuned, with two small
heads. Training (tools/train_reader.py) ships it as a delta on the bundled
weights, each matrix's change factored to a low rank (a LoRA-shaped adapter of a
few MB), with the heads and a card of the data, settings and figures, in
`bot/artifacts/reader/`. At load the delta is added to the encoder's weights, so
answering costs one encoder pass over all candidates.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from bot.errors import ReaderError

if TYPE_CHECKING:  # torch is imported when a reader is built, not with this module
    import torch

log = logging.getLogger(__name__)

READER_DIR = Path(__file__).resolve().parent.parent / "artifacts" / "reader"
# Languages the reader was trained on (tools/train_reader.py: English questions and
# articles); questions in other languages are answered by word overlap.
READER_LANGUAGES = frozenset({"en"})

# Word-piece budgets of the three parts (chosen so nearly every news sentence
# fits whole: 96 pieces is about 70 words). The previous sentence keeps its end.
MAX_QUESTION_PIECES = 48
MAX_PREVIOUS_PIECES = 24
MAX_SENTENCE_PIECES = 96
MAX_SPAN_PIECES = 24  # longest short answer, in word pieces
TOP_SPANS = 20  # spans kept per window (Reading.spans)


@dataclass(frozen=True)
class Window:
    """One candidate: the sentence that may answer, and the one before it for context."""

    sentence: str
    previous: str = ""


@dataclass(frozen=True)
class Reading:
    """What the reader says of one window.

    `logit`: log-odds that the sentence answers the question (unbounded; 0 is even odds).
    `span`: (start, end) character offsets of the short answer within `Window.sentence`,
    or None when the sentence has no word pieces the budget kept.
    `span_logit`: how far the span's start + end logits stand above the "no answer"
    ones (both on [CLS]), as SQuAD 2.0 readers compare them (unbounded; above 0 the
    span beats "no answer"; -inf without a span).
    `spans`: the best-scoring spans, best first (at most TOP_SPANS, the first being
    `span`), each as (start, end, margin over "no answer") in the same units, for the
    answer composer to pick from when the best does not fit what the question asks.
    """

    logit: float
    span: tuple[int, int] | None
    span_logit: float
    spans: tuple[tuple[int, int, float], ...] = ()


class Reader(Protocol):
    """Scores windows against a question; `context` is an earlier question and answer."""

    def read(self, question: str, windows: Sequence[Window], context: str = "") -> list[Reading]:
        """One Reading per window, in the windows' order (empty for no windows)."""
        ...


@dataclass(frozen=True)
class Encoded:
    """One window as the network reads it.

    `ids`/`types`: int64 word-piece ids and segment ids, length <= 2 + question
    + previous + sentence budgets + 3. `first`: index of the sentence's first
    word piece in `ids`; `offsets`: (start, end) characters of each of the
    sentence's kept word pieces within the sentence.
    """

    ids: list[int]
    types: list[int]
    first: int
    offsets: list[tuple[int, int]]


def question_text(question: str, context: str = "") -> str:
    """The first segment: the question, then what it follows up on."""
    return f"{question} | {context}" if context else question


class Encoder:
    """Builds network inputs with the model's own (fast) tokenizer."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.cls = int(tokenizer.cls_token_id)
        self.sep = int(tokenizer.sep_token_id)
        self.pad = int(tokenizer.pad_token_id)

    def pieces(self, texts: Sequence[str]) -> list[tuple[list[int], list[tuple[int, int]]]]:
        """Each text's word-piece ids and their (start, end) character offsets in it, no special tokens."""
        out = self.tokenizer(
            list(texts), add_special_tokens=False, return_offsets_mapping=True, truncation=False
        )
        return [
            (list(ids), [tuple(o) for o in offsets])
            for ids, offsets in zip(out["input_ids"], out["offset_mapping"], strict=True)
        ]

    def encode(self, question: str, windows: Sequence[Window], context: str = "") -> list[Encoded]:
        """Each window as the network reads it, every part cut to its word-piece budget."""
        q_ids = self.pieces([question_text(question, context)])[0][0][:MAX_QUESTION_PIECES]
        texts = [w.previous for w in windows] + [w.sentence for w in windows]
        pieces = self.pieces(texts) if texts else []
        previous, sentences = pieces[: len(windows)], pieces[len(windows) :]
        encoded = []
        for (p_ids, _), (s_ids, s_offsets) in zip(previous, sentences, strict=True):
            p_ids = p_ids[-MAX_PREVIOUS_PIECES:] if p_ids else []
            ids = [self.cls, *q_ids, self.sep, *p_ids, self.sep]
            first = len(ids)
            ids += [*s_ids[:MAX_SENTENCE_PIECES], self.sep]
            types = [0] * (len(q_ids) + 2) + [1] * (len(ids) - len(q_ids) - 2)
            encoded.append(Encoded(ids, types, first, s_offsets[:MAX_SENTENCE_PIECES]))
        return encoded

    def batch(self, encoded: Sequence[Encoded]) -> dict[str, torch.Tensor]:
        """Padded int64 tensors `input_ids`, `token_type_ids`, `attention_mask`, shape (n, longest)."""
        import torch

        width = max(len(e.ids) for e in encoded)
        ids = torch.full((len(encoded), width), self.pad, dtype=torch.long)
        types = torch.zeros((len(encoded), width), dtype=torch.long)
        mask = torch.zeros((len(encoded), width), dtype=torch.long)
        for row, e in enumerate(encoded):
            ids[row, : len(e.ids)] = torch.tensor(e.ids)
            types[row, : len(e.types)] = torch.tensor(e.types)
            mask[row, : len(e.ids)] = 1
        return {"input_ids": ids, "token_type_ids": types, "attention_mask": mask}


def best_span(start: np.ndarray, end: np.ndarray, longest: int = MAX_SPAN_PIECES) -> tuple[int, int, float]:
    """The (first, last) piece indices, inclusive, maximising start[first] + end[last]
    with first <= last < first + longest, and that sum. `start`, `end`: float arrays
    of one window's sentence pieces (equal length >= 1)."""
    n = len(start)
    total = start[:, None] + end[None, :]
    i, j = np.indices((n, n))
    total = np.where((j >= i) & (j < i + longest), total, -np.inf)
    first, last = np.unravel_index(int(np.argmax(total)), total.shape)
    return int(first), int(last), float(total[first, last])


def top_spans(
    start: np.ndarray, end: np.ndarray, k: int = TOP_SPANS, longest: int = MAX_SPAN_PIECES
) -> list[tuple[int, int, float]]:
    """The `k` best (first, last, start[first] + end[last]) piece spans, best first, under
    best_span's rules (first <= last < first + longest). `start`, `end`: as in best_span."""
    n = len(start)
    total = start[:, None] + end[None, :]
    i, j = np.indices((n, n))
    total = np.where((j >= i) & (j < i + longest), total, -np.inf)
    flat = total.ravel()
    k = min(k, int(np.isfinite(flat).sum()))
    order = np.argpartition(-flat, k - 1)[:k]
    order = order[np.argsort(-flat[order], kind="stable")]
    return [(int(x // n), int(x % n), float(flat[x])) for x in order]


def span_chars(offsets: Sequence[tuple[int, int]], first: int, last: int) -> tuple[int, int]:
    """Character (start, end) within the sentence of word pieces first … last."""
    return offsets[first][0], offsets[last][1]


def build_network(base: Any, hidden: int) -> Any:
    """The reader network around an encoder: `base` is a transformers BertModel."""
    import torch

    class ReaderNetwork(torch.nn.Module):
        """Encoder + answer head on [CLS] (1 logit) + span head on every piece (start, end)."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = base
            self.answer = torch.nn.Linear(hidden, 1)
            self.span = torch.nn.Linear(hidden, 2)

        def forward(self, **batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
            """(answer logits (n,), start logits (n, width), end logits (n, width)), float32."""
            states = self.encoder(**batch).last_hidden_state
            spans = self.span(states)
            return self.answer(states[:, 0]).squeeze(-1), spans[..., 0], spans[..., 1]

    return ReaderNetwork()


class TrainedReader:
    """The shipped reader, loaded offline on top of the bundled encoder.

    `model_dir`: the bundled all-MiniLM-L6-v2 folder (weights and tokenizer);
    `reader_dir`: the adapter, heads and card written by tools/train_reader.py.
    `quantize`: int8 dynamic quantisation of the linear layers. Off by default: it lost
    more than it saved. On the validation split (tools/train_reader.py's measure, the
    same windows, side by side) the best window held the answer for 0.703 of news-val's
    answerable questions against 0.741 in float32 (seed-val 0.864 / 0.889, SQuAD
    0.762 / 0.796), and separated answerable from unanswerable worse (ROC AUC 0.789 /
    0.818 on news-val), for a pass over eight windows of 105 ms against 154 ms here.
    Raises ReaderError when a file is missing or does not fit the encoder.
    """

    def __init__(self, model_dir: str, reader_dir: Path = READER_DIR, quantize: bool = False) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # untyped in transformers
        transformers_logging.set_verbosity_error()  # type: ignore[no-untyped-call]

        card_path = reader_dir / "card.json"
        if not card_path.is_file():
            raise ReaderError(f"no trained reader in {reader_dir} (card.json is missing)")
        self.card: dict[str, Any] = json.loads(card_path.read_text(encoding="utf-8"))
        try:
            base = AutoModel.from_pretrained(model_dir)
            network = build_network(base, int(base.config.hidden_size))
            load_trained(network, reader_dir)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise ReaderError(f"cannot load the reader from {reader_dir}: {exc}") from exc
        network.eval()
        if quantize:
            with warnings.catch_warnings():  # torch.ao's notice that it moves to torchao one day
                warnings.simplefilter("ignore")
                network = torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
                    network, {torch.nn.Linear}, dtype=torch.qint8
                )
        self.network = network
        self.encoder = Encoder(AutoTokenizer.from_pretrained(model_dir))
        self._torch = torch

    def read(self, question: str, windows: Sequence[Window], context: str = "") -> list[Reading]:
        """One Reading per window from one float32 (or int8) forward pass over all of them; `context`
        (an earlier question and answer) is read after the question."""
        if not windows:
            return []
        encoded = self.encoder.encode(question, windows, context)
        with self._torch.inference_mode():
            answer, start, end = self.network(**self.encoder.batch(encoded))
        return readings(encoded, answer.numpy(), start.numpy(), end.numpy())


def readings(
    encoded: Sequence[Encoded], answer: np.ndarray, start: np.ndarray, end: np.ndarray
) -> list[Reading]:
    """Readings from network outputs: `answer` (n,), `start`/`end` (n, width) float32."""
    out = []
    for row, e in enumerate(encoded):
        n = len(e.offsets)
        if n == 0:
            out.append(Reading(float(answer[row]), None, float("-inf")))
            continue
        first, last, score = best_span(start[row, e.first : e.first + n], end[row, e.first : e.first + n])
        null = float(start[row, 0] + end[row, 0])
        spans = tuple(
            (*span_chars(e.offsets, a, b), total - null)
            for a, b, total in top_spans(start[row, e.first : e.first + n], end[row, e.first : e.first + n])
        )
        out.append(Reading(float(answer[row]), span_chars(e.offsets, first, last), score - null, spans))
    return out


def load_trained(network: Any, reader_dir: Path) -> None:
    """Apply the trained delta to `network.encoder` (the bundled weights) and load the heads, in place.

    `adapter.safetensors` (written by tools/train_reader.py) holds, for each
    fine-tuned matrix W of the encoder, its change factored by truncated SVD as
    `NAME.delta_b` (out × rank) and `NAME.delta_a` (rank × in), so W becomes
    W + delta_b @ delta_a; factors stored in int8 come with a float16 scale per rank
    component (`NAME.delta_b_scale`, 1 × rank; `NAME.delta_a_scale`, rank × 1); each
    fine-tuned vector (bias, layer norm) whole under its own name; and the two heads
    under `answer.*` and `span.*`.
    Raises KeyError or ValueError when the file does not fit the encoder.
    """
    import torch
    from safetensors.torch import load_file

    tensors = load_file(str(reader_dir / "adapter.safetensors"))

    def factor(key: str) -> torch.Tensor:
        value = tensors[key].float()
        scale = tensors.get(f"{key}_scale")
        return value * scale.float() if scale is not None else value

    parameters = dict(network.named_parameters())
    changed = 0
    with torch.no_grad():
        for key, value in tensors.items():
            if key.endswith((".delta_a", "_scale")):
                continue
            if key.endswith(".delta_b"):
                name = key.removesuffix(".delta_b")
                delta = factor(key) @ factor(f"{name}.delta_a")
            else:
                name, delta = key, None
            target = parameters[name]
            update = delta if delta is not None else value.float()
            if update.shape != target.shape:
                raise ValueError(
                    f"{name}: the file holds {tuple(update.shape)}, the network {tuple(target.shape)}"
                )
            if delta is not None:
                target += delta
            else:
                target.copy_(update)
            changed += 1
    if not any(k.endswith(".delta_b") for k in tensors) or "answer.weight" not in tensors:
        raise ValueError("the file holds no encoder delta or no heads")
    log.debug("reader: %d tensors applied from %s", changed, reader_dir)
