"""The Gradio 6 web chat: ``build_app(engine)`` makes the page, ``main()`` serves it.

Every callback calls ``engine.ask`` and hands the Answer to ``render``; nothing here
retrieves or ranks. Bad input becomes a message in the chat, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .config import Settings
from .documents import SUPPORTED_SUFFIXES
from .render import chat_markdown, citation, context_html, export_markdown, map_html, passages_html
from .schema import Answer

log = logging.getLogger(__name__)

ALL_DOCUMENTS = "All documents"
EXAMPLES = [
    "Which country sponsored the resolution?",
    "When was the resolution adopted?",
    "Which social groups does the resolution mention?",
    "Who is Ambassador Fu?",
    "What does the resolution say about lethal autonomous weapons?",
]
QUEUE_CONCURRENCY = 4  # questions answered at once; each uses torch's threads for ~20 ms
QUEUE_SIZE = 256  # questions waiting beyond that are refused with "queue full", not dropped silently

CSS = """
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
"""

SCROLL_JS = "() => { const t = document.querySelector('#rqa-target'); if (t) t.scrollIntoView({block: 'center'}); }"


def safe_filename(name: str) -> str:
    """A file name that stays inside the data folder: no folders, no dot files, plain characters.

    >>> safe_filename("../../etc/passwd.txt"), safe_filename("Résolution 78-311.PDF")
    ('passwd.txt', 'R_solution_78-311.pdf')
    """
    base = os.path.basename(name.replace("\\", "/"))
    stem, dot, extension = base.rpartition(".")
    if not dot:
        stem, extension = base, ""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "document"
    extension = re.sub(r"[^A-Za-z0-9]+", "", extension).lower()
    return f"{stem[:100]}.{extension}" if extension else stem[:100]


def source_choices(engine) -> list[str]:
    return [ALL_DOCUMENTS] + [d.source for d in engine.documents]


def _source_value(choice: str | None) -> str | None:
    return None if not choice or choice == ALL_DOCUMENTS else choice


def build_app(engine, settings: Settings | None = None, max_upload_bytes: int | None = None):
    """The Blocks app around ``engine`` (anything with ``ask``, ``relevance``, ``documents``)."""
    import gradio as gr

    settings = settings or getattr(engine, "settings", None) or Settings()
    max_upload_bytes = max_upload_bytes or settings.max_file_bytes
    export_dir = Path(tempfile.mkdtemp(prefix="rqa-export-"))

    def empty_state() -> dict:
        return {"answers": []}

    def respond(question, chat, state, k, source_choice):
        """One turn: ask the engine, render the answer everywhere it shows."""
        state = state or empty_state()
        chat = list(chat or [])
        history = [a.question for a in state["answers"]]
        try:
            answer = engine.ask(question or "", history=history, k=int(k), source=_source_value(source_choice))
        except ValueError as exc:  # unknown source and other bad input: say so in the chat
            answer = Answer(question=str(question), answered=False, message=str(exc), quote=None, passages=())
        chat.append({"role": "user", "content": (question or "").strip() or "(empty question)"})
        chat.append({"role": "assistant", "content": chat_markdown(answer)})
        if answer.passages:
            state = {"answers": [*state["answers"], answer]}
        rows = engine.relevance(answer.question, history, _source_value(source_choice)) if answer.passages else []
        choices = [f"[{i}] {citation(p.chunk)}" for i, p in enumerate(answer.passages, 1)]
        export = export_dir / f"conversation-{time.time_ns()}.md"
        export.write_text(export_markdown(state["answers"]), encoding="utf-8")
        return (
            "",
            chat,
            state,
            passages_html(answer),
            map_html(rows, answer),
            gr.update(choices=choices, value=None),
            '<div class="rqa-empty">Pick a source above to read it in its document.</div>',
            gr.update(value=str(export), interactive=bool(state["answers"])),
        )

    def show_source(choice, state):
        if not choice or not state or not state["answers"]:
            return gr.update()
        answer = state["answers"][-1]
        match = re.match(r"\[(\d+)\]", choice)
        index = int(match.group(1)) - 1 if match else -1
        if not 0 <= index < len(answer.passages):
            return gr.update()
        passage = answer.passages[index]
        document = next((d for d in engine.documents if d.source == passage.chunk.source), None)
        if document is None:
            return '<div class="rqa-empty">That document is no longer indexed.</div>'
        return context_html(document, passage)

    def clear():
        return (
            [],
            empty_state(),
            passages_html(None),
            map_html([], None),
            gr.update(choices=[], value=None),
            "",
            gr.update(value=None, interactive=False),
        )

    def upload(files, progress=gr.Progress()):  # noqa: B008  (Gradio injects progress this way)
        """Save uploaded files under the data folder and index them in place."""
        if not files:
            return "No file chosen.", gr.update()
        messages, saved = [], []
        data_dir = Path(settings.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        progress(0.05, desc="Checking files")
        for item in files if isinstance(files, list) else [files]:
            path = Path(getattr(item, "name", None) or str(item))
            original = getattr(item, "orig_name", None) or path.name
            name = safe_filename(original)
            suffix = Path(name).suffix
            if suffix not in SUPPORTED_SUFFIXES:
                messages.append(f"✗ {original}: unsupported type — upload {', '.join(SUPPORTED_SUFFIXES)} files.")
                continue
            size = path.stat().st_size
            if size > max_upload_bytes:
                messages.append(
                    f"✗ {original}: {size / 1e6:.1f} MB is over the {max_upload_bytes / 1e6:.0f} MB limit — split it first."
                )
                continue
            target = data_dir / name
            tmp = data_dir / f".upload-{os.getpid()}-{name}"
            shutil.copyfile(path, tmp)
            os.replace(tmp, target)  # atomic: the indexer never sees half a file
            saved.append(name)
        if saved:
            progress(0.3, desc=f"Indexing {len(saved)} file(s)")
            report = engine.refresh()
            skipped = {s.path: s.reason for s in report.skipped}
            for name in saved:
                if name in skipped:
                    messages.append(f"✗ {name}: {skipped[name]}")
                    (data_dir / name).unlink(missing_ok=True)
                else:
                    messages.append(f"✓ {name} indexed.")
            messages.append(
                f"{len(engine.documents)} documents, {report.passages} passages ({report.embedded} newly embedded)."
            )
            progress(1.0, desc="Done")
        return "\n\n".join(messages), gr.update(choices=source_choices(engine), value=ALL_DOCUMENTS)

    def api_ask(question: str, history: list[str] | None = None, k: int = 3, source: str | None = None) -> dict:
        """Answer a question with verbatim quotes; returns the same JSON object as the CLI's ask --json."""
        try:
            return engine.ask(question, history=history or (), k=int(k), source=source or None).to_json()
        except ValueError as exc:
            return Answer(question=str(question), answered=False, message=str(exc), quote=None, passages=()).to_json()

    documents = engine.documents
    intro = (
        f"Ask about **{len(documents)} document(s)**. Every answer is a verbatim quote with its citation."
        if documents
        else "**No documents yet.** Upload .txt, .md, .pdf or .html files below (or put them in the "
        f"`{settings.data_dir}` folder and restart)."
    )
    with gr.Blocks(title="Resolution Q&A") as app:
        gr.Markdown(f"# Resolution Q&A\n{intro}")
        state = gr.State(empty_state())
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="Conversation", height=460, sanitize_html=True, elem_id="rqa-chat")
                with gr.Row():
                    question = gr.Textbox(
                        label="Question",
                        placeholder="e.g. Which country sponsored the resolution?",
                        scale=5,
                        max_length=100_000,
                        elem_id="rqa-question",
                        autofocus=True,
                    )
                    ask_button = gr.Button("Ask", variant="primary", scale=1, elem_id="rqa-ask")
                with gr.Row():
                    clear_button = gr.Button("Clear conversation", elem_id="rqa-clear")
                    export_button = gr.DownloadButton("Export as Markdown", interactive=False, elem_id="rqa-export")
                gr.Examples(EXAMPLES, inputs=question, label="Example questions")
                with gr.Accordion("Settings", open=False):
                    k_slider = gr.Slider(1, 10, value=3, step=1, label="Passages shown (k)", elem_id="rqa-k")
                    source_box = gr.Dropdown(
                        source_choices(engine), value=ALL_DOCUMENTS, label="Search in", elem_id="rqa-source"
                    )
                with gr.Accordion("Add documents", open=not documents):
                    uploader = gr.File(
                        label=f"Upload .txt, .md, .pdf or .html (up to {max_upload_bytes / 1e6:.0f} MB each)",
                        file_count="multiple",
                        file_types=list(SUPPORTED_SUFFIXES),
                        elem_id="rqa-upload",
                    )
                    upload_status = gr.Markdown(elem_id="rqa-upload-status")
            with gr.Column(scale=2):
                gr.Markdown("### Passages")
                passages_view = gr.HTML(passages_html(None), elem_id="rqa-passages")
                gr.Markdown("### Where the question matches")
                map_view = gr.HTML(map_html([], None), elem_id="rqa-map")
                gr.Markdown("### Source in context")
                source_pick = gr.Radio([], label="Show a source in its document", elem_id="rqa-source-pick")
                context_view = gr.HTML("", elem_id="rqa-context-view")

        outputs = [question, chatbot, state, passages_view, map_view, source_pick, context_view, export_button]
        inputs = [question, chatbot, state, k_slider, source_box]
        question.submit(respond, inputs, outputs, api_visibility="private")
        ask_button.click(respond, inputs, outputs, api_visibility="private")
        source_pick.change(show_source, [source_pick, state], context_view, api_visibility="private").then(
            None, None, None, js=SCROLL_JS
        )
        clear_button.click(
            clear,
            None,
            [chatbot, state, passages_view, map_view, source_pick, context_view, export_button],
            api_visibility="private",
        )
        uploader.upload(upload, uploader, [upload_status, source_box], api_visibility="private")
        gr.api(api_ask, api_name="ask")
        # The same answer as plain JSON over HTTP, outside the queue (POST /gradio_api/run/ask_json
        # with {"data": [question, history, k, source]}): for scripts and the latency benchmark.
        gr.api(api_ask, api_name="ask_json", queue=False, concurrency_limit=None)
    app.queue(default_concurrency_limit=QUEUE_CONCURRENCY, max_size=QUEUE_SIZE)
    return app


def theme():
    """Gradio's default look with system fonts only: the page loads no web fonts."""
    import gradio as gr

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


def is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def launch(app, host: str, port: int, auth=None, max_file_bytes: int = 20 * 1024 * 1024, **kwargs):
    """Serve ``app`` with the project's settings (theme, CSS, limits, no API docs page)."""
    return app.launch(
        server_name=host,
        server_port=port,
        auth=auth,
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
        help="USER:PASSWORD required to open the page (or $RESOLUTION_QA_AUTH)",
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
        auth = parse_auth(args.auth)
    except ValueError as exc:
        parser.error(str(exc))
    if not is_loopback(args.host) and auth is None and not args.insecure_public:
        parser.error(
            f"--host {args.host} would expose the app to the network: add --auth USER:PASSWORD "
            "(or set RESOLUTION_QA_AUTH), or pass --insecure-public if you really mean it"
        )
    from .embedding import ModelError
    from .engine import QAEngine

    kwargs = {}
    if args.data:
        kwargs["data_dir"] = Path(args.data)
    if args.index:
        kwargs["index_dir"] = Path(args.index)
    settings = Settings(**kwargs)
    try:
        engine = QAEngine.open(settings)
        engine.warm_up()
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for line in engine.report.lines():
        log.info("%s", line)
    if not engine.documents:
        log.warning(
            "no documents in %s — add .txt, .md, .pdf or .html files there, or upload them in the page",
            settings.data_dir,
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
    launch(app, args.host, args.port, auth=auth, max_file_bytes=settings.max_file_bytes)
    return 0
