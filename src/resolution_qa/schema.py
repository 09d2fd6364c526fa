"""The small typed values that cross module boundaries.

Every span is a pair of absolute character offsets into ``Document.text``:
``document.text[start:end]`` is exactly the quoted text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Span = tuple[int, int]


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
    kind: str  # "txt", "md", "pdf" or "html"
    symbol: str | None = None
    page_starts: tuple[int, ...] = ()  # offset where each PDF page begins (page 1 first)

    def page_at(self, offset: int) -> int | None:
        """The 1-based PDF page holding ``offset``, or None for documents without pages.

        >>> Document("a.pdf", "A", "one\\ntwo", "", "pdf", page_starts=(0, 4)).page_at(5)
        2
        """
        if not self.page_starts:
            return None
        page = 1
        for number, start in enumerate(self.page_starts, start=1):
            if start <= offset:
                page = number
        return page

    @property
    def label(self) -> str:
        """How citations name the document: its symbol when it has one, else its title."""
        return self.symbol or self.title


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of a document with its structural role.

    ``kind`` is "preambular", "operative" or "body"; ``number`` is the PP/OP number for
    resolution paragraphs and the running paragraph count (¶) for body text.
    """

    start: int
    end: int
    kind: str
    number: int


@dataclass(frozen=True)
class Chunk:
    """A passage: whole sentences of one paragraph, with exact offsets."""

    source: str
    title: str
    start: int
    end: int
    text: str
    paragraph_kind: str
    paragraph_number: int
    page: int | None
    sentences: tuple[Span, ...]  # absolute spans of the sentences inside [start, end)

    @property
    def location(self) -> str:
        """Human citation label such as "OP 7", "PP 3", "p. 2, OP 9" or "¶ 4"."""
        prefix = {"operative": "OP ", "preambular": "PP "}.get(self.paragraph_kind, "¶ ")
        label = f"{prefix}{self.paragraph_number}"
        return f"p. {self.page}, {label}" if self.page is not None else label

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "title": self.title,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "paragraph_kind": self.paragraph_kind,
            "paragraph_number": self.paragraph_number,
            "page": self.page,
            "sentences": [list(s) for s in self.sentences],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        return cls(
            source=data["source"],
            title=data["title"],
            start=int(data["start"]),
            end=int(data["end"]),
            text=data["text"],
            paragraph_kind=data["paragraph_kind"],
            paragraph_number=int(data["paragraph_number"]),
            page=data["page"],
            sentences=tuple((int(a), int(b)) for a, b in data["sentences"]),
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
                    "title": p.chunk.title,
                    "location": p.chunk.location,
                    "paragraph_kind": p.chunk.paragraph_kind,
                    "paragraph_number": p.chunk.paragraph_number,
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
