"""From ranked paragraphs to an ``Answer``: the best unit, paragraph lookups, record values,
and sources that disagree.

The engine gathers the inputs (the query, its vectors, the fused hits); everything here
reads them and the index data, and writes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from .alignment import coverage
from .answering import (
    ACTOR_KINDS,
    MONTHS,
    KindName,
    Ranking,
    answer_type_stems,
    asked_place,
    asked_voice,
    days,
    enumeration,
    foreground,
    is_evidence,
    item_places,
    leans_back,
    lexical_overlap,
    long_date,
    missing_refutes,
    refers_to,
    satisfies,
    unit_features,
    without_cited_dates,
)
from .chunking import MAX_UNIT_CHARS
from .places import countries_in, country_of
from .query import ParagraphRef, Query
from .records import JOINED, label_of, value_span
from .retrieval import Hit, Retriever
from .schema import MAY_ANSWER, METADATA_KINDS, Answer, Chunk, Passage, Quote, Span
from .store import IndexData
from .tokens import tokenize

PIECE_RATIO = 0.9  # the next piece of a clause cut at a comma is quoted too when it scores this close to the best
LIST_JOIN_CHARS = 600  # ... or when it lists what the best piece introduces, up to this length together
LIST_ITEM_CHARS = 200  # a unit this short, between semicolons, is an item of a list ...
LIST_MIN_ITEMS = 3  # ... when at least this many follow each other (``list_runs``)
# The next sentence, when it refers back to the best ("The Resolution …"), from this share of its
# score: what a sentence introduces is said in the next one, in other words. 0.8 until the
# eleventh session; 0.4 gained 9 article answers over the tuning sets, lost none, and made the
# article's median quote 182 → 225 characters (0.2 and 0 gained nothing more). The twelfth
# session's listwise ranking scores the best unit of a paragraph further above the rest: at 0.4
# the article lost 7 answers and its median quote fell 230 → 188; 0.2 won back 5, 0.1 all 7
# (median 231), over the tuning sets.
CONTINUATION_RATIO = 0.1
CONTINUATION_CHARS = MAX_UNIT_CHARS  # ... up to this length together: no longer than a clause may be
HIGHLIGHT_RATIO = 0.95  # another passage's best unit is highlighted too when this close to the answer
# the UN's own text or record wins over an article when this close to the best: the primary
# source for a question about a resolution (tuning sets, 2026-11-28: 0.9 → 0.8 → 0.7 gained 6 and
# 2 resolution-set answers and lost none; 0.5 gained 2 more and lost 1)
OFFICIAL_RATIO = 0.7
NEWEST_RATIO = 0.9  # ... and, among records of several resolutions, the newest act's when this close
# Below the answering threshold but at least this likely: "the closest passage may answer this"
# instead of a flat refusal. Over the 1,160 questions of the tuning sets (development sets
# included; the calibration with word signals, 2026-11-27), from 0.40 to 0.50 one top quote in
# five was right (17 of 87); from 0.30 to 0.40, 10 of 60; below 0.30, 2 of 66. With the boosted
# trees, out of fold over 3,700 questions (2026-11-29): 32 of 73 from 0.40 to 0.50, 21 of 83
# from 0.30 to 0.40, 47 of 829 below.
MAY_ANSWER_PROBABILITY = 0.4
# "What does OP 7 say?" quotes the paragraph whole up to this length (every paragraph of
# A/RES/78/311, the longest 842 characters: about 140 words), else its opening clause
WHOLE_PARAGRAPH_CHARS = 900
# A one-line fact (a record field, a header line) is short, so its vector is close to many
# questions; whether the question asks for it (its words, or the kind of value it holds: a date
# for "when") is one of the signals the ranking weighs (``unaddressed_fact``).
METADATA_COMMON_SHARE = 0.25  # a word used by more than this share of passages does not single a line out

_MONTH = "|".join(MONTHS)
_DATE_VALUE = re.compile(rf"\b\d{{1,2}} (?:{_MONTH}) \d{{4}}\b|\b(?:{_MONTH}) \d{{1,2}},? \d{{4}}\b")
_NUMBER_VALUE = re.compile(r"\b\d[\d,.]*\b")


@dataclass(frozen=True)
class Unit:
    """One quotable span of a candidate paragraph and its unweighted signals (answering.py)."""

    span: Span
    dense: float
    dense_context: float
    lexical: float
    kind_ok: bool | None
    score: float  # what ranks it
    features: dict[str, float] | None = None  # answering.UNIT_FEATURES, for calibrate
    closeness: float | None = None  # what the ratio rules compare (Ranking.closeness); None: the score

    @property
    def close(self) -> float:
        return self.score if self.closeness is None else self.closeness


@dataclass(frozen=True)
class RankedPassage:
    hit: Hit
    chunk: Chunk
    units: tuple[Unit, ...]

    @property
    def best(self) -> Unit:
        return max(self.units, key=lambda u: u.score)

    @property
    def score(self) -> float:
        return self.best.score

    @property
    def close(self) -> float:
        """Its best unit's closeness, for the rules that compare passages as ratios."""
        return self.best.close


def rank_units(
    data: IndexData,
    retriever: Retriever,
    query: Query,
    vectors: np.ndarray,
    hits: list[Hit],
    limit: int,
    ranking: Ranking | None = None,
    words: QuestionWords | None = None,
    previous: frozenset[int] = frozenset(),
    undescribed: np.ndarray | None = None,
) -> list[RankedPassage]:
    """Score every unit of the first ``limit`` hits with ``ranking`` (default: the hand-set
    score), all together: the fitted trees weigh where each unit stands among these candidates
    (``limit`` sets which they are); passages ordered by their best unit. ``words``: the question's word vectors, when
    the index keeps its units' (the word coverage signals, ``alignment``); ``previous``: for a
    follow-up, the passage rows that answered the question it follows; ``undescribed``: the
    vector of the question without the resolution it describes ("What did the March resolution
    urge?" → "What did urge?", ``query.undescribed``): a sentence that carries on about what the
    one before it is about ("It also called on …" after "… another one, adopted on 21 March 2024")
    is matched by the closer of the two — the description is the earlier sentence's to match."""
    ranking = ranking or Ranking()
    q_vec, ctx_vec = vectors[0], vectors[-1]
    asked_for = answer_type_stems(query.text)  # "Which country …": the unit names one, not the word
    q_tokens = [t for t in retriever.tokens(query.search_question) if t not in asked_for]
    place = asked_place(query.text)  # "and the second reason?"
    # "What is asked of …?" (operative), "Why …?" (preambular); the part a question names; for
    # a follow-up ("And civil society?"), the voice of the question it follows
    voice = (
        query.section
        or asked_voice(query.text, query.kind)
        or (asked_voice(query.context, query.kind) if query.follow_up else None)
    )
    # "Which resolution of 25 July 2023 does it reaffirm?": where a candidate holds the whole date
    # asked, a unit that doesn't (its day, month and year apart: "70/1 of 25 September 2015 …
    # 27 July 2015 … 29 September 2023") lacks what the question names — not a loaded
    # resolution's day of adoption, which names the resolution ("the resolution of 1 July 2024")
    asked_days = days(query.text) - days("; ".join(long_date(date) for date in data.adopted.values()))
    if asked_days and not any(asked_days & days(data.chunks[hit.index].text) for hit in hits[:limit]):
        asked_days = frozenset()
    # "When was it adopted?": the date of a text a passage cites ("another one, adopted on 21
    # March 2024"; "its resolution 78/265 of 21 March 2024") is not the one asked for — unless the
    # question names the document it asks about or describes the cited one (a word of the unit few
    # passages use, other than the words any citation uses: "the first resolution on AI", "the
    # Addis Ababa Action Agenda" — or, for a follow-up, the question before does: "When was that
    # adopted?" after "What was the first UNGA resolution on AI?")
    own_date = query.kind == "when" and not query.scoped and not query.undescribed
    describing: set[str] = set()
    if own_date:
        common = 0.5 * max(len(data.chunks), 1)  # fewer than half of the passages: not the subject's own words
        asked = [*q_tokens, *(retriever.tokens(query.search_context) if query.follow_up else ())]
        describing = {t for t in asked if retriever.document_frequency.get(t, 0) <= common} - set(
            retriever.tokens(_CITING_WORDS)
        )
    found = []  # per passage: its hit, chunk and units' signals, scored together below
    for hit in hits[:limit]:
        chunk = data.chunks[hit.index]
        text = data.by_source[chunk.source].text
        first = int(data.sentence_offsets[hit.index])
        rows = slice(first, int(data.sentence_offsets[hit.index + 1]))
        unit_vectors = data.sentence_vectors[rows]
        coverages = _word_coverages(data, words, rows) if words is not None else None
        dense = unit_vectors @ q_vec
        dense_ctx = unit_vectors @ ctx_vec if query.follow_up else dense
        if undescribed is not None:
            # sentences (not a clause's pieces) that carry on about what the one before is about
            carries_on = [
                j > 0 and text[a : a + 1].isupper() and leans_back(text[a:b])
                for j, (a, b) in enumerate(chunk.sentences)
            ]
            if any(carries_on):
                dense = np.where(carries_on, np.maximum(dense, unit_vectors @ undescribed), dense)
                if not query.follow_up:
                    dense_ctx = dense
        units = []  # (span, dense, dense with context, lexical, kind ok, signals)
        # for a question that asks for several things: the items of a list cut at semicolons
        # are wholly a list; any other unit, by its short items (``enumeration``)
        items = (
            {j for a, b in list_runs(text, list(chunk.sentences)) for j in range(a, b + 1)} if query.several else set()
        )
        for j, ((start, end), d, dc) in enumerate(zip(chunk.sentences, dense, dense_ctx, strict=True)):
            unit_text = text[start:end]
            background, main = foreground(unit_text)
            all_tokens = retriever.unit_tokens(first + j)
            lexical_all = lexical_overlap(q_tokens, all_tokens, retriever.idf)
            lexical_main = (
                lexical_overlap(q_tokens, set(retriever.tokens(main)), retriever.idf) if background else lexical_all
            )
            lexical = lexical_main + 0.5 * (lexical_all - lexical_main)  # "Despite …," clauses count half
            if j > 0 and leans_back(unit_text):
                # "The Resolution promoted …" after "… another one, adopted on 21 March 2024": the
                # words of the sentences it refers back to count half — through a chain of them
                # ("It also called on …" after "The letter stressed …" after that one)
                inherited = lexical_overlap(
                    q_tokens, all_tokens | _referred_tokens(retriever, chunk, text, first, j), retriever.idf
                )
                lexical += 0.5 * max(inherited - lexical_all, 0.0)
            # a record line's label names no one: "Who adopted it?" is not answered by "Adoption date: …"
            checked = (
                text[slice(*value_span(text, start, end))]
                if chunk.paragraph_kind == "record" and query.kind in ACTOR_KINDS
                else unit_text
            )
            if own_date and not describing.intersection(all_tokens):
                checked = without_cited_dates(checked)
            kind_ok = satisfies(query.kind, checked, query.text)
            if kind_ok and query.kind == "title" and chunk.paragraph_kind == "record":
                kind_ok = _own_title(retriever, label_of(text, start, end), q_tokens)
            if asked_days:
                kind_ok = bool(asked_days & days(unit_text)) and kind_ok is not False
            unaddressed = chunk.paragraph_kind in METADATA_KINDS and not _addressed(
                query, q_tokens, all_tokens, retriever, kind_ok
            )
            features = unit_features(
                float(d),
                float(dc),
                lexical,
                kind_ok,
                hit.score,
                unaddressed,
                hit.index in previous,
                chunk.paragraph_kind,
                voice,
                (1.0 if j in items else enumeration(unit_text)) if query.several else 0.0,
            )
            if coverages is not None:
                features.update(coverages[j])
            units.append(((start, end), float(d), float(dc), lexical, kind_ok, features))
        found.append((hit, chunk, text, units))
    # every candidate unit at once: the fitted trees weigh where each stands among the others
    group = [u[-1] for _, _, _, units in found for u in units]
    ranked = ranking.scores(group)
    # the weights' scores are their closeness: computed once (trees: the weights beside them)
    scores, closeness = iter(ranked), iter(ranking.closeness(group) if ranking.trees is not None else ranked)
    out = []
    for hit, chunk, text, signals in found:
        units = [
            Unit(span, dense, dense_context, lexical, kind_ok, next(scores), features, next(closeness))
            for span, dense, dense_context, lexical, kind_ok, features in signals
        ]
        if place is not None and units:
            units = _asked_item_first(units, [text[a:b] for a, b in chunk.sentences], place)
        out.append(RankedPassage(hit, chunk, tuple(units)))
    out.sort(key=lambda r: (-r.score, r.hit.index))
    return out


# the words with which any text cites another by its date ("another resolution, adopted on …"),
# and its author, which every resolution has ("the first UNGA resolution": the "first" describes)
_CITING_WORDS = "resolution resolutions text decision document one adopted passed approved General Assembly UN"


def _own_title(retriever: Retriever, label: str, q_tokens: list[str]) -> bool:
    """Whether a record line that holds a title holds the one asked for: the resolution's own
    ("Title: …") — another's ("Agenda item: Agenda item 13 — Integrated and coordinated …") only
    when the question names what it is the title of ("the agenda item's title")."""
    named = set(retriever.tokens(label)) - set(retriever.tokens("title"))
    return not named or bool(named.intersection(q_tokens))


def _referred_tokens(retriever: Retriever, chunk: Chunk, text: str, first: int, j: int) -> frozenset[str]:
    """The words of the units that unit ``j`` of a paragraph (first unit row ``first``) refers
    back to: the one before it, and before that one as long as each leans back on the one
    before it ("It also called on …" ← "The letter stressed …" ← "… another one, adopted on
    21 March 2024, …")."""
    referred: frozenset[str] = frozenset()
    for k in range(j - 1, -1, -1):
        referred |= retriever.unit_tokens(first + k)
        start, end = chunk.sentences[k]
        if not leans_back(text[start:end]):
            break
    return referred


@dataclass(frozen=True)
class QuestionWords:
    """A question's content words as the index aligns them (alignment.py): their contextual
    vectors and their weights (BM25 idf of each word)."""

    vectors: np.ndarray
    weights: np.ndarray

    @classmethod
    def of(cls, words: list[str], vectors: np.ndarray, retriever: Retriever) -> QuestionWords:
        weights = []
        for word in words:
            tokens = retriever.tokens(word)  # an acronym's first spelled-out word, a word's stem
            weights.append(retriever.idf(tokens[0]) if tokens else 0.0)
        return cls(np.asarray(vectors, np.float32), np.asarray(weights, np.float64))


def _word_coverages(data: IndexData, words: QuestionWords, rows: slice) -> list[dict[str, float]]:
    """The word signals of each unit of one paragraph (answer-unit ``rows``): how well the
    paragraph's and the unit's words cover the question's (``alignment.coverage``)."""
    start, end = int(data.word_offsets[rows.start]), int(data.word_offsets[rows.stop])
    similarities = words.vectors @ np.asarray(data.word_vectors[start:end], np.float32).T
    passage, passage_rare = coverage(similarities, words.weights)
    out = []
    for unit in range(rows.start, rows.stop):
        first, last = int(data.word_offsets[unit]) - start, int(data.word_offsets[unit + 1]) - start
        mean, rare = coverage(similarities[:, first:last], words.weights)
        out.append(
            {"soft_passage": passage, "soft_passage_rare": passage_rare, "soft_unit": mean, "soft_unit_rare": rare}
        )
    return out


def _asked_item_first(units: list[Unit], texts: list[str], place: int | str) -> list[Unit]:
    """In a paragraph that enumerates ("Firstly, …", "Secondly, …", "Lastly, …"), the item the
    question asks for by its place ("the second reason") becomes the paragraph's best unit: the
    words of "three main reasons" match such a question better than the item does, and the
    fitted ranking cannot learn a signal this rare. Which paragraph ranks first is unchanged."""
    top, closest = max(u.score for u in units), max(u.close for u in units)
    return [
        replace(u, score=top + 1e-6, closeness=max(u.close, closest + 1e-6)) if place in places and u.score < top else u
        for u, places in zip(units, item_places(texts), strict=True)
    ]


def _addressed(query: Query, q_tokens: list[str], line_tokens, retriever: Retriever, kind_ok: bool | None) -> bool:
    """Does the question ask for what a one-line fact holds: a word they share that few passages
    use ("draft", "meeting", "agenda"; not "General Assembly resolution"), or the kind of value
    it holds (a date for "when")?"""
    if bool(kind_ok) and is_evidence(query.kind):
        return True
    common = METADATA_COMMON_SHARE * max(len(retriever.data.chunks), 1)
    return any(t in line_tokens and retriever.document_frequency.get(t, 0) <= common for t in q_tokens)


# ------------------------------------------------------------------ paragraph lookups
def lookup(retriever: Retriever, ref: ParagraphRef, rows: np.ndarray | None, source: str | None) -> list[int]:
    """Rows of the paragraphs ``ref`` names, one per resolution (or part) in scope."""
    chunks = retriever.data.chunks
    found = retriever.last_numbered[ref.kind] if ref.last else retriever.numbered.get((ref.kind, ref.number), [])
    allowed = None if rows is None else set(rows.tolist())
    found = [r for r in found if (allowed is None or r in allowed) and (source is None or chunks[r].source == source)]
    if ref.sub:
        with_sub = [r for r in found if any(label == ref.sub for *_, label in chunks[r].subs)]
        found = with_sub or found
    return sorted(found)


@dataclass(frozen=True)
class Pointed:
    """The paragraphs a question points at, or why there are none when that is worth saying."""

    rows: list[int]
    missing: str = ""


def pointed_rows(
    data: IndexData, retriever: Retriever, query: Query, rows: np.ndarray | None, source: str | None, before: int | None
) -> Pointed:
    """The paragraphs a question points at, within ``rows`` and ``source``: by number ("OP 7"),
    beside the paragraph quoted for the question ``before`` ("the next paragraph"), or by place
    ("at the end of the article"). A place in documents without body paragraphs, or a step from
    a paragraph outside the scope the question names, points nowhere (the question is searched)."""
    if query.reference is not None:
        found = lookup(retriever, query.reference, rows, source)
        return Pointed(found, "" if found else missing_reference_message(data, query.reference, rows))
    if query.step:
        if before is None:
            return Pointed([], "Ask about a paragraph first; then ask for the one after or before it.")
        if rows is not None and not np.isin(before, rows):
            return Pointed([])
        row = neighbour(data, retriever, before, query.step)
        if row is None:
            chunk = data.chunks[before]
            return Pointed(
                [], f"{chunk.label} has no paragraph {'after' if query.step > 0 else 'before'} {chunk.location}."
            )
        return Pointed([row])
    if source is not None:
        own = retriever.rows_of(frozenset({source}))
        rows = own if rows is None else np.intersect1d(rows, own)
    return Pointed(retriever.edge_rows(query.position, rows).tolist() if query.position else [])


def neighbour(data: IndexData, retriever: Retriever, row: int, step: int) -> int | None:
    """The paragraph after (``step`` 1) or before (-1) passage ``row`` in its document's reading
    order, header lines skipped; None at either end."""
    chunks = data.chunks
    rows = sorted(retriever.rows_of(frozenset({chunks[row].source})).tolist(), key=lambda r: chunks[r].start)
    place = rows.index(row)
    skip = METADATA_KINDS - {chunks[row].paragraph_kind}
    ahead = rows[place + 1 :] if step > 0 else rows[:place][::-1]
    return next((r for r in ahead if chunks[r].paragraph_kind not in skip), None)


# a resolution named by its symbol: "A/RES/78/400", "resolution 78/400", or "78/400" alone (not
# "A/74/821", a report, nor "A/HRC/RES/53/29" or "Human Rights Council resolution 47/23")
_NAMED_SYMBOL = re.compile(r"(?:\bA/RES/|\bresolutions?\s+|(?<![/\w.]))(\d{2,3})/(\d{1,4})(?!\d)", re.IGNORECASE)
_OTHER_ORGAN = re.compile(r"\b(?:Council|HRC|S/RES)\s*$", re.IGNORECASE)


def unknown_resolutions(data: IndexData, question: str) -> list[str]:
    """The resolutions a question names by symbol that no document is and none cites: nothing
    here can say what they say ("What is resolution 78/400 about?" over 78/311 and 78/265). A
    bare "78/400" counts only for a session some document is of ("50/50" is a share).

    >>> from types import SimpleNamespace as S
    >>> data = S(documents=[S(symbol="A/RES/78/311")], resolutions_named={"78/311", "78/265", "74/821"})
    >>> unknown_resolutions(data, "What is resolution 78/400 about? And 78/265? And A/RES/78/311? 78/401?")
    ['A/RES/78/400', 'A/RES/78/401']
    >>> unknown_resolutions(data, "Is it 50/50? Open 24/7? Report A/74/821? HRC resolution 47/23? A/RES/79/1?")
    ['A/RES/79/1']
    """
    sessions: set[str] | None = None  # of the documents: found only when a bare number needs them
    unknown: list[str] = []
    for match in _NAMED_SYMBOL.finditer(question):
        session, number = str(int(match.group(1))), match.group(2)
        if _OTHER_ORGAN.search(question[max(0, match.start() - 30) : match.start()]):
            continue
        if f"{session}/{number}" in data.resolutions_named:
            continue
        if match.group(0)[0].isdigit():  # not "resolution 78/400" or "A/RES/78/400"
            if sessions is None:
                sessions = {d.symbol.split("/")[2] for d in data.documents if d.symbol}
            if session not in sessions:
                continue
        if f"A/RES/{session}/{number}" not in unknown:
            unknown.append(f"A/RES/{session}/{number}")
    return unknown


def missing_reference_message(data: IndexData, ref: ParagraphRef, rows: np.ndarray | None) -> str:
    allowed = None if rows is None else set(rows.tolist())
    counts: dict[str, int] = {}
    for row, chunk in enumerate(data.chunks):
        if chunk.paragraph_kind == ref.kind and (allowed is None or row in allowed):
            counts[chunk.label] = max(counts.get(chunk.label, 0), chunk.paragraph_number)
    label = "OP" if ref.kind == "operative" else "PP"
    if not counts:
        return f"No indexed document has {ref.kind} paragraphs ({label}); ask about its content instead."
    have = "; ".join(f"{title} has {label} 1–{n}" for title, n in sorted(counts.items()))
    return f"There is no {label} {ref.number}{' ' + ref.sub if ref.sub else ''}: {have}."


def reference_answer(data: IndexData, query: Query, ranked: list[RankedPassage], k: int, id) -> Answer:
    """The paragraph a question points at: whole when nothing else is asked (its opening clause
    when it is long, ``_opening``), else its best unit with the pieces that answer with it, as
    any answer is quoted (``_with_close_piece``).

    With several resolutions in scope, each one's paragraph is a passage; for a bare lookup
    the most recently adopted resolution comes first.
    """
    ref = query.reference
    if query.bare_reference:
        ranked = sorted(ranked, key=lambda r: data.by_source[r.chunk.source].date or "", reverse=True)
    best = ranked[0]
    chunk = best.chunk
    span: Span = best.best.span
    if ref is not None and ref.sub:
        sub = next(((s, e) for s, e, label in chunk.subs if label == ref.sub), None)
        if sub is not None:
            inside = [u for u in best.units if sub[0] <= u.span[0] and u.span[1] <= sub[1]]
            span = sub if query.bare_reference or not inside else max(inside, key=lambda u: u.score).span
    elif query.bare_reference:
        span = _opening(data, chunk)
    else:
        span = _with_close_piece(data, best, query.several)  # as ``compose`` quotes
    doc = data.by_source[chunk.source]
    quote = Quote(doc.text[span[0] : span[1]], doc.source, *span)
    passages = tuple(Passage(r.chunk, 1.0, (span,) if r is best else ()) for r in ranked[:k])
    others = [f"{r.chunk.label}, {r.chunk.location}" for r in ranked[1:]]
    message = f"{chunk.label}, {chunk.location_of(span)}."
    if others:
        message += " Also: " + "; ".join(others) + " (see the passages)."
    return Answer(query.shown, True, message, quote, passages, id=id, notices=query.notices)


# what a question of a kind asks for, as a refusal names it (the kinds ``missing_refutes`` reads)
KIND_NOUNS: dict[KindName, str] = {
    "define": "spelt-out name",
    "definition": "definition",
    "symbol": "document symbol",
    "name": "full name",
    "title": "title",
    "amount": "amount of money",
    "share": "share",
    "count": "number",
    "when": "date",
    "citation": "citation of another text",
    "finding": "finding or conclusion",
    "where": "country",
}


def holds_nothing_asked(query: Query, ranked: list[RankedPassage]) -> bool:
    """Does no unit of the paragraphs a question points at hold the kind of value it asks for
    (a finding, a date, particular countries …; ``answering.missing_refutes``)? False when the
    question asks for no particular kind."""
    return (
        bool(ranked)
        and missing_refutes(query.kind, query.text)
        and all(u.kind_ok is False for r in ranked for u in r.units)
    )


def not_held(data: IndexData, query: Query, ranked: list[RankedPassage], k: int, id) -> Answer:
    """The refusal for a question about a paragraph that does not hold what it asks for: the
    paragraph is shown, for the reader to check."""
    best = ranked[0].chunk
    message = (
        f"{MAY_ANSWER}: {best.label}, {best.location}, which the "
        f"question points at, holds no {KIND_NOUNS.get(query.kind, 'answer of the kind asked for')}. "
        "It is listed below: check whether it answers."
    )
    passages = tuple(Passage(r.chunk, 1.0, ()) for r in ranked[:k])  # pointed at, as reference_answer's
    return Answer(query.shown, False, message, None, passages, id=id, notices=query.notices)


# ------------------------------------------------------------------ composing the answer
def compose(
    data: IndexData,
    retriever: Retriever,
    query: Query,
    ranked: list[RankedPassage],
    k: int,
    id,
    answered: bool,
    probability: float,
) -> tuple[Answer, Quote]:
    """The Answer for ranked passages: the best unit quoted (narrowed to the named country in
    a record list), the official source preferred when sources disagree, disagreements shown."""
    notices = list(query.notices)
    ranked = _fuller_fact(data, _prefer_official(data, query, ranked))
    best = ranked[0]
    span = _quotable(data, best.chunk, _with_close_piece(data, best, query.several))
    narrowed = _record_item(data, retriever, query, ranked)
    if narrowed is not None:
        best, span, note = narrowed
        answered = True  # the record lists who sponsored or voted: found or not, that answers
        ranked = [best] + [r for r in ranked if r.hit.index != best.hit.index]
        if note:
            notices.append(note)
    doc = data.by_source[best.chunk.source]
    candidate = Quote(doc.text[span[0] : span[1]], doc.source, *span)
    differing = _disagreement(data, query, ranked, best, candidate.text) if answered else None
    top = ranked[:k]
    if differing is not None:
        other, other_span, message = differing
        notices.append(message)
        if other not in top:
            top = top[: max(k - 1, 1)] + [other]
    passages = []
    for r in top:
        highlights: tuple[Span, ...] = ()
        if answered:
            if r is best:
                highlights = (span,)
            elif differing is not None and r is differing[0]:
                highlights = (differing[1],)  # the differing source's own date or number
            elif r.close >= HIGHLIGHT_RATIO * best.close:
                highlights = (_quotable(data, r.chunk, r.best.span),)  # a record line: its value
        passages.append(Passage(r.chunk, min(max(r.score, 0.0), 1.0), highlights))
    if answered:
        message = f"Found in {best.chunk.label}, {best.chunk.location_of(span)}."
        quote = candidate
    else:
        quote = None
        if probability >= MAY_ANSWER_PROBABILITY:
            message = (
                f"{MAY_ANSWER}. The closest passage, "
                f"{best.chunk.label}, {best.chunk.location}, is listed below: check whether it answers."
            )
        else:
            message = (
                "The documents don't say. Nothing in them answers this question; the closest "
                "passages are listed below, but they do not answer it."
            )
    answer = Answer(query.shown, answered, message, quote, tuple(passages), id=id, notices=tuple(notices))
    return answer, candidate


_LIST_OPENERS = r"including|such as|inter alia|in particular|among others|namely|notably"
# a piece that opens a list ("including policy exchanges, …") ...
_ENUMERATES = re.compile(rf"(?:{_LIST_OPENERS})\b", re.I)
# ... and one that ends introducing a list or an example ("… human oversight, such as, for example,")
_INTRODUCES = re.compile(rf"\b(?:{_LIST_OPENERS}|for example|for instance|e\.g\.),?\s*$", re.I)


def _with_close_piece(data: IndexData, ranked: RankedPassage, listed: bool = False) -> Span:
    """The best unit's span, joined with the piece of the same clause next to it (a long clause
    is cut at a comma, ``chunking.split_long``) when that piece ranks nearly as well (the
    answer may run across the cut), lists what the best one introduces ("including …") or
    introduces the example the best one gives ("such as, for example,"); else with the next
    sentence when that one refers back to the best ("The Resolution promoted …",
    ``refers_to``) and ranks well enough (``CONTINUATION_RATIO``). For a question that asks for
    several things (``listed``), an item of a list cut at semicolons is quoted with the list
    (``_list_run``)."""
    units = ranked.units
    best = max(range(len(units)), key=lambda i: units[i].score)
    start, end = units[best].span
    text = data.by_source[ranked.chunk.source].text
    run = _list_run(text, [u.span for u in units], best) if listed else None
    if run is not None:
        return run
    close = [
        j
        for j in (best - 1, best + 1)
        if 0 <= j < len(units)
        and units[j].close >= PIECE_RATIO * units[best].close
        and _one_clause(text, *sorted((units[j].span, units[best].span)))
    ]
    if not close and best + 1 < len(units):
        # "… to increase capacity-building cooperation," is followed by what it means: "including
        # policy exchanges, …": a clause that introduces a list is quoted with it
        following = units[best + 1].span
        if (
            _ENUMERATES.match(text, following[0])
            and _one_clause(text, (start, end), following)
            and following[1] - start <= LIST_JOIN_CHARS
        ):
            close = [best + 1]
    if not close and best > 0:
        # "through review of automated decisions …" after "… promoting human oversight, such as,
        # for example,": an example or list is quoted with what introduces it
        before = units[best - 1].span
        if (
            _INTRODUCES.search(text, before[0], before[1])
            and _one_clause(text, before, (start, end))
            and end - before[0] <= LIST_JOIN_CHARS
        ):
            close = [best - 1]
    if not close and best + 1 < len(units):
        # "… another one, adopted on 21 March 2024, which was the first …" is followed by what
        # that one did: "The Resolution promoted …": the next sentence of the same paragraph,
        # when it refers back to this one and ranks well enough, is quoted with it
        following = units[best + 1].span
        if (
            units[best + 1].close >= CONTINUATION_RATIO * units[best].close
            and _adjacent_end(text, (start, end), following) in SENTENCE_ENDS
            and refers_to(text[following[0] : following[1]], text[start:end])
            and following[1] - start <= CONTINUATION_CHARS
        ):
            close = [best + 1]
    if not close:
        return start, end
    other = units[max(close, key=lambda j: units[j].score)].span
    return min(start, other[0]), max(end, other[1])


def list_runs(text: str, spans: list[Span]) -> list[tuple[int, int]]:
    """The lists cut at semicolons among a paragraph's units: runs of at least
    ``LIST_MIN_ITEMS`` short units (``LIST_ITEM_CHARS``), each but the last ending with a
    semicolon ("widen digital divides …; reinforce structural inequalities and biases; lead to
    discrimination; …"), as (first, last) unit indexes. A unit that ends a clause cut at a comma
    ("social and environmental;" after "… in its three dimensions – economic,") is not an item.

    >>> t = "Notes risks; widen divides; reinforce biases; lead to discrimination; and more, said"
    >>> spans = [(0, 12), (13, 27), (28, 45), (46, 69), (70, 84)]
    >>> list_runs(t, spans)
    [(0, 4)]
    """

    def item(j: int) -> bool:
        return spans[j][1] - spans[j][0] <= LIST_ITEM_CHARS and not (
            j > 0 and _one_clause(text, spans[j - 1], spans[j])
        )

    runs, j = [], 0
    while j < len(spans):
        last = j
        while item(last) and last + 1 < len(spans) and _adjacent_end(text, spans[last], spans[last + 1]) == ";":
            last += 1
        if last - j + 1 >= LIST_MIN_ITEMS and item(j):
            runs.append((j, last))
            j = last + 1
        else:
            j += 1
    return runs


def _list_run(text: str, spans: list[Span], best: int) -> Span | None:
    """The list the best unit is an item of (``list_runs``), up to ``LIST_JOIN_CHARS``: items
    after the best are dropped first, then those before it; None when it is no such item or
    fewer than ``LIST_MIN_ITEMS`` fit."""
    run = next(((first, last) for first, last in list_runs(text, spans) if first <= best <= last), None)
    if run is None:
        return None
    first, last = run
    while spans[last][1] - spans[first][0] > LIST_JOIN_CHARS and last > best:
        last -= 1
    while spans[last][1] - spans[first][0] > LIST_JOIN_CHARS and first < best:
        first += 1
    return (spans[first][0], spans[last][1]) if last - first + 1 >= LIST_MIN_ITEMS else None


def _opening(data: IndexData, chunk: Chunk) -> Span:
    """What a bare "What does OP 7 say?" quotes: the paragraph whole when it is short enough
    (``WHOLE_PARAGRAPH_CHARS``), else its first unit with the pieces of the same clause that
    follow it (a clause cut at a comma, ``chunking.split_long``), up to that length."""
    if chunk.end - chunk.start <= WHOLE_PARAGRAPH_CHARS:
        return chunk.start, chunk.end
    text = data.by_source[chunk.source].text
    start, end = chunk.sentences[0]
    for following in chunk.sentences[1:]:
        if following[1] - start > WHOLE_PARAGRAPH_CHARS or not _one_clause(text, (start, end), following):
            break
        end = following[1]
    return start, end


SENTENCE_ENDS = frozenset(".!?")


def _adjacent_end(text: str, first: Span, second: Span) -> str | None:
    r"""How the first of two units that follow each other on one line ends: its last character
    before closing quotes ("… the Charter.”" ends with "."); None when a line break or other text
    stands between them, or the first is empty.

    >>> _adjacent_end("It ends. It goes on, and on.", (0, 8), (9, 20)), _adjacent_end("A.\nB.", (0, 2), (3, 5))
    ('.', None)
    """
    between = text[first[1] : second[0]]
    last = text[first[0] : first[1]].rstrip("”’\"')]")[-1:]
    return last if last and not between.strip() and "\n" not in between else None


def _one_clause(text: str, first: Span, second: Span) -> bool:
    """Are two adjacent units pieces of one clause (cut at a comma, not at a semicolon, a line
    break or a sentence end)?"""
    last = _adjacent_end(text, first, second)
    return last is not None and last not in ".;:!?"


def _quotable(data: IndexData, chunk: Chunk, span: Span) -> Span:
    """A record line is quoted by its value ("1 July 2024"), not its label."""
    if chunk.paragraph_kind != "record":
        return span
    return value_span(data.by_source[chunk.source].text, chunk.start, chunk.end)


def _official(data: IndexData, chunk: Chunk) -> bool:
    return data.by_source[chunk.source].official


def _prefer_official(data: IndexData, query: Query, ranked: list[RankedPassage]) -> list[RankedPassage]:
    """When an article comes first while the UN's own text or record answers nearly as well
    (for a date or a number: holds one), the UN's wins: it is the primary source."""
    if not ranked:
        return ranked
    checkable = query.kind in ("when", "count", "amount")
    if _official(data, ranked[0].chunk):
        return _newest_act(data, query, ranked, checkable)
    close = [
        r
        for r in ranked[1:]
        if _official(data, r.chunk)
        and (r.best.kind_ok if checkable else r.best.kind_ok is not False)
        and r.close >= OFFICIAL_RATIO * ranked[0].close
    ]
    if not close:
        return ranked
    if not query.scoped and all(r.chunk.paragraph_kind in METADATA_KINDS for r in close):
        # records of several resolutions, and the question names none: the most recent one
        close.sort(key=lambda r: data.adopted.get(r.chunk.symbol or "", ""), reverse=True)
    return [close[0]] + [x for x in ranked if x is not close[0]]


def _fuller_fact(data: IndexData, ranked: list[RankedPassage]) -> list[RankedPassage]:
    """A one-line fact first ("Agenda item 13", a header line) that a record line of the same
    resolution among the passages states with what explains it, joined (``records.JOINED``:
    "Agenda item: Agenda item 13 — Integrated and coordinated implementation …"): the fuller one
    answers. Any other line that merely starts with the same words is another fact ("2" votes
    against, "2 December 2024")."""
    if not ranked or ranked[0].chunk.paragraph_kind not in METADATA_KINDS or ranked[0].chunk.symbol is None:
        return ranked
    top = ranked[0].chunk
    said = _fact(data, top)
    for r in ranked[1:]:
        chunk = r.chunk
        # a record line that joins a second field to the first (records.JOINED), the first the same
        if (
            chunk.paragraph_kind == "record"
            and chunk.name in JOINED
            and chunk.symbol == top.symbol
            and _fact(data, chunk).startswith(said + JOINED[chunk.name][1])
        ):
            return [r] + [x for x in ranked if x is not r]
    return ranked


def _fact(data: IndexData, chunk: Chunk) -> str:
    """What a one-line fact says: a record line's value, a header line's text."""
    start, end = _quotable(data, chunk, (chunk.start, chunk.end))
    return data.by_source[chunk.source].text[start:end]


def _describes(data: IndexData, query: Query, symbol: str | None) -> bool:
    """Does a question that names no loaded document still describe the resolution ``symbol``:
    by its number ("78/265" of a resolution only the records hold), as a resolution described
    ("the March resolution", ``query.undescribed``), or by words of its title that the titles of
    the resolutions whose text is loaded lack ("the resolution on trustworthy AI")?"""
    if not symbol or query.undescribed or symbol.removeprefix("A/RES/") in query.search_text:
        return True
    asked = set(tokenize(query.search_text))
    others = {t for s in data.with_text for t in tokenize(data.record_titles.get(s, ""))}
    return bool(asked & (set(tokenize(data.record_titles.get(symbol, ""))) - others))


def _newest_act(data: IndexData, query: Query, ranked: list[RankedPassage], checkable: bool) -> list[RankedPassage]:
    """ "When was the resolution adopted?" naming none, answered by a header line or record of
    one resolution while another's says it nearly as well: the most recently adopted one's."""
    top = ranked[0]
    if query.scoped or top.chunk.paragraph_kind not in METADATA_KINDS:
        return ranked
    if (
        top.chunk.paragraph_kind == "record"
        and top.chunk.symbol not in data.with_text
        and not _describes(data, query, top.chunk.symbol)
    ):
        # "What is its full title?", "At which meeting was it adopted?" beside one resolution's
        # text and the catalogue's records of others: the same field of the record of the
        # resolution whose text is there — unless the question describes the other one
        loaded = next(
            (
                r
                for r in ranked
                if r.chunk.paragraph_kind == "record"
                and r.chunk.name == top.chunk.name
                and r.chunk.symbol in data.with_text
            ),
            None,
        )
        if loaded is not None:
            return [loaded] + [x for x in ranked if x is not loaded]
    close = [
        r
        for r in ranked
        if r.chunk.paragraph_kind in METADATA_KINDS
        and (r.best.kind_ok if checkable else True)
        and r.close >= NEWEST_RATIO * top.close
    ]
    newest = max(close, key=lambda r: data.adopted.get(r.chunk.symbol or "", ""), default=top)
    return ranked if newest is top else [newest] + [x for x in ranked if x is not newest]


def _values(text: str, kind: str) -> set[str]:
    pattern = _DATE_VALUE if kind == "when" else _NUMBER_VALUE
    return {" ".join(v.replace(",", "").split()) for v in pattern.findall(text)}


def _disagreement(data: IndexData, query: Query, ranked: list[RankedPassage], best: RankedPassage, text: str):
    """Another document's answer of the same kind with a different value, or None."""
    if query.kind not in ("when", "count", "amount"):
        return None
    mine = _values(text, query.kind)
    if not mine:
        return None
    # a date that is another loaded resolution's adoption date speaks of that resolution
    elsewhere = {long_date(date) for symbol, date in data.adopted.items() if symbol != best.chunk.symbol}
    for r in ranked:  # every candidate paragraph whose unit speaks of what was asked (below)
        if r.chunk.source == best.chunk.source:
            continue
        if r.chunk.symbol and best.chunk.symbol and r.chunk.symbol != best.chunk.symbol:
            continue  # another resolution's date is not a disagreement about this one
        if best.chunk.symbol and r.chunk.paragraph_kind in ("preambular", "operative"):
            continue  # a resolution's own paragraphs date the texts they recall, not its adoption
        unit = max((u for u in r.units if u.kind_ok), key=lambda u: u.score, default=None)
        if unit is None or unit.lexical < 0.5:  # a date about something else is no disagreement
            continue
        other_text = data.by_source[r.chunk.source].text[unit.span[0] : unit.span[1]]
        theirs = _values(other_text, query.kind) - elsewhere
        if theirs and not theirs & mine:
            message = (
                f"Sources differ: {best.chunk.label} ({best.chunk.location_of(best.best.span)}) says "
                f"{', '.join(sorted(mine))}; {r.chunk.label} ({r.chunk.location_of(unit.span)}) says "
                f"{', '.join(sorted(theirs))}."
            )
            return r, unit.span, message
    return None


def _record_item(data: IndexData, retriever: Retriever, query: Query, ranked: list[RankedPassage]):
    """For "Did the United States co-sponsor it?": the list item that names the country, in the
    record lists (sponsors, additional sponsors, votes) whose label shares a word with the
    question, of the resolutions in scope; the most recently adopted resolution first. Not for
    what a country said ("and what did the British delegation say?" after "Who sponsored it?"):
    a list says who is on it, not what anyone said."""
    if query.kind == "statement":
        return None
    named = countries_in(query.text) or countries_in(query.context)
    if not named:
        return None
    asked = set(tokenize(f"{query.context} {query.text}"))
    by_row = {r.hit.index: r for r in ranked}
    lists = []
    for row in retriever.record_lists:
        chunk = data.chunks[row]
        if query.scoped and chunk.symbol not in query.symbols:
            continue
        if asked & set(tokenize(label_of(data.by_source[chunk.source].text, chunk.start, chunk.end))):
            lists.append((row, chunk))
    if not lists:
        return None
    lists.sort(key=lambda item: (data.adopted.get(item[1].symbol or "", ""), -item[0]), reverse=True)
    first = None
    for row, chunk in lists:
        ranked_passage = by_row.get(row) or _as_ranked(row, chunk)
        first = first or ranked_passage
        text = data.by_source[chunk.source].text
        cursor, value_end = value_span(text, chunk.start, chunk.end)
        for item in text[cursor:value_end].split(", "):
            start, end = cursor, cursor + len(item)
            cursor = end + 2
            if country_of(item) in named:
                return ranked_passage, (start, end), None
    label = " or ".join(sorted(named.values()))
    fields = ", ".join(sorted({c.location for _, c in lists}))
    return first, _quotable(data, first.chunk, first.best.span), f"{label.title()} is not listed in {fields}."


def _as_ranked(row: int, chunk: Chunk) -> RankedPassage:
    """A record field found by lookup rather than by search: full marks, it was asked for."""
    unit = Unit((chunk.start, chunk.end), 1.0, 1.0, 1.0, True, 1.0)
    return RankedPassage(Hit(row, 1.0, 1.0), chunk, (unit,))
