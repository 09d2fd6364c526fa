"""Test doubles shared by conftest.py and the helper processes the tests start."""

from __future__ import annotations

import hashlib

import numpy as np

from resolution_qa.tokens import tokenize


class FakeEncoder:
    """Bag of stemmed words hashed into 256 dimensions: deterministic, instant, lexical."""

    name = "fake-hashing-encoder"
    sha256 = "0" * 64
    dim = 256

    def __init__(self):
        self.calls = 0
        self.texts_encoded = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.texts_encoded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokenize(text) or ["empty"]:
                bucket = int(hashlib.md5(token.encode()).hexdigest()[:8], 16) % self.dim
                out[row, bucket] += 1.0
            out[row] /= np.linalg.norm(out[row])
        return out


class FakeWordEncoder(FakeEncoder):
    """FakeEncoder with word vectors: each content word is its stem hashed to one dimension,
    so a word aligns (cosine 1) with the same word only."""

    def encode_words(self, texts: list[str]) -> tuple[np.ndarray, list[tuple[list[str], np.ndarray]]]:
        """Through ``alignment.word_vectors``, as the real encoders: "pieces" are the text's
        whitespace-separated tokens, each the one-hot of its first stem, between (0, 0) specials."""
        import re

        from resolution_qa.alignment import word_vectors

        vectors = self.encode(texts)
        found = []
        for text in texts:
            pieces = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
            hidden = np.zeros((len(pieces) + 2, self.dim), dtype=np.float32)
            for row, (start, end) in enumerate(pieces, start=1):
                stem = (tokenize(text[start:end]) or [text[start:end].lower()])[0]
                hidden[row, int(hashlib.md5(stem.encode()).hexdigest()[:8], 16) % self.dim] = 1.0
            found.append(word_vectors(text, [(0, 0), *pieces, (0, 0)], hidden))
        return vectors, found
