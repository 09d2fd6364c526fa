"""Word-level alignment of a question with a passage, from the embedding model's own token
vectors: how well each content word of the question is matched, in context, by some word of
the passage (BERTScore recall, Zhang et al. 2020, with idf weights).

A sentence vector is one point for a whole clause; whether "waiting for" finds "looks forward
to", or whether a passage holds anything like the "host" a question asks about, is better told
word by word. The vectors are the model's last-layer token vectors (the ones it mean-pools
into the sentence vector), so they come out of the same forward pass: the index keeps them for
each answer unit's content words, and a question's are computed with its sentence vector.
"""

from __future__ import annotations

import numpy as np

from .tokens import STOP_WORDS, WORD_PATTERN

# Word vectors are kept for indexes of at most this many passages (~45 content words each, 384
# float16 values a word: ~170 MB at the limit; 3 MB for the shipped documents). A larger index
# (the whole collection: 95,000 passages, about 3 GB of word vectors) answers without them, with
# the models fitted for that case (``Calibration.plain``).
WORD_VECTOR_PASSAGES = 5_000
RARE_WORDS = 2  # the question's rarest words whose worst match is a signal of its own


def aligned_words(text: str) -> list[tuple[str, int, int]]:
    """The words of ``text`` an alignment looks at (not stop words, not single characters),
    with their character spans.

    >>> aligned_words("Is the final report what the Assembly is waiting for?")
    [('final', 7, 12), ('report', 13, 19), ('Assembly', 29, 37), ('waiting', 41, 48)]
    """
    return [
        (m.group(), m.start(), m.end())
        for m in WORD_PATTERN.finditer(text)
        if len(m.group()) > 1 and m.group().lower() not in STOP_WORDS
    ]


def word_vectors(text: str, offsets, hidden: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The content words of ``text`` (``aligned_words``) and the contextual vector of each, the
    mean of its word pieces' vectors, L2-normalized: ``offsets`` are the pieces' character spans
    (special tokens and padding (0, 0)), ``hidden`` their last-layer vectors. A word past the
    model's window (no piece) is left out of both.

    >>> hidden = np.eye(4, dtype=np.float32)
    >>> words, vectors = word_vectors("big data", [(0, 0), (0, 3), (4, 8), (0, 0)], hidden)
    >>> words, vectors.round(2).tolist()
    (['big', 'data'], [[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]])
    """
    spans = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    real = np.flatnonzero(spans[:, 1] > spans[:, 0])  # in order: their starts and ends ascend
    words = aligned_words(text)
    if not words or not len(real):
        return [], np.zeros((0, hidden.shape[1]), np.float32)
    starts, ends = spans[real, 0], spans[real, 1]
    bounds = np.array([(a, b) for _, a, b in words], dtype=np.int64)
    first = np.searchsorted(ends, bounds[:, 0], side="right")  # the first piece ending inside the word
    last = np.searchsorted(starts, bounds[:, 1], side="left")  # the first piece starting after it
    kept = np.flatnonzero(last > first)
    if not len(kept):
        return [], np.zeros((0, hidden.shape[1]), np.float32)
    sums = np.concatenate([np.zeros((1, hidden.shape[1])), np.cumsum(hidden[real], axis=0, dtype=np.float64)])
    out = (sums[last[kept]] - sums[first[kept]]).astype(np.float32)
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return [words[i][0] for i in kept], out


def coverage(similarities: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """How well a passage's words cover the question's, from their cosines (question words ×
    passage words): the weighted mean, over the question's words, of each one's closest passage
    word, and the worse of those closest matches for the ``RARE_WORDS`` heaviest words. (0, 0)
    when either side has no words.

    >>> coverage(np.array([[1.0], [0.0]]), np.array([1.0, 3.0]))
    (0.25, 0.0)
    """
    if similarities.size == 0 or weights.sum() <= 0:
        return 0.0, 0.0
    best = similarities.max(axis=1)
    rare = np.argsort(-weights, kind="stable")[:RARE_WORDS]
    return float(best @ weights / weights.sum()), float(best[rare].min())
