"""Building the index from the data folder, re-embedding only what changed."""

from __future__ import annotations

import gc
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .alignment import WORD_VECTOR_PASSAGES
from .chunking import CHUNKER_VERSION, chunk_document
from .documents import Skipped, list_sources, load_folder, sha256_bytes
from .embedding import Encoder
from .schema import Chunk, Document
from .store import VECTOR_DTYPE, IndexData

log = logging.getLogger(__name__)


@dataclass
class BuildReport:
    """What a build did, for the CLI and the web upload to show."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    reindexed: list[str] = field(default_factory=list)  # build --force: already indexed, embedded again
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    passages: int = 0
    embedded: int = 0  # passages embedded in this build (the rest were reused)
    rebuilt_reason: str | None = None
    notice: str | None = None  # why the index could not be updated and the last good one answers

    def lines(self) -> list[str]:
        out = [self.notice] if self.notice else []
        if self.rebuilt_reason:
            out.append(f"rebuilding: {self.rebuilt_reason}")
        for label, names in (
            ("added", self.added),
            ("changed", self.changed),
            ("re-indexed", self.reindexed),
            ("removed", self.removed),
        ):
            out.extend(f"{label}: {name}" for name in names)
        out.extend(str(s) for s in self.skipped)
        out.append(
            f"{len(self.added) + len(self.changed) + len(self.reindexed) + len(self.unchanged)} documents, "
            f"{self.passages} passages "
            f"({self.embedded} embedded, {self.passages - self.embedded} reused)"
        )
        return out


def chunk_params(max_chars: int) -> dict:
    return {"max_chars": max_chars, "chunker_version": CHUNKER_VERSION}


def source_hashes(data_dir: Path, only: set[str] | None = None) -> dict[str, str]:
    """sha256 of every candidate file (or of those named in ``only``), without parsing:
    cheap enough for every start-up."""
    files, _ = list_sources(data_dir)
    hashes = {}
    for path, rel in files:
        if only is not None and rel not in only:
            continue
        try:
            hashes[rel] = sha256_bytes(path.read_bytes())
        except OSError:
            hashes[rel] = "unreadable"
    return hashes


def embed_chunks(
    chunks: list[Chunk], documents: dict[str, Document], encoder: Encoder, batch: int = 256, words: bool = False
):
    """Passage vectors, answer-unit vectors and (``words``: from the same forward passes, with
    an encoder that has ``encode_words``) each unit's word vectors (``alignment``; else None),
    with a progress bar after a second.

    Each answer unit (sentence, clause or list item) is embedded; a paragraph's units are what
    the answer is chosen from, and their best match lets a long paragraph be found by a clause
    past the model's 256-word-piece window. A paragraph's own vector is the normalized sum of its
    units' vectors (a one-unit paragraph, most of them, is its unit): the same top passages on
    every question set as embedding each paragraph whole, for a fifth less work on a collection.
    Each distinct text is embedded once, all texts sorted by length so that batches pad little.
    """
    unit_texts = [documents[c.source].text[s:e] for c in chunks for s, e in c.sentences]
    unique = sorted(dict.fromkeys(unit_texts), key=len)
    if not unique:
        empty = np.zeros((0, encoder.dim), np.float32)
        return empty, empty, ([] if words else None)
    from tqdm import tqdm

    parts = []
    text_words: list[np.ndarray] = []
    gc.freeze()  # the documents' millions of objects: not walked by every collection while embedding
    try:
        with tqdm(total=len(unique), desc="embedding", unit="text", delay=1.0, file=sys.stderr, disable=None) as bar:
            for i in range(0, len(unique), batch):
                if words:
                    vectors, found = encoder.encode_words(unique[i : i + batch])
                    parts.append(vectors)
                    text_words.extend(w.astype(VECTOR_DTYPE) for _, w in found)  # stored as float16
                else:
                    parts.append(encoder.encode(unique[i : i + batch]))
                bar.update(min(batch, len(unique) - i))
    finally:
        gc.unfreeze()
    vectors = np.concatenate(parts).astype(np.float32)
    row = {text: i for i, text in enumerate(unique)}
    units = vectors[[row[t] for t in unit_texts]]
    # A paragraph's vector is the normalized sum of its units' (one unit: the same vector). The
    # paragraphs with several units are the longest texts; embedding them whole as well cost a
    # fifth of a collection's build, and the model read only their first 256 word pieces.
    owner = np.repeat(np.arange(len(chunks)), [len(c.sentences) for c in chunks])
    passages = np.zeros((len(chunks), units.shape[1]), np.float32)
    np.add.at(passages, owner, units)
    unitless = [i for i, c in enumerate(chunks) if not c.sentences]
    if unitless:
        passages[unitless] = encoder.encode([chunks[i].text for i in unitless])
    passages /= np.maximum(np.linalg.norm(passages, axis=1, keepdims=True), 1e-12)
    return passages, units, ([text_words[row[t]] for t in unit_texts] if words else None)


def build(
    data_dir: Path,
    encoder: Encoder,
    max_chars: int,
    previous: IndexData | None = None,
    max_file_bytes: int | None = None,
    reuse: bool = True,
) -> tuple[IndexData, BuildReport]:
    """Load ``data_dir`` and index it, reusing ``previous``'s vectors for unchanged documents
    (``reuse=False``, as ``build --force``: everything is read and embedded again, and the report
    says "re-indexed" for what ``previous`` already held)."""
    kwargs = {} if max_file_bytes is None else {"max_bytes": max_file_bytes}
    params = chunk_params(max_chars)
    if previous is not None and not reuse:
        forced_sources = previous.sources()
        previous = None
    else:
        forced_sources = {}
    if previous is not None and previous.params == params:  # same loaders and chunking: unchanged files are not parsed
        kwargs["known"] = {d.source: d for d in previous.documents}
    documents, skipped = load_folder(data_dir, **kwargs)
    # loaded documents carry their own sha256; only the skipped files still need hashing
    hashes = source_hashes(data_dir, only={s.path for s in skipped})
    report = BuildReport(skipped=skipped)
    reusable: dict[str, tuple[list[Chunk], np.ndarray, np.ndarray, list[np.ndarray] | None]] = {}
    old_sources: dict[str, str] = {}
    if previous is not None and previous.params == params:
        old_sources = previous.sources()
        for doc in previous.documents:
            rows = [i for i, c in enumerate(previous.chunks) if c.source == doc.source]
            sentence_rows = [
                j for i in rows for j in range(previous.sentence_offsets[i], previous.sentence_offsets[i + 1])
            ]
            reusable[doc.sha256] = (
                [previous.chunks[i] for i in rows],
                previous.vectors[rows],
                previous.sentence_vectors[sentence_rows],
                [previous.unit_words(j) for j in sentence_rows] if previous.has_words else None,
            )
    by_source = {d.source: d for d in documents}
    reused = []
    fresh: list[Chunk] = []
    for doc in documents:
        old = reusable.get(doc.sha256)
        if old is not None and all(c.source == doc.source for c in old[0]):
            reused.append((doc, old))
            report.unchanged.append(doc.source)
            continue
        if doc.source in forced_sources:
            report.reindexed.append(doc.source)
        else:
            (report.changed if doc.source in old_sources else report.added).append(doc.source)
        fresh.extend(chunk_document(doc, max_chars))
    report.removed = sorted(set(old_sources or forced_sources) - set(by_source))
    # word vectors for every unit or for none: a small index keeps them (alignment.py)
    words = (
        hasattr(encoder, "encode_words") and len(fresh) + sum(len(old[0]) for _, old in reused) <= WORD_VECTOR_PASSAGES
    )
    if words and any(old[3] is None for _, old in reused):  # kept documents without them: embedded again
        fresh = [c for doc, old in reused if old[3] is None for c in chunk_document(doc, max_chars)] + fresh
        reused = [(doc, old) for doc, old in reused if old[3] is not None]
    chunks: list[Chunk] = [c for _, old in reused for c in old[0]]
    vectors: list[np.ndarray] = [old[1] for _, old in reused]
    sentence_vectors: list[np.ndarray] = [old[2] for _, old in reused]
    unit_words: list[np.ndarray] = [w for _, old in reused for w in (old[3] or ())]
    new_vectors, new_sentence_vectors, new_words = embed_chunks(fresh, by_source, encoder, words=words)
    chunks.extend(fresh)
    vectors.append(new_vectors)
    sentence_vectors.append(new_sentence_vectors)
    unit_words.extend(new_words or ())
    # Keep passages in document order so that neighbouring rows stay neighbours.
    order = sorted(range(len(chunks)), key=lambda i: (chunks[i].source, chunks[i].start))
    all_vectors = np.concatenate(vectors) if vectors else np.zeros((0, encoder.dim), np.float32)
    all_sentences = np.concatenate(sentence_vectors) if sentence_vectors else np.zeros((0, encoder.dim), np.float32)
    offsets = np.concatenate([[0], np.cumsum([len(c.sentences) for c in chunks])]).astype(np.int64)
    sentence_order = [j for i in order for j in range(offsets[i], offsets[i + 1])]
    if words:
        ordered_words = [unit_words[j] for j in sentence_order]
        word_counts = np.array([len(w) for w in ordered_words], dtype=np.int32)
        word_vectors = np.concatenate(
            [np.asarray(w, VECTOR_DTYPE) for w in ordered_words] or [np.zeros((0, encoder.dim), VECTOR_DTYPE)]
        )
    else:
        word_counts = word_vectors = None
    data = IndexData(
        documents=sorted(documents, key=lambda d: d.source),
        chunks=[chunks[i] for i in order],
        vectors=all_vectors[order] if len(order) else all_vectors,
        sentence_vectors=all_sentences[sentence_order] if sentence_order else all_sentences,
        params=params,
        skipped_hashes={s.path: hashes[s.path] for s in skipped if s.path in hashes},
        skipped_reasons={s.path: s.reason for s in skipped},
        word_vectors=word_vectors,
        word_counts=word_counts,
    )
    report.passages = len(data.chunks)
    report.embedded = len(fresh)
    return data, report
