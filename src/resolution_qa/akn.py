"""UN resolutions in Akoma Ntoso (AKN4UN) XML: structure from the markup, never guessed.

The United Nations publishes General Assembly resolutions as XML: a ``coverPage`` (the header
block), a ``preface`` (number and title), a ``preamble`` (the enacting formula "The General
Assembly," and one ``container`` per preambular paragraph), a ``mainBody`` (one ``paragraph``
per operative paragraph with its ``num``; lettered items as ``list``/``point``), ``conclusions``
(meeting and date), sometimes several parts (``documentCollection``/``component``) and annexes
(``attachments``). Footnotes (``authorialNote``) sit inline where their marker stands.

``parse_akn`` renders that into one plain text in reading order, with a ``Paragraph`` for
every block: PP and OP numbered from the markup, subparagraphs as spans ("OP 4 (a)"), the
header block, headings, enacting formula and footnotes marked so that they are shown in
context but never quoted as answers. Footnotes go to a "Notes" section at the end instead
of being glued into the sentence they follow.

The text is a *plain* rendering: runs of whitespace become one space, no-break spaces plain
spaces, no-break hyphens (U+2011) plain hyphens, soft hyphens are dropped. Quotes are exact
substrings of this rendering (the invariant every loader keeps).

We parse with lxml: libxml2 is fast on the 36 MB collection, gives XPath and element paths,
and its parser can be told not to resolve entities, load DTDs or touch the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from .schema import Paragraph, ParagraphKind

AKN_NS = "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"
_PLAIN = str.maketrans({"\u00a0": " ", "\u2011": "-", "\u202f": " ", "\u2007": " ", "\u00ad": None})
_OP_NUMBER = re.compile(r"^\s*(\d{1,4})\s*\.?\s*$")
_SUB_MARK = re.compile(r"^\s*(\((?:[a-z]{1,3}|[ivxlc]{1,6}|\d{1,3})\))\s+")
_LEADING_NUMBER = re.compile(r"^\s*(\d{1,4})\.\s+")
_HEADINGS = ("subheading", "crossHeading", "heading", "num")  # inside a body: shown, never quoted
_HEADING_STYLE = re.compile(r"^H\d+$")  # Word heading styles kept as class="H23", "H1"
_WORD = re.compile(r"\w")
# Elements that hold lines of their own; anything else inside an intro is inline text.
_BLOCKS = frozenset(
    {"p", "table", "tblock", "list", "blockList", "sublist", "point", "item", "paragraph", "subparagraph", "num"}
    | {"intro", "wrapUp", "listIntroduction", "listWrapUp", "content", "authorialNote"}
)


class AknError(ValueError):
    """Not an Akoma Ntoso document we can read; the message says why."""


def plain_characters(text: str) -> str:
    """``text`` with the typographic characters ``plain`` replaces replaced, its spacing kept: how a
    phrase copied from the UN's XML ("non\u2011discriminatory") reads in the text we quote.

    >>> plain_characters("non\u2011discriminatory, 1\u00a0July")
    'non-discriminatory, 1 July'
    """
    return text.translate(_PLAIN)


def plain(text: str) -> str:
    """Collapse whitespace and turn typographic spaces and hyphens into plain ones.

    >>> plain("  follow\\u2011up\\tto  1\\u00a0July ")
    'follow-up to 1 July'
    """
    return " ".join(text.translate(_PLAIN).split())


def _local(element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _children(element, *names: str):
    return [c for c in element if _local(c) in names]


def _first(element, *path: str):
    current = element
    for name in path:
        found = _children(current, name)
        if not found:
            return None
        current = found[0]
    return current


@dataclass
class AknResolution:
    """What ``parse_akn`` returns: the rendered text and its structure."""

    text: str
    paragraphs: list[Paragraph]
    symbol: str | None
    title: str | None
    date: str | None  # ISO adoption date from FRBRWork
    subjects: list[str] = field(default_factory=list)


class _Writer:
    """Appends blocks separated by blank lines and remembers their exact spans."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.paragraphs: list[Paragraph] = []
        self.notes: list[str] = []

    def block(self, text: str, kind: ParagraphKind, number: int = 0, **extra) -> tuple[int, int] | None:
        if not text:
            return None
        if self.parts:
            self.parts.append("\n\n")
            self.length += 2
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        self.paragraphs.append(Paragraph(start, self.length, kind, number, **extra))
        return start, self.length

    def extend(self, lines: list[tuple[str, str | None]]) -> None:
        """Continue the last block with more lines, each labelled item ("(a) …") a sub-span."""
        last = self.paragraphs[-1]
        subs = list(last.subs)
        for line, label in lines:
            self.parts.append("\n")
            start = self.length + 1
            self.parts.append(line)
            self.length = start + len(line)
            if label:
                subs.append((start, self.length, label))
        self.paragraphs[-1] = replace(last, end=self.length, subs=tuple(subs))

    def lines(self, lines: list[tuple[str, str | None]], kind: ParagraphKind, number: int = 0, **extra) -> None:
        """One block of lines; a labelled line ("(a) …") is a sub-span of it."""
        if not lines:
            return
        (first, label), rest = lines[0], lines[1:]
        span = self.block(first, kind, number, **extra)
        if label and span:
            self.paragraphs[-1] = replace(self.paragraphs[-1], subs=((*span, label),))
        self.extend(rest)

    @property
    def text(self) -> str:
        return "".join(self.parts)


def _text(element, writer: _Writer) -> str:
    """The element's text without footnotes (each footnote is kept as a note)."""
    pieces: list[str] = []

    def walk(node) -> None:
        if _local(node) == "authorialNote":
            note = plain("".join(node.itertext()))
            if note:
                writer.notes.append(note)
            if node.tail:
                pieces.append(node.tail)
            return
        if node.text and isinstance(node.tag, str) and _local(node) != "img":
            pieces.append(node.text)
        for child in node:
            walk(child)
        if node is not element and node.tail:
            pieces.append(node.tail)

    walk(element)
    return plain("".join(pieces))


def _lines(element, writer: _Writer) -> str:
    """Each ``p`` (or table row) of ``element`` on its own line."""
    rows = [e for e in element.iter() if _local(e) in ("p", "tr")]
    if not rows:
        return _text(element, writer)
    out = []
    for row in rows:
        if _local(row) == "p" and any(_local(a) == "tr" for a in row.iterancestors()):
            continue  # inside a table row already rendered as a whole
        if _local(row) == "p" and any(_local(a) in ("p", "authorialNote") for a in row.iterancestors()):
            continue  # nested p, or a footnote's own p (_text keeps footnotes as notes)
        if _local(row) == "tr":
            cells = [_text(cell, writer) for cell in row if _local(cell) in ("td", "th")]
            line = " | ".join(c for c in cells if c)
        else:
            line = _text(row, writer)
        if line:
            out.append(line)
    return "\n".join(out)


def _op_number(paragraph) -> str | None:
    """The paragraph's own ``num`` (not a nested point's)."""
    num = _first(paragraph, "num")
    if num is None:
        for p in paragraph.iter():
            if _local(p) == "num" and not any(_local(a) in ("point", "list", "sublist") for a in p.iterancestors()):
                num = p
                break
    return plain("".join(num.itertext())) if num is not None else None


def _only_child(p, test) -> bool:
    """True when ``p`` holds nothing but one element that passes ``test``."""
    kids = [c for c in p if _local(c)]
    return len(kids) == 1 and test(kids[0]) and not (p.text or "").strip() and not (kids[0].tail or "").strip()


def _is_heading(element, text: str) -> bool:
    """True when the markup shows a block without a paragraph number to be a heading or a divider.

    Section titles ("II", "Fishing overcapacity", "Transport and transit corridors") are often
    marked up as paragraphs or preamble containers with content: a ``p`` holding only a
    ``subheading``, a heading style (class "H23"), or lines that are all bold and do not end
    like a sentence. "* * *" dividers have no words. Counted as paragraphs they would shift
    the numbering, or give the next real operative paragraph's number twice.
    """
    if not _WORD.search(text) or _HEADING_STYLE.match(element.get("class") or ""):
        return True
    lines = [e for e in element.iter() if _local(e) == "p"]
    if not lines:
        return False
    if all(_only_child(p, lambda c: _local(c) in ("subheading", "heading", "crossHeading")) for p in lines):
        return True
    bold = all(_only_child(p, lambda c: "bold" in (c.get("class") or "").split()) for p in lines)
    return bold and not text.rstrip().endswith((".", ";", ",", ":"))


class _Body:
    """Walks a mainBody (or an annex body), numbering operative paragraphs."""

    def __init__(self, writer: _Writer, kind: ParagraphKind, part: str | None):
        self.writer = writer
        self.kind = kind
        self.part = part
        self.number = 0
        self.numbered = False  # a paragraph with its own number has been seen
        self.tables = 0

    def walk(self, element) -> None:
        for child in element:
            name = _local(child)
            if name == "paragraph":
                self.paragraph(child)
            elif name in _HEADINGS:
                self.writer.block(_text(child, self.writer), "heading")
            elif name in ("container", "blockList", "tblock", "table", "p", "list"):
                self.tables += 1
                self.writer.block(_lines(child, self.writer), "body", self.tables, part=self.part)
            elif name:
                self.walk(child)

    def paragraph(self, element) -> None:
        body = [c for c in element if _local(c) not in _HEADINGS]
        if not body:  # a heading written as a paragraph ("I", "Introduction")
            heading = " ".join(_text(c, self.writer) for c in element)
            self.writer.block(plain(heading), "heading")
            return
        for c in element:
            if _local(c) in ("subheading", "heading", "crossHeading"):
                self.writer.block(_text(c, self.writer), "heading")
        number_text = _op_number(element)
        sub = None
        match = _OP_NUMBER.match(number_text or "")
        if match:
            self.number = int(match.group(1))
            self.numbered = True
        elif number_text and _SUB_MARK.match(number_text + " "):
            sub = number_text
        pieces: list[tuple[str, str | None]] = []  # (line, sub label)
        for child in body:
            self._collect(child, pieces, None)
        if not pieces:
            return
        if not match and sub is None and _is_heading(element, " ".join(line for line, _ in pieces)):
            own = _first(element, "num")  # "II." of "II. Strategic vision"
            heading = " ".join(line for line, _ in pieces)
            self.writer.block(plain(f"{number_text} {heading}") if own is not None else heading, "heading")
            return
        if number_text is None and (element.get("class") or "").startswith("FootnoteText"):
            self.tables += 1  # a table's own note ("a From extrabudgetary funds."), shown with the table
            self.writer.block("\n".join(line for line, _ in pieces), "body", self.tables, part=self.part)
            return
        first, first_label = pieces[0]
        if sub is None and number_text is None:
            marker = _SUB_MARK.match(first)
            leading = _LEADING_NUMBER.match(first)
            if marker and self.number:
                sub = marker.group(1)  # "(a)\tTo cooperate …" written as its own paragraph
            elif leading:
                self.number = int(leading.group(1))  # the number typed into the text
                self.numbered = True
            elif not self.numbered:
                self.number += 1  # an unnumbered paragraph (a lone operative paragraph)
            # else: unnumbered text after a numbered paragraph continues it ("and demands that …");
            # counting on would give the next numbered paragraph's number twice
        prefix = ""
        if match:
            prefix = f"{match.group(1)}. "
        elif sub is not None and number_text:
            prefix = f"{sub} "
        lines = [(prefix + first, first_label), *pieces[1:]]
        text = "\n".join(line for line, _ in lines)
        start = self.writer.length + (2 if self.writer.parts else 0)
        subs = []
        offset = start
        for line, label in lines:
            if label:
                subs.append((offset, offset + len(line), label))
            offset += len(line) + 1
        self.writer.block(text, self.kind, max(self.number, 1), sub=sub, part=self.part, subs=tuple(subs))

    def _collect(self, element, pieces: list, label: str | None) -> None:
        name = _local(element)
        if name in ("point", "item"):
            num = _first(element, "num")
            own = plain("".join(num.itertext())) if num is not None else None
            full = " ".join(x for x in (label, own) if x) or None
            rest = [c for c in element if _local(c) != "num"]
            start = len(pieces)
            for child in rest:
                self._collect(child, pieces, full)
            if own and len(pieces) > start:
                line, item_label = pieces[start]
                pieces[start] = (f"{own} {line}", item_label)
            return
        if name in ("list", "sublist", "blockList"):
            for child in element:
                self._collect(child, pieces, label)
            return
        if name in ("intro", "wrapUp", "listIntroduction", "listWrapUp", "content", "subparagraph"):
            if (element.text or "").strip() or any(_local(c) not in _BLOCKS for c in element if _local(c)):
                line = _text(element, self.writer)  # inline text without a p ("<listIntroduction>Recalling …")
                if line:
                    pieces.append((line, label))
                return
            for child in element:
                self._collect(child, pieces, label)
            return
        if name in ("p", "table", "tblock"):
            line = _lines(element, self.writer) if name != "p" else _text(element, self.writer)
            if line:
                pieces.append((line, label))
            return
        if name in ("num", "subheading", "heading"):
            return
        if name == "paragraph":  # nested paragraph: its lines continue this one
            for child in element:
                self._collect(child, pieces, label)
            return
        line = _text(element, self.writer)
        if line:
            pieces.append((line, label))


_SYMBOL_ONLY = re.compile(r"[A-Z]+(?:/[A-Z0-9.]+)+")


def _cover_kind(line: str) -> ParagraphKind:
    """A cover-page or closing line that states a fact (a date, an agenda item, the draft's
    symbol, the meeting) is a "header" line that can answer; "United Nations", "General
    Assembly", "Distr.: General" and the bare symbol are boilerplate.

    >>> _cover_kind("Resolution adopted by the General Assembly on 1 July 2024"), _cover_kind("A/RES/78/311")
    ('header', 'boilerplate')
    >>> _cover_kind("General Assembly")
    'boilerplate'
    """
    return "header" if re.search(r"\d", line) and not _SYMBOL_ONLY.fullmatch(line.strip()) else "boilerplate"


def _statement(statement, writer: _Writer, part: str | None, cover: bool) -> tuple[str | None, str | None]:
    """Render one resolution (or one part of a multi-part one); returns (number, title)."""
    number = title = None
    for child in statement:
        name = _local(child)
        if name == "coverPage" and cover:
            for p in _children(child, "p"):
                line = _text(p, writer)
                writer.block(line, _cover_kind(line))
        elif name == "preface":
            line = _text(child, writer)
            num = _first(child, "p", "docNumber")
            ttl = _first(child, "p", "docTitle")
            number = plain("".join(num.itertext())) if num is not None else None
            title = plain("".join(ttl.itertext())) if ttl is not None else None
            writer.block(line, "heading")
        elif name == "preamble":
            count = 0
            for item in child:
                kind = _local(item)
                if kind == "formula":
                    writer.block(_text(item, writer), "boilerplate")
                elif kind == "blockList" and writer.paragraphs and writer.paragraphs[-1].kind == "preambular":
                    # items "(a) …" that finish the preambular paragraph before them ("… to:")
                    pieces: list[tuple[str, str | None]] = []
                    _Body(writer, "preambular", part)._collect(item, pieces, None)
                    writer.extend(pieces)
                elif kind in ("container", "p") and _is_heading(item, _lines(item, _Writer())):
                    writer.block(_lines(item, writer), "heading")  # "Social aspects", a "* * *" divider
                elif kind == "container" and _children(item, "blockList", "list"):
                    # "Recalling … the following questions:" + items (a), (b): intro and labelled lines
                    count += 1
                    pieces = []
                    for element in item:
                        _Body(writer, "preambular", part)._collect(element, pieces, None)
                    writer.lines(pieces, "preambular", count, part=part)
                elif kind in ("container", "blockList", "p"):
                    count += 1
                    writer.block(_lines(item, writer), "preambular", count, part=part)
                elif kind:
                    writer.block(_text(item, writer), "heading")
        elif name == "mainBody":
            _Body(writer, "operative", part).walk(child)
        elif name == "conclusions":
            line = _lines(child, writer)
            writer.block(line, _cover_kind(line))  # "97th plenary meeting 1 July 2024"
        elif name == "attachments":
            for attachment in child.iter():
                if _local(attachment) != "doc":
                    continue
                for section in attachment:
                    if _local(section) in ("preface", "coverPage"):
                        writer.block(_lines(section, writer), "heading")
                    elif _local(section) == "mainBody":
                        _Body(writer, "annex", "Annex").walk(section)
                    elif _local(section) == "preamble":
                        writer.block(_lines(section, writer), "heading")
    return number, title


def parse_akn(data: bytes) -> AknResolution:
    """Parse one AKN4UN resolution file.

    Raises:
        AknError: the bytes are not well-formed XML or not an Akoma Ntoso resolution.
    """
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise AknError(f"is not well-formed XML ({exc})") from None
    if _local(root) != "akomaNtoso":
        raise AknError(f"is XML but not Akoma Ntoso (root element <{_local(root)}>)")
    writer = _Writer()
    top = next((c for c in root if _local(c) in ("statement", "documentCollection", "doc", "act", "bill")), None)
    if top is None:
        raise AknError("has no statement or documentCollection inside <akomaNtoso>")
    date = None
    for element in root.iter():  # a collection's own meta may be empty: its parts carry the date
        if _local(element) == "FRBRdate" and element.get("name") == "adoption":
            date = element.get("date")
            break
    subjects = list(
        dict.fromkeys(
            k.get("showAs") or k.get("value") or ""
            for k in root.iter()
            if _local(k) == "keyword" and k.get("dictionary") == "UNBIS Thesaurus"
        )
    )
    symbol = None
    for element in top.iter():
        if _local(element) == "docNumber" and element.get("refersTo") == "#symbol":
            symbol = plain("".join(element.itertext())) or None
            break
    if _local(top) == "documentCollection":
        for child in top:
            if _local(child) == "coverPage":
                for p in _children(child, "p"):
                    line = _text(p, writer)
                    writer.block(line, _cover_kind(line))
            elif _local(child) == "preface":
                writer.block(_text(child, writer), "heading")
        ttl = _first(top, "preface", "p", "docTitle")
        title = plain("".join(ttl.itertext())) if ttl is not None else None
        components = _first(root, "components")
        for component in components if components is not None else []:
            statement = next((c for c in component if _local(c) == "statement"), None)
            if statement is not None:
                part_number = _first(statement, "preface", "p", "docNumber")
                part = plain("".join(part_number.itertext())) if part_number is not None else None
                _statement(statement, writer, part or None, cover=False)
    else:
        _, title = _statement(top, writer, None, cover=True)
    if writer.notes:
        writer.block("Notes", "heading")
        for number, note in enumerate(writer.notes, start=1):
            writer.block(f"{number}. {note}", "note", number)
    if not any(p.kind in ("preambular", "operative", "annex", "body") for p in writer.paragraphs):
        raise AknError("has no preambular or operative paragraphs")
    return AknResolution(writer.text, writer.paragraphs, symbol, title, date, subjects)
