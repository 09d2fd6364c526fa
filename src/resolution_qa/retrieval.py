"""Hybrid search: BM25 over our tokens and dense FAISS search, fused by reciprocal rank.

BM25 finds exact names, acronyms and dates ("PAM", "Ambassador Fu", "21 March 2024");
the dense side finds paraphrases. Reciprocal-rank fusion (Cormack, Clarke & Büttcher,
SIGIR 2009) needs no score calibration between the two, which keeps it robust when the
corpus changes size.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .acronyms import Acronyms, initials_phrases
from .records import LIST_FIELDS
from .schema import ANSWERING_KINDS, METADATA_KINDS
from .spelling import Speller
from .store import IndexData
from .tokens import stem, tokenize, words

RRF_K = 60  # reciprocal-rank fusion's constant (Cormack et al. use 60)
UNITS_PER_PASSAGE = 4  # units searched per passage wanted (a paragraph has 1.2 on average)
EXACT_UNIT_SCOPE = 20_000  # a scope with at most this many units is scored exactly, not searched
UNIT_TOKEN_CACHE = 50_000  # answer units whose word sets are kept (a question reads ~50)
ACRONYM_CACHE = 256  # acronyms whose long forms, by initials, are kept
SCOPE_CACHE = 64  # document scopes whose word sets are kept ...
SCOPE_WORDS_ROWS = 2_000  # ... when they hold at most this many passages (a few ms to read)
INITIALS_CANDIDATES = 20  # long forms by initials compared with the acronym (most frequent first)
BM25_K1 = 1.2  # BM25's term-frequency saturation and length normalization (the usual values)
BM25_B = 0.75


@dataclass(frozen=True)
class Hit:
    """One candidate passage: its row, fused score (0..1) and its best dense match (paragraph
    or answer unit), which the abstention model reads."""

    index: int
    score: float
    dense: float
    lexical_rank: int | None = None  # its place in the BM25 ranking (0 = best), None if not there


def rrf(rankings: list[list[int]], k: int = RRF_K) -> dict[int, float]:
    """Reciprocal-rank fusion of several rankings (best first), scaled so 1.0 = first everywhere.

    >>> rrf([[7, 3], [3, 9]], k=0)
    {7: 0.5, 3: 0.75, 9: 0.25}
    """
    if not rankings:
        return {}
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    best = len(rankings) / (k + 1)
    return {item: score / best for item, score in fused.items()}


_BODY_KINDS = ANSWERING_KINDS - METADATA_KINDS  # paragraphs of the text itself: no headers, no records


class Retriever:
    """Search over an IndexData; builds the BM25 side once, in memory."""

    def __init__(self, data: IndexData, candidates: int = 50):
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG
        self.data = data
        self.candidates = candidates
        self.acronyms = Acronyms.of(document.text for document in data.documents)
        # a question's misspelt words read as the words meant; the documents' words are read
        # when a question first has a word they don't use
        self.speller = Speller(
            lambda word: stem(word) in self.document_frequency or word in self.acronyms.lowercase,
            lambda: {w for document in data.documents for w in words(document.text)},
        )
        # long forms by their initials, looked for when a question first uses an acronym
        self.initials = lru_cache(maxsize=ACRONYM_CACHE)(self._initials)
        self._acronym_uses: dict[str, tuple[int, int]] | None = None  # see known_word
        self.long_forms: dict[str, str | None] = {}  # the one the engine chose (or None), by acronym
        chunk_tokens = [self.tokens(c.words_text) for c in data.chunks]  # not kept: 95,000 lists for a collection
        self.bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B)
        if data.chunks:
            # an empty token list would break bm25s's vocabulary; "" stands for "no words"
            self.bm25.index([t or [""] for t in chunk_tokens], show_progress=False)
            self.vocab = self.bm25.vocab_dict
        else:
            self.vocab = {}
        self.document_frequency = _document_frequency(chunk_tokens)
        del chunk_tokens
        self._idf_cache: dict[str, float] = {}
        # each answer unit's word set, made when a question first looks at its paragraph
        self._unit_tokens = lru_cache(maxsize=UNIT_TOKEN_CACHE)(self._tokens_of_unit)
        self._scope_words = lru_cache(maxsize=SCOPE_CACHE)(self._words_of_scope)
        # the passage row of each answer-unit row
        self._unit_chunk = np.repeat(np.arange(len(data.chunks)), np.diff(data.sentence_offsets))
        # Rows by document, by resolution symbol, by paragraph number and of the record lists,
        # found once here: scoped questions, lookups and record items then never scan every passage.
        by_source: dict[str, list[int]] = {}
        by_symbol: dict[str, list[int]] = {}
        self.numbered: dict[tuple[str, int], list[int]] = {}  # ("operative", 7) -> rows of every OP 7
        last: dict[tuple[str, str | None, str], int] = {}  # (source, part, kind) -> the last number
        self.record_lists: list[int] = []  # sponsors, additional sponsors, votes
        for row, chunk in enumerate(data.chunks):
            by_source.setdefault(chunk.source, []).append(row)
            if chunk.symbol:
                by_symbol.setdefault(chunk.symbol, []).append(row)
            if chunk.paragraph_kind in ("operative", "preambular"):
                self.numbered.setdefault((chunk.paragraph_kind, chunk.paragraph_number), []).append(row)
                key = (chunk.source, chunk.part, chunk.paragraph_kind)
                last[key] = max(last.get(key, 0), chunk.paragraph_number)
            elif chunk.paragraph_kind == "record" and chunk.name in LIST_FIELDS:
                self.record_lists.append(row)
        self._source_rows = {s: np.array(r, dtype=np.int64) for s, r in by_source.items()}
        self._edges: dict[str, np.ndarray] = {}
        self._symbol_rows = {s: np.array(r, dtype=np.int64) for s, r in by_symbol.items()}
        # rows of the last paragraph of each resolution (or part): "the last operative paragraph"
        self.last_numbered = {
            kind: sorted(
                row
                for (source, part, k), number in last.items()
                if k == kind
                for row in self.numbered[(kind, number)]
                if data.chunks[row].source == source and data.chunks[row].part == part
            )
            for kind in ("operative", "preambular")
        }

    def _initials(self, acronym: str) -> tuple[str, ...]:
        """The phrases of the documents that ``acronym``'s letters spell, most frequent first."""
        found = initials_phrases(acronym, (document.text for document in self.data.documents))
        return tuple(sorted(found, key=found.get, reverse=True)[:INITIALS_CANDIDATES])

    def spelled_out(self, text: str) -> str:
        """``text`` with its acronyms spelled out: "AI" in an article and "artificial
        intelligence" in a resolution are the same words to BM25 and every word-overlap signal."""
        return self.acronyms.spelled_out(text)

    def tokens(self, text: str) -> list[str]:
        """BM25 tokens of ``text``, acronyms spelled out; questions and passages alike."""
        return tokenize(self.spelled_out(text))

    def known_word(self, word: str) -> bool:
        """Whether the documents write ``word``, one of their acronyms in lowercase, as a word of
        their own at least as often as the acronym ("crews" beside "CREWS"; not "un" beside "UN"
        for a stray French "un"); a piece of a web or e-mail address ("un.org") is no word. The
        documents are read once, for every acronym at a time, when a question first needs it."""
        if self._acronym_uses is None:
            self._acronym_uses = self._count_acronym_uses()
        lowercase, acronym = self._acronym_uses.get(word, (0, 0))
        return lowercase > 0 and lowercase >= acronym

    def uses_name(self, name: str) -> bool:
        """Whether the documents use every word of ``name`` ("russian federation")."""
        tokens = self.tokens(name)
        return bool(tokens) and all(token in self.document_frequency for token in tokens)

    def _count_acronym_uses(self) -> dict[str, tuple[int, int]]:
        """For each acronym's lowercase form: how often the documents write it so, and as the acronym."""
        forms = self.acronyms.lowercase
        if not forms:
            return {}
        # both spellings, case-sensitive (twice as fast as one case-insensitive pattern)
        alternatives = "|".join(map(re.escape, sorted({*forms, *forms.values()}, key=len, reverse=True)))
        pattern = re.compile(rf"(?<![\w./@-])(?:{alternatives})(?![\w@/-]|\.\w)")
        counts = {form: [0, 0] for form in forms}
        for document in self.data.documents:
            for match in pattern.finditer(document.text):
                found = match.group()
                counts[found.lower()][0 if found.islower() else 1] += 1
        return {form: (lower, upper) for form, (lower, upper) in counts.items()}

    def scope_words(self, sources: frozenset[str], symbols: frozenset[str]) -> Collection[str]:
        """The words (BM25 tokens) a question scoped to these documents can find there ("What does
        the article say India's position was?": the UN record of another resolution lists India,
        the article never does). All the collection's words for no scope, or for one wider than
        ``SCOPE_WORDS_ROWS`` passages (read once per scope, then kept).

        Args:
            sources: document paths named by the question (may be empty).
            symbols: resolution symbols named by the question (may be empty).
        """
        rows = self.rows_of(sources, symbols)
        if rows is None or len(rows) > SCOPE_WORDS_ROWS:
            return self.document_frequency
        return self._scope_words(sources, symbols)

    def _words_of_scope(self, sources: frozenset[str], symbols: frozenset[str]) -> frozenset[str]:
        rows = self.rows_of(sources, symbols)
        return frozenset(t for row in rows.tolist() for t in self.tokens(self.data.chunks[row].words_text))

    def unit_tokens(self, row: int) -> frozenset[str]:
        """The word set of answer unit ``row`` (numbered over all passages, in order)."""
        return self._unit_tokens(row)

    def _tokens_of_unit(self, row: int) -> frozenset[str]:
        chunk_row = int(self._unit_chunk[row])
        chunk = self.data.chunks[chunk_row]
        start, end = chunk.sentences[row - int(self.data.sentence_offsets[chunk_row])]
        return frozenset(self.tokens(self.data.by_source[chunk.source].text[start:end]) + self.tokens(chunk.field_name))

    def idf(self, token: str) -> float:
        """BM25's idf; a word the corpus never uses gets the highest value."""
        value = self._idf_cache.get(token)
        if value is None:
            n = max(len(self.data.chunks), 1)
            df = self.document_frequency.get(token, 0)
            value = self._idf_cache[token] = float(np.log((n - df + 0.5) / (df + 0.5) + 1.0))
        return value

    def bm25_scores(self, query_tokens: list[str]) -> np.ndarray:
        known = [t for t in query_tokens if t in self.vocab and t]
        if not known:
            return np.zeros(len(self.data.chunks), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(known), dtype=np.float32)

    def _faiss_ranking(self, query: np.ndarray, limit: int, rows: np.ndarray | None) -> list[int]:
        """Passages closest to ``query`` by the FAISS index (restricted to ``rows``)."""

        params = None if rows is None else _only(self.data.faiss_index, rows)
        _, ids = self.data.faiss_index.search(query.reshape(1, -1), limit, params=params)
        return [int(i) for i in ids[0] if i >= 0]

    def edge_rows(self, position: str, rows: np.ndarray | None = None) -> np.ndarray:
        """The first (``position`` "first") or last ("last") answering paragraph of each document
        among ``rows`` (all: kept), header fields and records aside: "at the end of the article",
        "the last paragraph of the preamble"."""
        if rows is None and position in self._edges:
            return self._edges[position]
        scope = self._source_rows.values() if rows is None else [np.asarray(rows, dtype=np.int64)]
        chunks, edges = self.data.chunks, {}
        for block in scope:
            for row in block.tolist():
                if chunks[row].paragraph_kind in _BODY_KINDS:
                    source, start = chunks[row].source, chunks[row].start
                    best = edges.get(source)
                    if best is None or (
                        start < chunks[best].start if position == "first" else start > chunks[best].start
                    ):
                        edges[source] = row
        found = np.array(sorted(edges.values()), dtype=np.int64)
        if rows is None:
            self._edges[position] = found
        return found

    def kind_rows(self, kind: str) -> np.ndarray:
        """Rows of every paragraph of one kind ("preambular", "operative")."""
        return np.array(sorted(r for (k, _), rows in self.numbered.items() if k == kind for r in rows), dtype=np.int64)

    def rows_of(
        self, sources: frozenset[str] | None = None, symbols: frozenset[str] | None = None
    ) -> np.ndarray | None:
        """Rows of the passages in the named documents (by source path or by symbol), or None for
        all; with both, the passages of those sources about those resolutions (the catalogue
        record of 78/265)."""
        if not sources and not symbols:
            return None

        def rows(table: dict[str, np.ndarray], names) -> np.ndarray:
            parts = [table[name] for name in names or () if name in table]
            return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

        if sources and symbols:
            return np.intersect1d(rows(self._source_rows, sources), rows(self._symbol_rows, symbols))
        return rows(self._source_rows, sources) if sources else rows(self._symbol_rows, symbols)

    def search(
        self,
        query_vector: np.ndarray,
        query_tokens: list[str],
        source: str | None = None,
        rows: np.ndarray | None = None,
    ) -> list[Hit]:
        """Fused candidates, best first: BM25 and dense over whole paragraphs, and the dense
        match of each paragraph's best answer unit, fused by reciprocal rank.

        Args:
            query_vector: normalized query embedding (1-D).
            query_tokens: ``tokenize(question)``; repeat a token to weight it.
            source: restrict to one document (its path relative to the data folder).
            rows: restrict to these passage rows (a document scope); combines with ``source``.
        """
        n = len(self.data.chunks)
        if n == 0:
            return []
        if source is not None:
            own = self._source_rows.get(source)
            if own is None:
                return []
            rows = own if rows is None else np.intersect1d(rows, own)
        if rows is not None and len(rows) == 0:
            return []
        limit = min(self.candidates, n if rows is None else len(rows))
        query = np.ascontiguousarray(query_vector.reshape(1, -1), dtype=np.float32)[0]
        allowed = np.zeros(n, dtype=bool)
        if rows is None:
            allowed[:] = True
        else:
            allowed[rows] = True
            rows = np.asarray(rows, dtype=np.int64)
        bm25 = self.bm25_scores(query_tokens)
        rankings = [
            self._faiss_ranking(query, limit, rows),
            self.unit_ranking(query, limit, rows),
            [i for i in top_rows(np.where(allowed, bm25, -np.inf), limit) if bm25[i] > 0],
        ]
        fused = rrf(rankings)
        ordered = sorted(fused, key=lambda i: (-fused[i], i))
        lexical_rank = {row: rank for rank, row in enumerate(rankings[2])}
        return [
            Hit(index=i, score=fused[i], dense=dense, lexical_rank=lexical_rank.get(i))
            for i, dense in zip(ordered, self.closeness(query, ordered), strict=True)
        ]

    def closeness(self, query: np.ndarray, rows: list[int]) -> list[float]:
        """For each passage row, its dense match to ``query``: the paragraph's or its best answer
        unit's, whichever is closer."""
        if not rows:
            return []
        dense = (self.data.vectors[rows].astype(np.float32) @ query).tolist()
        return [float(max(d, u)) for d, u in zip(dense, self.best_unit_scores(query, rows), strict=True)]

    def hit_of(self, row: int, query: np.ndarray) -> Hit:
        """Passage ``row`` as a candidate the search did not find: no fused score, its dense match."""
        return Hit(index=row, score=0.0, dense=self.closeness(query, [row])[0])

    def best_unit_scores(self, query: np.ndarray, rows: list[int]) -> list[float]:
        """For each passage row, the closeness of its best answer unit to ``query``."""
        if not rows:
            return []
        offsets = self.data.sentence_offsets
        scores = self.data.sentence_vectors[self._units_of(rows)].astype(np.float32) @ query
        starts = np.concatenate([[0], np.cumsum([offsets[r + 1] - offsets[r] for r in rows])[:-1]])
        return np.maximum.reduceat(scores, starts).tolist()

    def _units_of(self, rows) -> np.ndarray:
        """The answer-unit rows of passage ``rows``, in order."""
        offsets = self.data.sentence_offsets
        return np.concatenate([np.arange(offsets[r], offsets[r + 1]) for r in rows]).astype(np.int64)

    def unit_ranking(self, query: np.ndarray, limit: int, rows: np.ndarray | None = None) -> list[int]:
        """Passages (restricted to ``rows``) ordered by their best answer unit's closeness to
        ``query``: a long paragraph is found by the one clause that matches. The units' own
        FAISS index is searched for a few times ``limit`` units (exact up to 50,000 units,
        quantized beyond); a small scope (one document) is scored exactly."""
        offsets = self.data.sentence_offsets
        if rows is not None and offsets[rows + 1].sum() - offsets[rows].sum() <= EXACT_UNIT_SCOPE:
            rows_list = [int(r) for r in rows if offsets[r + 1] > offsets[r]]
            best = self.best_unit_scores(query, rows_list)
            order = top_rows(np.asarray(best, dtype=np.float32), limit)
            return [rows_list[i] for i in order]
        params = None if rows is None else _only(self.data.unit_index, self._units_of(rows))
        k = min(self.data.unit_index.ntotal, UNITS_PER_PASSAGE * limit)
        if k <= 0:
            return []
        _, ids = self.data.unit_index.search(query.reshape(1, -1), k, params=params)
        ranked: dict[int, None] = {}
        for unit in ids[0]:
            if unit >= 0:
                ranked.setdefault(int(self._unit_chunk[unit]), None)
                if len(ranked) == limit:
                    break
        return list(ranked)


def _only(index, ids: np.ndarray):
    """FAISS search parameters that keep ``index``'s probes and allow only ``ids``."""
    import faiss

    selector = faiss.IDSelectorBatch(ids)
    if isinstance(index, faiss.IndexIVF):
        return faiss.SearchParametersIVF(sel=selector, nprobe=index.nprobe)
    return faiss.SearchParameters(sel=selector)


def _document_frequency(token_lists: list[list[str]]) -> dict[str, int]:
    df: dict[str, int] = {}
    for tokens in token_lists:
        for token in set(tokens):
            df[token] = df.get(token, 0) + 1
    return df


def top_rows(scores: np.ndarray, limit: int) -> list[int]:
    """Indices of the ``limit`` highest finite scores, best first (ties by index).

    >>> top_rows(np.array([0.1, 0.9, -np.inf, 0.5]), 2)
    [1, 3]
    """
    limit = min(limit, int(np.isfinite(scores).sum()))
    if limit <= 0:
        return []
    top = np.argpartition(-scores, limit - 1)[:limit]
    return [int(i) for i in top[np.argsort(-scores[top], kind="stable")]]
