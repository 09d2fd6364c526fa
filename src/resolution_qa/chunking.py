"""Passages made of whole sentences of one paragraph, with exact character offsets.

Invariant (tested for every loader): ``document.text[chunk.start:chunk.end] == chunk.text``.
"""

from __future__ import annotations

import re

import sentencex

from .schema import ANSWERING_KINDS, METADATA_KINDS, Chunk, Document, Paragraph, Span
from .structure import paragraphs

DEFAULT_MAX_CHARS = 1500
_ENUMERATOR = re.compile(r"\(?(?:\d{1,3}|[a-z]{1,4}|[ivxlc]{1,6})[.)]")
CHUNKER_VERSION = 15  # bump when chunking or passage vectors change, so stored indexes are rebuilt


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Absolute spans of the sentences in ``text[start:end]``, whitespace trimmed.

    Sentence boundaries come from sentencex (Wikimedia's segmenter), which returns the
    text in pieces that concatenate back to the input, so offsets are exact.

    >>> sentence_spans("One. Two words here.")
    [(0, 4), (5, 20)]
    >>> sentence_spans("7. Decides to act. Also this.")
    [(0, 18), (19, 29)]
    """
    end = len(text) if end is None else end
    spans: list[Span] = []
    offset = start
    for piece in sentencex.segment("en", text[start:end]):
        piece_start, piece_end = offset, offset + len(piece)
        offset = piece_end
        stripped = piece.strip()
        if stripped:
            lead = len(piece) - len(piece.lstrip())
            spans.append((piece_start + lead, piece_start + lead + len(stripped)))
    if offset != end:  # defensive: a segmenter that rewrote text would break citations
        raise ValueError("sentence segmenter changed the text; offsets would be wrong")
    # A paragraph number ("7.", "(a)") split off by the segmenter belongs to what follows it.
    merged: list[Span] = []
    for span in spans:
        if merged and _ENUMERATOR.fullmatch(text[merged[-1][0] : merged[-1][1]]):
            merged[-1] = (merged[-1][0], span[1])
        else:
            merged.append(span)
    return merged


# Where a long clause is cut, strongest first: a semicolon, a colon, a comma before a word that
# opens a new clause or phrase ("…, including through …", "…, and to enhance …"), any comma, a space.
_CUTS = tuple(
    re.compile(pattern)
    for pattern in (
        r";\s",
        r":\s",
        r",\s+(?=(?:and|or|including|in particular|inter alia|such as|as well as|while|whereas|which|"
        r"through|by|with|without|in order|taking into account|to)\b)",
        r",\s",
        r"\s",
    )
)


def split_long(text: str, span: Span, max_chars: int) -> list[Span]:
    """Cut a sentence longer than ``max_chars`` at its last clause break of the strongest kind
    (see ``_CUTS``), never mid-word, until every piece fits.

    >>> split_long("aaa, bbb; ccc", (0, 13), 9)
    [(0, 4), (5, 13)]
    >>> t = "States to share data, tools and skills, including through training, in all regions"
    >>> [t[a:b] for a, b in split_long(t, (0, len(t)), 70)]
    ['States to share data, tools and skills,', 'including through training, in all regions']
    """
    start, end = span
    pieces: list[Span] = []
    while end - start > max_chars:
        window = text[start : start + max_chars]
        cut = -1
        for pattern in _CUTS:
            hits = [m.end() for m in pattern.finditer(window) if m.end() > max_chars // 3]
            if hits:
                cut = hits[-1]
                break
        if cut <= 0:
            cut = max_chars
        piece_end = start + cut
        while piece_end > start and text[piece_end - 1].isspace():
            piece_end -= 1
        pieces.append((start, piece_end))
        start += cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        pieces.append((start, end))
    return pieces


_CLAUSE_BREAK = re.compile(r"(?<=;)\s+|\n+")
MIN_UNIT_CHARS = 25  # a shorter piece ("and", "(a)") joins the piece after it
MAX_UNIT_CHARS = 450  # a clause longer than this is cut at ":" or "," (never mid-word, see split_long)


def answer_units(text: str, start: int, end: int) -> list[Span]:
    """The quotable pieces of ``text[start:end]``: sentences, cut at semicolons and at line
    breaks (list items), so that an answer can be the one clause of a long operative
    paragraph that answers. Spans are exact and trimmed; nothing is cut mid-word.

    >>> t = "4. Calls upon States to act; to share their tidal data;\\n(a) training on corrosion control;"
    >>> [t[a:b] for a, b in answer_units(t, 0, len(t))]
    ['4. Calls upon States to act;', 'to share their tidal data;', '(a) training on corrosion control;']
    """
    pieces: list[Span] = []
    for sentence in sentence_spans(text, start, end):
        cursor = sentence[0]
        for match in _CLAUSE_BREAK.finditer(text, sentence[0], sentence[1]):
            if match.start() > cursor:
                pieces.append((cursor, match.start()))
            cursor = match.end()
        if cursor < sentence[1]:
            pieces.append((cursor, sentence[1]))
    merged: list[Span] = []
    for piece in pieces:
        if merged and (
            merged[-1][1] - merged[-1][0] < MIN_UNIT_CHARS or _ENUMERATOR.fullmatch(text[slice(*merged[-1])])
        ):
            merged[-1] = (merged[-1][0], piece[1])
        else:
            merged.append(piece)
    if len(merged) > 1 and merged[-1][1] - merged[-1][0] < MIN_UNIT_CHARS:
        last = merged.pop()
        merged[-1] = (merged[-1][0], last[1])
    units: list[Span] = []
    for span in merged:
        units.extend(split_long(text, span, MAX_UNIT_CHARS))
    return units


def chunk_document(document: Document, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """One passage per answering paragraph (its whole text), with its answer units.

    Headings, header blocks, enacting formulas and footnotes are not passages. Only plain
    body text longer than ``max_chars`` (a PDF page without blank lines) is packed into
    several passages of whole sentences; resolution paragraphs are never cut.
    """
    if max_chars < 50:
        raise ValueError(f"max_chars must be at least 50, got {max_chars}")
    text = document.text
    chunks: list[Chunk] = []
    for para in document.paragraphs or paragraphs(text):
        if para.kind not in ANSWERING_KINDS or para.end <= para.start:
            continue
        if para.kind in METADATA_KINDS:  # the whole line is the unit (a record's answer quotes its value)
            chunks.append(_make_chunk(document, para, (para.start, para.end), [(para.start, para.end)]))
            continue
        units = answer_units(text, para.start, para.end)
        if not units:
            continue
        if para.kind != "body" or para.end - para.start <= max_chars:
            chunks.append(_make_chunk(document, para, (para.start, para.end), units))
            continue
        group: list[Span] = []
        for span in units:
            if group and span[1] - group[0][0] > max_chars:
                chunks.append(_make_chunk(document, para, (group[0][0], group[-1][1]), group))
                group = []
            group.append(span)
        if group:
            chunks.append(_make_chunk(document, para, (group[0][0], group[-1][1]), group))
    return chunks


def _make_chunk(document: Document, para: Paragraph, span: Span, units: list[Span]) -> Chunk:
    start, end = span
    symbol = para.symbol or document.symbol
    label = para.symbol if para.kind == "record" and para.symbol else document.label
    return Chunk(
        source=document.source,
        label=label,
        start=start,
        end=end,
        text=document.text[start:end],
        paragraph_kind=para.kind,
        paragraph_number=para.number,
        page=document.page_at(start),
        sentences=tuple(units),
        symbol=symbol,
        sub=para.sub,
        part=para.part,
        name=para.name,
        subs=tuple(s for s in para.subs if start <= s[0] and s[1] <= end),
    )
