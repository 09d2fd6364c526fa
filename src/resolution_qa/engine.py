"""QAEngine: the one object every front end calls (CLI, web app, eval, bench).

engine = QAEngine.open(data_dir, index_dir)   # builds the index if missing or stale
answer = engine.ask("Who sponsored it?", history=(), k=3)
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from . import store
from .answering import (
    EVIDENCE_KINDS,
    Calibration,
    Query,
    contextualize,
    default_calibration,
    expand_acronyms,
    foreground,
    lexical_overlap,
    satisfies,
    sentence_score,
    unknown_names,
    unknown_share,
)
from .config import Settings
from .documents import Skipped
from .embedding import Encoder, MiniLMEncoder
from .indexing import BuildReport, build, chunk_params, source_hashes
from .retrieval import Hit, Retriever
from .schema import Answer, Chunk, Document, Passage, Quote, Span
from .tokens import tokenize

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
MAX_K = 20
CANDIDATE_PASSAGES = 8  # passages whose sentences compete for the answer
HIGHLIGHT_RATIO = 0.95  # another passage's best sentence is highlighted too when this close to the answer


class UnknownSource(ValueError):
    """``source`` names no indexed document."""


@dataclass(frozen=True)
class SentenceSignals:
    """One candidate sentence and its unweighted signals (see answering.py)."""

    span: Span
    dense: float
    dense_context: float
    lexical: float
    kind_ok: bool | None


@dataclass(frozen=True)
class Analysis:
    """An answer together with the signals behind the decision (for eval and calibration)."""

    answer: Answer
    features: dict[str, float]
    probability: float
    candidate: Quote | None = None  # the best sentence, even when the answer abstains


def clean_question(text: str) -> str:
    """Drop control and format characters, collapse whitespace.

    >>> clean_question("  What\\x00 is\\n\\tPAM?\\u200b ")
    'What is PAM?'
    """
    kept = []
    for ch in str(text):
        category = unicodedata.category(ch)
        if ch in "\n\t\r":
            kept.append(" ")
        elif category in ("Cc", "Cf", "Cs", "Co"):
            continue
        else:
            kept.append(ch)
    return re.sub(r"\s+", " ", "".join(kept)).strip()


class QAEngine:
    """Question answering over an index; thread-safe for concurrent ``ask`` calls."""

    def __init__(
        self,
        data: store.IndexData,
        encoder: Encoder,
        settings: Settings,
        calibration: Calibration | None = None,
        report: BuildReport | None = None,
    ):
        self.encoder = encoder
        self.settings = settings
        self.calibration = calibration or default_calibration()
        self.report = report or BuildReport(passages=len(data.chunks))
        # (data, retriever) swapped as one value, so a question asked during an upload sees
        # either the old index or the new one, never half of each
        self._state = (data, Retriever(data))
        # The web page asks for the answer and the document map of the same question;
        # caching the few most recent query vectors saves the second forward pass.
        self._encode_query = lru_cache(maxsize=128)(lambda texts: self.encoder.encode(list(texts)))

    # ----------------------------------------------------------------- building
    @classmethod
    def open(
        cls,
        settings: Settings | None = None,
        encoder: Encoder | None = None,
        calibration: Calibration | None = None,
        force: bool = False,
    ) -> QAEngine:
        """Load the index under ``settings.index_dir``, (re)building it from
        ``settings.data_dir`` when it is missing, stale or damaged.

        Args:
            settings: folders and limits (defaults: ``Settings()``).
            encoder: the embedding model (default: the packaged MiniLM).
            calibration: abstention model (default: the shipped one).
            force: rebuild every passage even when the index is current.
        """
        settings = settings or Settings()
        encoder = encoder or MiniLMEncoder()
        data, report = cls._load_or_build(settings, encoder, force)
        return cls(data, encoder, settings, calibration, report)

    @staticmethod
    def _model_info(encoder: Encoder) -> dict:
        return {"name": encoder.name, "sha256": encoder.sha256, "dim": encoder.dim}

    @classmethod
    def _load_or_build(cls, settings: Settings, encoder: Encoder, force: bool) -> tuple[store.IndexData, BuildReport]:
        from filelock import FileLock

        model = cls._model_info(encoder)
        params = chunk_params(settings.max_chars)
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        data, reason = cls._try_load(settings, model, params)
        if data is not None and not force and cls._is_current(data, settings):
            return data, cls._current_report(data)
        with FileLock(str(settings.index_dir / ".lock"), timeout=settings.lock_timeout):
            # Another process may have built while we waited for the lock.
            data, reason = cls._try_load(settings, model, params)
            if data is not None and not force and cls._is_current(data, settings):
                return data, cls._current_report(data)
            if reason and store.read_manifest(settings.index_dir) is not None:
                log.warning("rebuilding the index from %s: %s", settings.data_dir, reason)
            new, report = build(
                settings.data_dir,
                encoder,
                settings.max_chars,
                previous=None if force else data,
                max_file_bytes=settings.max_file_bytes,
            )
            report.rebuilt_reason = reason
            store.save(settings.index_dir, new, model)
            return new, report

    @staticmethod
    def _current_report(data: store.IndexData) -> BuildReport:
        return BuildReport(
            passages=len(data.chunks),
            unchanged=[d.source for d in data.documents],
            skipped=[Skipped(path, reason) for path, reason in data.skipped_reasons.items()],
        )

    @staticmethod
    def _try_load(settings: Settings, model: dict, params: dict) -> tuple[store.IndexData | None, str | None]:
        try:
            return store.load(settings.index_dir, model, params), None
        except store.IndexUnavailable as exc:
            return None, str(exc)

    @staticmethod
    def _is_current(data: store.IndexData, settings: Settings) -> bool:
        return {**data.sources(), **data.skipped} == source_hashes(settings.data_dir)

    def refresh(self) -> BuildReport:
        """Re-read the data folder and re-embed only what changed (after an upload)."""
        data, report = self._load_or_build(self.settings, self.encoder, force=False)
        self._state = (data, Retriever(data))
        self.report = report
        return report

    @property
    def data(self) -> store.IndexData:
        return self._state[0]

    @property
    def retriever(self) -> Retriever:
        return self._state[1]

    def warm_up(self) -> None:
        """Load the model now, so the first question is fast and a bad model fails at start."""
        self.encoder.encode(["warm up"])

    # ------------------------------------------------------------------- asking
    @property
    def documents(self) -> list[Document]:
        return self.data.documents

    @property
    def skipped(self) -> list[Skipped]:
        return self.report.skipped

    def ask(
        self,
        question: str,
        history: tuple[str, ...] | list[str] = (),
        k: int = 3,
        source: str | None = None,
        id: object = None,
    ) -> Answer:
        """Answer ``question`` with verbatim quotes from the indexed documents.

        Args:
            question: the user's question; cleaned and cut to 1,000 characters.
            history: earlier questions of the conversation, oldest first.
            k: how many passages to return (1..20).
            source: restrict the search to one document (path relative to the data folder).
            id: echoed in the answer (batch mode).

        Returns:
            An Answer; ``answered`` is False when the documents do not seem to answer.

        Raises:
            UnknownSource: ``source`` names no indexed document.
        """
        return self.analyze(question, history, k, source, id).answer

    def analyze(self, question, history=(), k=3, source=None, id=None) -> Analysis:
        """``ask`` plus the signals behind the decision."""
        notices: list[str] = []
        text = clean_question(question)
        if len(text) > MAX_QUESTION_CHARS:
            text = text[:MAX_QUESTION_CHARS].rsplit(" ", 1)[0]
            notices.append(f"Your question was cut to its first {len(text)} characters.")
        if source is not None and source not in self.data.by_source:
            names = ", ".join(d.source for d in self.documents) or "none"
            raise UnknownSource(f"unknown source {source!r} — choose one of: {names}")
        k = max(1, min(int(k), MAX_K))
        if not text:
            return self._empty(text, id, notices, "Please type a question about the documents.")
        if not self.data.chunks:
            return self._empty(
                text,
                id,
                notices,
                "No documents are indexed yet — add .txt, .md, .pdf or .html files to the data folder "
                "(or upload them in the web chat) and ask again.",
            )
        query = contextualize(text, tuple(clean_question(h) for h in history))
        return self._answer(query, k, source, id, notices)

    def _empty(self, text: str, id, notices: list[str], message: str) -> Analysis:
        answer = Answer(
            question=text, answered=False, message=message, quote=None, passages=(), id=id, notices=tuple(notices)
        )
        return Analysis(answer, {}, 0.0)

    def candidates(
        self, query: Query, source: str | None = None, state=None
    ) -> list[tuple[Hit, list[SentenceSignals]]]:
        """The sentences of the best passages with their signals (before weighting)."""
        data, retriever = state or self._state
        acronyms = retriever.acronyms
        question = expand_acronyms(query.text, acronyms)
        texts = [question] + ([expand_acronyms(query.search_text, acronyms)] if query.follow_up else [])
        vectors = self._encode_query(tuple(texts))
        q_vec, ctx_vec = vectors[0], vectors[-1]
        q_tokens = tokenize(question)
        ctx_tokens = tokenize(query.context)
        hits = retriever.search(ctx_vec, q_tokens * 2 + ctx_tokens, source=source)
        idf = retriever.idf
        out = []
        for hit in hits[:CANDIDATE_PASSAGES]:
            chunk = data.chunks[hit.index]
            doc = data.by_source[chunk.source]
            rows = slice(data.sentence_offsets[hit.index], data.sentence_offsets[hit.index + 1])
            sentence_vectors = data.sentence_vectors[rows]
            dense = sentence_vectors @ q_vec
            dense_ctx = sentence_vectors @ ctx_vec if query.follow_up else dense
            signals = []
            first = int(data.sentence_offsets[hit.index])
            for j, ((start, end), d, dc) in enumerate(zip(chunk.sentences, dense, dense_ctx, strict=True)):
                sentence_text = doc.text[start:end]
                background, main = foreground(sentence_text)
                all_tokens = retriever.sentence_tokens[first + j]
                lexical_all = lexical_overlap(q_tokens, all_tokens, idf)
                lexical_main = lexical_overlap(q_tokens, set(tokenize(main)), idf) if background else lexical_all
                signals.append(
                    SentenceSignals(
                        span=(start, end),
                        dense=float(d),
                        dense_context=float(dc),
                        # words matched only in a "Despite …," clause count half
                        lexical=lexical_main + 0.5 * (lexical_all - lexical_main),
                        kind_ok=satisfies(query.kind, sentence_text, query.text),
                    )
                )
            out.append((hit, signals))
        return out

    def _answer(self, query: Query, k: int, source: str | None, id, notices: list[str]) -> Analysis:
        state = self._state
        data, retriever = state
        scored = []  # (best score, hit, [(score, signals)])
        for hit, signals in self.candidates(query, source, state):
            sentences = [
                (sentence_score(s.dense, s.dense_context, s.lexical, s.kind_ok, hit.score), s) for s in signals
            ]
            scored.append((max(score for score, _ in sentences), hit, sentences))
        scored.sort(key=lambda item: (-item[0], item[1].index))
        top = scored[:k]
        if not top:
            return self._empty(query.text, id, notices, "The documents don't say: no passage matches this question.")
        best_score, best_hit, best_sentences = top[0]
        _, best_signals = max(best_sentences, key=lambda s: s[0])
        answer_span = best_signals.span
        answer_chunk = data.chunks[best_hit.index]
        features = {
            "dense": max(best_signals.dense, best_signals.dense_context),
            "passage_dense": best_hit.dense,
            "coverage": 1.0 - unknown_share(f"{query.context} {query.text}", set(tokenize(answer_chunk.text))),
            "unknown": unknown_share(query.text, retriever.document_frequency),
            "unknown_names": unknown_names(query.text, retriever.document_frequency),
            "kind_missing": 1.0 if best_signals.kind_ok is False else 0.0,
            "kind_match": 1.0 if best_signals.kind_ok is True and query.kind in EVIDENCE_KINDS else 0.0,
        }
        probability = self.calibration.probability(features)
        answered = probability >= self.calibration.threshold
        passages = []
        for score, hit, sentences in top:
            highlights: tuple[Span, ...] = ()
            if answered:
                local_score, local = max(sentences, key=lambda s: s[0])
                span = local.span
                if hit is best_hit:
                    highlights = (answer_span,)
                elif local_score >= HIGHLIGHT_RATIO * best_score:
                    highlights = (span,)
            passages.append(
                Passage(chunk=data.chunks[hit.index], score=min(max(score, 0.0), 1.0), highlights=highlights)
            )
        doc = data.by_source[answer_chunk.source]
        candidate = Quote(doc.text[answer_span[0] : answer_span[1]], doc.source, *answer_span)
        if answered:
            quote = candidate
            message = f"Found in {doc.label}, {answer_chunk.location}."
        else:
            quote = None
            message = (
                "The documents don't say. Nothing in them answers this question; the closest "
                "passages are listed below, but they do not answer it."
            )
        answer = Answer(
            question=query.text,
            answered=answered,
            message=message,
            quote=quote,
            passages=tuple(passages),
            id=id,
            notices=tuple(notices),
        )
        return Analysis(answer, features, probability, candidate)

    def relevance(self, question: str, history=(), source: str | None = None) -> list[tuple[Chunk, float]]:
        """Every passage (of ``source``, or all) in reading order with its closeness to the question."""
        query = contextualize(clean_question(question)[:MAX_QUESTION_CHARS], tuple(clean_question(h) for h in history))
        if not query.text or not self.data.chunks:
            return []
        data, retriever = self._state
        acronyms = retriever.acronyms
        texts = [expand_acronyms(query.text, acronyms)]
        if query.follow_up:
            texts.append(expand_acronyms(query.search_text, acronyms))
        vector = self._encode_query(tuple(texts))[-1]
        values = data.vectors @ vector
        return [
            (chunk, float(value))
            for chunk, value in zip(data.chunks, values, strict=True)
            if source is None or chunk.source == source
        ]
