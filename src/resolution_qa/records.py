"""UN catalogue records (one JSON object per resolution per line) as a citable document.

Each record field becomes one line, "Adoption date: 1 July 2024", a paragraph of kind
"record" that names its field and the resolution it describes. Answers quote the value
after the label, verbatim, and cite "A/RES/78/311 — UN record, adoption date".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .akn import plain
from .schema import Paragraph

# (field, label shown before the value); lists are joined with ", " (subjects with "; ").
FIELDS = (
    ("title", "Title"),
    ("adoption_date", "Adoption date"),
    ("adoption_meeting", "Adoption meeting"),
    ("adoption_type", "Vote"),
    ("MS_in_favour_count", "Member States voting in favour"),
    ("MS_against_count", "Member States voting against"),
    ("MS_abstaining_count", "Member States abstaining"),
    ("MS_in_favour", "Voted in favour"),
    ("MS_against", "Voted against"),
    ("MS_abstaining", "Abstained"),
    ("originating_document", "Draft resolution"),
    ("committee", "Committee"),
    ("report_paragraph", "Committee report"),
    ("agenda_item", "Agenda item"),
    ("agenda_item_name", "Agenda item title"),
    ("sponsors", "Sponsors"),
    ("additional_sponsors", "Additional sponsors"),
    ("pv", "Meeting record"),
    ("session", "Session"),
    ("subjects", "Subjects"),
    ("SDGs", "Sustainable Development Goals"),
)
# a value shown with another field's, on its line: "Agenda item: Agenda item 13 — Integrated and
# coordinated implementation …" answers "Which agenda item?" with what the item is, and "Adoption
# meeting: 97th plenary meeting (meeting record A/78/PV.97)" names the meeting's record beside it
# (a meeting record only when it is one: a "pv" of "Adopted without vote, 63rd plenary meeting"
# keeps its own line): field -> (the field joined to it, what goes between, what closes the line)
JOINED = {"agenda_item": ("agenda_item_name", " — ", ""), "adoption_meeting": ("pv", " (meeting record ", ")")}
_JOINABLE = {"pv": re.compile(r"/PV\.\d")}
_JOINED_INTO = {second: first for first, (second, _, _) in JOINED.items()}
_LABELS = dict(FIELDS)
# a record line that holds a title: "Title: …", "Agenda item title: …", and a line a title is
# joined to ("Agenda item: Agenda item 13 — Integrated and coordinated …")
TITLE_LINE = "|".join(
    [rf"^{re.escape(label)}: " for _, label in FIELDS if label.lower().endswith("title")]
    + [
        rf"^{re.escape(_LABELS[first])}: [^\n]*?{re.escape(joint)}"
        for first, (second, joint, _) in JOINED.items()
        if _LABELS[second].lower().endswith("title")
    ]
)
LIST_FIELDS = frozenset({"sponsors", "additional_sponsors", "MS_in_favour", "MS_against", "MS_abstaining", "SDGs"})
_VOTE_FIELDS = frozenset({"MS_in_favour_count", "MS_against_count", "MS_abstaining_count"})
_EMPTY = frozenset({"", "N.A.", "n.a.", "None"})


class RecordError(ValueError):
    """A file that is not a file of UN catalogue records."""


@dataclass
class Records:
    text: str
    paragraphs: list[Paragraph]
    symbols: list[str]


def _value(field: str, raw) -> str | None:
    if raw is None:
        return None
    if field == "subjects":
        terms = [plain(t[0] if isinstance(t, list | tuple) and t else str(t)) for t in raw]
        # ["13", "A/78/251"] is the agenda item (its own line), not a subject
        return "; ".join(t for t in terms if t and not t.isdigit()) or None
    if isinstance(raw, list):
        return ", ".join(plain(str(v)) for v in raw if str(v).strip()) or None
    value = plain(str(raw))
    return None if value in _EMPTY else value


def _joined(row: dict, field: str) -> str | None:
    """The value joined to ``field``'s line in ``row``, when both are there (and it is of the
    form joined: a meeting record's symbol)."""
    second = JOINED[field][0]
    value, other = _value(field, row.get(field)), _value(second, row.get(second))
    if not value or not other or (second in _JOINABLE and not _JOINABLE[second].search(other)):
        return None
    return other


def is_record(row: object) -> bool:
    return isinstance(row, dict) and isinstance(row.get("symbol"), str) and "adoption_date" in row


def parse_records(text: str) -> Records:
    """Render the records in ``text`` (JSON lines) as labelled lines.

    >>> r = parse_records('{"symbol": "A/RES/1/2", "adoption_date": "1\\u00a0July 2024", "sponsors": ["CHAD", "PERU"]}')
    >>> [(p.kind, r.text[p.start:p.end]) for p in r.paragraphs]  # doctest: +NORMALIZE_WHITESPACE
    [('heading', 'A/RES/1/2 — UN catalogue record'), ('record', 'Adoption date: 1 July 2024'),
     ('record', 'Sponsors: CHAD, PERU')]
    >>> r.paragraphs[2].name, r.paragraphs[2].symbol
    ('sponsors', 'A/RES/1/2')
    """
    parts: list[str] = []
    paragraphs: list[Paragraph] = []
    symbols: list[str] = []
    length = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise RecordError(f"line {number} is not valid JSON") from None
        if not is_record(row):
            raise RecordError(f'line {number} is not a UN catalogue record (needs "symbol" and "adoption_date")')
        symbol = plain(row["symbol"])
        symbols.append(symbol)
        recorded = "recorded" in str(row.get("adoption_type", "")).lower()  # "By a recorded vote"
        blocks: list[tuple[str, str, str]] = [(f"{symbol} — UN catalogue record", "heading", "")]
        joined = {first: _joined(row, first) for first in JOINED}  # the second values, where joined
        for field, label in FIELDS:
            if field in _VOTE_FIELDS and not recorded:
                continue  # "0 in favour" for a resolution adopted without a vote would mislead
            value = _value(field, row.get(field))
            if joined.get(_JOINED_INTO.get(field)):
                continue  # on the line of the field it is joined to
            if joined.get(field):
                _, between, end = JOINED[field]
                value = f"{value}{between}{joined[field]}{end}"
            if value:
                blocks.append((f"{label}: {value}", "record", field))
        for block, kind, field in blocks:
            if parts:
                parts.append("\n\n" if kind == "heading" else "\n")
                length += len(parts[-1])
            parts.append(block)
            paragraphs.append(
                Paragraph(
                    length,
                    length + len(block),
                    kind,  # type: ignore[arg-type]
                    len(paragraphs) + 1,
                    name=field or None,
                    symbol=symbol,
                )
            )
            length += len(block)
    if not symbols:
        raise RecordError("has no records")
    return Records("".join(parts), paragraphs, symbols)


def value_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The value after "Label: " in the record line ``text[start:end]``.

    >>> value_span("Vote: Without a vote", 0, 20)
    (6, 20)
    """
    cut = text.find(": ", start, end)
    return (cut + 2, end) if cut >= 0 else (start, end)


def label_of(text: str, start: int, end: int) -> str:
    """The label before ": " in a record line.

    >>> label_of("Additional sponsors: CHAD", 0, 25)
    'Additional sponsors'
    """
    return text[start : value_span(text, start, end)[0]].removesuffix(": ")
