"""Writes small PDF fixtures with fpdf2 (so no real UN file is copied into the repo)."""

from __future__ import annotations

from pathlib import Path


def make_pdf(path: Path, pages: list[str], user_password: str | None = None) -> Path:
    """One PDF page per string; lines wrap as a word processor would."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    if user_password:
        pdf.set_encryption(owner_password="owner", user_password=user_password)
    for text in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        # No blank lines between paragraphs, as in the UN's PDFs: structure must come from
        # the numbering and the preambular words, not from spacing.
        for paragraph in filter(str.strip, text.split("\n")):
            pdf.multi_cell(0, 6, paragraph.replace("\t", "    "), new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def split_resolution(text: str) -> list[str]:
    """The resolution fixture cut into two pages before operative paragraph 3."""
    cut = text.index("3. Requests")
    return [text[:cut].replace('"', "'"), text[cut:].replace('"', "'")]
