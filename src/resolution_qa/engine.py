"""QAEngine: the one object every front end calls (CLI, web app, eval, bench).

engine = QAEngine.open(settings)          # opens (or builds) the Index, then only answers
answer = engine.ask("Who sponsored it?", history=(), k=3)

The walk: ``prepare`` (query.py) → paragraph lookup or hybrid search over whole paragraphs
(retrieval.py) → the best answer unit of the best paragraphs (answering.py) → abstention,
record values and disagreeing sources (answers.py) → ``Answer``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np

from . import answers
from .acronyms import question_acronyms
from .answering import (
    Calibration,
    abstention_features,
    default_calibration,
    item_asked,
    item_places,
    satisfies,
)
from .config import MAX_K, Settings
from .embedding import MODEL_NAME, Encoder, MiniLMEncoder
from .index import Index
from .query import Query, paragraph_step, prepare
from .retrieval import ACRONYM_CACHE
from .schema import Answer, Chunk, Quote

CANDIDATE_PASSAGES = 12  # paragraphs whose answer units compete for the answer
LEXICAL_CANDIDATES = 3  # ... and these best BM25 matches among them, wherever fusion put them
CITING_CANDIDATES = 3  # ... and, for a question asking which text it cites, the best fused paragraphs citing one
QUERY_CACHE = 128  # the page asks for the answer and the map of one question: one forward pass
# A long form found by its initials stands for a question's acronym only when the model sees the
# two as this related at least (cosine): IP ~ intellectual property 0.42, GA ~ General Assembly
# 0.28, LDCs ~ least developed countries 0.12; GDP ~ Geneva Declaration of Principles 0.03.
ACRONYM_MIN_COSINE = 0.1


class UnknownSource(ValueError):
    """``source`` names no indexed document."""


@dataclass(frozen=True)
class Analysis:
    """An answer together with the signals behind the decision (for eval and calibration)."""

    answer: Answer
    features: dict[str, float]
    probability: float
    candidate: Quote | None = None  # the best unit, even when the answer abstains
    ranked: tuple = ()  # the candidate paragraphs with their scored units (answers.RankedPassage), for calibrate


class QAEngine:
    """Question answering over an ``Index``; thread-safe for concurrent ``ask`` calls."""

    def __init__(self, index: Index, encoder: Encoder | None = None, calibration: Calibration | None = None):
        self.index = index
        self.encoder = encoder or index.encoder
        # the shipped calibration is checked against the real model; a test's fake encoder skips that check
        real = self.encoder.sha256 if self.encoder.name == MODEL_NAME else None
        self.calibration = calibration or default_calibration(real)
        # texts -> (their vectors, the first text's content words and their vectors, or None)
        self._cache: OrderedDict[tuple[str, ...], tuple[np.ndarray, tuple | None]] = OrderedDict()
        self._cache_lock = threading.Lock()

    @classmethod
    def open(
        cls,
        settings=None,
        encoder=None,
        calibration=None,
        force: bool = False,
        query_encoder=None,
        stale_ok=False,
        onnx=False,
    ) -> QAEngine:
        """Open the index of ``settings`` (building it with ``encoder`` when needed) and answer
        from it; ``query_encoder`` (default: ``encoder``) embeds the questions. ``onnx``: the
        index's ONNX export of the same model embeds them when it is there and checks out
        (``onnx_encoder.query_encoder``: no torch, faster per question), its session made while
        the index opens (both mostly outside the interpreter lock); else ``encoder``.
        ``stale_ok``: see ``Index.open`` (then call ``index.refresh_pending()``)."""
        settings = settings or Settings()
        encoder = encoder or MiniLMEncoder()
        if not onnx or query_encoder is not None:
            return cls(
                Index.open(settings, encoder, force=force, stale_ok=stale_ok), query_encoder or encoder, calibration
            )
        from concurrent.futures import ThreadPoolExecutor

        from .onnx_encoder import query_encoder as exported

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rqa-onnx") as pool:
            loading = pool.submit(exported, settings.index_dir)
            index = Index.open(settings, encoder, force=force, stale_ok=stale_ok)
            return cls(index, loading.result() or encoder, calibration)

    # the index, as the front ends see it
    settings = property(lambda self: self.index.settings)
    data = property(lambda self: self.index.data)
    retriever = property(lambda self: self.index.retriever)
    documents = property(lambda self: self.index.documents)
    report = property(lambda self: self.index.report)
    skipped = property(lambda self: self.index.report.skipped)

    def refresh(self):
        """Re-read the data folder and index what changed (after an upload)."""
        return self.index.refresh()

    def warm_up(self) -> None:
        """Load the model now, so the first question is fast and a bad model fails at start."""
        self.encoder.encode(["warm up"])

    def clear_cache(self) -> None:
        """Forget cached question vectors (the benchmark measures the full path)."""
        with self._cache_lock:
            self._cache.clear()

    def encode(self, texts: tuple[str, ...]) -> np.ndarray:
        return self._encode(texts, words=False)[0]

    def _encode(self, texts: tuple[str, ...], words: bool) -> tuple[np.ndarray, tuple | None]:
        """The vectors of ``texts`` and (``words``, with an encoder that has ``encode_words``)
        the first text's content words with their vectors, from the same forward pass; cached."""
        words = words and hasattr(self.encoder, "encode_words")
        with self._cache_lock:
            cached = self._cache.get(texts)
        if cached is None or (words and cached[1] is None):
            if words:
                vectors, found = self.encoder.encode_words(list(texts))
                cached = (vectors, found[0])
            else:
                cached = (self.encoder.encode(list(texts)), None)
            with self._cache_lock:
                self._cache[texts] = cached
                while len(self._cache) > QUERY_CACHE:
                    self._cache.popitem(last=False)
        return cached

    def ask(self, question: str, history=(), k: int = 3, source: str | None = None, id: object = None) -> Answer:
        """Answer ``question`` with verbatim quotes from the indexed documents.

        Args:
            question: the user's question; cleaned and cut to 1,000 characters.
            history: earlier questions of the conversation, oldest first.
            k: how many passages to return (1..20).
            source: restrict the search to one document (path relative to the data folder).
            id: echoed in the answer (batch mode).

        Raises:
            UnknownSource: ``source`` names no indexed document.
        """
        return self.analyze(question, history, k, source, id).answer

    def analyze(self, question, history=(), k=3, source=None, id=None) -> Analysis:
        """``ask`` plus the signals behind the decision."""
        return self._analyze(self.index.state, question, history, k, source, id)

    def _analyze(self, state, question, history, k, source, id, recall: bool = True) -> Analysis:
        """``analyze`` on one state of the index. ``recall``: for a follow-up, find the passage it
        leans on (``_recalled``); without it, only the ranking is wanted (the question a
        follow-up follows): no answer is composed."""
        data, retriever = state
        query = self._prepare(state, question, history)
        if source is not None and source not in data.by_source:
            names = ", ".join(d.source for d in data.documents) or "none"
            raise UnknownSource(f"unknown source {source!r} — choose one of: {names}")
        k = max(1, min(int(k), MAX_K))
        if not query.text:
            return _empty(query, id, "Please type a question about the documents.")
        if not data.chunks:
            return _empty(
                query,
                id,
                "No documents are indexed yet — add resolutions (.xml), .txt, .md, .pdf or .html files to the "
                "data folder (or upload them in the web chat) and ask again.",
            )
        # "What is resolution 78/400 about?" where no document is 78/400 or cites it — or "Who
        # sponsored it?" after that question, when this one names no document of its own
        unknown = answers.unknown_resolutions(data, query.text) or (
            answers.unknown_resolutions(data, query.context) if not query.scoped else []
        )
        if unknown:
            return _empty(
                query,
                id,
                f"{unknown[0]} is not among the documents, and none of them cites it — add its file to the data "
                "folder (or upload it in the web chat) to ask about it.",
            )
        vectors, tokens, words = self.search_inputs(query, retriever, words=data.has_words)
        # the sentences that carry on about a resolution the question describes are matched
        # without its description too (answers.rank_units)
        undescribed = self.encode((retriever.acronyms.expanded(query.undescribed),))[0] if query.undescribed else None
        # the models for the signals at hand: an index without word vectors, or an encoder that
        # gives none for the question, is answered without the word signals
        calibration = self.calibration.for_index(words is not None)
        rows = retriever.rows_of(query.sources, query.symbols)
        if rows is not None and len(rows) == 0:
            rows = None
        if query.section and query.reference is None:
            section = retriever.kind_rows(query.section)
            narrowed = section if rows is None else np.intersect1d(rows, section)
            rows = narrowed if len(narrowed) else rows  # "the preamble" of a text that has none: ignored
        item = self._enumerating(state, query, history, source) if recall and query.reference is None else None
        if item is not None:
            # "and the second one?" after a question answered from "… three main reasons. Firstly,
            # …": the item at that place, as a question pointing at a paragraph is answered
            hits = retriever.search(vectors[-1], tokens, rows=np.array([item]))
            ranked = answers.rank_units(
                data, retriever, query, vectors, hits, 1, calibration.ranking, words, undescribed=undescribed
            )
            return _analysis(answers.reference_answer(data, query, ranked, k, id), ranked)
        # what a follow-up leans on ("OP 7" needs nothing from the question before); an item's
        # paragraph above needed none (the question before is analysed once, not twice)
        before = self._recalled(state, query, history, source) if recall and query.reference is None else None
        if query.reference is not None or query.step or query.position:
            # "OP 7", "the next paragraph", "at the end of the article": the paragraphs pointed at
            pointed = answers.pointed_rows(data, retriever, query, rows, source, before)
            if pointed.missing:
                return _empty(query, id, pointed.missing)
            if pointed.rows:
                hits = retriever.search(vectors[-1], tokens, rows=np.array(pointed.rows))
                ranked = answers.rank_units(
                    data,
                    retriever,
                    query,
                    vectors,
                    hits,
                    len(pointed.rows),
                    calibration.ranking,
                    words,
                    undescribed=undescribed,
                )
                if not query.bare_reference and answers.holds_nothing_asked(query, ranked):
                    # "What did the report OP 15 requests conclude?", "Which countries objected
                    # to OP 6?": the paragraph pointed at holds nothing of the kind asked for
                    answer = answers.not_held(data, query, ranked, k, id)
                    return Analysis(answer, {}, 0.0, None, tuple(ranked))
                return _analysis(answers.reference_answer(data, query, ranked, k, id), ranked)
        hits = retriever.search(vectors[-1], tokens, source=source, rows=rows)
        hits = _candidates(data, query, hits)
        previous = frozenset()
        if before is not None and (rows is None or bool(np.isin(before, rows))):
            # a follow-up's answer is often in the paragraph that answered the question before it
            # (three times in four among our questions): a ranking signal, and a candidate even
            # when this question's words alone don't find it ("What will the report cover?")
            previous = frozenset({before})
            if before not in {h.index for h in hits}:
                hits.append(retriever.hit_of(before, vectors[-1]))
        ranked = answers.rank_units(
            data, retriever, query, vectors, hits, len(hits), calibration.ranking, words, previous, undescribed
        )
        if not ranked:
            return _empty(query, id, "The documents don't say: no passage matches this question.")
        if not recall:  # the question a follow-up follows: only its ranking is wanted
            return replace(_empty(query, id, ""), ranked=tuple(ranked))
        best = ranked[0]
        features = abstention_features(query, best, retriever, hits)
        probability = calibration.probability(features)
        answered = probability >= calibration.threshold
        answer, candidate = answers.compose(data, retriever, query, ranked, k, id, answered, probability)
        return Analysis(answer, features, probability, candidate, tuple(ranked))

    def _recalled(self, state, query: Query, history, source) -> int | None:
        """For a follow-up, the passage row it leans on: for "the next paragraph", the paragraph
        last quoted (through a chain of such questions, back to the one answered from a
        paragraph, which is analysed once); else the one that ranked first for the question
        before. None for a question that follows nothing, or a step from an unanswered one."""
        asked = [h for h in history if h and str(h).strip()]
        if not (query.follow_up and asked):
            return None
        if not query.step:
            before = self._analyze(state, asked[-1], tuple(asked[:-1]), 1, source, None, recall=False)
            return before.ranked[0].hit.index if before.ranked else None
        steps = []
        while len(asked) > 1 and paragraph_step(asked[-1]):  # "… OP 12?", "the next paragraph?", "and the next one?"
            steps.append(paragraph_step(asked.pop()))
        anchor = self._analyze(state, asked[-1], tuple(asked[:-1]), 1, source, None)
        row = _quoted_row(anchor)
        for step in reversed(steps):
            row = None if row is None else answers.neighbour(state[0], state[1], row, step)
        return row

    def _enumerating(self, state, query: Query, history, source) -> int | None:
        """For a bare follow-up that asks for an item by its place ("and the second one?",
        ``item_asked``): the paragraph that answered the question the chain of such follow-ups
        started from, when it enumerates ("Firstly, …", "Secondly, …") and has that place."""
        place = item_asked(query.text)
        asked = [h for h in history if h and str(h).strip()]
        if place is None or not asked:  # a bare place asked after a question is a follow-up
            return None
        while len(asked) > 1 and item_asked(asked[-1]) is not None:  # "the first one?", "and the second?"
            asked.pop()
        anchor = self._analyze(state, asked[-1], tuple(asked[:-1]), 1, source, None, recall=False)
        if not anchor.ranked:
            return None
        chunk = anchor.ranked[0].chunk
        text = state[0].by_source[chunk.source].text
        places = item_places([text[start:end] for start, end in chunk.sentences])
        return anchor.ranked[0].hit.index if any(place in found for found in places) else None

    def _prepare(self, state, question, history) -> Query:
        """``prepare`` the question against one state of the index, its acronyms spelled out."""
        data, retriever = state
        speller = retriever.speller

        def spelled(text: str) -> str:
            # "reserch" → "research"; "what does it say about ai?": a lowercase acronym the
            # documents never write as a word
            return retriever.acronyms.capitalized(speller.corrected(text), used=retriever.known_word)

        query = prepare(question, history, data.documents, spelled, retriever.uses_name)
        read = speller.corrections(query.typed)
        if read:
            said = ", ".join(f"“{typed}” as “{meant}”" for typed, meant in read.items())
            query = replace(query, notices=(*query.notices, f"Read {said}."))
        return self.spell_acronyms(query, retriever)

    def spell_acronyms(self, query: Query, retriever) -> Query:
        """``query`` with the long forms of the acronyms it uses that the documents never define
        but spell out ("IP" → "intellectual property"), named after its topic as defined ones are:
        among the phrases whose initials spell the acronym, the one the model finds closest to it."""
        unknown = [a for a in question_acronyms(f"{query.context} {query.text}") if a not in retriever.acronyms.table]
        long_forms = {}
        for acronym in unknown:
            chosen = retriever.long_forms.get(acronym, "")  # chosen once per acronym and index
            if chosen == "":
                phrases, chosen = retriever.initials(acronym), None
                if phrases:
                    vectors = self.encode((acronym, *phrases))
                    closeness = vectors[1:] @ vectors[0]
                    if closeness.max() >= ACRONYM_MIN_COSINE:
                        chosen = phrases[int(closeness.argmax())]
                if len(retriever.long_forms) >= ACRONYM_CACHE:
                    retriever.long_forms = {}  # replaced, not cleared: another thread may be reading it
                retriever.long_forms[acronym] = chosen
            if chosen:
                long_forms[acronym] = chosen
        if not long_forms:
            return query

        def named(text: str) -> str:
            found = [f"{a}: {long_forms[a]}" for a in question_acronyms(text) if a in long_forms]
            return f"{text} ({'; '.join(found)})" if found else text

        return replace(
            query,
            topic=named(query.search_question),
            topic_context=named(query.topic_context or query.context) if query.context else "",
        )

    def search_inputs(
        self, query: Query, retriever, words: bool = False
    ) -> tuple[np.ndarray, list[str], answers.QuestionWords | None]:
        """The question's vectors (the question, then for a follow-up the question with its
        context), its BM25 tokens (the question's words twice, its context's once), with the
        acronyms of ``retriever``'s documents expanded, and (``words``) the question's word
        vectors (None with an encoder that gives none)."""
        question = retriever.acronyms.expanded(query.search_question)
        texts = (question,)
        if query.follow_up:
            texts += (retriever.acronyms.expanded(query.search_context),)
        tokens = retriever.tokens(query.search_question) * 2 + retriever.tokens(query.topic_context or query.context)
        vectors, found = self._encode(texts, words)
        if not words or found is None:
            return vectors, tokens, None
        return vectors, tokens, answers.QuestionWords.of(found[0], found[1], retriever)

    def relevance(self, question: str, history=(), source: str | None = None) -> list[tuple[Chunk, float]]:
        """Every passage (of ``source``, or all) in reading order with its closeness to the question."""
        state = self.index.state
        data, retriever = state
        query = self._prepare(state, question, history)
        if not query.text or not data.chunks:
            return []
        rows = np.arange(len(data.chunks)) if source is None else retriever.rows_of(frozenset({source}))
        vector = self.search_inputs(query, retriever)[0][-1]
        values = np.concatenate(  # in blocks: the float16 vectors are never copied whole
            [data.vectors[rows[i : i + 8192]].astype(np.float32) @ vector for i in range(0, len(rows), 8192)]
            or [np.zeros(0, np.float32)]
        )
        return [(data.chunks[row], float(value)) for row, value in zip(rows.tolist(), values, strict=True)]


def _quoted_row(analysis: Analysis) -> int | None:
    """The passage row of the paragraph an answer quoted (None when it did not answer)."""
    quote = analysis.answer.quote
    if not analysis.answer.answered or quote is None:
        return None
    return next(
        (
            r.hit.index
            for r in analysis.ranked
            if r.chunk.source == quote.source and r.chunk.start <= quote.start < r.chunk.end
        ),
        None,
    )


def _empty(query: Query, id, message: str) -> Analysis:
    answer = Answer(
        question=query.shown, answered=False, message=message, quote=None, passages=(), id=id, notices=query.notices
    )
    return Analysis(answer, {}, 0.0)


def _analysis(answer: Answer, ranked=()) -> Analysis:
    return Analysis(answer, {}, 1.0, answer.quote, tuple(ranked))


def _candidates(data, query: Query, hits: list) -> list:
    """The paragraphs whose answer units compete: the fused best, the best few by words alone (a
    long paragraph that holds the exact words asked for can sit low in the dense rankings and so
    in the fused one), and, for a question asking which text this one cites ("Which earlier
    resolution does it build on?"), the best few fused paragraphs that cite one: "Reaffirming
    its resolutions 78/265 of 21 March 2024, …" shares no word with that question, and the
    model finds dozens of paragraphs closer. (The same for other kinds of value — a date, a
    number — changed no answer on the tuning sets, so it is not done for them.)"""
    citing = query.kind == "citation"
    out, found = [], 0
    for i, hit in enumerate(hits):
        if i < CANDIDATE_PASSAGES or (hit.lexical_rank is not None and hit.lexical_rank < LEXICAL_CANDIDATES):
            out.append(hit)
        elif citing and found < CITING_CANDIDATES and satisfies(query.kind, data.chunks[hit.index].text, query.text):
            out.append(hit)
            found += 1
    return out
