"""Reading the data folder: one loader per file type, bad files skipped and named.

Loaders return the text that citations refer to. For .txt/.md that is the decoded file,
byte for byte; for .pdf and .html it is the extracted text, which the index stores.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

from .schema import Document, Paragraph
from .structure import detect_symbol, detect_title, paragraphs

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".xml", ".txt", ".md", ".pdf", ".html", ".htm", ".jsonl")
BYTES_PER_MB = 1024 * 1024  # the MB of RESOLUTION_QA_MAX_FILE_MB, in every message
DEFAULT_MAX_FILE_MB = 20
DEFAULT_MAX_FILE_BYTES = DEFAULT_MAX_FILE_MB * BYTES_PER_MB
# Extracted text per document: a 0.8 MB PDF whose 5,000 pages share one content stream expands
# to 20 million characters and 45,000 passages. The longest GA resolution is about 0.6 million.
MAX_TEXT_CHARS = 5_000_000


def format_megabytes(size: int) -> str:
    """A size in MB (2**20 bytes), rounded up to a tenth so a file over a limit never looks equal to it.

    >>> format_megabytes(20 * 1024 * 1024), format_megabytes(20 * 1024 * 1024 + 1), format_megabytes(1_572_864)
    ('20 MB', '20.1 MB', '1.5 MB')
    """
    tenths = math.ceil(size * 10 / BYTES_PER_MB)
    return f"{tenths // 10} MB" if tenths % 10 == 0 else f"{tenths / 10:.1f} MB"


class UnreadableDocument(ValueError):
    """A file that cannot be turned into text; the message says why and what to do."""


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"skipped {self.path}: {self.reason}"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_text(data: bytes, name: str) -> str:
    """Decode UTF-8 text strictly; refuse binary files.

    >>> decode_text("Café".encode(), "a.txt")
    'Café'
    """
    if b"\x00" in data:
        raise UnreadableDocument(f"{name} contains NUL bytes (is it binary?) — save it as plain UTF-8 text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableDocument(f"{name} is not valid UTF-8 (byte {exc.start}) — re-save it as UTF-8") from None


@dataclass(frozen=True)
class Loaded:
    """What a loader extracts: the text citations refer to, and what the markup says."""

    text: str
    page_starts: tuple[int, ...] = ()
    paragraphs: tuple[Paragraph, ...] = ()  # empty: found from the text (structure.py)
    symbol: str | None = None
    title: str | None = None
    date: str | None = None
    kind: str | None = None


def load_text(data: bytes, name: str) -> Loaded:
    return Loaded(decode_text(data, name))


def load_xml(data: bytes, name: str) -> Loaded:
    """A UN resolution in Akoma Ntoso XML (see akn.py)."""
    from .akn import AknError, parse_akn

    try:
        parsed = parse_akn(data)
    except AknError as exc:
        raise UnreadableDocument(f"{name} {exc} — only UN resolutions in Akoma Ntoso XML are supported") from None
    return Loaded(parsed.text, (), tuple(parsed.paragraphs), parsed.symbol, parsed.title, parsed.date, kind="xml")


def load_records(data: bytes, name: str) -> Loaded:
    """UN catalogue records, one JSON object per line (see records.py)."""
    from .records import RecordError, parse_records

    try:
        parsed = parse_records(decode_text(data, name))
    except RecordError as exc:
        raise UnreadableDocument(f"{name}: {exc} — .jsonl files must hold UN catalogue records") from None
    return Loaded(parsed.text, (), tuple(parsed.paragraphs), None, "UN catalogue records", None, kind="records")


def _too_much_text(name: str, count: int, page: int | None = None) -> str:
    """The refusal of a file whose text is over ``MAX_TEXT_CHARS`` (``page``: where reading stopped).

    >>> _too_much_text("b.pdf", 5_000_100, page=1235)[:70]
    'b.pdf expands to more than 5,000,100 characters of text by page 1,235,'
    """
    where = f" by page {page:,}" if page else ""
    return (
        f"{name} expands to {'more than ' if page else ''}{count:,} characters of text{where}, over the "
        f"{MAX_TEXT_CHARS:,} limit (a PDF whose pages repeat one content stream does this) — split it "
        "or extract its text"
    )


def load_pdf(data: bytes, name: str) -> Loaded:
    """Extract a PDF's text page by page; returns the text and each page's start offset."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableDocument(f"{name} is an encrypted PDF — save an unencrypted copy")
        pages, total = [], 0
        for page in reader.pages:  # stop as soon as the text is over the limit (a PDF bomb)
            pages.append(page.extract_text() or "")
            total += len(pages[-1]) + 1
            if total > MAX_TEXT_CHARS:
                raise UnreadableDocument(_too_much_text(name, total, page=len(pages)))
    except UnreadableDocument:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UnreadableDocument(f"{name} is not a readable PDF ({exc}) — re-export or re-download it") from None
    text_parts: list[str] = []
    starts: list[int] = []
    offset = 0
    for page_text in pages:
        page_text = page_text.replace("\x00", "").strip("\n")
        starts.append(offset)
        text_parts.append(page_text)
        offset += len(page_text) + 1  # pages joined by one newline: a paragraph may continue
    return Loaded("\n".join(text_parts), tuple(starts))


_BLOCK_TAGS = (
    "p",
    "div",
    "section",
    "article",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "tr",
    "br",
    "blockquote",
    "pre",
    "header",
    "footer",
    "main",
    "aside",
    "dd",
    "dt",
)
# not shown as text: code, styles, the head, embedded objects, and navigation chrome (menus)
_HIDDEN_TAGS = frozenset(["script", "style", "noscript", "template", "head", "svg", "iframe", "object", "nav"])


def load_html(data: bytes, name: str) -> Loaded:
    """Visible text of an HTML page, one block element per paragraph; navigation, scripts and
    styles left out. One pass over the parsed tree (lxml), so time grows with the file's size."""
    from lxml import etree
    from lxml import html as lxml_html

    parser = lxml_html.HTMLParser(recover=True, remove_comments=True, remove_pis=True)
    root = etree.HTML(decode_text(data, name), parser)
    if root is None:
        return Loaded("")
    title_element = root.find(".//title")
    title = " ".join("".join(title_element.itertext()).split()) if title_element is not None else ""
    pieces: list[str] = []
    hidden = 0  # depth inside an element whose text is not shown
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if event == "start":
            if hidden or tag in _HIDDEN_TAGS:
                hidden += 1
                continue
            if tag in _BLOCK_TAGS:
                pieces.append("\n\n")
            pieces.append(element.text or "")
        else:
            if hidden:
                hidden -= 1
                if hidden:
                    continue
            elif tag in _BLOCK_TAGS:
                pieces.append("\n\n")
            pieces.append(element.tail or "")
    paragraphs = [" ".join(block.split()) for block in re.split(r"\n\s*\n", "".join(pieces))]
    text = "\n\n".join(p for p in paragraphs if p)
    if title and not text.startswith(title):
        text = f"{title}\n\n{text}" if text else title
    return Loaded(text)


LOADERS = {
    ".txt": load_text,
    ".md": load_text,
    ".pdf": load_pdf,
    ".html": load_html,
    ".htm": load_html,
    ".xml": load_xml,
    ".jsonl": load_records,
}


def load_document(path: Path, source: str, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Document:
    """Read one file into a Document, or raise UnreadableDocument saying why.

    Args:
        path: the file on disk.
        source: its name relative to the data folder, used in citations.
        max_bytes: files larger than this are refused.
    """
    suffix = path.suffix.lower()
    loader = LOADERS.get(suffix)
    if loader is None:
        raise UnreadableDocument(f"{source} has an unsupported type — use one of {', '.join(SUPPORTED_SUFFIXES)}")
    size = path.stat().st_size
    if size > max_bytes:
        raise UnreadableDocument(
            f"{source} is {format_megabytes(size)}, over the {format_megabytes(max_bytes)} limit — split it "
            "or raise RESOLUTION_QA_MAX_FILE_MB"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocument(f"{source} cannot be read ({exc.strerror}) — check its permissions") from None
    loaded = loader(data, source)
    text = loaded.text
    if len(text) > MAX_TEXT_CHARS:
        raise UnreadableDocument(_too_much_text(source, len(text)))
    if not text.strip():
        raise UnreadableDocument(f"{source} has no text — for a scanned PDF, run OCR on it first")
    kind = loaded.kind or ("html" if suffix == ".htm" else suffix[1:])
    return Document(
        source=source,
        title=loaded.title or detect_title(text, fallback=path.stem),
        text=text,
        sha256=sha256_bytes(data),
        kind=kind,  # type: ignore[arg-type]
        symbol=loaded.symbol if loaded.kind else detect_symbol(text),
        page_starts=loaded.page_starts,
        date=loaded.date,
        paragraphs=loaded.paragraphs or tuple(paragraphs(text)),
    )


def list_sources(data_dir: Path) -> tuple[list[tuple[Path, str]], list[Skipped]]:
    """Supported files under ``data_dir`` (sorted), never following links out of it."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return [], []
    root = data_dir.resolve()
    found: list[tuple[Path, str]] = []
    skipped: list[Skipped] = []
    for path in sorted(data_dir.rglob("*")):
        rel = path.relative_to(data_dir).as_posix()
        if any(part.startswith(".") for part in path.relative_to(data_dir).parts):
            continue  # hidden files and folders (editor swap files, .git)
        if path.parent == data_dir and path.stem.upper() == "README":
            continue  # the data folder's own README describes the documents; it is not one
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(root):
                skipped.append(Skipped(rel, "a link to a file outside the data folder — copy the file in instead"))
                continue
        if not path.is_file():
            continue
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            skipped.append(Skipped(rel, f"unsupported type — use one of {', '.join(SUPPORTED_SUFFIXES)}"))
            continue
        found.append((path, rel))
    return found, skipped


def load_folder(
    data_dir: Path, max_bytes: int = DEFAULT_MAX_FILE_BYTES, known: dict[str, Document] | None = None
) -> tuple[list[Document], list[Skipped]]:
    """Load every supported file; a bad file is skipped and named, duplicates kept once.

    ``known``: documents already indexed, by source. A file whose bytes are unchanged is not
    parsed again (its stored Document is reused), and among files with the same content the
    one already indexed stays — else the oldest — and the others are skipped, each named once.
    """
    files, skipped = list_sources(data_dir)
    known = known or {}
    loaded: list[tuple[Path, str, Document]] = []
    for path, rel in files:
        try:
            doc = _reuse(path, known.get(rel), max_bytes) or load_document(path, rel, max_bytes=max_bytes)
        except UnreadableDocument as exc:
            skipped.append(Skipped(rel, str(exc).removeprefix(rel).lstrip(" :")))
            continue
        loaded.append((path, rel, doc))

    def seniority(item: tuple[Path, str, Document]) -> tuple[int, float, str]:
        path, rel, _ = item
        indexed = rel in known and known[rel].sha256 == item[2].sha256
        try:
            age = path.stat().st_mtime
        except OSError:
            age = float("inf")
        return (0 if indexed else 1, age, rel)

    kept: dict[str, str] = {}  # sha256 -> the source that stays
    for _, rel, doc in sorted(loaded, key=seniority):
        kept.setdefault(doc.sha256, rel)
    documents = []
    for _, rel, doc in loaded:
        if kept[doc.sha256] == rel:
            documents.append(doc)
        else:
            skipped.append(Skipped(rel, f"same content as {kept[doc.sha256]} — indexed once"))
    for item in skipped:
        log.warning("%s", item)
    return documents, skipped


def _reuse(path: Path, stored: Document | None, max_bytes: int) -> Document | None:
    """The stored Document when the file's bytes are the ones it was made from."""
    if stored is None:
        return None
    try:
        if path.stat().st_size > max_bytes:
            return None  # let load_document refuse it with the usual message
        return stored if sha256_bytes(path.read_bytes()) == stored.sha256 else None
    except OSError:
        return None
