"""Passages made of whole sentences of one paragraph, with exact character offsets.

Invariant (tested for every loader): ``document.text[chunk.start:chunk.end] == chunk.text``.
"""

from __future__ import annotations

import re

import sentencex

from .schema import Chunk, Document, Span
from .structure import paragraphs

DEFAULT_MAX_CHARS = 500
_ENUMERATOR = re.compile(r"\(?(?:\d{1,3}|[a-z]{1,4}|[ivxlc]{1,6})[.)]")
CHUNKER_VERSION = 4  # bump when chunking or passage vectors change, so stored indexes are rebuilt


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


def split_long(text: str, span: Span, max_chars: int) -> list[Span]:
    """Cut a sentence longer than ``max_chars`` at clause breaks ("; ", ", ", then spaces).

    >>> split_long("aaa, bbb; ccc", (0, 13), 9)
    [(0, 4), (5, 13)]
    """
    start, end = span
    pieces: list[Span] = []
    while end - start > max_chars:
        window = text[start : start + max_chars]
        cut = -1
        for pattern in (r";\s", r":\s", r",\s", r"\s"):
            hits = [m.end() for m in re.finditer(pattern, window) if m.end() > max_chars // 3]
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


def chunk_document(document: Document, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """Pack each paragraph's sentences into passages of at most ``max_chars`` characters.

    A passage never crosses a paragraph boundary; a sentence is never cut unless it alone is
    longer than ``max_chars`` (then at a clause break).
    """
    if max_chars < 50:
        raise ValueError(f"max_chars must be at least 50, got {max_chars}")
    text = document.text
    chunks: list[Chunk] = []
    for para in paragraphs(text):
        spans: list[Span] = []
        for span in sentence_spans(text, para.start, para.end):
            spans.extend(split_long(text, span, max_chars))
        group: list[Span] = []
        for span in spans:
            if group and span[1] - group[0][0] > max_chars:
                chunks.append(_make_chunk(document, para.kind, para.number, group))
                group = []
            group.append(span)
        if group:
            chunks.append(_make_chunk(document, para.kind, para.number, group))
    return chunks


def _make_chunk(document: Document, kind: str, number: int, spans: list[Span]) -> Chunk:
    start, end = spans[0][0], spans[-1][1]
    return Chunk(
        source=document.source,
        title=document.label,
        start=start,
        end=end,
        text=document.text[start:end],
        paragraph_kind=kind,
        paragraph_number=number,
        page=document.page_at(start),
        sentences=tuple(spans),
    )
