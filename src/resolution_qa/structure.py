"""Paragraphs and their roles: preambular (PP), operative (OP) or plain body text (¶).

UN resolutions open with preambular paragraphs ("Recalling …,", "Recognizing …,") and go on
with numbered operative paragraphs ("7. Decides to …;"). Readers cite them as "PP 3" and
"OP 7", so passages carry that structure. Anything else is body text, cited "¶ n".
"""

from __future__ import annotations

import re
from dataclasses import replace

from .schema import Paragraph

_OPERATIVE = re.compile(r"[ \t]*(\d{1,3})\.[ \t]+(?=[A-Z])")
_PREAMBLE_WORDS = (
    "Acknowledging|Affirming|Alarmed|Appreciating|Aware|Bearing|Believing|Committed|Concerned|"
    "Conscious|Considering|Convinced|Deeply|Desiring|Determined|Emphasizing|Emphasising|"
    "Encouraging|Expressing|Further|Gravely|Guided|Having|Highlighting|Also|Mindful|Noting|"
    "Observing|Reaffirming|Recalling|Recognizing|Recognising|Reiterating|Seeking|Stressing|"
    "Taking|Underlining|Underscoring|Welcoming|Cognizant|Acknowledging|Reaffirming"
)
_PREAMBULAR = re.compile(rf"[ \t]*(?:{_PREAMBLE_WORDS})\b")
_SUB_ITEM = re.compile(r"[ \t]*(?:\([a-z]{1,4}\)|[a-z])")
_SYMBOL = re.compile(r"\b(?:[AS]/RES/\d{1,3}/\d{1,4}|A/\d{1,3}/L\.\d{1,4}(?:/Rev\.\d)?)\b")
_MARKDOWN_HEADING = re.compile(r"#{1,6}\s")
_CLOSING = re.compile(
    r"(?:\d{1,3}(?:st|nd|rd|th) plenary meeting|\d{1,2} [A-Z][a-z]+ \d{4})(?:\s+\d{1,2} [A-Z][a-z]+ \d{4})?"
)
TITLE_MAX_CHARS = 200  # a first line this short without a full stop is the text's headline
_RESOLUTION_TITLE = re.compile(r"^[ \t]*\d{1,3}/\d{1,4}\.[ \t]+(\S.{3,})$", re.MULTILINE)


def _lines(text: str) -> list[tuple[int, int]]:
    """Spans of the lines of ``text`` without their newline.

    >>> _lines("a\\n\\nbc")
    [(0, 1), (2, 2), (3, 5)]
    """
    spans, start = [], 0
    for match in re.finditer(r"\n", text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def _is_resolution(text: str) -> bool:
    numbered = sum(1 for _ in re.finditer(r"(?m)^[ \t]*\d{1,3}\.[ \t]+[A-Z][a-z]+s\b", text))
    return numbered >= 2 and ("General Assembly" in text or bool(re.search(rf"(?m)^{_PREAMBULAR.pattern}", text)))


def paragraphs(text: str) -> list[Paragraph]:
    """Split ``text`` into paragraphs with trimmed, absolute spans and their roles.

    Blank lines always separate paragraphs. In a resolution, a numbered line or a line
    opening with a preambular word also starts one (PDF text has no blank lines), and a
    lettered sub-item "(a) …" stays inside its operative paragraph.

    >>> [(p.kind, p.number) for p in paragraphs("Title\\n\\nRecalling x,\\n1. Decides y;\\n2. Requests z.")]
    [('boilerplate', 1), ('preambular', 1), ('operative', 1), ('operative', 2)]

    Before the first preambular or operative paragraph of a resolution, blocks are its header
    and enacting formula ("boilerplate"); "# Title" lines are headings. Neither is indexed. Above
    other text, a headline and "Label: value" lines ("ISSUED ON: 09/07/2024") are header fields,
    indexed to answer what they hold.
    """
    resolution = _is_resolution(text)
    blocks: list[list[int]] = []  # [start, end] of each block, in order
    previous_blank = True
    previous_end_char = ""
    for start, end in _lines(text):
        line = text[start:end]
        if not line.strip():
            previous_blank = True
            continue
        starts_new = previous_blank or not blocks
        if resolution and not starts_new:
            clause_ended = previous_end_char in ",;:."
            if _OPERATIVE.match(line) or (clause_ended and _PREAMBULAR.match(line)):
                starts_new = True
        if starts_new and resolution and blocks and _SUB_ITEM.match(line) and not _OPERATIVE.match(line):
            starts_new = False  # "(a) …" continues the paragraph above it
        if starts_new:
            blocks.append([start, end])
        else:
            blocks[-1][1] = end
        previous_blank = False
        previous_end_char = line.rstrip()[-1:]
    result: list[Paragraph] = []
    preambular_count = 0
    seen_operative = False
    seen_resolution_paragraph = False
    for index, (start, end) in enumerate(blocks, start=1):
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        body = text[start:end]
        kind, number, name = "body", index, None
        if _MARKDOWN_HEADING.match(body) and "\n" not in body:
            kind = "heading"
        elif not resolution and index == 1 and len(blocks) > 1 and _is_title_line(body):
            kind, name = "header", "headline"  # asked for by name: "What's the headline?"
        elif (
            not resolution
            and index <= MAX_FIELD_LINES + 1
            and not any(p.kind == "body" for p in result)
            and (field := _FIELD_LINE.match(body))
        ):
            # "ISSUED ON: 09/07/2024" above an article's text: a field of it, named by its label
            kind, name = "header", field.group("label").strip().lower()
        if resolution:
            op = _OPERATIVE.match(body)
            if op:
                kind, number, seen_operative = "operative", int(op.group(1)), True
            elif not seen_operative and _PREAMBULAR.match(body):
                preambular_count += 1
                kind, number = "preambular", preambular_count
            elif _RESOLUTION_TITLE.match(body):
                kind = "heading"
            elif not seen_resolution_paragraph or _CLOSING.fullmatch(body):
                kind = "boilerplate"  # the header block, the enacting formula, the closing meeting line
            seen_resolution_paragraph = seen_resolution_paragraph or kind in ("operative", "preambular")
        result.append(Paragraph(start, end, kind, number, name=name))  # type: ignore[arg-type]
    if not any(p.kind == "body" for p in result):
        # field lines above nothing are the text itself ("Question: …", "Answer: …")
        result = [replace(p, kind="body", name=None) if p.kind == "header" and p.name else p for p in result]
    return result


MAX_FIELD_LINES = 3  # "ISSUED ON: …", "By: …", "Source: …" under a headline
_FIELD_LINE = re.compile(r"^(?P<label>[A-Za-z][A-Za-z ]{1,30}):[ \t]*\S[^\n]{0,40}$")  # a short value


def _is_title_line(body: str) -> bool:
    """One short line that does not end like a sentence: a document's headline.

    >>> _is_title_line("UN General Assembly adopts Resolution on AI"), _is_title_line("It was adopted.")
    (True, False)
    """
    return "\n" not in body and len(body) <= TITLE_MAX_CHARS and body.rstrip()[-1:] not in ".!?,;:"


def detect_symbol(text: str) -> str | None:
    """The UN document symbol near the top of the text, if any.

    >>> detect_symbol("United Nations  A/RES/78/311\\nGeneral Assembly")
    'A/RES/78/311'
    """
    match = _SYMBOL.search(text[:3000])
    return match.group(0) if match else None


def detect_title(text: str, fallback: str) -> str:
    """A resolution's own title ("78/311. Enhancing …") or else the first line of text.

    >>> detect_title("# Notes on AI\\n\\nbody", fallback="notes")
    'Notes on AI'
    """
    match = _RESOLUTION_TITLE.search(text[:5000])
    if match:
        return match.group(1).strip()[:200]
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200]
    return fallback
