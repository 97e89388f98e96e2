"""Write small, valid, text-only PDFs for tests (Helvetica, one content stream per page)."""

from __future__ import annotations

from pathlib import Path

_LEADING = 16


def write_pdf(path: Path, pages: list[list[str]], title: str | None = None) -> None:
    """Write a PDF whose page i shows the lines pages[i], with an optional /Title."""
    font = 3
    first_page = 4  # each page takes two objects: the page, then its content stream
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, lines in enumerate(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 {font} 0 R >> >> "
            f"/Contents {first_page + 2 * i + 1} 0 R >>".encode()
        )
        objects.append(_stream(_content(lines)))
    info = ""
    if title is not None:
        objects.append(b"<< /Title " + _text_string(title) + b" >>")
        info = f" /Info {len(objects)} 0 R"
    trailer = f"/Size {len(objects) + 1} /Root 1 0 R{info}"
    path.write_bytes(_assemble(objects, trailer))


def _content(lines: list[str]) -> bytes:
    ops = [b"BT", b"/F1 12 Tf", b"72 720 Td"]
    for n, line in enumerate(lines):
        if n:
            ops.append(f"0 -{_LEADING} Td".encode())
        ops.append(_literal(line.encode("cp1252")) + b" Tj")
    ops.append(b"ET")
    return b"\n".join(ops)


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(data), data)


def _literal(raw: bytes) -> bytes:
    escaped = raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + escaped.replace(b"\r", b"\\r").replace(b"\n", b"\\n") + b")"


def _text_string(text: str) -> bytes:
    """ASCII as a literal string, anything else as UTF-16BE with a byte-order mark."""
    if text.isascii():
        return _literal(text.encode("ascii"))
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def _assemble(objects: list[bytes], trailer: str) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += f"trailer\n<< {trailer} >>\nstartxref\n{xref_at}\n%%EOF\n".encode()
    return bytes(out)
