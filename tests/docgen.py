"""Real documents of every kind semfind reads beyond plain text, written with the writing
side of the libraries semfind reads them with (python-docx, odfpy, ebooklib, python-pptx;
e-mail with the stdlib; notebooks as JSON; Org and RTF by hand)."""

from __future__ import annotations

import json
import mailbox
from email.message import EmailMessage
from pathlib import Path

Sections = list[tuple[str, list[str]]]
"""(heading, its paragraphs) in order."""


def write_docx(
    path: Path, title: str, sections: Sections, table: list[list[str]] | None = None
) -> Path:
    import docx

    document = docx.Document()
    document.core_properties.title = title
    for heading, paragraphs in sections:
        document.add_heading(heading, level=1)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                grid.cell(r, c).text = cell
    document.save(str(path))
    return path


def write_odt(path: Path, title: str, sections: Sections) -> Path:
    from odf import dc, text
    from odf.opendocument import OpenDocumentText

    document = OpenDocumentText()
    document.meta.addElement(dc.Title(text=title))
    for heading, paragraphs in sections:
        document.text.addElement(text.H(outlinelevel=1, text=heading))
        for paragraph in paragraphs:
            document.text.addElement(text.P(text=paragraph))
    document.save(str(path))
    return path


def write_epub(path: Path, title: str, chapters: Sections) -> Path:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("semfind-test")
    book.set_title(title)
    book.set_language("en")
    items = []
    for number, (heading, paragraphs) in enumerate(chapters, start=1):
        body = "".join(f"<p>{p}</p>\n" for p in paragraphs)
        item = epub.EpubHtml(title=heading, file_name=f"ch{number}.xhtml", lang="en")
        head = f"<head><title>{heading}</title></head>"
        item.content = f"<html>{head}<body><h1>{heading}</h1>\n{body}</body></html>"
        book.add_item(item)
        items.append(item)
    book.toc = items
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = items
    epub.write_epub(str(path), book)
    return path


def write_pptx(path: Path, title: str, slides: list[tuple[str, list[str], str]]) -> Path:
    """Slides as (title, bullet lines, speaker notes)."""
    import pptx

    deck = pptx.Presentation()
    deck.core_properties.title = title
    for heading, bullets, notes in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = heading
        slide.placeholders[1].text_frame.text = "\n".join(bullets)
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    deck.save(str(path))
    return path


def write_org(path: Path, title: str, sections: Sections) -> Path:
    lines = [f"#+TITLE: {title}", ""]
    for heading, paragraphs in sections:
        lines += [f"* {heading}", ":PROPERTIES:", ":ID: drawer-secret-id", ":END:"]
        for paragraph in paragraphs:
            lines += [paragraph, ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def write_ipynb(path: Path, cells: list[tuple[str, str]], output: str = "") -> Path:
    """Cells as (cell type, source); every code cell gets `output` as its stream output."""
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
        "cells": [
            {
                "cell_type": kind,
                "metadata": {},
                "source": source.splitlines(keepends=True),
                **(
                    {
                        "outputs": [{"output_type": "stream", "name": "stdout", "text": [output]}],
                        "execution_count": 1,
                    }
                    if kind == "code"
                    else {}
                ),
            }
            for kind, source in cells
        ],
    }
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return path


def message(subject: str, sender: str, body: str, html: str | None = None) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = sender
    mail["To"] = "me@example.org"
    mail["Date"] = "Mon, 04 Mar 2024 10:00:00 +0000"
    mail.set_content(body)
    if html is not None:
        mail.add_alternative(html, subtype="html")
    return mail


def write_eml(path: Path, mail: EmailMessage) -> Path:
    path.write_bytes(bytes(mail))
    return path


def write_mbox(path: Path, mails: list[EmailMessage]) -> Path:
    box = mailbox.mbox(str(path))
    for mail in mails:
        box.add(mail)
    box.flush()
    box.close()
    return path


def write_rtf(path: Path, title: str, paragraphs: list[str]) -> Path:
    body = "".join(f"{p}\\par\n" for p in paragraphs)
    path.write_text(
        "{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times;}}{\\info{\\title "
        + title
        + "}}\n"
        + body
        + "}",
        encoding="ascii",
    )
    return path
