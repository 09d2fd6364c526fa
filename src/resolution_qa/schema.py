"""The small typed values that cross module boundaries.

Every span is a pair of absolute character offsets into ``Document.text``:
``document.text[start:end]`` is exactly the quoted text.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any, Literal

Span = tuple[int, int]

# What a paragraph is in its document. Only the ANSWERING kinds are indexed: headings, the
# header block, enacting formulas and footnotes are shown in context but never quoted. The
# header's lines that state a fact ("Resolution adopted by the General Assembly on 1 July
# 2024", "Agenda item 13", the closing "97th plenary meeting") are "header" lines: they answer
# the questions that ask for that fact, like a catalogue record's field.
ParagraphKind = Literal[
    "preambular", "operative", "annex", "body", "record", "header", "heading", "boilerplate", "note"
]
ANSWERING_KINDS = frozenset({"preambular", "operative", "annex", "body", "record", "header"})
METADATA_KINDS = frozenset({"record", "header"})  # one-line facts about a document, not its text
# how a refusal that points at a passage that may answer opens ("The documents may not answer this
# directly. The closest passage, …"): its passages are shown for checking, not as non-answers
MAY_ANSWER = "The documents may not answer this directly"
DocumentFormat = Literal["txt", "md", "pdf", "html", "xml", "records"]


@dataclass(frozen=True)
class Document:
    """One source file, as extracted text.

    ``source`` is the path relative to the data folder (POSIX separators). For .txt and .md
    ``text`` is the decoded file unchanged; for PDF and HTML it is the extracted text, which
    is stored with the index so that citations stay checkable.
    """

    source: str
    title: str
    text: str
    sha256: str
    kind: DocumentFormat
    symbol: str | None = None
    page_starts: tuple[int, ...] = ()  # offset where each PDF page begins (page 1 first)
    date: str | None = None  # adoption date (ISO) when the markup gives one
    paragraphs: tuple[Paragraph, ...] = ()  # structure from markup; empty: found from the text

    @property
    def official(self) -> bool:
        """The UN's own text or record (not an article about it): wins when sources disagree."""
        return self.kind in ("xml", "records") or bool(self.symbol)

    def page_at(self, offset: int) -> int | None:
        """The 1-based PDF page holding ``offset``, or None for documents without pages.

        >>> Document("a.pdf", "A", "one\\ntwo", "", "pdf", page_starts=(0, 4)).page_at(5)
        2
        """
        if not self.page_starts:
            return None
        return max(1, bisect.bisect_right(self.page_starts, offset))  # one lookup, not a scan per passage

    @property
    def label(self) -> str:
        """How citations name the document: its symbol when it has one, else its title."""
        return self.symbol or self.title


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of a document with its structural role.

    ``number`` is the PP/OP number for resolution paragraphs and the running count (¶) for
    body text. ``sub`` is a subparagraph's own label ("(a)") when the paragraph is one;
    ``subs`` are the spans of the lettered items inside it. ``part`` names the part of a
    multi-part resolution ("A") or "Annex"; ``name`` is a record field ("adoption_date");
    ``symbol`` is the resolution a record paragraph describes.
    """

    start: int
    end: int
    kind: ParagraphKind
    number: int
    sub: str | None = None
    part: str | None = None
    name: str | None = None
    symbol: str | None = None
    subs: tuple[tuple[int, int, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        row = {"start": self.start, "end": self.end, "kind": self.kind, "number": self.number}
        for key in ("sub", "part", "name", "symbol"):
            if getattr(self, key) is not None:
                row[key] = getattr(self, key)
        if self.subs:
            row["subs"] = [list(s) for s in self.subs]
        return row

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Paragraph:
        return cls(
            start=int(row["start"]),
            end=int(row["end"]),
            kind=row["kind"],
            number=int(row["number"]),
            sub=row.get("sub"),
            part=row.get("part"),
            name=row.get("name"),
            symbol=row.get("symbol"),
            subs=tuple((int(a), int(b), str(c)) for a, b, c in row.get("subs", ())),
        )


def paragraph_label(
    kind: str, number: int, sub: str | None = None, part: str | None = None, name: str | None = None
) -> str:
    """How readers cite a paragraph.

    >>> paragraph_label("operative", 4, "(b)"), paragraph_label("preambular", 6), paragraph_label("body", 2)
    ('OP 4 (b)', 'PP 6', '¶ 2')
    >>> paragraph_label("operative", 3, part="B"), paragraph_label("record", 2, name="adoption_date")
    ('B, OP 3', 'UN record, adoption date')
    >>> paragraph_label("header", 9), paragraph_label("header", 1, name="headline")
    ('header', 'headline')
    """
    if kind == "record":
        return f"UN record, {(name or 'field').replace('_', ' ')}"
    if kind == "header":
        return name or "header"  # an article's "headline", "issued on"
    prefix = {"operative": "OP ", "preambular": "PP ", "annex": "para. "}.get(kind, "¶ ")
    label = f"{prefix}{number}" + (f" {sub}" if sub else "")
    if part:
        label = f"{part}, {label}"
    return label


@dataclass(frozen=True)
class Chunk:
    """A passage: one whole paragraph (the retrieval unit), with exact offsets, and the
    spans inside it that can be quoted as an answer (sentences, clauses, list items)."""

    source: str
    label: str  # how citations name the document: its symbol, else its title (stored as "title")
    start: int
    end: int
    text: str
    paragraph_kind: ParagraphKind
    paragraph_number: int
    page: int | None
    sentences: tuple[Span, ...]  # absolute spans of the answer units inside [start, end)
    symbol: str | None = None  # the resolution the passage belongs to (records: the one described)
    sub: str | None = None
    part: str | None = None
    name: str | None = None
    subs: tuple[tuple[int, int, str], ...] = ()

    @property
    def field_name(self) -> str:
        """A header field's name ("headline", "issued on"): what a question asks it by; else ""."""
        return (self.name or "") if self.paragraph_kind == "header" else ""

    @property
    def words_text(self) -> str:
        """What the word search reads: the text, after its field name if it has one."""
        return f"{self.field_name} {self.text}" if self.field_name else self.text

    @property
    def location(self) -> str:
        """Human citation label such as "OP 7", "PP 3", "p. 2, OP 9" or "¶ 4"."""
        label = paragraph_label(self.paragraph_kind, self.paragraph_number, self.sub, self.part, self.name)
        return f"p. {self.page}, {label}" if self.page is not None else label

    def location_of(self, span: Span) -> str:
        """The citation of a quote inside this passage: "OP 4 (b)" when it lies in item (b).

        >>> c = Chunk("d", "t", 0, 30, "", "operative", 4, None, (), subs=((10, 20, "(b)"),))
        >>> c.location_of((12, 18)), c.location_of((0, 25))
        ('OP 4 (b)', 'OP 4')
        """
        for start, end, label in self.subs:
            if start <= span[0] and span[1] <= end:
                text = paragraph_label(self.paragraph_kind, self.paragraph_number, label, self.part, self.name)
                return f"p. {self.page}, {text}" if self.page is not None else text
        return self.location

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "title": self.label,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "paragraph_kind": self.paragraph_kind,
            "paragraph_number": self.paragraph_number,
            "page": self.page,
            "sentences": [list(s) for s in self.sentences],
            "symbol": self.symbol,
            "sub": self.sub,
            "part": self.part,
            "name": self.name,
            "subs": [list(s) for s in self.subs],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        return cls(
            source=data["source"],
            label=data["title"],
            start=int(data["start"]),
            end=int(data["end"]),
            text=data["text"],
            paragraph_kind=data["paragraph_kind"],
            paragraph_number=int(data["paragraph_number"]),
            page=data["page"],
            sentences=tuple((int(a), int(b)) for a, b in data["sentences"]),
            symbol=data.get("symbol"),
            sub=data.get("sub"),
            part=data.get("part"),
            name=data.get("name"),
            subs=tuple((int(a), int(b), str(c)) for a, b, c in data.get("subs", ())),
        )


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its relevance and the spans that answer the question."""

    chunk: Chunk
    score: float  # 0..1, higher is better
    highlights: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Quote:
    text: str
    source: str
    start: int
    end: int


@dataclass(frozen=True)
class Answer:
    """What ``QAEngine.ask`` returns; ``to_json`` is the one JSON shape for every front end."""

    question: str
    answered: bool
    message: str
    quote: Quote | None
    passages: tuple[Passage, ...]
    id: Any = None
    notices: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": self.question,
            "answered": self.answered,
            "message": self.message,
            "answer": None
            if self.quote is None
            else {
                "text": self.quote.text,
                "source": self.quote.source,
                "char_start": self.quote.start,
                "char_end": self.quote.end,
            },
            "passages": [
                {
                    "rank": rank,
                    "source": p.chunk.source,
                    "title": p.chunk.label,
                    "location": p.chunk.location,
                    "paragraph_kind": p.chunk.paragraph_kind,
                    "paragraph_number": p.chunk.paragraph_number,
                    "symbol": p.chunk.symbol,
                    "record_field": p.chunk.name if p.chunk.paragraph_kind == "record" else None,
                    "page": p.chunk.page,
                    "text": p.chunk.text,
                    "char_start": p.chunk.start,
                    "char_end": p.chunk.end,
                    "score": round(p.score, 4),
                    "highlights": [list(h) for h in p.highlights],
                }
                for rank, p in enumerate(self.passages, start=1)
            ],
            "notices": list(self.notices),
        }
