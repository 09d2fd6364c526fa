"""A PDF page as a picture, with a quote marked on it (issue 14, "See the PDF page").

The index holds pypdf's text of a PDF (documents.py); PDFium, through pypdfium2, renders the
page and knows where each character sits. The two extract text differently (line breaks,
spaces, hyphens, ligatures), so a quote is found in PDFium's text by its letters, not
character for character.

API:
    ``page_quotes(document, span) -> tuple[PageQuote, ...]``
        the part of a quoted span on each page it touches (pure).
    ``page_image(pdf_path, page_number, quote=None, scale=2.0, occurrence=0) -> PageImage``
        the page as a PNG with the quote's characters marked, one box per line.

Example::

    for part in page_quotes(document, answer_span):
        image = page_image(pdf_path, part.page, part.text, occurrence=part.occurrence)
        show(image.png)  # image.found is False: the page is shown unmarked

How a quote is found: both the quote and PDFium's page text are reduced to a *key*, their
letters and digits, NFKC-folded ("ﬁ" is "fi") and casefolded, with whitespace, punctuation,
symbols and hyphens dropped; each key character remembers the PDFium character it came from. The quote's
key is searched in the page's key (the ``occurrence``-th copy when the page repeats it).
Failing that, the longest run of the quote's words found on the page is marked, then the same
for the words left of it and right of it (runs of at least three words or 16 key characters,
so a stray "the" is never marked), and only if the runs hold half the quote's key or more;
``complete`` is then False unless the runs hold all of it. Punctuation at the quote's ends
is added back when PDFium has it right there.

Limits: words that pypdf and PDFium read in different orders (margin notes, columns,
tables) may be marked only in part; a scanned page has no text and is shown unmarked;
vertical text gets one box per character; a short quote that the page holds twice is marked
at the right copy only if ``occurrence`` says which. The file must be the one the index was
read from (``Document.sha256``); this module does not check. PDFium is not thread-safe, so
every call holds one module-wide lock.
"""

from __future__ import annotations

import bisect
import io
import math
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .schema import Document, Span

if TYPE_CHECKING:  # imported when used: rendering is an optional view, not part of answering
    from PIL.Image import Image
    from pypdfium2 import PdfPage, PdfPosConv

Box = tuple[float, float, float, float]  # left, top, right, bottom in image pixels

DEFAULT_SCALE = 2.0  # pixels per PDF point: 144 dpi, an A4 page 1191 px wide
MAX_WIDTH = 1400  # px: a huge page is scaled down rather than rendered into gigabytes
MAX_HEIGHT = 2000  # px: an A4 page at MAX_WIDTH still fits
MIN_RUN_WORDS = 3  # a partial match is marked only from this many words in a row...
MIN_RUN_CHARS = 16  # ...or this many key characters,
MIN_COVERAGE = 0.5  # ...and only when the runs hold this share of the quote: else it is not on the page
HIGHLIGHT = (255, 214, 0, 110)  # translucent marker yellow (RGBA)

# Characters the two extractors disagree on; they are left out of the key. PDFium gives a
# hyphen that breaks a word at a line's end as U+0002; pypdf keeps "-" or drops it.
_HYPHENS = frozenset("-\u00ad\u2010\u2011\u2012\u2013\u2014\u2212\x02")
_PDFIUM_ERRORS = {
    1: "an unknown error",
    2: "the file cannot be opened",
    3: "it is not a PDF or it is damaged",
    4: "it is encrypted with a password",
    5: "its security scheme is not supported",
    6: "a page cannot be read",
}
# PDFium may not be called from two threads at once, even on different documents.
_PDFIUM_LOCK = threading.Lock()


class PdfPageError(ValueError):
    """A page that cannot be shown: not a PDF, encrypted, or no such page."""


@dataclass(frozen=True)
class PageQuote:
    """The part of a quote on one PDF page, and which copy of those words it is on that page."""

    page: int  # 1-based
    text: str
    occurrence: int = 0  # 0: the first time the page's text holds these words


@dataclass(frozen=True)
class PageImage:
    """A rendered page; ``boxes`` are the marked line segments, in ``png``'s pixels."""

    png: bytes
    width: int
    height: int
    boxes: tuple[Box, ...]
    found: bool  # something of the quote is marked
    complete: bool  # all of it is (False when only some of its words were found)


def key_of(text: str) -> tuple[str, list[int]]:
    """The letters and digits of ``text``, folded, with the index each came from.

    >>> key_of("Secretary-\\nGeneral, ﬁnal ©")
    ('secretarygeneralfinal', [0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 20, 20, 21, 22, 23])
    """
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if char in _HYPHENS:
            continue
        for folded in unicodedata.normalize("NFKC", char).casefold():
            if unicodedata.category(folded)[0] in "LNM":
                chars.append(folded)
                origin.append(index)
    return "".join(chars), origin


def page_quotes(document: Document, span: Span) -> tuple[PageQuote, ...]:
    """The parts of ``document.text[start:end]`` on each PDF page they touch, in page order.

    ``occurrence`` counts the earlier copies of the same words on that page, so that
    ``page_image`` marks the quoted copy when a page repeats a phrase.

    >>> doc = Document("a.pdf", "A", "one two\\nthree one two", "", "pdf", page_starts=(0, 8))
    >>> page_quotes(doc, (4, 11))
    (PageQuote(page=1, text='two', occurrence=0), PageQuote(page=2, text='thr', occurrence=0))
    >>> page_quotes(doc, (18, 21))
    (PageQuote(page=2, text='two', occurrence=0),)
    >>> doc = Document("b.pdf", "B", "x\\nNotes: one, two; then one two", "", "pdf", page_starts=(0, 2))
    >>> page_quotes(doc, (24, 31))  # the second "one two" on page 2
    (PageQuote(page=2, text='one two', occurrence=1),)
    """
    start, end = span
    if not document.page_starts or start >= end:
        return ()
    starts = document.page_starts
    first = max(0, bisect.bisect_right(starts, start) - 1)
    parts: list[PageQuote] = []
    for index in range(first, len(starts)):
        page_start = starts[index]
        page_end = starts[index + 1] - 1 if index + 1 < len(starts) else len(document.text)  # -1: the joining "\n"
        if page_start >= end:
            break
        lo, hi = max(start, page_start), min(end, page_end)
        text = document.text[lo:hi]
        if not text.strip():
            continue
        page_text = document.text[page_start:page_end]
        parts.append(PageQuote(index + 1, text, _copies_before(page_text, text, lo - page_start)))
    return tuple(parts)


def _copies_before(page_text: str, quote: str, offset: int) -> int:
    """How many times ``quote``'s key starts in ``page_text``'s key before ``offset``."""
    quote_key, _ = key_of(quote)
    page_key, origin = key_of(page_text)
    if not quote_key:
        return 0
    limit = bisect.bisect_left(origin, offset)
    count, pos = 0, page_key.find(quote_key)
    while 0 <= pos < limit:
        count += 1
        pos = page_key.find(quote_key, pos + 1)
    return count


def page_image(
    pdf_path: Path, page_number: int, quote: str | None = None, scale: float = DEFAULT_SCALE, occurrence: int = 0
) -> PageImage:
    """Render one page of a PDF and mark ``quote`` on it.

    Args:
        pdf_path: the PDF file.
        page_number: 1-based, as ``Document.page_at`` gives it.
        quote: the text to mark (the part on this page, see ``page_quotes``); None marks nothing.
        scale: pixels per PDF point; lowered so that the image fits MAX_WIDTH × MAX_HEIGHT.
        occurrence: which copy to mark when the page holds the quote's words more than once
            (``PageQuote.occurrence``; the last copy when there are fewer).

    Returns:
        A PageImage; ``found`` is False (and ``boxes`` empty) when the quote is not on the page.

    Raises:
        PdfPageError: the file is missing, not a PDF, encrypted, or has no such page.
    """
    import pypdfium2 as pdfium

    if not scale > 0:
        raise PdfPageError(f"scale must be a positive number of pixels per point, not {scale}")
    path = Path(pdf_path)
    if not path.is_file():
        raise PdfPageError(f"no file at {path} — check the data folder, or rebuild the index")
    with _PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(path)
        except pdfium.PdfiumError as exc:
            reason = _PDFIUM_ERRORS.get(getattr(exc, "err_code", 1), "an unknown error")
            raise PdfPageError(f"{path.name} cannot be shown: {reason} ({exc})") from None
        try:
            if not 1 <= page_number <= len(pdf):
                raise PdfPageError(f"{path.name} has {len(pdf)} page(s); there is no page {page_number}")
            page = pdf[page_number - 1]
            width, height = page.get_size()
            if not (width > 0 and height > 0):
                raise PdfPageError(f"{path.name} page {page_number} has no size ({width} × {height} points)")
            scale = min(scale, MAX_WIDTH / width, MAX_HEIGHT / height)
            bitmap = page.render(scale=scale, may_draw_forms=False)
            segments, complete = _find(page, quote or "", occurrence)
            posconv = bitmap.get_posconv(page)
            image = bitmap.to_pil().convert("RGB")
            boxes = tuple(_to_image(posconv, segment, image.size) for segment in segments)
        except pdfium.PdfiumError as exc:
            raise PdfPageError(f"{path.name} page {page_number} cannot be shown ({exc})") from None
        finally:
            pdf.close()  # closes its pages and text pages too
    return PageImage(_png(image, boxes), image.width, image.height, boxes, bool(boxes), complete and bool(boxes))


def _find(page: PdfPage, quote: str, occurrence: int) -> tuple[list[Box], bool]:
    """The quote's line segments in page coordinates (left, bottom, right, top); complete?"""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    words = [word for word in (key_of(w)[0] for w in quote.split()) if word]
    if not words:
        return [], False
    textpage = page.get_textpage()
    count = textpage.count_chars()
    # One code point per PDFium character (0, no Unicode for the glyph, as a space), so key
    # positions map back to character indices; get_text_range() may add or merge characters.
    page_chars = "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage, i) or 0x20) for i in range(count))
    page_key, origin = key_of(page_chars)
    runs, complete = _match(page_key, words, occurrence)
    if not runs:
        return [], False
    lead, trail = _edge_punctuation(quote)
    indices: list[int] = []
    for key_start, key_end in runs:
        first, last = origin[key_start], origin[key_end - 1]
        if complete and len(runs) == 1:  # the whole quote in one piece: its own punctuation too
            first = _extend(page_chars, first, -1, lead)
            last = _extend(page_chars, last, 1, trail)
        indices.extend(range(first, last + 1))
    boxes = []
    for index in indices:
        if page_chars[index].isspace() or pdfium_c.FPDFText_IsGenerated(textpage, index) == 1:
            continue  # spaces and line breaks PDFium made up have no useful box
        try:
            box = textpage.get_charbox(index, loose=True)  # loose: the font's height, as a marker
        except pdfium.PdfiumError:
            continue  # a glyph PDFium cannot place (as in a broken font) is left unmarked
        if box[2] > box[0] and box[3] > box[1]:
            boxes.append(box)
    return _merge_lines(boxes), complete


def _match(page_key: str, words: list[str], occurrence: int) -> tuple[list[tuple[int, int]], bool]:
    """Key ranges of ``page_key`` holding the quote's words; True when all of them are marked.

    >>> _match("abcxabc", ["ab", "c"], 1)
    ([(4, 7)], True)
    >>> _match("andsecondsession3requeststhesecretary", "3 requests the secretary and second session".split(), 0)
    ([(0, 16), (16, 37)], True)
    >>> _match("the cat sat on a mat".replace(" ", ""), ["a", "black", "cat", "sat", "on", "a", "hat"], 0)
    ([(3, 12)], False)
    """
    whole = "".join(words)
    positions = []
    pos = page_key.find(whole)
    while pos >= 0:
        positions.append(pos)
        pos = page_key.find(whole, pos + 1)
    if positions:
        start = positions[min(occurrence, len(positions) - 1)]
        return [(start, start + len(whole))], True
    runs: list[tuple[int, int]] = []
    _longest_runs(page_key, words, 0, len(page_key), runs)
    covered = sum(b - a for a, b in runs)
    if covered < MIN_COVERAGE * len(whole):
        return [], False  # a few common words of a quote from elsewhere
    return sorted(runs), covered == len(whole)  # all words, in pieces


def _longest_runs(page_key: str, words: list[str], lo: int, hi: int, runs: list[tuple[int, int]]) -> None:
    """Add the longest run of ``words`` found in ``page_key``, then recurse on the words each side.

    Runs are looked for in ``page_key[lo:hi]`` first, where the quote's order puts them, then
    anywhere not yet marked: PDFium may read a rotated page's or a table's lines in another order.
    """
    best: tuple[int, int, int, int] | None = None  # (chars, first word, last word + 1, key start)
    for i in range(len(words)):
        pos, j = -1, i
        while j < len(words):  # a run that is found stays found when shortened: extend while it is
            found = _find_unmarked(page_key, "".join(words[i : j + 1]), lo, hi, runs)
            if found < 0:
                break
            pos, j = found, j + 1
        if pos >= 0:
            chars = sum(map(len, words[i:j]))
            if (j - i >= MIN_RUN_WORDS or chars >= MIN_RUN_CHARS) and (best is None or chars > best[0]):
                best = (chars, i, j, pos)
    if best is None:
        return
    chars, i, j, pos = best
    runs.append((pos, pos + chars))
    _longest_runs(page_key, words[:i], lo, pos, runs)
    _longest_runs(page_key, words[j:], pos + chars, hi, runs)


def _find_unmarked(page_key: str, needle: str, lo: int, hi: int, runs: list[tuple[int, int]]) -> int:
    """The first place of ``needle`` in ``page_key[lo:hi]``, else anywhere, that no run overlaps; or -1.

    >>> _find_unmarked("abcabcabc", "abc", 0, 9, [(0, 3)]), _find_unmarked("abcabcabc", "abc", 7, 9, [(3, 6)])
    (3, 0)
    """
    for start, end in ((lo, hi), (0, len(page_key))):
        pos = page_key.find(needle, start, end)
        while pos >= 0:
            if all(pos + len(needle) <= a or b <= pos for a, b in runs):
                return pos
            pos = page_key.find(needle, pos + 1, end)
    return -1


def _edge_punctuation(quote: str) -> tuple[str, str]:
    """The characters before the quote's first key character and after its last, without spaces.

    >>> _edge_punctuation(" (a) training on corrosion control; ")
    ('(', ';')
    """
    _, origin = key_of(quote)
    if not origin:
        return "", ""
    return "".join(quote[: origin[0]].split()), "".join(quote[origin[-1] + 1 :].split())


def _extend(page_chars: str, index: int, step: int, punctuation: str) -> int:
    """Move ``index`` over neighbours that are the quote's own edge punctuation (in order)."""
    wanted = list(punctuation if step > 0 else reversed(punctuation))
    for char in wanted:
        nxt = index + step
        if not 0 <= nxt < len(page_chars) or page_chars[nxt] != char:
            break
        index = nxt
    return index


def _merge_lines(boxes: list[Box]) -> list[Box]:
    """Merge character boxes (left, bottom, right, top; page coordinates) into one per line.

    A new segment starts when a character is not beside the last one: its middle outside
    the segment's height, behind it, or further than two line heights to the right.

    >>> _merge_lines([(0, 0, 5, 10), (5, 0, 9, 10), (40, 0, 45, 10), (0, -20, 5, -10)])
    [(0, 0, 9, 10), (40, 0, 45, 10), (0, -20, 5, -10)]
    """
    segments: list[Box] = []
    for left, bottom, right, top in boxes:
        if segments:
            s_left, s_bottom, s_right, s_top = segments[-1]
            middle = (bottom + top) / 2
            line_height = s_top - s_bottom
            beside = s_bottom <= middle <= s_top and s_right - line_height / 2 <= left <= s_right + 2 * line_height
            if beside:
                segments[-1] = (s_left, min(s_bottom, bottom), max(s_right, right), max(s_top, top))
                continue
        segments.append((left, bottom, right, top))
    return segments


def _to_image(posconv: PdfPosConv, segment: Box, size: tuple[int, int]) -> Box:
    """A page-coordinate box as (left, top, right, bottom) pixels, inside the image."""
    left, bottom, right, top = segment
    corners = [posconv.to_bitmap(x, y) for x, y in ((left, bottom), (right, top))]
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    width, height = size
    return (
        float(min(max(min(xs), 0), width)),
        float(min(max(min(ys), 0), height)),
        float(min(max(max(xs), 0), width)),
        float(min(max(max(ys), 0), height)),
    )


def _png(image: Image, boxes: tuple[Box, ...]) -> bytes:
    """The image with translucent marker boxes drawn over it, as PNG bytes."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    if boxes:
        overlay = PILImage.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        for left, top, right, bottom in boxes:
            draw.rectangle((left, top, math.ceil(right) - 1, math.ceil(bottom) - 1), fill=HIGHLIGHT)
        image = PILImage.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=3)  # 3: a third faster than the default, a few % larger
    return out.getvalue()
