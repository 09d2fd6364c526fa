"""A stand-in for QAEngine in the web and upload tests, independent of the engine's internals.

It offers what the web app and ``uploads.add_documents`` use: ``settings``, ``documents``,
``refresh()``, ``ask()`` and ``relevance()``. ``refresh`` reads the data folder with the
indexer's own ``documents.load_folder`` (same skips and reasons) but embeds nothing; ``ask``
ranks lines by shared words and quotes the best one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from resolution_qa.documents import Skipped, load_folder
from resolution_qa.schema import Answer, Chunk, Document, Passage, Quote


@dataclass
class FakeReport:
    skipped: list[Skipped] = field(default_factory=list)
    passages: int = 0
    embedded: int = 0


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w{3,}", text.lower()))


class FakeEngine:
    def __init__(self, settings, refresh_error: Exception | None = None):
        self.settings = settings
        self.refresh_error = refresh_error  # raised by refresh(), to test what a failed build leaves
        self.refreshes = 0
        self.documents: list[Document] = []
        self._chunks: list[Chunk] = []
        self.refresh()
        self.refreshes = 0

    def refresh(self) -> FakeReport:
        self.refreshes += 1
        if self.refresh_error is not None:
            raise self.refresh_error
        # the indexer's own reading of the folder: the same skips, reasons and duplicate rule
        documents, skipped = load_folder(Path(self.settings.data_dir))
        new = {d.source for d in documents} - {d.source for d in self.documents}
        self.documents = documents
        self._chunks = [chunk for document in documents for chunk in self._paragraphs(document)]
        embedded = sum(1 for chunk in self._chunks if chunk.source in new)
        return FakeReport(skipped, len(self._chunks), embedded)

    @staticmethod
    def _paragraphs(document: Document) -> list[Chunk]:
        chunks = []
        for number, match in enumerate(re.finditer(r"[^\n]+", document.text), start=1):
            start, end = match.span()
            chunks.append(
                Chunk(document.source, document.title, start, end, match.group(), "body", number, None, ((start, end),))
            )
        return chunks

    def relevance(self, question: str, history=(), source: str | None = None) -> list[tuple[Chunk, float]]:
        words = _words(question)
        return [
            (chunk, len(words & _words(chunk.text)) / max(len(words), 1))
            for chunk in self._chunks
            if source is None or chunk.source == source
        ]

    def ask(self, question: str, history=(), k: int = 3, source: str | None = None) -> Answer:
        if source is not None and source not in {d.source for d in self.documents}:
            raise ValueError(f"unknown source {source!r}")
        if not question.strip():
            return Answer(question, False, "Please type a question.", None, ())
        ranked = sorted(self.relevance(question, history, source), key=lambda row: -row[1])[:k]
        passages = tuple(Passage(chunk, score, ((chunk.start, chunk.end),)) for chunk, score in ranked if score > 0)
        if not passages:
            return Answer(question, False, "The documents don't say.", None, ())
        top = passages[0].chunk
        quote = Quote(top.text, top.source, top.start, top.end)
        return Answer(question, True, f"Found in {top.source}.", quote, passages)
