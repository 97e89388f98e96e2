"""Decoding, kind detection and text extraction for every supported file kind."""

from __future__ import annotations

import codecs
import logging
import struct
from collections.abc import Callable
from pathlib import Path

import pypdf
import pytest
from pypdf import PdfReader, PdfWriter

from semfind.engine.errors import ExtractionError, UnsupportedFileError
from semfind.indexer.extract import pdf_text
from semfind.indexer.extract.decode import decode_text, looks_binary
from semfind.indexer.extract.document import Document
from semfind.indexer.extract.extractors import detect_kind, extract

from .pdfgen import write_pdf

PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def only_text(doc: Document) -> str:
    assert len(doc.pages) == 1
    return doc.pages[0].text


# -- decode_text -----------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        "Grüße, café — ok".encode(),
        codecs.BOM_UTF8 + "Grüße, café — ok".encode(),
        codecs.BOM_UTF16_LE + "Grüße, café — ok".encode("utf-16-le"),
        codecs.BOM_UTF16_BE + "Grüße, café — ok".encode("utf-16-be"),
        codecs.BOM_UTF32_LE + "Grüße, café — ok".encode("utf-32-le"),
        codecs.BOM_UTF32_BE + "Grüße, café — ok".encode("utf-32-be"),
    ],
    ids=["utf8", "utf8-bom", "utf16-le", "utf16-be", "utf32-le", "utf32-be"],
)
def test_decode_unicode_with_and_without_bom(data: bytes) -> None:
    assert decode_text(data) == "Grüße, café — ok"


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Ça va très bien, merci. Un café au lait.", "latin-1"),
        ("Größe: 5 cm, Preis 12 €, “Angebot” \u2013 gültig", "cp1252"),
        ("café", "latin-1"),
        ("Le cœur a ses raisons que la raison ne connaît point.", "cp1252"),
    ],
)
def test_decode_western_legacy_encodings(text: str, encoding: str) -> None:
    assert decode_text(text.encode(encoding)) == text


def test_decode_other_legacy_encodings_via_charset_normalizer() -> None:
    text = "Привет мир, как дела? Это длинный текст на русском языке."
    assert decode_text(text.encode("cp1251")) == text


def test_decode_normalises_newlines() -> None:
    assert decode_text(b"one\r\ntwo\rthree\n\nfour") == "one\ntwo\nthree\n\nfour"


def test_decode_uses_hint_before_guessing() -> None:
    assert decode_text("Zażółć".encode("iso8859-2"), hint="iso-8859-2") == "Zażółć"
    assert decode_text("€5".encode("cp1252"), hint="iso-8859-1") == "€5"  # WHATWG: means cp1252
    assert decode_text(b"plain", hint="no-such-codec") == "plain"
    assert decode_text("Un café".encode("cp1252"), hint="utf-16") == "Un café"


def test_decode_empty() -> None:
    assert decode_text(b"") == ""


# -- looks_binary ----------------------------------------------------------------


def test_looks_binary() -> None:
    assert looks_binary(PNG_HEADER)
    assert looks_binary(bytes(range(1, 32)) * 10)
    assert not looks_binary(b"plain text\twith tabs\r\nand CRLF\x0c")
    assert not looks_binary(b"")
    assert not looks_binary(codecs.BOM_UTF16_LE + "text".encode("utf-16-le"))
    assert not looks_binary(codecs.BOM_UTF32_BE + "text".encode("utf-32-be"))
    assert looks_binary(b"hello\x00" * 100)  # NULs, but not in every other byte
    assert looks_binary(bytes(1000))
    assert looks_binary(b"A\x00\x01\x00" * 100)  # every other byte, but controls


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_text(encoding: str) -> None:
    text = "Le café ouvre à l'aube.\nZweite Zeile, Grüße."
    data = text.encode(encoding)
    assert not looks_binary(data)
    assert decode_text(data) == text
    assert decode_text(data + b"A") == text  # an odd trailing byte is dropped


def test_looks_binary_reads_only_a_prefix() -> None:
    assert not looks_binary(b"a" * 8192 + b"\x00" * 100)
    assert looks_binary(b"\x00" + b"a" * 10_000_000)


# -- detect_kind -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("notes.txt", "text"),
        ("NOTES.TXT", "text"),
        ("README", "text"),
        ("post.md", "markdown"),
        ("Post.Markdown", "markdown"),
        ("page.mdx", "markdown"),
        ("guide.rst", "rst"),
        ("main.py", "code"),
        ("types.pyi", "code"),
        ("app.tsx", "code"),
        ("lib.rs", "code"),
        ("query.SQL", "code"),
        ("config.yaml", "code"),
        ("Makefile", "code"),
        ("Dockerfile", "code"),
        ("Dockerfile.dev", "code"),
        ("CMakeLists.txt", "code"),
        ("index.html", "html"),
        ("old.HTM", "html"),
        ("page.xhtml", "html"),
        ("paper.pdf", "pdf"),
        ("Paper.PDF", "pdf"),
        ("photo.jpg", None),
        ("data.json", None),
        ("server.log", None),
        ("archive.tar.gz", None),
        ("noextension", None),
        ("Dockerfile.bak.png", None),
    ],
)
def test_detect_kind(name: str, kind: str | None) -> None:
    assert detect_kind(Path("/some/dir") / name) == kind


# -- plain text and code -----------------------------------------------------------


def test_text_utf8(tmp_path: Path) -> None:
    doc = extract(write(tmp_path, "notes.txt", "Émile's notes\nline two\n".encode()))
    assert doc.kind == "text"
    assert doc.title == "notes.txt"
    assert not doc.has_real_title
    assert doc.pages[0].number is None
    assert only_text(doc) == "Émile's notes\nline two\n"


def test_text_offsets_index_the_normalised_text(tmp_path: Path) -> None:
    doc = extract(write(tmp_path, "crlf.txt", b"\xef\xbb\xbfalpha\r\nbeta\r\ngamma"))
    page = doc.pages[0]
    assert page.text == "alpha\nbeta\ngamma"
    assert page.line_at(page.text.index("gamma")) == 3


def test_text_latin1(tmp_path: Path) -> None:
    doc = extract(write(tmp_path, "old.txt", "Ça coûte 5 € à Noël".encode("cp1252")))
    assert only_text(doc) == "Ça coûte 5 € à Noël"


def test_text_utf16(tmp_path: Path) -> None:
    data = codecs.BOM_UTF16_LE + "wide text\r\nsecond".encode("utf-16-le")
    assert only_text(extract(write(tmp_path, "wide.txt", data))) == "wide text\nsecond"


def test_binary_with_text_extension_is_unsupported(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFileError, match="binary"):
        extract(write(tmp_path, "image.txt", PNG_HEADER + bytes(200)))


def test_unknown_kind_is_unsupported(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFileError):
        extract(write(tmp_path, "photo.jpg", b"text anyway"))


def test_empty_file_gives_an_empty_page(tmp_path: Path) -> None:
    doc = extract(write(tmp_path, "empty.md", b""))
    assert only_text(doc) == ""
    assert doc.title == "empty.md"


def test_code_is_verbatim(tmp_path: Path) -> None:
    source = 'def f(x):\n    """Doc."""\n\n    return x  # done\n'
    doc = extract(write(tmp_path, "mod.py", source.encode()))
    assert doc.kind == "code"
    assert doc.title == "mod.py"
    assert not doc.has_real_title
    assert only_text(doc) == source


def test_data_argument_is_used_instead_of_reading(tmp_path: Path) -> None:
    doc = extract(tmp_path / "never-written.txt", b"given bytes")
    assert only_text(doc) == "given bytes"


# -- markdown and reStructuredText titles -------------------------------------------


@pytest.mark.parametrize(
    ("source", "title"),
    [
        ("intro\n\n# The Title #\n\n## Sub\n", "The Title"),
        ('---\ntitle: "Front  matter"\ntags: [a]\n---\n# Heading\n', "Front matter"),
        ("---\ndate: 2024-01-01\n---\n# Heading wins\n", "Heading wins"),
        ("+++\ntitle = 'Hugo page'\n+++\nbody\n", "Hugo page"),
        ("```sh\n# not a title\n```\n# Real title\n", "Real title"),
        ("Setext Title\n============\n\ntext\n", "Setext Title"),
        ("   # Indented heading\n", "Indented heading"),
    ],
)
def test_markdown_title(tmp_path: Path, source: str, title: str) -> None:
    doc = extract(write(tmp_path, "doc.md", source.encode()))
    assert doc.kind == "markdown"
    assert (doc.title, doc.has_real_title) == (title, True)
    assert only_text(doc) == source


@pytest.mark.parametrize(
    "source", ["just text\n", "## Only a subheading\n", "#hashtag line\n", "---\nno: end\n"]
)
def test_markdown_without_title_uses_file_name(tmp_path: Path, source: str) -> None:
    doc = extract(write(tmp_path, "doc.md", source.encode()))
    assert (doc.title, doc.has_real_title) == ("doc.md", False)


@pytest.mark.parametrize(
    ("source", "title"),
    [
        ("Install Guide\n=============\n\nText.\n", "Install Guide"),
        (".. comment\n\n=======\n Overlined\n=======\n\nText\n", "Overlined"),
        ("Some intro.\n\nUsage\n-----\n\nMore.\n", "Usage"),
    ],
)
def test_rst_title(tmp_path: Path, source: str, title: str) -> None:
    doc = extract(write(tmp_path, "guide.rst", source.encode()))
    assert doc.kind == "rst"
    assert (doc.title, doc.has_real_title) == (title, True)
    assert only_text(doc) == source


def test_rst_without_title(tmp_path: Path) -> None:
    doc = extract(write(tmp_path, "plain.rst", b"Just a paragraph.\n\n----------\n\nAnother.\n"))
    assert (doc.title, doc.has_real_title) == ("plain.rst", False)


# -- HTML ------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>My  &amp; Page</title>
  <style>body { color: red; }</style>
  <script>var x = "<p>scripted</p>";</script>
</head>
<body>
<h1>Big <em>Heading</em></h1>
<p>First paragraph
spans two lines &mdash; with&nbsp;entities &lt;ok&gt;.</p>
<noscript>enable javascript</noscript>
<div>Second<b>bold</b>word
<ul><li>apple</li><li>banana</li></ul>
</div>
<pre>code line 1
    code line 2</pre>
<table><tr><td>cell1</td><td>cell2</td></tr></table>
<template><p>templated</p></template>
<svg><title>icon</title><text>vector</text></svg>
<p>Last</p>
</body></html>
"""


def html_page(tmp_path: Path, source: str = PAGE, encoding: str = "utf-8") -> Document:
    return extract(write(tmp_path, "page.html", source.encode(encoding)))


def test_html_visible_text_only(tmp_path: Path) -> None:
    doc = html_page(tmp_path)
    assert doc.kind == "html"
    text = only_text(doc)
    for hidden in ("color: red", "scripted", "enable javascript", "templated", "icon", "vector"):
        assert hidden not in text
    assert "My & Page" not in text  # the title is metadata, not body text


def test_html_title_and_entities(tmp_path: Path) -> None:
    doc = html_page(tmp_path)
    assert (doc.title, doc.has_real_title) == ("My & Page", True)
    assert "spans two lines — with entities <ok>." in only_text(doc)


def test_html_blocks_become_paragraphs(tmp_path: Path) -> None:
    assert only_text(html_page(tmp_path)) == (
        "Big Heading\n\n"
        "First paragraph spans two lines — with entities <ok>.\n\n"
        "Secondboldword\n\n"
        "apple\nbanana\n\n"
        "code line 1\n    code line 2\n\n"
        "cell1 cell2\n\n"
        "Last"
    )


@pytest.mark.parametrize(
    ("needle", "line"),
    [
        ("Big", 10),
        ("First", 11),
        ("spans", 12),
        ("entities", 12),
        ("Second", 14),
        ("apple", 15),
        ("banana", 15),
        ("code line 1", 17),
        ("code line 2", 18),
        ("cell2", 19),
        ("Last", 22),
    ],
)
def test_html_line_at_maps_to_source_lines(tmp_path: Path, needle: str, line: int) -> None:
    page = html_page(tmp_path).pages[0]
    assert needle.split()[0] in PAGE.splitlines()[line - 1]
    assert page.line_at(page.text.index(needle)) == line


def test_html_crlf_source_lines(tmp_path: Path) -> None:
    page = html_page(tmp_path, "<p>one</p>\r\n<p>two</p>\r\n\r\n<p>three</p>").pages[0]
    assert page.text == "one\n\ntwo\n\nthree"
    assert [page.line_at(page.text.index(w)) for w in ("one", "two", "three")] == [1, 2, 4]


def test_html_pre_keeps_whitespace_and_lines(tmp_path: Path) -> None:
    page = html_page(tmp_path, "<p>intro</p>\n<pre>\nif x:\n    y()\n</pre>").pages[0]
    assert page.text == "intro\n\nif x:\n    y()\n"
    assert page.line_at(page.text.index("if x")) == 3
    assert page.line_at(page.text.index("y()")) == 4


def test_html_title_falls_back_to_first_h1(tmp_path: Path) -> None:
    doc = html_page(tmp_path, "<body><h1>Main <i>topic</i>s</h1><h1>Other</h1><p>x</p>")
    assert (doc.title, doc.has_real_title) == ("Main topics", True)


def test_html_without_title(tmp_path: Path) -> None:
    doc = html_page(tmp_path, "<p>just text</p>")
    assert (doc.title, doc.has_real_title) == ("page.html", False)


def test_html_declared_charset(tmp_path: Path) -> None:
    source = '<html><head><meta charset="windows-1252"></head><p>Zürich \u2013 5 €</p>'
    assert only_text(html_page(tmp_path, source, "cp1252")) == "Zürich \u2013 5 €"


@pytest.mark.parametrize(
    "source",
    [
        "<p>unclosed <b>bold <i>italic",
        "<div><p>a</div></p></span>b",
        "<p <<<>>> text & more &bogus; <",
        "<![if foo]>kept<![endif]> after",
        "<p>before<![ifscript]<![ ><p>after</p>",
        "<html><head><title>Never closed head</title><p>body text",
        "<script>never closed",
        "</p></div></body>",
    ],
)
def test_malformed_html_does_not_raise(tmp_path: Path, source: str) -> None:
    doc = html_page(tmp_path, source)
    assert isinstance(only_text(doc), str)


def test_html_unclosed_head_still_yields_body(tmp_path: Path) -> None:
    doc = html_page(tmp_path, "<html><head><title>T</title><p>body text")
    assert (doc.title, only_text(doc)) == ("T", "body text")


# -- PDF -------------------------------------------------------------------------


def make_pdf(tmp_path: Path, title: str | None = "Quarterly (Draft) Report") -> Path:
    path = tmp_path / "report.pdf"
    write_pdf(
        path,
        [["Revenue grew (slightly) in Q3.", "Back\\slash kept."], ["Second page: costs."]],
        title=title,
    )
    return path


def test_pdfgen_writes_a_valid_pdf(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "valid.pdf"
    write_pdf(path, [["one"], ["two"], ["three"]], title="Ünïcode title")
    with caplog.at_level(logging.WARNING):
        reader = PdfReader(path, strict=True)
        assert [page.extract_text() for page in reader.pages] == ["one", "two", "three"]
    assert reader.metadata is not None
    assert reader.metadata.title == "Ünïcode title"
    assert not caplog.records


def test_pdf_pages_and_title(tmp_path: Path) -> None:
    doc = extract(make_pdf(tmp_path))
    assert doc.kind == "pdf"
    assert (doc.title, doc.has_real_title) == ("Quarterly (Draft) Report", True)
    assert [page.number for page in doc.pages] == [1, 2]
    assert "Revenue grew (slightly) in Q3." in doc.pages[0].text
    assert "Back\\slash kept." in doc.pages[0].text
    assert doc.pages[1].text == "Second page: costs."


def test_pdf_without_title_uses_file_name(tmp_path: Path) -> None:
    doc = extract(make_pdf(tmp_path, title=None))
    assert (doc.title, doc.has_real_title) == ("report.pdf", False)


def test_pdf_with_blank_title_uses_file_name(tmp_path: Path) -> None:
    doc = extract(make_pdf(tmp_path, title="   "))
    assert (doc.title, doc.has_real_title) == ("report.pdf", False)


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda data: data[: len(data) // 3], "corrupt PDF: "),
        (lambda data: b"%PDF-1.4\n" + bytes(range(256)) * 4, "corrupt PDF: "),
        (lambda data: b"this is not a pdf at all " * 20, "corrupt PDF: not a PDF file"),
        (lambda data: b"", "corrupt PDF: empty file"),
    ],
    ids=["truncated", "garbage-after-header", "no-header", "empty"],
)
def test_corrupt_pdf(tmp_path: Path, mangle: Callable[[bytes], bytes], reason: str) -> None:
    data = mangle(make_pdf(tmp_path).read_bytes())
    with pytest.raises(ExtractionError) as caught:
        extract(write(tmp_path, "broken.pdf", data))
    assert not isinstance(caught.value, UnsupportedFileError)
    message = str(caught.value)
    assert message.startswith(reason)
    assert len(message) > len("corrupt PDF: ")
    assert "\n" not in message


def test_encrypted_pdf(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=make_pdf(tmp_path))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    writer.write(path)
    with pytest.raises(ExtractionError, match="encrypted PDF"):
        extract(path)


def test_pdf_encrypted_with_empty_user_password_is_read(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=make_pdf(tmp_path))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "restricted.pdf"
    writer.write(path)
    doc = extract(path)
    assert doc.pages[1].text == "Second page: costs."


def test_pdf_page_that_fails_is_left_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = pypdf.PageObject.extract_text

    def flaky(self: pypdf.PageObject, *args: object, **kwargs: object) -> str:
        if "Second page" in original(self):
            raise KeyError("/Font")
        return original(self)

    monkeypatch.setattr(pypdf.PageObject, "extract_text", flaky)
    doc = extract(make_pdf(tmp_path))
    assert [page.text != "" for page in doc.pages] == [True, False]


def test_pdf_where_every_page_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: pypdf.PageObject, *args: object, **kwargs: object) -> str:
        raise ValueError("bad content stream")

    monkeypatch.setattr(pypdf.PageObject, "extract_text", broken)
    with pytest.raises(ExtractionError, match="corrupt PDF: bad content stream"):
        extract(make_pdf(tmp_path))


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (RecursionError("maximum recursion depth exceeded"), "nested too deeply"),
        (MemoryError(), "too large"),
        (struct.error("unpack requires a buffer of 4 bytes"), "corrupt PDF: unpack requires"),
    ],
)
def test_pathological_pdf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception, reason: str
) -> None:
    def explode(*args: object, **kwargs: object) -> PdfReader:
        raise error

    monkeypatch.setattr(pdf_text, "PdfReader", explode)
    with pytest.raises(ExtractionError, match=reason):
        extract(make_pdf(tmp_path))


# -- reading the file ------------------------------------------------------------


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "secret.txt", b"hidden")

    def deny(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", deny)
    with pytest.raises(ExtractionError) as caught:
        extract(path)
    assert str(caught.value) == "permission denied"
    assert not isinstance(caught.value, UnsupportedFileError)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ExtractionError, match="file not found"):
        extract(tmp_path / "gone.md")


def test_other_os_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(self: Path) -> bytes:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(Path, "read_bytes", fail)
    with pytest.raises(ExtractionError, match="cannot read: Input/output error"):
        extract(tmp_path / "disk.txt")
