"""The Gradio 6 web chat: ``build_app(engine)`` makes the page, ``main()`` serves it.

``ChatPage`` holds the page's components and the callbacks that fill them; each callback
returns ``{component: new value}``. Questions go to ``engine.ask`` and the Answer to ``render``;
uploads go to ``uploads.add_documents``. Nothing here retrieves, ranks or writes into the data
folder. Bad input becomes a message in the chat, never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import html
import json
import logging
import os
import re
import secrets
import sys
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import gradio as gr

from .answering import long_date
from .config import MAX_K, Settings
from .documents import SUPPORTED_SUFFIXES
from .render import (
    chat_markdown,
    citation,
    context_html,
    export_markdown,
    map_html,
    md_text,
    passages_html,
    short_title,
    shown,
)
from .schema import Answer
from .uploads import (
    ADDED,
    ALREADY_HERE,
    REFUSED,
    RENAMED,
    UploadReport,
    add_documents,
    format_megabytes,
    readable_suffixes,
    remove_document,
)

log = logging.getLogger(__name__)

ALL_DOCUMENTS = "All documents"
ALL_DOCUMENTS_VALUE = ""  # the document filter's value for "search every document"
# What works, as shipped: a paragraph lookup, two questions the UN record answers (one where the
# article differs), a question scoped to the March resolution, the article, and a refusal.
EXAMPLES = [
    "What does OP 15 request?",
    "When was it adopted?",
    "Did the United States co-sponsor it?",
    "What does the March resolution say about data?",
    "Who is Ambassador Fu?",
    "What does the resolution say about lethal autonomous weapons?",
]
DEFAULT_K = 3  # passages shown, in the page and at the /ask endpoint
QUESTION_MAX_CHARS = 100_000  # the engine cuts questions to 1,000 characters itself; this stops absurd pastes
EXPORT_NAME = "conversation.md"
QUEUE_CONCURRENCY = 4  # questions answered at once; each uses torch's threads for ~20 ms
QUEUE_SIZE = 256  # questions waiting beyond that are refused with "queue full", not dropped silently
GRADIO_CACHE_CLEANUP = (3600, 86400)  # Gradio's own copies of uploads and exports: checked hourly, kept a day
UPLOAD_MARKS = {ADDED: "✓", RENAMED: "✓", ALREADY_HERE: "=", REFUSED: "✗"}
PICK_SOURCE_HINT = '<div class="rqa-empty">Pick a source above to read it in its document.</div>'
NO_LONGER_INDEXED = '<div class="rqa-empty">That document is no longer indexed.</div>'

CSS = """
.rqa-export { display: flex; align-items: center; justify-content: center; min-height: 40px; border-radius: 8px;
  border: 1px solid var(--button-secondary-border-color); background: var(--button-secondary-background-fill);
  color: var(--button-secondary-text-color); font-weight: 600; text-decoration: none; }
.rqa-export.rqa-disabled { opacity: .5; cursor: not-allowed; }
.rqa-passage { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px; margin-bottom: 8px; }
.rqa-not-answer { opacity: .8; border-style: dashed; }
.rqa-tag { font-size: .8em; background: #fff3bf; color: #5c3c00; border-radius: 4px; padding: 0 4px; }
.rqa-cite { font-weight: 600; margin-bottom: 4px; }
.rqa-num { color: #d9480f; }
.rqa-src { font-size: .8em; opacity: .7; margin-top: 4px; }
.rqa-text mark, .rqa-context mark { background: #ffe066; color: inherit; padding: 0 1px; }
.rqa-target { background: #e7f5ff; outline: 2px solid #74c0fc; }
.rqa-context { white-space: pre-wrap; max-height: 360px; overflow-y: auto; font-size: .9em; line-height: 1.45;
  border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px; }
.rqa-context-head { font-weight: 600; margin-bottom: 4px; }
.rqa-bar { display: inline-block; width: 60px; height: 8px; background: #e9ecef; border-radius: 4px; vertical-align: middle; }
.rqa-bar > span { display: block; height: 8px; background: #4c6ef5; border-radius: 4px; }
.rqa-pct { font-size: .8em; font-weight: 400; }
.rqa-abstain { background: #fff9db; border: 1px solid #fcc419; border-radius: 8px; padding: 8px; margin-bottom: 8px; }
.rqa-map-doc { font-size: .85em; margin-top: 4px; }
.rqa-legend { font-size: .75em; opacity: .7; }
.rqa-empty { opacity: .6; font-style: italic; }
#rqa-chat .message-wrap { padding-top: 36px; }  /* the newest bubble never sits under the chat's toolbar */
@media (max-width: 480px) {  /* phones: the question box gets the whole width, the Ask button goes below it */
  #rqa-ask-row { flex-direction: column; align-items: stretch; }
  #rqa-ask-row > * { width: 100%; min-width: 0; }
  #rqa-header ul { display: none; }  /* the resolutions' list: the chat comes first on a small screen */
  #rqa-chat { height: 75vh !important; max-height: none !important; }  /* a quote and its citation fit */
}
"""

SCROLL_JS = "() => { const t = document.querySelector('#rqa-target'); if (t) t.scrollIntoView({block: 'center'}); }"
# After an answer: the question and the start of its reply (quote and citation) in view, not the end of its
# source list where the chat's own autoscroll leaves it (on a phone the reply is taller than the chat).
SHOW_ANSWER_JS = """() => { setTimeout(() => {
  const asked = document.querySelectorAll('#rqa-chat .message.user');  // the question, then its reply
  const last = asked[asked.length - 1];
  if (last) last.scrollIntoView({block: 'start'});
}, 300); }"""


@dataclass(frozen=True)
class Conversation:
    """One browser tab's conversation: the answered turns, and the token of its export link."""

    answers: tuple[Answer, ...] = ()
    export_token: str | None = None

    @property
    def history(self) -> list[str]:
        return [answer.question for answer in self.answers]


EXPORT_PATH = "rqa-export/"  # the export link, relative to the page: GET …/rqa-export/TOKEN
EXPORT_TOKEN = re.compile(r"/rqa-export/([A-Za-z0-9_-]{16,64})$")


class Exports:
    """Each conversation's Markdown export, written only when its link is followed: a turn files
    the conversation's answers under a random token (no disk, no copy), the link's request turns
    them into Markdown (``ExportDownloads``). A token goes when its conversation is cleared or its
    tab's state expires. (Writing the file at each turn cost 77 MB of Gradio cache after 200 turns
    and left a folder behind per start.)"""

    def __init__(self) -> None:
        self._answers: dict[str, tuple[Answer, ...]] = {}

    def file(self, conversation: Conversation) -> Conversation:
        """The conversation, its answers filed under its token (a new one on its first turn)."""
        token = conversation.export_token or secrets.token_urlsafe(24)
        self._answers[token] = conversation.answers
        return replace(conversation, export_token=token)

    def markdown(self, token: str) -> str | None:
        answers = self._answers.get(token)
        return None if answers is None else export_markdown(list(answers))

    def discard(self, conversation: Conversation | None) -> None:
        if conversation is not None and conversation.export_token:
            self._answers.pop(conversation.export_token, None)

    def __len__(self) -> int:
        return len(self._answers)


def export_link(conversation: Conversation | None) -> str:
    """The page's "Export as Markdown" link: live once the conversation has an answer."""
    if conversation is None or not conversation.answers or not conversation.export_token:
        return '<span id="rqa-export" class="rqa-export rqa-disabled" aria-disabled="true">Export as Markdown</span>'
    return (
        f'<a id="rqa-export" class="rqa-export" href="{EXPORT_PATH}{conversation.export_token}" '
        f'download="{EXPORT_NAME}">Export as Markdown</a>'
    )


class ExportDownloads:
    """ASGI middleware answering GET …/rqa-export/TOKEN with that conversation's Markdown (404 with
    a message for a token that is unknown or expired). The token is the tab's secret: 24 random
    bytes, known only to the page that asked the questions."""

    def __init__(self, app, exports: Exports):
        self.app, self.exports = app, exports

    async def __call__(self, scope, receive, send):
        found = EXPORT_TOKEN.search(scope.get("path", "")) if scope["type"] == "http" else None
        if found is None or scope.get("method") != "GET":
            return await self.app(scope, receive, send)
        text = self.exports.markdown(found.group(1))
        if text is None:
            status, body = 404, b"This export has expired: ask a question again, then export."
            headers = [(b"content-type", b"text/plain; charset=utf-8")]
        else:
            status, body = 200, text.encode("utf-8")
            headers = [
                (b"content-type", b"text/markdown; charset=utf-8"),
                (b"content-disposition", f'attachment; filename="{EXPORT_NAME}"'.encode()),
                (b"cache-control", b"no-store"),
            ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def document_choices(documents) -> list[tuple[str, str]]:
    """The document filter's (label, value) pairs: every document, then each one by name."""
    return [(ALL_DOCUMENTS, ALL_DOCUMENTS_VALUE), *removable_choices(documents)]


DOCUMENT_COLUMNS = ("Document", "Symbol", "Type", "Pages", "Passages", "Added")


def document_rows(engine) -> list[list]:
    """One row per indexed document: title, symbol, type, pages, passages, when its file came."""
    import datetime

    data = getattr(engine, "data", None)
    passages: dict[str, int] = {}
    for chunk in getattr(data, "chunks", None) or ():
        passages[chunk.source] = passages.get(chunk.source, 0) + 1
    rows = []
    for document in engine.documents:
        try:
            mtime = (Path(engine.settings.data_dir) / document.source).stat().st_mtime
            added = datetime.datetime.fromtimestamp(mtime).strftime("%Y-%m-%d %H:%M")
        except OSError:
            added = ""
        rows.append(
            [
                shown(short_title(document.title)) + f" ({shown(document.source)})",
                document.symbol or "",
                document.kind,
                len(document.page_starts) or "",
                passages.get(document.source, ""),
                added,
            ]
        )
    return rows


def removable_choices(documents) -> list[tuple[str, str]]:
    """Each document as a (label, value) pair: "A/RES/78/311 — A_RES_78_311-2412313E.xml"."""
    return [(f"{short_title(d.symbol or d.title)} — {d.source}", d.source) for d in documents]


def pdf_pages_html(path: Path, document, passage) -> str:
    """For a PDF, the page(s) of the passage as images, the quote (or else the passage) marked
    on them; "" for other documents or when the file cannot be drawn (the text view remains)."""
    if document.kind != "pdf":
        return ""
    import base64

    from .pdfpage import PdfPageError, page_image, page_quotes

    spans = passage.highlights or ((passage.chunk.start, passage.chunk.end),)
    parts = []
    try:
        for part in page_quotes(document, spans[0]):
            image = page_image(path, part.page, part.text, occurrence=part.occurrence)
            data = base64.b64encode(image.png).decode("ascii")
            note = "" if image.found else " (the quote could not be placed on the page image)"
            parts.append(
                f'<figure class="rqa-pdf-page"><img src="data:image/png;base64,{data}" width="{image.width}" '
                f'style="max-width:100%;height:auto" alt="page {part.page} of {html.escape(shown(document.source))}">'
                f"<figcaption>Page {part.page}{note}</figcaption></figure>"
            )
    except (PdfPageError, OSError) as exc:
        log.warning("cannot draw %s: %s", document.source, exc)
        return ""
    return "".join(parts)


def passage_choices(answer: Answer) -> list[tuple[str, int]]:
    """The "show a source" picker's (label, rank) pairs, numbered like the chat's citations."""
    return [(f"[{rank}] {citation(p.chunk)}", rank) for rank, p in enumerate(answer.passages, start=1)]


HEADER_RESOLUTIONS = 4  # resolutions named in the header; more are counted


def header_markdown(documents, data_dir: Path, notice: str | None = None) -> str:
    """The first screen: what is loaded (the resolutions by symbol, title and date), or how to
    add documents; and, when the index could not be updated, why (answers come from the last one)."""
    warning = f"\n\n⚠ {md_text(notice)}" if notice else ""
    return _header(documents, data_dir) + warning


def _header(documents, data_dir: Path) -> str:
    if not documents:
        return (
            f"# Resolution Q&A\n**No documents yet.** Upload {readable_suffixes()} files below (or put them in the "
            f"`{data_dir}` folder and restart)."
        )
    resolutions = sorted(
        (d for d in documents if d.symbol and d.kind == "xml"), key=lambda d: d.date or "", reverse=True
    )
    lines = [
        f"# Resolution Q&A\nAsk about **{len(documents)} document(s)**. Every answer is a verbatim quote with its citation."
    ]
    for document in resolutions[:HEADER_RESOLUTIONS]:
        date = f" — adopted {long_date(document.date)}" if document.date else ""
        lines.append(f"- **{md_text(document.symbol)}** {md_text(short_title(document.title, 90))}{date}")
    if len(resolutions) > HEADER_RESOLUTIONS:
        lines.append(f"- and {len(resolutions) - HEADER_RESOLUTIONS:,} more resolutions")
    return "\n".join(lines)


def index_notice(engine) -> str | None:
    """Why the index could not be updated, if it could not (see index.Index.notice)."""
    return getattr(getattr(engine, "index", None), "notice", None)


def upload_markdown(report: UploadReport) -> str:
    """One line per uploaded file (✓ added, = already here, ✗ refused), then the collection's size."""
    lines = [f"{UPLOAD_MARKS[outcome.status]} {md_text(outcome.message)}" for outcome in report.files]
    return "\n\n".join([*lines, md_text(report.summary())])


def error_answer(question: str, message: str) -> Answer:
    return Answer(question=question, answered=False, message=message, quote=None, passages=())


class ChatPage:
    """The page's components and the callbacks that fill them; create it inside ``gr.Blocks``."""

    def __init__(self, engine, settings: Settings, exports: Exports):
        self.engine, self.settings, self.exports = engine, settings, exports
        documents = engine.documents
        self.header = gr.Markdown(
            header_markdown(documents, settings.data_dir, index_notice(engine)), elem_id="rqa-header"
        )
        self.state = gr.State(Conversation(), delete_callback=exports.discard)
        with gr.Row():
            with gr.Column(scale=3):
                self.chatbot = gr.Chatbot(
                    label="Conversation",
                    show_label=False,
                    height=460,
                    sanitize_html=True,
                    autoscroll=False,
                    elem_id="rqa-chat",
                )
                with gr.Row(elem_id="rqa-ask-row"):
                    self.question = gr.Textbox(
                        label="Question",
                        placeholder=f"e.g. {EXAMPLES[0]}",
                        scale=5,
                        max_length=QUESTION_MAX_CHARS,
                        elem_id="rqa-question",
                        autofocus=True,
                    )
                    self.ask_button = gr.Button("Ask", variant="primary", scale=1, elem_id="rqa-ask")
                with gr.Row():
                    self.clear_button = gr.Button("Clear conversation", elem_id="rqa-clear")
                    self.export_button = gr.HTML(export_link(None), elem_id="rqa-export-box")
                self.examples = gr.Examples(EXAMPLES, inputs=self.question, label="Example questions")
                with gr.Accordion("Settings", open=False):
                    self.k_slider = gr.Slider(
                        1, MAX_K, value=DEFAULT_K, step=1, label="Passages shown (k)", elem_id="rqa-k"
                    )
                    self.source_box = gr.Dropdown(
                        document_choices(documents), value=ALL_DOCUMENTS_VALUE, label="Search in", elem_id="rqa-source"
                    )
                with gr.Accordion("Documents", open=not documents, elem_id="rqa-documents"):
                    self.documents_table = gr.Dataframe(
                        document_rows(engine),
                        headers=list(DOCUMENT_COLUMNS),
                        interactive=False,
                        wrap=True,
                        elem_id="rqa-documents-table",
                    )
                    with gr.Row():
                        self.remove_pick = gr.Dropdown(
                            removable_choices(documents),
                            value=None,
                            label="Remove a document",
                            scale=3,
                            elem_id="rqa-remove-pick",
                        )
                        self.remove_button = gr.Button("Remove", variant="stop", scale=1, elem_id="rqa-remove")
                    self.remove_status = gr.Markdown(elem_id="rqa-remove-status")
                    self.uploader = gr.File(
                        label=f"Upload {readable_suffixes()} (up to {format_megabytes(settings.max_file_bytes)} each)",
                        file_count="multiple",
                        file_types=list(SUPPORTED_SUFFIXES),
                        elem_id="rqa-upload",
                    )
                    self.upload_status = gr.Markdown(elem_id="rqa-upload-status")
            with gr.Column(scale=2):
                gr.Markdown("### Passages")
                self.passages_view = gr.HTML(passages_html(None), elem_id="rqa-passages")
                gr.Markdown("### Where the question matches")
                self.map_view = gr.HTML(map_html([], None), elem_id="rqa-map")
                gr.Markdown("### Source in context")
                self.source_pick = gr.Radio([], label="Show a source in its document", elem_id="rqa-source-pick")
                self.context_view = gr.HTML("", elem_id="rqa-context-view")
        # /add_documents takes its files through a File component, so Gradio accepts only files
        # that came in through its upload route (never a path on the server)
        self.api_files = gr.File(file_count="multiple", visible=False)
        self.api_result = gr.JSON(visible=False)
        self.api_button = gr.Button(visible=False)

    def wire(self, app: gr.Blocks) -> None:
        """Connect the events; every event but the named API endpoints is private to the page."""
        ask_inputs = [self.question, self.chatbot, self.state, self.k_slider, self.source_box]
        answer_views = [
            self.chatbot,
            self.state,
            self.passages_view,
            self.map_view,
            self.source_pick,
            self.context_view,
        ]
        ask_outputs = [self.question, *answer_views, self.export_button]
        for asked in (
            self.question.submit(self.respond, ask_inputs, ask_outputs, api_visibility="private"),
            self.ask_button.click(self.respond, ask_inputs, ask_outputs, api_visibility="private"),
            # Gradio's own event puts the example in the box; then it is asked like a typed question
            self.examples.load_input_event.then(self.respond, ask_inputs, ask_outputs, api_visibility="private"),
        ):
            asked.then(None, None, None, js=SHOW_ANSWER_JS)
        self.source_pick.change(
            self.show_source, [self.source_pick, self.state], self.context_view, api_visibility="private"
        ).then(None, None, None, js=SCROLL_JS)
        self.clear_button.click(self.clear, self.state, [*answer_views, self.export_button], api_visibility="private")
        document_views = [self.header, self.source_box, self.documents_table, self.remove_pick]
        self.remove_button.click(
            self.remove, self.remove_pick, [self.remove_status, *document_views], api_visibility="private"
        )
        self.uploader.upload(
            self.upload, self.uploader, [self.upload_status, self.uploader, *document_views], api_visibility="private"
        )
        app.load(self.document_views, None, document_views, api_visibility="private")  # a reloaded page sees uploads
        self.api_button.click(self.api_add_documents, self.api_files, self.api_result, api_name="add_documents")
        gr.api(self.api_ask, api_name="ask")
        # The same answer as plain JSON over HTTP, outside the queue (POST /gradio_api/run/ask_json
        # with {"data": [question, history, k, source]}): for scripts and the latency benchmark.
        gr.api(self.api_ask, api_name="ask_json", queue=False, concurrency_limit=None)

    # ---------------------------------------------------------------- callbacks
    def respond(self, question: str | None, chat: list | None, conversation: Conversation | None, k, source) -> dict:
        """One turn: ask the engine, show the answer in the chat, the passages, the map and the export."""
        conversation = conversation or Conversation()
        question = question or ""
        history, source = conversation.history, source or None
        try:
            answer = self.engine.ask(question, history=history, k=int(k), source=source)
        except ValueError as exc:  # an unknown source and other bad input: said in the chat
            answer = error_answer(question, str(exc))
        chat = [
            *(chat or []),
            {"role": "user", "content": question.strip() or "(empty question)"},
            {"role": "assistant", "content": chat_markdown(answer)},
        ]
        rows = self.engine.relevance(answer.question, history, source) if answer.passages else []
        if answer.passages:
            conversation = replace(conversation, answers=(*conversation.answers, answer))
        if conversation.answers:
            conversation = self.exports.file(conversation)
        return {
            self.question: "",
            self.chatbot: chat,
            self.state: conversation,
            self.passages_view: passages_html(answer),
            self.map_view: map_html(rows, answer),
            self.source_pick: gr.update(choices=passage_choices(answer), value=None),
            self.context_view: PICK_SOURCE_HINT,
            self.export_button: export_link(conversation),
        }

    def show_source(self, rank: int | None, conversation: Conversation | None) -> dict:
        """The whole document of passage ``rank`` of the last answer, the passage marked."""
        if rank is None or conversation is None or not conversation.answers:
            return {}
        passages = conversation.answers[-1].passages
        if not 1 <= int(rank) <= len(passages):
            return {}
        passage = passages[int(rank) - 1]
        document = next((d for d in self.engine.documents if d.source == passage.chunk.source), None)
        if document is None:
            return {self.context_view: NO_LONGER_INDEXED}
        pages = pdf_pages_html(Path(self.settings.data_dir) / document.source, document, passage)
        return {self.context_view: pages + context_html(document, passage)}

    def clear(self, conversation: Conversation | None) -> dict:
        self.exports.discard(conversation)
        return {
            self.chatbot: [],
            self.state: Conversation(),
            self.passages_view: passages_html(None),
            self.map_view: map_html([], None),
            self.source_pick: gr.update(choices=[], value=None),
            self.context_view: "",
            self.export_button: export_link(None),
        }

    def upload(self, paths: list[str] | None) -> dict:
        """Add the chosen files (see uploads.add_documents) and show what happened to each."""
        if not paths:
            return {self.upload_status: "No file chosen."}
        report = add_documents(self.engine, paths)
        return {self.upload_status: upload_markdown(report), self.uploader: None, **self.document_views()}

    def remove(self, source: str | None) -> dict:
        """Take the chosen document out (its file is kept in data/.removed/) and refresh the lists."""
        if not source:
            return {self.remove_status: "Choose a document to remove."}
        removal = remove_document(self.engine, source)
        return {
            self.remove_status: ("✓ " if removal.removed else "✗ ") + md_text(removal.message),
            **self.document_views(),
        }

    def document_views(self) -> dict:
        """The header, the document filter, the documents table and the remove list, as indexed now."""
        documents = self.engine.documents
        return {
            self.header: header_markdown(documents, self.settings.data_dir, index_notice(self.engine)),
            self.source_box: gr.update(choices=document_choices(documents), value=ALL_DOCUMENTS_VALUE),
            self.documents_table: document_rows(self.engine),
            self.remove_pick: gr.update(choices=removable_choices(documents), value=None),
        }

    # ---------------------------------------------------------------- API
    def api_ask(
        self, question: str, history: list[str] | None = None, k: int = DEFAULT_K, source: str | None = None
    ) -> dict:
        """Answer a question with verbatim quotes; returns the same JSON object as the CLI's ask --json.

        Malformed arguments get an error that says which one and what it must be (HTTP 422 on
        the JSON routes, see ``ApiArgumentCheck``; an error event on Gradio's queue)."""
        problem = api_argument_problem(question, history, k, source)
        if problem:
            raise gr.Error(problem)
        try:
            return self.engine.ask(question, history=history or (), k=int(k), source=source or None).to_json()
        except ValueError as exc:
            return error_answer(str(question), str(exc)).to_json()

    def api_add_documents(self, paths: list[str] | None) -> dict:
        """Add documents; returns {"files": [{"name", "status", "message", "source"}, ...], "documents": n, ...}."""
        return add_documents(self.engine, paths or []).to_json()


MAX_API_QUESTION_CHARS = 20_000  # a longer question is refused, not cut (the engine reads 1,000)
MAX_API_HISTORY = 50


def api_argument_problem(question, history, k, source) -> str | None:
    """What is wrong with the API's arguments, in words, or None.

    >>> api_argument_problem("Who?", None, None, None)
    'k must be a whole number from 1 to 20, got None'
    >>> api_argument_problem("Who?", [], 3, ["a.txt"]) is None, api_argument_problem(None, [], 3, None)
    (False, 'question must be a string, got NoneType')
    """
    if not isinstance(question, str):
        return f"question must be a string, got {type(question).__name__}"
    if len(question) > MAX_API_QUESTION_CHARS:
        return f"question is {len(question):,} characters; the limit is {MAX_API_QUESTION_CHARS:,}"
    if history is not None and (
        not isinstance(history, list) or len(history) > MAX_API_HISTORY or not all(isinstance(h, str) for h in history)
    ):
        return f"history must be a list of at most {MAX_API_HISTORY} strings (earlier questions, oldest first)"
    if isinstance(k, bool) or not isinstance(k, int | float) or k != int(k) or not 1 <= k <= MAX_K:
        return f"k must be a whole number from 1 to {MAX_K}, got {k!r}"
    if source is not None and not isinstance(source, str):
        return f"source must be one document's name (a string) or null, got {type(source).__name__}"
    return None


def build_app(engine, settings: Settings | None = None) -> gr.Blocks:
    """The Blocks app around ``engine`` (anything with ``ask``, ``relevance``, ``documents``,
    ``refresh`` and ``settings``); ``settings`` defaults to the engine's."""
    settings = settings or engine.settings
    with gr.Blocks(title="Resolution Q&A", delete_cache=GRADIO_CACHE_CLEANUP) as app:
        app.rqa_exports = Exports()  # served by launch()'s ExportDownloads
        ChatPage(engine, settings, app.rqa_exports).wire(app)
    app.queue(default_concurrency_limit=QUEUE_CONCURRENCY, max_size=QUEUE_SIZE)
    return app


def theme():
    """Gradio's default look with system fonts only: the page loads no web fonts."""
    return gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``USER:PASSWORD`` → (user, password).

    >>> parse_auth("ana:s3cret:x")
    ('ana', 's3cret:x')
    """
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ValueError("--auth must look like USER:PASSWORD")
    return user, password


LOGIN_DELAY = 0.5  # seconds before the attempt after a failed login; doubles with each failure
LOGIN_DELAY_MAX = 30.0


class LoginGuard:
    """Checks the page's USER:PASSWORD, waiting longer after each failed attempt (0.5 s, 1 s,
    2 s … up to 30 s, for every client: Gradio does not tell the check who is asking), so that
    guessing costs hours instead of 200 tries in 0.4 s. A success resets the wait."""

    def __init__(self, user: str, password: str, sleep=None):
        import asyncio

        self._user, self._password = user.encode(), password.encode()
        self._sleep = sleep or asyncio.sleep
        self.failures = 0

    def delay(self) -> float:
        """The wait before the next attempt.

        >>> guard = LoginGuard("ana", "pw"); guard.failures = 3; guard.delay()
        2.0
        """
        return 0.0 if not self.failures else min(LOGIN_DELAY_MAX, LOGIN_DELAY * 2 ** (self.failures - 1))

    async def check(self, username: str, password: str) -> bool:
        """Gradio's auth callback (a coroutine function, so the wait never blocks the server)."""
        import hmac

        wait = self.delay()
        if wait:
            await self._sleep(wait)
        right = hmac.compare_digest(username.encode(), self._user) & hmac.compare_digest(
            password.encode(), self._password
        )
        self.failures = 0 if right else self.failures + 1
        return bool(right)


def read_auth(value: str | None, file: str | None) -> tuple[str, str] | None:
    """USER:PASSWORD from ``--auth-file`` (first line; not visible in ``ps``) or ``--auth``."""
    if file:
        try:
            value = Path(file).read_text(encoding="utf-8").splitlines()[0].strip()
        except (OSError, IndexError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read --auth-file {file}: {exc or 'empty file'}") from None
    return parse_auth(value)


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` names is a loopback one (resolved, not read off the name:
    "127.attacker.example" is a public host).

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("localhost")
    (True, True, True)
    >>> is_loopback("0.0.0.0"), is_loopback("127.attacker.invalid")
    (False, False)
    """
    import ipaddress
    import socket

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False  # a name that does not resolve is not known to be local
    return bool(infos) and all(ipaddress.ip_address(info[4][0].split("%")[0]).is_loopback for info in infos)


MAX_REQUEST_BYTES = 1024 * 1024  # any request but an upload (a question with its history is a few KB)


DRAIN_BYTES = 64 * 1024 * 1024  # an oversized body is read and dropped up to this, so the 413 arrives


class RequestSizeLimit:
    """ASGI middleware: a request body over ``limit`` gets HTTP 413 with a message and is never
    parsed or kept (a 50 MB question cost 20 s of server time and 1 GB of memory). The rest of
    the body is read and dropped first (up to ``DRAIN_BYTES``): a client still sending when the
    reply comes would get a broken pipe instead of the message. Uploads are left to Gradio's
    own per-file limit."""

    def __init__(self, app, limit: int = MAX_REQUEST_BYTES):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or "/upload" in scope.get("path", ""):
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or ()).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await _drain(receive)
            return await self._refuse(send)
        received = 0
        started = False

        async def counted():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b"")) if message["type"] == "http.request" else 0
            if received > self.limit:
                if message.get("more_body"):
                    await _drain(receive)
                raise _TooLarge
            return message

        async def sending(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, sending)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send) -> None:
        body = json.dumps(
            {"error": f"request over {self.limit // 1024:,} KB — send one question (and its history) per request"}
        ).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


API_ROUTES = re.compile(r"/(?:run|call)/ask(?:_json)?$")  # the JSON routes of the ask endpoints


class ApiArgumentCheck:
    """ASGI middleware: a POST to the ask endpoints' JSON routes (``/gradio_api/run/ask_json``,
    ``/gradio_api/call/ask`` …) whose arguments are malformed gets HTTP 422 with the message of
    ``api_argument_problem`` instead of Gradio's 500. The body is already bounded by
    ``RequestSizeLimit``; a good one is passed on unchanged. (The queue route that gradio_client
    uses still gets the same message as an error event.)"""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "POST" or not API_ROUTES.search(scope.get("path", "")):
            return await self.app(scope, receive, send)
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        problem = request_problem(body)
        if problem:
            reply = json.dumps({"error": problem}).encode()
            await send(
                {"type": "http.response.start", "status": 422, "headers": [(b"content-type", b"application/json")]}
            )
            await send({"type": "http.response.body", "body": reply})
            return
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def request_problem(body: bytes) -> str | None:
    """What is wrong with an ask request's JSON body, or None.

    >>> request_problem(b'{"data": ["Who?", [], 0]}')
    'k must be a whole number from 1 to 20, got 0'
    >>> request_problem(b'["Who?"]')
    'the body must be JSON {"data": [question, history, k, source]}'
    """
    shape = 'the body must be JSON {"data": [question, history, k, source]}'
    try:
        request = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return shape
    data = request.get("data") if isinstance(request, dict) else None
    if not isinstance(data, list) or not 1 <= len(data) <= 4:
        return shape
    question, history, k, source = [*data, *(None, DEFAULT_K, None)[len(data) - 1 :]]
    return api_argument_problem(question, history, k, source)


class _TooLarge(Exception):
    pass


async def _drain(receive) -> None:
    """Read what is left of a request body without keeping it (at most ``DRAIN_BYTES``)."""
    dropped = 0
    while dropped <= DRAIN_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return
        dropped += len(message.get("body", b""))
        if not message.get("more_body"):
            return


def launch(app, host: str, port: int, auth=None, max_file_bytes: int | None = None, **kwargs):
    """Serve ``app`` with the project's settings (theme, CSS, limits, no API docs page).

    ``max_file_bytes`` (default: ``Settings().max_file_bytes``) is Gradio's own upload limit;
    ``uploads.add_documents`` checks the engine's limit again.
    """
    if max_file_bytes is None:
        max_file_bytes = Settings().max_file_bytes
    from starlette.middleware import Middleware

    app_kwargs = kwargs.pop("app_kwargs", {}) or {}
    app_kwargs.setdefault("middleware", []).extend([Middleware(RequestSizeLimit), Middleware(ApiArgumentCheck)])
    if getattr(app, "rqa_exports", None) is not None:
        app_kwargs["middleware"].append(Middleware(ExportDownloads, exports=app.rqa_exports))
    return app.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        app_kwargs=app_kwargs,
        theme=theme(),
        css=CSS,
        max_file_size=max_file_bytes,
        show_error=False,
        footer_links=[],
        ssr_mode=False,
        **kwargs,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python app.py", description="Serve the resolution-qa web chat.")
    parser.add_argument(
        "--host",
        default=os.environ.get("RESOLUTION_QA_HOST", "127.0.0.1"),
        help="address to bind (default 127.0.0.1: this machine only)",
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("RESOLUTION_QA_PORT", "7860")))
    parser.add_argument("--data", help="documents folder (default: data)")
    parser.add_argument("--index", help="index folder (default: index)")
    parser.add_argument(
        "--auth",
        default=os.environ.get("RESOLUTION_QA_AUTH"),
        help="USER:PASSWORD required to open the page (or $RESOLUTION_QA_AUTH); "
        "other users of this machine can see it in `ps`: prefer the variable or --auth-file",
    )
    parser.add_argument(
        "--auth-file",
        default=os.environ.get("RESOLUTION_QA_AUTH_FILE"),
        help="a file whose first line is USER:PASSWORD (or $RESOLUTION_QA_AUTH_FILE)",
    )
    parser.add_argument(
        "--insecure-public",
        action="store_true",
        help="allow a non-loopback --host without --auth (anyone on the network can use it)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    logging.getLogger("resolution_qa").setLevel(logging.INFO)
    try:
        auth = read_auth(args.auth, args.auth_file)
    except ValueError as exc:
        parser.error(str(exc))
    if not is_loopback(args.host) and auth is None and not args.insecure_public:
        parser.error(
            f"--host {args.host} would expose the app to the network: add --auth USER:PASSWORD "
            "(or set RESOLUTION_QA_AUTH), or pass --insecure-public if you really mean it"
        )
    taken = port_taken(args.host, args.port)
    if taken:
        print(f"error: {taken}", file=sys.stderr)
        return 1
    from .embedding import ModelError
    from .engine import QAEngine
    from .index import IndexUpdateError

    kwargs = {}
    if args.data:
        kwargs["data_dir"] = Path(args.data)
    if args.index:
        kwargs["index_dir"] = Path(args.index)
    settings = Settings(**kwargs)
    try:
        # ONNX answers faster per question; a good index opens at once and new files are indexed after
        engine = QAEngine.open(settings, stale_ok=True, onnx=True)
        engine.warm_up()
    except (ModelError, IndexUpdateError) as exc:  # no index to answer from, and none can be built
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for line in engine.report.lines():
        log.info("%s", shown(line))
    if engine.index.pending:
        log.info("%s", shown(engine.index.notice))
    if not engine.documents:
        log.warning(
            "no documents in %s — add %s files there, or upload them in the page",
            settings.data_dir,
            readable_suffixes(),
        )
    exposure = (
        "this machine only"
        if is_loopback(args.host)
        else ("the network, password-protected" if auth else "THE WHOLE NETWORK, WITHOUT A PASSWORD")
    )
    print(
        f"Serving {len(engine.documents)} document(s) on http://{args.host}:{args.port} — reachable from {exposure}.",
        flush=True,
    )
    app = build_app(engine, settings)
    if engine.index.pending:  # the page is served meanwhile, from the index as it was
        threading.Thread(target=engine.index.refresh_pending, name="rqa-index-update", daemon=True).start()
    guard = LoginGuard(*auth) if auth else None
    try:
        launch(app, args.host, args.port, auth=guard.check if guard else None, max_file_bytes=settings.max_file_bytes)
    except OSError as exc:  # taken between the check and the start, or the address is not this machine's
        print(f"error: cannot serve on {args.host}:{args.port} ({exc}) — choose another with --port", file=sys.stderr)
        return 1
    return 0


def port_taken(host: str, port: int) -> str | None:
    """Why the app cannot listen on ``host:port``, checked before the slow start, or None."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"cannot use --host {host} ({exc})"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                reason = "is in use by another program" if exc.errno == errno.EADDRINUSE else "needs privileges"
                return f"port {port} on {host} {reason} — choose another with --port (e.g. --port {port + 1})"
            return f"cannot listen on {host}:{port} ({exc.strerror}) — check --host and --port"
    return None
