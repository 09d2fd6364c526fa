"""all-MiniLM-L6-v2 through ONNX Runtime: the query path without torch (issue 15).

A cold ``ask`` spent most of its time importing torch and sentence-transformers. Here the
packaged model's transformer is exported to ONNX once, at index build time, from the
hash-checked weights (``export_onnx``); questions are then encoded by ``OnnxEncoder`` with
only onnxruntime, tokenizers and numpy. It computes what sentence-transformers computes for
this model (``modules.json``: Transformer, mean Pooling, Normalize): the same word pieces,
truncated at 256 and padded to the longest text of a batch, mean pooling over the attention
mask, then L2 normalization.

Layout of an export folder (``export_onnx(target_dir)``)::

    model.onnx        the transformer: input_ids, attention_mask, token_type_ids (int64,
                      batch x sequence) -> last_hidden_state (batch x sequence x 384)
    tokenizer.json    the package's fast tokenizer, copied byte for byte
    onnx_model.json   what was exported from what: sha256 of both files and of the weights

Importing this module imports neither torch nor transformers; only ``export_onnx`` does, inside.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .embedding import MODEL_DIM, MODEL_NAME, MODEL_SHA256, ModelError, default_model_path, file_sha256, verify_weights
from .store import record_verified, verified_files

log = logging.getLogger(__name__)

ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
RECORD_FILE = "onnx_model.json"
RECORD_VERSION = 1
MAX_SEQ_LENGTH = 256  # sentence_bert_config.json of the package; tokenizer.json itself says 128
OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT = "last_hidden_state"


@dataclass(frozen=True)
class OnnxModel:
    """An export folder as ``onnx_model.json`` records it.

    ``sha256`` is the ONNX file's own hash (what an index manifest should record);
    ``source_sha256`` the hash of the ``model.safetensors`` it was exported from.
    """

    folder: Path
    sha256: str
    tokenizer_sha256: str
    source_sha256: str
    max_seq_length: int = MAX_SEQ_LENGTH
    opset: int = OPSET
    name: str = MODEL_NAME
    dim: int = MODEL_DIM

    @property
    def path(self) -> Path:
        return self.folder / ONNX_FILE

    @property
    def tokenizer(self) -> Path:
        return self.folder / TOKENIZER_FILE

    def to_dict(self) -> dict:
        """The record without the folder (the folder may move with its index)."""
        record = asdict(self)
        del record["folder"]
        return {"version": RECORD_VERSION, **record}

    @classmethod
    def read(cls, folder: Path) -> OnnxModel:
        """The record of an export folder.

        Raises:
            ModelError: the record is missing, unreadable or of another version; the message
                names the file and says to export again.
        """
        folder = Path(folder)
        path = folder / RECORD_FILE
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            if record.pop("version", None) != RECORD_VERSION:
                raise ValueError(f"not version {RECORD_VERSION}")
            return cls(folder=folder, **record)
        except (OSError, ValueError, TypeError) as exc:
            raise ModelError(f"no usable ONNX export record at {path} ({exc}) — {_fix(folder)}") from exc


def _fix(folder: Path) -> str:
    return f'export it again: "python -m resolution_qa build --force", or export_onnx({str(folder)!r})'


def export_onnx(target_dir: Path, model_dir: Path | None = None) -> Path:
    """Export the packaged model's transformer to ``target_dir/model.onnx``; return that path.

    The weights are checked against ``MODEL_SHA256`` first. The tokenizer is copied beside the
    model and ``onnx_model.json`` records the three hashes (read it with ``OnnxModel.read``).
    Each file is written under a temporary name and moved into place with ``os.replace``, the
    record last, so a folder with a record is a complete export. Takes a few seconds; imports
    torch and transformers (an index build has them loaded anyway).

    Args:
        target_dir: the folder to write to (created if needed).
        model_dir: the sentence-transformers model folder; default: the packaged one.

    Returns:
        The path of ``model.onnx``.

    Raises:
        ModelError: the weights are missing or not the expected ones.
    """
    model_dir = Path(model_dir) if model_dir else default_model_path()
    target = Path(target_dir)
    target.mkdir(parents=True, exist_ok=True)
    verify_weights(model_dir, MODEL_SHA256)
    started = time.perf_counter()

    import torch
    from transformers import AutoModel

    # A fresh model, not the one a MiniLMEncoder holds: the exporter switches modes while
    # tracing, and the encoder's model must stay untouched. Eager attention traces to a smaller
    # graph than SDPA (254 nodes against 338 once ONNX Runtime has optimized it), about 0.4 ms
    # faster a question.
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager")
    wrapper = _last_hidden_state(model).eval()
    example = torch.tensor([[101, 2054, 2515, 102], [101, 7592, 102, 0]])
    axes = {0: "batch", 1: "sequence"}
    # The tracer warns that transformers' mask code turns shapes into Python values and that the
    # TorchScript exporter is the older one; both are expected here and checked by the tests
    # (vectors equal to sentence-transformers' at other batch sizes and lengths), so keep the
    # build output clean.
    with _temporary(target, ONNX_FILE) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper,
            (example, (example != 0).long(), torch.zeros_like(example)),
            str(tmp),
            input_names=list(INPUTS),
            output_names=[OUTPUT],
            dynamic_axes={name: axes for name in (*INPUTS, OUTPUT)},
            opset_version=OPSET,
            dynamo=False,  # the TorchScript exporter needs only `onnx`, not onnxscript
        )
        onnx_sha256 = file_sha256(tmp)
    with _temporary(target, TOKENIZER_FILE) as tmp:
        source = model_dir / TOKENIZER_FILE
        if source.is_file():
            shutil.copyfile(source, tmp)
        else:  # an older model folder with vocab.txt only: let transformers write the fast file
            from transformers import AutoTokenizer

            with tempfile.TemporaryDirectory(dir=target) as saved:
                AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True).save_pretrained(saved)
                shutil.copyfile(Path(saved) / TOKENIZER_FILE, tmp)
        tokenizer_sha256 = file_sha256(tmp)
    record = OnnxModel(target, onnx_sha256, tokenizer_sha256, MODEL_SHA256)
    with _temporary(target, RECORD_FILE) as tmp:
        tmp.write_text(json.dumps(record.to_dict(), indent=2) + "\n", encoding="utf-8")
    log.info("exported %s to %s in %.1f s", MODEL_NAME, record.path, time.perf_counter() - started)
    return record.path


class _temporary:
    """``with _temporary(folder, name) as tmp:`` write ``tmp``; on success it becomes ``folder/name``."""

    def __init__(self, folder: Path, name: str):
        self.final = folder / name
        self.tmp = folder / f".{name}.{os.getpid()}.tmp"

    def __enter__(self) -> Path:
        return self.tmp

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            with open(self.tmp, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(self.tmp, self.final)
        else:
            self.tmp.unlink(missing_ok=True)


def _last_hidden_state(model):
    """The transformer as a module of three tensors returning one: what the exporter traces."""
    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    return LastHiddenState(model)


def default_threads(threads: int | None = None) -> int:
    """The same rule as ``embedding.configure_threads``: argument, RESOLUTION_QA_THREADS, all cores."""
    return threads or int(os.environ.get("RESOLUTION_QA_THREADS", "0")) or (os.cpu_count() or 1)


def mean_pool_normalize(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors where ``mask`` is 1, then L2-normalized (float32 rows).

    The sentence-transformers Pooling (mean) and Normalize modules, in numpy:

    >>> hidden = np.array([[[3.0, 0.0], [1.0, 4.0], [9.0, 9.0]]], dtype=np.float32)
    >>> mean_pool_normalize(hidden, np.array([[1, 1, 0]]))  # mean (2, 2): the padding is ignored
    array([[0.70710677, 0.70710677]], dtype=float32)
    """
    weights = mask.astype(np.float32)[:, :, None]
    summed = (hidden * weights).sum(axis=1)
    pooled = summed / np.maximum(weights.sum(axis=1), 1e-9)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


class OnnxEncoder:
    """all-MiniLM-L6-v2 from an ``export_onnx`` folder, loaded on first use.

    It stands for the same model as ``MiniLMEncoder`` (``name``, ``sha256`` and ``dim`` are
    the same, so an index built by either serves both): vectors agree to cosine 0.9999.
    ``onnx_sha256`` is the hash of the ONNX file it runs.

    Args:
        folder: the export folder.
        expected_sha256: the ONNX file's hash as an index manifest recorded it; default: the
            folder's own ``onnx_model.json``.
        threads: ONNX Runtime intra-op threads; default RESOLUTION_QA_THREADS or all cores.
        batch_size: texts per forward pass.
    """

    name = MODEL_NAME
    sha256 = MODEL_SHA256
    dim = MODEL_DIM

    def __init__(
        self,
        folder: Path,
        expected_sha256: str | None = None,
        threads: int | None = None,
        batch_size: int = 64,
        optimize: bool = True,
    ):
        self.folder = Path(folder)
        self._expected = expected_sha256
        self._threads = threads
        self._batch_size = batch_size
        self._optimize = optimize
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    @property
    def onnx_sha256(self) -> str:
        return self._expected or OnnxModel.read(self.folder).sha256

    def load(self):
        """Verify and load the model once; later calls return the ONNX Runtime session.

        Raises:
            ModelError: a file is missing, damaged or exported from other weights; the
                message names the file and the fix.
        """
        with self._lock:
            if self._session is None:
                self._session, self._tokenizer = self._open()
        return self._session

    def _open(self):
        record = OnnxModel.read(self.folder)
        if record.source_sha256 != self.sha256 or record.dim != self.dim:
            raise ModelError(
                f"{self.folder / RECORD_FILE} describes a model exported from weights {record.source_sha256}, "
                f"not {self.sha256} — {_fix(self.folder)}"
            )
        # hashed only when changed since their last match (90 MB: 0.1 s of every start otherwise)
        expected = {record.path: self._expected or record.sha256, record.tokenizer: record.tokenizer_sha256}
        unchanged = verified_files(self.folder) if expected[record.path] == record.sha256 else set()
        for path, sha256 in expected.items():
            if path.name not in unchanged:
                _check(path, sha256, self.folder)
        record_verified(self.folder, [path.name for path in expected])

        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = default_threads(self._threads)
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = (
            ort.GraphOptimizationLevel.ORT_ENABLE_ALL if self._optimize else ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        )
        # Idle intra-op threads spin by default. That wins about a millisecond for an encoder timed
        # alone on 2 cores, but the spinning thread then holds a core while FAISS and BM25 search
        # right after; interleaved with other work, a spinning session slowed it severalfold.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3  # errors only: no warnings about unused initializers on stderr
        session = ort.InferenceSession(str(record.path), options, providers=["CPUExecutionProvider"])
        missing = set(INPUTS) - {i.name for i in session.get_inputs()}
        if missing or [o.name for o in session.get_outputs()] != [OUTPUT]:
            raise ModelError(
                f"{record.path} does not have the inputs {INPUTS} and output {OUTPUT} — {_fix(self.folder)}"
            )

        tokenizer = Tokenizer.from_file(str(record.tokenizer))
        # as sentence-transformers: truncate at max_seq_length, pad to the longest in the batch
        tokenizer.enable_truncation(max_length=record.max_seq_length, strategy="longest_first")
        tokenizer.enable_padding(pad_id=0, pad_type_id=0, pad_token="[PAD]")
        log.info("loaded %s from %s (%d threads)", self.name, record.path, options.intra_op_num_threads)
        return session, tokenizer

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` as L2-normalized float32 rows (shape ``len(texts) x 384``)."""
        return self._encode(texts, words=False)[0]

    def encode_words(self, texts: list[str]) -> tuple[np.ndarray, list[tuple[list[str], np.ndarray]]]:
        """``encode`` and, from the same forward pass, each text's content words and their
        contextual vectors (``alignment.word_vectors``)."""
        return self._encode(texts, words=True)

    def _encode(self, texts: list[str], words: bool) -> tuple[np.ndarray, list | None]:
        from .alignment import word_vectors

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32), ([] if words else None)
        session = self.load()
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        found: list | None = [None] * len(texts) if words else None
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths, less padding
        for first in range(0, len(order), self._batch_size):
            rows = order[first : first + self._batch_size]
            encodings = self._tokenizer.encode_batch([texts[i] for i in rows])
            feed = {
                "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
            }
            (hidden,) = session.run([OUTPUT], feed)
            out[rows] = mean_pool_normalize(hidden, feed["attention_mask"])
            if words:
                for j, i in enumerate(rows):
                    # special tokens and padding have (0, 0) offsets: no word takes them
                    found[i] = word_vectors(texts[i], encodings[j].offsets, hidden[j])
        return out, found


def _check(path: Path, expected: str, folder: Path) -> None:
    if not path.is_file():
        raise ModelError(f"ONNX model file missing: {path} — {_fix(folder)}")
    actual = file_sha256(path)
    if actual != expected:
        raise ModelError(
            f"{path} has sha256 {actual}, expected {expected} — the file is damaged or replaced; {_fix(folder)}"
        )


ONNX_FOLDER = "onnx"  # inside the index folder, shared by its generations (one export per model)


def ensure_export(index_dir: Path, encoder) -> Path | None:
    """After a build with the real model: export it to ``index_dir/onnx`` unless a good export
    from the same weights is there. Best effort: on failure questions keep using torch."""
    from .embedding import MiniLMEncoder

    if not isinstance(encoder, MiniLMEncoder):
        return None  # a test's fake encoder: nothing to export
    folder = Path(index_dir) / ONNX_FOLDER
    if _exported(folder) is not None:
        return folder
    try:
        export_onnx(folder)
    except Exception as exc:  # noqa: BLE001 — any failure only costs the fast path
        log.warning("could not export the model to ONNX in %s (%s); questions will use torch", folder, exc)
        return None
    return folder


def query_encoder(index_dir: Path) -> OnnxEncoder | None:
    """The encoder for questions: the ONNX export in ``index_dir`` when it is there and checks
    out (no torch: a cold `ask` takes about a second), else None (the build's encoder answers)."""
    return _exported(Path(index_dir) / ONNX_FOLDER)


def _exported(folder: Path) -> OnnxEncoder | None:
    """A loaded encoder for the export in ``folder`` if its record says it was made from the
    packaged weights and its files match the record; else None (a damaged export is exported
    again by the next build, and questions use torch meanwhile instead of failing)."""
    try:
        if OnnxModel.read(folder).source_sha256 != MODEL_SHA256:
            return None
        encoder = OnnxEncoder(folder)
        encoder.load()
        return encoder
    except (ModelError, OSError, ValueError):
        return None
