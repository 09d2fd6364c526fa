"""The index on disk: FAISS file, passages, document texts, vectors and a manifest.

Layout of ``index/``::

    CURRENT              name of the live generation, replaced atomically (os.replace)
    gen-<time>-<pid>/    manifest.json, faiss.index (passages), units.faiss (answer units),
                         passages.jsonl, documents.jsonl, vectors.npy, sentence_vectors.npy
                         (float16), word_vectors.npy (float16) and word_counts.npy (the
                         contextual vectors of each answer unit's content words, and how many
                         each unit has; empty beyond alignment.WORD_VECTOR_PASSAGES passages),
                         .verified.json (size and mtime of each file when its
                         sha256 last matched)
    .lock                held by a build while it writes
    .building.json       who holds the lock since when (pid, start time), for those who wait

A build writes a new generation folder, fsyncs it, then points CURRENT at it: a build killed
at any moment leaves the previous generation live. Loading checks the manifest (format,
model hash, chunking parameters) and the sha256 of every file whose size or mtime changed since
it was last verified (hashing 1 GB costs a second at every start), and says why it refuses.
The vectors are memory-mapped: a second process or a restart shares them through the page
cache instead of reading them again. No pickle anywhere: JSON, ``.npy`` without objects, and
FAISS's own format.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .documents import sha256_bytes
from .embedding import MODEL_DIM, file_sha256
from .records import value_span
from .schema import Chunk, Document, Paragraph

FORMAT_VERSION = 7
FILES = (
    "faiss.index",
    "units.faiss",
    "passages.jsonl",
    "documents.jsonl",
    "vectors.npy",
    "sentence_vectors.npy",
    "word_vectors.npy",
    "word_counts.npy",
)
VERIFIED = ".verified.json"
EXACT_SEARCH_LIMIT = 50_000  # exact search up to here takes under ~6 ms a query on 2 cores
VECTOR_DTYPE = np.float16  # stored and mapped: half the disk and memory; cosines move by ~1e-3


class IndexUnavailable(RuntimeError):
    """No usable index: missing, stale or damaged. The message says which and why."""


_CITED = re.compile(r"(?<!\d)(\d{2,3})/(\d{1,4})(?!\d)")  # "78/265", also inside "A/RES/78/265" or "A/74/821"


@dataclass
class IndexData:
    """Everything a search needs, in memory."""

    documents: list[Document]
    chunks: list[Chunk]
    vectors: np.ndarray  # one normalized row per chunk (float16, memory-mapped once saved)
    sentence_vectors: np.ndarray  # one row per answer unit, chunks in order (float16)
    params: dict[str, Any]
    skipped_hashes: dict[str, str] = field(default_factory=dict)  # source -> sha256 of files not indexed
    skipped_reasons: dict[str, str] = field(default_factory=dict)  # source -> why
    faiss_index: Any = None  # the passages
    unit_index: Any = None  # the answer units
    # the content words of each answer unit, as alignment.word_vectors gives them (float16),
    # units in order, and how many each unit has; None (or empty) when the index keeps none
    word_vectors: np.ndarray | None = None
    word_counts: np.ndarray | None = None

    @cached_property
    def resolutions_named(self) -> frozenset[str]:
        """Every resolution the documents are or cite, as "session/number" ("78/265" from
        "A/RES/78/265" or "its resolution 78/265 of 21 March 2024"), found once, when first asked."""
        cited = {m.group(1).lstrip("0") + "/" + m.group(2) for d in self.documents for m in _CITED.finditer(d.text)}
        return frozenset(cited | {d.symbol.removeprefix("A/RES/") for d in self.documents if d.symbol})

    @cached_property
    def record_titles(self) -> dict[str, str]:
        """Each resolution's title as its catalogue record gives it ("Title: …" lines), by symbol."""
        return {
            c.symbol: c.text[value_span(c.text, 0, len(c.text))[0] :]
            for c in self.chunks
            if c.paragraph_kind == "record" and c.name == "title" and c.symbol
        }

    @cached_property
    def with_text(self) -> frozenset[str]:
        """The symbols of the resolutions whose own text is loaded (not only a catalogue record)."""
        return frozenset(d.symbol for d in self.documents if d.symbol and d.kind != "records")

    def __post_init__(self) -> None:
        if len(self.chunks) != len(self.vectors):
            raise ValueError(f"{len(self.chunks)} chunks but {len(self.vectors)} vectors")
        counts = [len(c.sentences) for c in self.chunks]
        if sum(counts) != len(self.sentence_vectors):
            raise ValueError(f"{sum(counts)} sentences but {len(self.sentence_vectors)} sentence vectors")
        self.sentence_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.by_source = {d.source: d for d in self.documents}
        self.adopted = {d.symbol: d.date for d in self.documents if d.symbol and d.date}  # symbol -> ISO date
        if self.vectors.dtype != VECTOR_DTYPE:
            self.vectors = np.asarray(self.vectors, dtype=VECTOR_DTYPE)
        if self.sentence_vectors.dtype != VECTOR_DTYPE:
            self.sentence_vectors = np.asarray(self.sentence_vectors, dtype=VECTOR_DTYPE)
        if self.word_counts is not None and len(self.word_counts) not in (0, len(self.sentence_vectors)):
            raise ValueError(f"{len(self.word_counts)} word counts but {len(self.sentence_vectors)} sentences")
        if self.word_counts is None or len(self.word_counts) == 0:
            self.word_counts = np.zeros(0, np.int32)
            self.word_vectors = np.zeros((0, self.sentence_vectors.shape[1] or MODEL_DIM), VECTOR_DTYPE)
        elif self.word_vectors is None or len(self.word_vectors) != int(np.sum(self.word_counts)):
            found = 0 if self.word_vectors is None else len(self.word_vectors)
            raise ValueError(f"{int(np.sum(self.word_counts))} words but {found} word vectors")
        elif self.word_vectors.dtype != VECTOR_DTYPE:
            self.word_vectors = np.asarray(self.word_vectors, dtype=VECTOR_DTYPE)
        self.word_offsets = np.concatenate([[0], np.cumsum(self.word_counts)]).astype(np.int64)
        if self.faiss_index is None:
            self.faiss_index = make_faiss_index(self.vectors)
        if self.unit_index is None:
            self.unit_index = make_faiss_index(self.sentence_vectors)

    def sources(self) -> dict[str, str]:
        return {d.source: d.sha256 for d in self.documents}

    @property
    def has_words(self) -> bool:
        """Whether every answer unit's word vectors are kept (``alignment``)."""
        return len(self.sentence_vectors) > 0 and len(self.word_counts) == len(self.sentence_vectors)

    def unit_words(self, unit: int) -> np.ndarray:
        """The word vectors of answer unit ``unit`` (numbered over all passages, in order)."""
        return self.word_vectors[self.word_offsets[unit] : self.word_offsets[unit + 1]]


def make_faiss_index(vectors: np.ndarray, exact_limit: int = EXACT_SEARCH_LIMIT):
    """Exact inner-product search while it is fast enough; beyond ``exact_limit`` rows, an IVF
    index whose vectors are scalar-quantized to one byte per dimension (a quarter of float32;
    ``bench --collection`` measures its recall@10 against exact float32 search)."""
    import faiss

    dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[1] else MODEL_DIM
    n = len(vectors)
    if n <= exact_limit:
        index = faiss.IndexFlatIP(dim)
    else:
        nlist = int(2 * np.sqrt(n))  # ~sqrt(n) cells: k-means training stays in seconds even at 1M
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFScalarQuantizer(
            quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
        index.cp.niter = 10  # k-means converges well enough for routing; the default 25 triples build time
        sample = vectors[np.sort(np.random.default_rng(0).choice(n, size=min(n, nlist * 39), replace=False))]
        index.train(np.ascontiguousarray(sample, dtype=np.float32))
        index.nprobe = max(16, nlist // 4)  # MiniLM vectors cluster loosely: nlist/32 found 0.82 of the true top 10
    for first in range(0, n, 65_536):  # float32 in blocks: the float16 rows are not copied whole
        index.add(np.ascontiguousarray(vectors[first : first + 65_536], dtype=np.float32))
    return index


def _generation(index_dir: Path) -> Path | None:
    pointer = index_dir / "CURRENT"
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    if not name.startswith("gen-") or "/" in name or ".." in name:
        return None
    return index_dir / name


def read_manifest(index_dir: Path) -> dict[str, Any] | None:
    """The live manifest, or None when there is no readable one."""
    generation = _generation(Path(index_dir))
    if generation is None:
        return None
    try:
        return json.loads((generation / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(path: Path, data: bytes) -> str:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return sha256_bytes(data)


def _npy_bytes(array: np.ndarray, dtype=VECTOR_DTYPE) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array, dtype=dtype), allow_pickle=False)
    return buffer.getvalue()


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


def save(index_dir: Path, data: IndexData, model: dict[str, Any]) -> Path:
    """Write ``data`` as a new generation and switch CURRENT to it atomically.

    Returns the generation folder. Older generations are removed after the switch. When a write
    fails (a full disk, a read-only folder) what it wrote is removed and the OSError raised.
    """
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"gen-{time.time_ns()}-{os.getpid()}"
    tmp = index_dir / f".tmp-{name}"
    pointer_tmp = index_dir / f".CURRENT.{os.getpid()}"
    try:
        _write_generation(tmp, data, model)
        tmp.rename(index_dir / name)
        _write(pointer_tmp, name.encode("utf-8"))
        os.replace(pointer_tmp, index_dir / "CURRENT")
    except OSError:  # e.g. a full disk: CURRENT still names the previous generation; drop the half-written one
        for path in (tmp, index_dir / name):
            shutil.rmtree(path, ignore_errors=True)
        with contextlib.suppress(OSError):
            pointer_tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(index_dir)
    cleanup(index_dir, keep=name)
    return index_dir / name


def _write_generation(tmp: Path, data: IndexData, model: dict[str, Any]) -> None:
    import faiss

    tmp.mkdir()
    checksums = {
        "faiss.index": _write(tmp / "faiss.index", faiss.serialize_index(data.faiss_index).tobytes()),
        "units.faiss": _write(tmp / "units.faiss", faiss.serialize_index(data.unit_index).tobytes()),
        "passages.jsonl": _write(tmp / "passages.jsonl", _jsonl([c.to_dict() for c in data.chunks])),
        "documents.jsonl": _write(
            tmp / "documents.jsonl",
            _jsonl(
                [
                    {
                        "source": d.source,
                        "title": d.title,
                        "symbol": d.symbol,
                        "kind": d.kind,
                        "sha256": d.sha256,
                        "page_starts": list(d.page_starts),
                        "date": d.date,
                        "paragraphs": [p.to_dict() for p in d.paragraphs],
                        "text": d.text,
                    }
                    for d in data.documents
                ]
            ),
        ),
        "vectors.npy": _write(tmp / "vectors.npy", _npy_bytes(data.vectors)),
        "sentence_vectors.npy": _write(tmp / "sentence_vectors.npy", _npy_bytes(data.sentence_vectors)),
        "word_vectors.npy": _write(tmp / "word_vectors.npy", _npy_bytes(data.word_vectors)),
        "word_counts.npy": _write(tmp / "word_counts.npy", _npy_bytes(data.word_counts, np.int32)),
    }
    manifest = {
        "format_version": FORMAT_VERSION,
        "model": model,
        "chunking": data.params,
        "sources": data.sources(),
        "skipped": data.skipped_hashes,
        "skipped_reasons": data.skipped_reasons,
        "passages": len(data.chunks),
        "word_vectors": data.has_words,
        "faiss_type": type(data.faiss_index).__name__,
        "files": checksums,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    _write(tmp / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8"))
    record_verified(tmp, FILES)  # just written from these bytes: nothing to hash at the next start
    _fsync_dir(tmp)


def live_name(index_dir: Path) -> str | None:
    """The name of the generation CURRENT points at, or None."""
    generation = _generation(Path(index_dir))
    return None if generation is None else generation.name


def leftovers(index_dir: Path, keep: str) -> list[Path]:
    """Generations other than ``keep`` and what killed or failed builds left behind
    (``.tmp-gen-*`` folders, ``.CURRENT.<pid>`` pointer files)."""
    found = []
    for path in Path(index_dir).iterdir():
        generation = path.is_dir() and path.name.startswith(("gen-", ".tmp-gen-"))
        pointer = path.is_file() and path.name.startswith(".CURRENT.")
        if path.name != keep and (generation or pointer):
            found.append(path)
    return found


def cleanup(index_dir: Path, keep: str) -> None:
    """Remove ``leftovers`` (only while holding the build lock: a running build's are not left over)."""
    for path in leftovers(index_dir, keep):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def load(index_dir: Path, model: dict[str, Any], params: dict[str, Any]) -> IndexData:
    """Load and verify the live index, or raise IndexUnavailable saying what is wrong."""
    import faiss

    index_dir = Path(index_dir)
    generation = _generation(index_dir)
    if generation is None:
        raise IndexUnavailable(f'no index in {index_dir}/ — run "python -m resolution_qa build"')
    manifest = read_manifest(index_dir)
    if manifest is None:
        raise IndexUnavailable(f"{generation}/manifest.json is missing or unreadable")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexUnavailable(f"index format {manifest.get('format_version')} is not the current {FORMAT_VERSION}")
    if manifest.get("model") != model:
        raise IndexUnavailable(f"index was built with another model ({manifest.get('model')})")
    if manifest.get("chunking") != params:
        raise IndexUnavailable(f"index was built with other chunking parameters ({manifest.get('chunking')})")
    unchanged = verified_files(generation)
    for name in FILES:
        path = generation / name
        if not path.is_file():
            raise IndexUnavailable(f"{path} is missing")
        if name in unchanged:
            continue  # same size and mtime as when its checksum last matched
        if file_sha256(path) != manifest.get("files", {}).get(name):
            raise IndexUnavailable(f"{path} does not match its checksum (damaged file)")
    record_verified(generation, FILES)
    try:
        documents = [
            Document(
                source=row["source"],
                title=row["title"],
                text=row["text"],
                sha256=row["sha256"],
                kind=row["kind"],
                symbol=row["symbol"],
                page_starts=tuple(row["page_starts"]),
                date=row.get("date"),
                paragraphs=tuple(Paragraph.from_dict(p) for p in row.get("paragraphs", ())),
            )
            for row in map(json.loads, (generation / "documents.jsonl").read_text(encoding="utf-8").splitlines())
        ]
        passages = (generation / "passages.jsonl").read_text(encoding="utf-8")
        chunks = [Chunk.from_dict(json.loads(line)) for line in passages.splitlines()]
        vectors = np.load(generation / "vectors.npy", mmap_mode="r", allow_pickle=False)
        sentence_vectors = np.load(generation / "sentence_vectors.npy", mmap_mode="r", allow_pickle=False)
        word_vectors = np.load(generation / "word_vectors.npy", mmap_mode="r", allow_pickle=False)
        word_counts = np.load(generation / "word_counts.npy", allow_pickle=False)
        faiss_index = faiss.read_index(str(generation / "faiss.index"))
        unit_index = faiss.read_index(str(generation / "units.faiss"))
        data = IndexData(
            documents=documents,
            chunks=chunks,
            vectors=vectors,
            sentence_vectors=sentence_vectors,
            params=params,
            skipped_hashes=dict(manifest.get("skipped", {})),
            skipped_reasons=dict(manifest.get("skipped_reasons", {})),
            faiss_index=faiss_index,
            unit_index=unit_index,
            word_vectors=word_vectors,
            word_counts=word_counts,
        )
    except (ValueError, KeyError, TypeError, RuntimeError, OSError) as exc:
        raise IndexUnavailable(f"index in {generation} is inconsistent ({exc})") from None
    if data.faiss_index.ntotal != len(chunks) or data.unit_index.ntotal != len(sentence_vectors):
        raise IndexUnavailable(
            f"index in {generation} has {data.faiss_index.ntotal} vectors for {len(chunks)} passages"
        )
    for chunk in chunks:
        doc = data.by_source.get(chunk.source)
        if doc is None or doc.text[chunk.start : chunk.end] != chunk.text:
            raise IndexUnavailable(f"passage {chunk.source}:{chunk.start}-{chunk.end} does not match its document")
    return data


def _stamp(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def _verified(folder: Path) -> dict[str, list[int]]:
    """Size and mtime of each file when its checksum last matched ({} when not recorded)."""
    try:
        raw = json.loads((folder / VERIFIED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}


def verified_files(folder: Path) -> set[str]:
    """Names of the files in ``folder`` whose size and mtime are those recorded when their checksum
    last matched: they need no hashing (a changed or replaced file gets a new mtime)."""
    unchanged = set()
    for name, stamp in _verified(folder).items():
        with contextlib.suppress(OSError):
            if _stamp(folder / name) == stamp:
                unchanged.add(name)
    return unchanged


def record_verified(folder: Path, names) -> None:
    """Note the files' size and mtime as verified (best effort: a read-only folder is hashed each time)."""
    stamps = {name: _stamp(folder / name) for name in names}
    if _verified(folder) == stamps:
        return
    partial = folder / f"{VERIFIED}.{os.getpid()}"
    try:
        partial.write_text(json.dumps(stamps), encoding="utf-8")
        os.replace(partial, folder / VERIFIED)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
