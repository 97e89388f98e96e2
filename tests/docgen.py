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


FACTS: dict[str, tuple[str, str, str, str]] = {
    # file name: (a sentence only it holds, a rare word in it, a paraphrased question, the
    # place the location must name)
    "report.docx": (
        "The greenhouse tomatoes yielded forty percent more fruit after we switched to drip"
        " irrigation.",
        "tomatoes",
        "did the new way of watering give us more tomatoes",
        " § Results ¶",
    ),
    "minutes.odt": (
        "Our office lease ends in March and the landlord wants a much higher rent.",
        "landlord",
        "when does the rental contract for our workplace expire",
        " § Premises ¶",
    ),
    "novel.epub": (
        "Every night the old keeper climbed the spiral stairs to light the lamp for passing ships.",
        "keeper",
        "who lit the beacon for boats at sea",
        ' ch. 3 "The Lighthouse":',
    ),
    "plans.pptx": (
        "We will hire three backend engineers before the end of next quarter.",
        "backend",
        "how many developers are we going to recruit",
        ' slide 2 "Hiring"',
    ),
    "journal.org": (
        "Turn the compost pile every fortnight so that air reaches the middle.",
        "fortnight",
        "how often should the compost heap be aerated",
        " § Garden \u203a Compost",
    ),
    "analysis.ipynb": (
        "We drop outliers beyond three standard deviations before fitting the regression.",
        "outliers",
        "how were extreme values filtered out of the data",
        " cell 3",
    ),
    "inbox.mbox": (
        "The plumber will come on Thursday morning to repair the broken boiler.",
        "plumber",
        "when is someone visiting to fix the heating",
        ' #2 "Boiler repair":',
    ),
    "invoice.eml": (
        "Your invoice for the yearly domain renewal is attached and payment is due in thirty days.",
        "domain",
        "when do I have to pay for renewing the web address",
        ' "Domain renewal":',
    ),
    "memo.rtf": (
        "The fire drill is scheduled for Friday at noon and everyone must leave the building.",
        "drill",
        "when is the evacuation practice",
        ":3",
    ),
}
_FILLER = [
    "Coffee is in the kitchen cupboard next to the mugs.",
    "The printer on the second floor needs new toner.",
]


def formats_corpus(root: Path) -> dict[Path, tuple[str, str, str, str]]:
    """One file of every document kind under `root`, each holding its FACTS sentence at a
    known place among filler; returns path -> FACTS entry."""
    root.mkdir(parents=True, exist_ok=True)
    fact = {name: entry[0] for name, entry in FACTS.items()}
    write_docx(
        root / "report.docx",
        "Greenhouse trial",
        [("Introduction", _FILLER), ("Results", [_FILLER[0], fact["report.docx"]])],
        [["crop", "yield"], ["beans", "12 kg"]],
    )
    write_odt(
        root / "minutes.odt",
        "Board minutes",
        [("Attendance", _FILLER), ("Premises", [fact["minutes.odt"]])],
    )
    write_epub(
        root / "novel.epub",
        "The Coast",
        [
            ("The Harbour", _FILLER),
            ("The Storm", ["Rain hammered the roofs of the village all week."]),
            ("The Lighthouse", [_FILLER[1], fact["novel.epub"]]),
        ],
    )
    write_pptx(
        root / "plans.pptx",
        "Team plans",
        [
            ("Budget", ["Costs rose by a tenth", "Income held steady"], "Mention the audit."),
            ("Hiring", [fact["plans.pptx"]], "Say that interviews start soon."),
        ],
    )
    write_org(
        root / "journal.org",
        "Journal",
        [
            ("Kitchen", _FILLER),
            ("Garden", ["Plans for the beds."]),
            ("Compost", [fact["journal.org"]]),
        ],
    )
    org = (root / "journal.org").read_text().replace("* Compost", "** Compost")
    (root / "journal.org").write_text(org)
    write_ipynb(
        root / "analysis.ipynb",
        [
            ("markdown", "# Sales analysis\nWe load last year's sales."),
            ("code", "import pandas as pd\nsales = pd.read_csv('sales.csv')"),
            ("markdown", fact["analysis.ipynb"]),
            ("code", "model = fit(sales)"),
        ],
        output="OUTPUT-ONLY-WORD",
    )
    write_mbox(
        root / "inbox.mbox",
        [
            message("Lunch", "Bob <bob@example.org>", _FILLER[0]),
            message("Boiler repair", "Ann <ann@example.org>", "Hello,\n\n" + fact["inbox.mbox"]),
            message("Re: Lunch", "Bob <bob@example.org>", _FILLER[1]),
        ],
    )
    write_eml(
        root / "invoice.eml",
        message(
            "Domain renewal", "billing@example.org", "Dear customer,\n\n" + fact["invoice.eml"]
        ),
    )
    write_rtf(root / "memo.rtf", "Safety memo", [_FILLER[0], _FILLER[1], fact["memo.rtf"]])
    return {root / name: entry for name, entry in FACTS.items()}


def docx_with(path: Path, document_xml: bytes) -> Path:
    """A real .docx whose word/document.xml is replaced by `document_xml`."""
    import zipfile

    template = write_docx(path.with_suffix(".tmp.docx"), "t", [("H", ["p"])])
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            data = document_xml if info.filename == "word/document.xml" else source.read(info)
            target.writestr(info, data)
    template.unlink()
    return path


def zip_bomb(path: Path, member: str, size: int) -> Path:
    """A zip holding `member` of `size` zero bytes (tiny on disk), plus a docx/epub-like
    content-types entry."""
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr("[Content_Types].xml", "<Types/>")
        with target.open(member, "w", force_zip64=True) as out:
            chunk = bytes(1 << 20)
            for _ in range(size >> 20):
                out.write(chunk)
    return path


W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE w:document [\n<!ENTITY a "lol lol lol lol lol">\n'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">\n' for i in range(9))
    + f"]>\n<w:document {W_NS}><w:body><w:p><w:r><w:t>&j;</w:t></w:r></w:p></w:body></w:document>"
).encode()


def xxe(secret_file: Path) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE w:document [<!ENTITY x SYSTEM "file://{secret_file}">]>'
        f"\n<w:document {W_NS}><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>"
    ).encode()


def deep_xml(depth: int) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<w:document {W_NS}><w:body>'
        + "<w:sdt><w:sdtContent>" * depth
        + "</w:sdtContent></w:sdt>" * depth
        + "</w:body></w:document>"
    ).encode()


def encrypted_office(path: Path) -> Path:
    """What Word writes for a password-protected .docx: an OLE compound file holding an
    EncryptedPackage stream (the directory entry names it in UTF-16)."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    entry = "EncryptedPackage".encode("utf-16-le").ljust(64, b"\0") + bytes(64)
    info = "EncryptionInfo".encode("utf-16-le").ljust(64, b"\0") + bytes(64)
    path.write_bytes(header + entry + info + bytes(4096))
    return path
