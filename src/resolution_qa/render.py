"""Pure formatters from Answer values to Markdown and HTML for the web chat and exports.

Document text is always escaped: a document containing ``<script>`` or ``<img onerror=…>``
shows those characters, it never runs them, and Markdown in a document (links, images)
is shown literally, so a quote can never make the page load anything from outside.
"""

from __future__ import annotations

import html
import re

from .schema import MAY_ANSWER, Answer, Chunk, Document, Passage, Span

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<&$])")
# Characters that make text lie about itself when displayed: bidirectional overrides and
# isolates ("invoice\u202efdp.exe" shows as "invoiceexe.pdf"), and control characters (ANSI/OSC
# escape sequences clear the terminal, set its title or write the clipboard).
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSHOWABLE = re.compile(rf"[{_BIDI}\x00-\x08\x0b-\x1f\x7f-\x9f]")
CONTEXT_CHARS = 4000  # "source in context" shows this much text on each side of the passage


def shown(text: str) -> str:
    """``text`` safe to display: bidi controls and control characters become visible marks.

    Only what is displayed changes; quotes, offsets and JSON keep the document's own characters.

    >>> shown("invoice\u202efdp.exe"), shown("\x1b]52;c;ZXZpbA==\x07ok")
    ('invoice⟨U+202E⟩fdp.exe', '␛]52;c;ZXZpbA==␇ok')
    """

    def mark(match: re.Match[str]) -> str:
        code = ord(match.group())
        if code < 0x20:
            return chr(0x2400 + code)  # the Unicode "control pictures": ␛ for ESC
        return "␡" if code == 0x7F else f"⟨U+{code:04X}⟩"

    return _UNSHOWABLE.sub(mark, text)


def quoted(text: str) -> str:
    """The quote in quotation marks, unless it has its own (“… resolves “to bridge …”.”).

    >>> quoted("It was adopted."), quoted("resolves “to bridge the divides”")
    ('“It was adopted.”', 'resolves “to bridge the divides”')
    """
    return text if any(mark in text for mark in '“”"') else f"“{text}”"


def _esc(text: str) -> str:
    return html.escape(shown(text))


def md_text(text: str) -> str:
    """Escape text for Gradio's Markdown so it renders literally.

    >>> md_text("**bold** [x](http://e)")
    '\\\\*\\\\*bold\\\\*\\\\* \\\\[x\\\\]\\\\(http&#58;//e\\\\)'
    """
    escaped = html.escape(shown(text), quote=False)
    # ":" as an entity: "http://…" in a document must not become a clickable link
    return _MD_SPECIAL.sub(r"\\\1", escaped).replace("\\&", "&").replace("\n", " ").replace(":", "&#58;")


def md_safe(text: str) -> str:
    """Text for a Markdown file that reads as written but never runs or loads anything: HTML
    as entities, images as plain brackets, bidi and control characters visible.

    >>> md_safe('<script>x</script> ![i](http://e/i.png) [a](http://e)')
    '&lt;script&gt;x&lt;/script&gt; !\\\\[i](http://e/i.png) [a](http://e)'
    """
    return html.escape(shown(text), quote=False).replace("![", "!\\[")


def marked_html(text: str, offset: int, spans: tuple[Span, ...] | list[Span], mark_id: str | None = None) -> str:
    """HTML-escape ``text`` (which starts at absolute ``offset``) and wrap ``spans`` in <mark>.

    >>> marked_html("a <b> c", 10, [(12, 15)])
    'a <mark>&lt;b&gt;</mark> c'
    """
    out, position = [], 0
    for start, end in sorted(spans):
        start, end = max(start - offset, position), min(end - offset, len(text))
        if start >= end:
            continue
        out.append(_esc(text[position:start]))
        attribute = f' id="{mark_id}"' if mark_id else ""
        out.append(f"<mark{attribute}>{_esc(text[start:end])}</mark>")
        mark_id = None  # only the first mark gets the id used for scrolling
        position = end
    out.append(_esc(text[position:]))
    return "".join(out)


def score_bar(score: float) -> str:
    """A small relevance bar with its percentage, in HTML."""
    percent = round(max(0.0, min(score, 1.0)) * 100)
    return (
        f'<span class="rqa-bar" title="relevance {percent}%"><span style="width:{percent}%"></span></span>'
        f' <span class="rqa-pct">{percent}%</span>'
    )


def short_title(title: str, limit: int = 60) -> str:
    """A document title cut at a word boundary for compact citations.

    >>> short_title("UN General Assembly adopts Resolution on International Cooperation", 40)
    'UN General Assembly adopts Resolution…'
    """
    if len(title) <= limit:
        return title
    return title[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def citation(chunk: Chunk) -> str:
    """ "A/RES/78/311, OP 7"; a record field reads "A/RES/78/311 — UN record, adoption date"."""
    separator = " — " if chunk.paragraph_kind == "record" else ", "
    return f"{short_title(chunk.label)}{separator}{chunk.location}"


def terminal_text(answer: Answer) -> str:
    """Readable output for a terminal: the quote, its citation, then the sources; control and
    bidi characters of the documents shown as visible marks."""
    lines = []
    if answer.quote is not None:
        top = answer.passages[0].chunk
        lines.append(quoted(answer.quote.text))
        lines.append(f"  — {citation(top)} [{answer.quote.source} {answer.quote.start}:{answer.quote.end}]")
    else:
        lines.append(answer.message)
    lines.extend(f"note: {n}" for n in answer.notices)
    if answer.passages:
        lines.append("")
        lines.append(
            _heading(
                answer,
                "Sources:",
                "Closest passages (they do not answer the question):",
                "Closest passages (check whether they answer):",
            )
        )
    for rank, passage in enumerate(answer.passages, start=1):
        chunk = passage.chunk
        lines.append(
            f"[{rank}] {citation(chunk)} — {chunk.source} {chunk.start}:{chunk.end} (score {passage.score:.2f})"
        )
        lines.append("    " + chunk.text.replace("\n", " "))
    return shown("\n".join(lines))  # escape sequences in a document never reach the terminal


def _heading(answer: Answer, sources: str, refused: str, to_check: str) -> str:
    """What the passages under an answer are: its sources; the closest passages, which do not
    answer; or, when the refusal says the closest passage may answer, passages to check."""
    if answer.answered:
        return sources
    return to_check if answer.message.startswith(MAY_ANSWER) else refused


def chat_markdown(answer: Answer) -> str:
    """The assistant's chat message: the quote with its citation, then the numbered sources."""
    lines = []
    if answer.quote is not None and answer.passages:
        top = answer.passages[0].chunk
        lines.append(f"> {md_text(quoted(answer.quote.text))} **\\[1\\]**")
        lines.append("")
        lines.append(f"— *{md_text(citation(top))}* · characters {answer.quote.start}–{answer.quote.end}")
    else:
        lines.append(f"**{md_text(answer.message)}**")
    for notice in answer.notices:
        lines.append("")
        lines.append(f"*Note: {md_text(notice)}*")
    if answer.passages:
        lines.append("")
        lines.append(
            _heading(
                answer,
                "**Sources**",
                "**Closest passages — these do not answer the question**",
                "**Closest passages — check whether they answer**",
            )
        )
        for rank, passage in enumerate(answer.passages, start=1):
            chunk = passage.chunk
            lines.append(
                f"{rank}. \\[{rank}\\] {md_text(citation(chunk))} · {md_text(chunk.source)} "
                f"{chunk.start}–{chunk.end} · relevance {round(passage.score * 100)}%"
            )
    return "\n".join(lines)


def _tag(answer: Answer, rank: int) -> str:
    """A passage's tag in the panel: none under an answer; "check whether it answers" for the
    closest passage a refusal says may answer; else "does not answer"."""
    if answer.answered:
        return ""
    if rank == 1 and answer.message.startswith(MAY_ANSWER):
        return ' <span class="rqa-tag">check whether it answers</span>'
    return ' <span class="rqa-tag">does not answer</span>'


def passages_html(answer: Answer | None) -> str:
    """The right-hand panel: every passage, answer sentences highlighted, numbered like the chat."""
    if answer is None or not answer.passages:
        return '<div class="rqa-empty">Ask a question: the passages that answer it appear here.</div>'
    parts = []
    if not answer.answered:
        parts.append(
            f'<div class="rqa-abstain" role="status"><strong>Not answered.</strong> {_esc(answer.message)}</div>'
        )
    for rank, passage in enumerate(answer.passages, start=1):
        chunk = passage.chunk
        css = "rqa-passage" + ("" if answer.answered else " rqa-not-answer")
        label = _tag(answer, rank)
        parts.append(
            f'<div class="{css}" data-rank="{rank}">'
            f'<div class="rqa-cite"><span class="rqa-num">[{rank}]</span> '
            f"{_esc(citation(chunk))}{label} {score_bar(passage.score)}</div>"
            f'<div class="rqa-text">{marked_html(chunk.text, chunk.start, passage.highlights)}</div>'
            f'<div class="rqa-src">{_esc(chunk.source)} · characters {chunk.start}–{chunk.end}</div>'
            "</div>"
        )
    return "".join(parts)


def context_html(document: Document, passage: Passage) -> str:
    """The passage in its surroundings (``CONTEXT_CHARS`` on each side), the passage marked
    (answer sentences marked strongly); a long document is never sent whole."""
    chunk = passage.chunk
    text = document.text
    start, end = max(0, chunk.start - CONTEXT_CHARS), min(len(text), chunk.end + CONTEXT_CHARS)
    inner = marked_html(text[chunk.start : chunk.end], chunk.start, passage.highlights)
    before = ("… " if start else "") + _esc(text[start : chunk.start])
    after = _esc(text[chunk.end : end]) + (" …" if end < len(text) else "")
    return (
        f'<div class="rqa-context-head">{_esc(document.label)} — {_esc(chunk.location)} '
        f'<span class="rqa-src">characters {start}–{end} of {len(text)}</span></div>'
        f'<div id="rqa-context" class="rqa-context">{before}'
        f'<span id="rqa-target" class="rqa-target">{inner}</span>{after}</div>'
    )


MAP_DOCUMENTS = 5  # strips shown: the documents the answer cites, best first
MAP_BARS = 150  # bars per strip; longer documents show the best passage of each stretch


def map_html(rows: list[tuple[Chunk, float]], answer: Answer | None) -> str:
    """A strip per cited document: one bar per passage, in reading order, height = relevance.

    Shows at a glance whether the topic sits in one paragraph or runs through the text.
    """
    if not rows:
        return '<div class="rqa-empty">The document map appears after a question.</div>'
    cited = {(p.chunk.source, p.chunk.start): rank for rank, p in enumerate(answer.passages, 1)} if answer else {}
    wanted = list(dict.fromkeys(p.chunk.source for p in answer.passages))[:MAP_DOCUMENTS] if answer else []
    by_source: dict[str, list[tuple[Chunk, float]]] = {source: [] for source in wanted}
    for chunk, value in rows:
        if not wanted or chunk.source in by_source:
            by_source.setdefault(chunk.source, []).append((chunk, value))
    for source, items in by_source.items():
        if len(items) > MAP_BARS:  # keep each stretch's most relevant passage (cited ones win)
            size = -(-len(items) // MAP_BARS)
            by_source[source] = [
                max(items[i : i + size], key=lambda item: ((item[0].source, item[0].start) in cited, item[1]))
                for i in range(0, len(items), size)
            ]
    parts = ['<div class="rqa-map">']
    for source, items in by_source.items():
        if not items:
            continue
        step = 14 if len(items) <= 40 else 4
        width = max(len(items) * step, 120)
        bars = []
        for i, (chunk, value) in enumerate(items):
            height = 4 + round(max(value, 0.0) * 56)
            rank = cited.get((chunk.source, chunk.start))
            fill = "#d9480f" if rank else "#4c6ef5"
            label = _esc(f"{chunk.location}: relevance {round(value * 100)}%" + (f" — cited [{rank}]" if rank else ""))
            bars.append(
                f'<rect x="{i * step}" y="{60 - height}" width="{step - 2}" height="{height}" fill="{fill}"><title>{label}</title></rect>'
            )
        parts.append(
            f'<div class="rqa-map-doc">{_esc(short_title(items[0][0].label))}</div>'
            f'<svg role="img" aria-label="relevance of each passage of {_esc(source)}" '
            f'width="{width}" height="60" viewBox="0 0 {width} 60">{"".join(bars)}</svg>'
        )
    parts.append(
        '<div class="rqa-legend">Each bar is a passage in reading order; taller = closer to the '
        "question; orange = cited.</div></div>"
    )
    return "".join(parts)


def export_markdown(turns: list[Answer]) -> str:
    """The conversation as a Markdown file, every quote with its full citation; document text
    escaped, so that a viewer never runs its HTML or loads its images."""
    lines = ["# Conversation with resolution-qa", ""]
    for answer in turns:
        lines.append(f"## Q: {md_safe(answer.question)}")
        lines.append("")
        if answer.quote is not None:
            top = answer.passages[0].chunk
            lines.append(f"> {md_safe(answer.quote.text)}")
            lines.append("")
            lines.append(
                f"— {md_safe(citation(top))} ({md_safe(answer.quote.source)}, characters "
                f"{answer.quote.start}–{answer.quote.end})"
            )
        else:
            lines.append(md_safe(answer.message))
        if answer.passages:
            lines.append("")
            lines.append(
                _heading(
                    answer,
                    "Sources:",
                    "Closest passages (not an answer):",
                    "Closest passages (check whether they answer):",
                )
            )
            for rank, passage in enumerate(answer.passages, start=1):
                chunk = passage.chunk
                lines.append(
                    f"{rank}. {md_safe(citation(chunk))} — {md_safe(chunk.source)} {chunk.start}–{chunk.end}: "
                    f'"{md_safe(chunk.text)}"'
                )
        lines.append("")
    return "\n".join(lines)
