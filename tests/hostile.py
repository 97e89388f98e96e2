"""A corpus of hostile files for hardening tests and bench/hostile.py.

`make_corpus(root, outside)` writes the tree and returns a Manifest: which files must end up
indexed (each holds a unique word to search for), which must be listed as failed or skipped,
and which paths must never appear in the index (symlink targets outside the tree).
"""

from __future__ import annotations

import io
import os
import random
import socket
import stat
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import docgen
from .pdfgen import write_pdf

GOOD_KINDS = ("md", "txt", "py", "html", "pdf")


@dataclass
class Manifest:
    root: Path
    good: dict[Path, str] = field(default_factory=dict)
    """Files that must be indexed, with a word found only in that file."""
    bad: dict[Path, str] = field(default_factory=dict)
    """Files that must be listed as failed or skipped, with what is wrong with them."""
    either: dict[Path, str] = field(default_factory=dict)
    """Odd but harmless files: indexed, or listed with a reason; never lost silently."""
    never: list[Path] = field(default_factory=list)
    """Paths that must never be indexed: they lie outside the watched tree."""
    special: list[Path] = field(default_factory=list)
    """Fifos and sockets: never opened for reading."""
    links: list[Path] = field(default_factory=list)
    """Symbolic links (loops, dangling, out of the tree, into it): never followed."""

    @property
    def files(self) -> int:
        return sum(map(len, (self.good, self.bad, self.either, self.special, self.links)))


def word(prefix: str, number: int) -> str:
    """A made-up word no dictionary holds, so a keyword search finds exactly its file."""
    letters = "bcdfghjklmnpqrstvwxz"
    rng = random.Random(f"{prefix}{number}")
    return prefix + "".join(rng.choice(letters) for _ in range(8))


def make_corpus(root: Path, outside: Path, *, big: bool = True) -> Manifest:
    """Write the hostile tree at `root` (and a secret tree at `outside` it links to).

    With `big`, the 2 GB sparse file and the 50 MB one-line file are written too.
    """
    root.mkdir(parents=True)
    outside.mkdir(parents=True)
    m = Manifest(root)
    _good_files(m, 50)
    _pdfs(m)
    _binaries(m)
    _markup(m)
    _encodings(m)
    _big_files(m, big)
    _nesting(m)
    _links(m, outside)
    _documents(m, outside)
    _specials(m)
    _unreadable(m)
    _names(m)
    return m


def _good_files(m: Manifest, count: int) -> None:
    for n in range(count):
        kind = GOOD_KINDS[n % len(GOOD_KINDS)]
        folder = m.root / "good" / f"g{n % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        w = word("good", n)
        path = folder / f"note{n}.{kind}"
        sentence = f"The {w} ledger records seeds planted in spring number {n}."
        _write_kind(path, kind, sentence)
        m.good[path] = w


def _write_kind(path: Path, kind: str, sentence: str) -> None:
    if kind == "md":
        path.write_text(f"# Note\n\n{sentence}\n")
    elif kind == "py":
        path.write_text(f'def note():\n    """{sentence}"""\n    return 1\n')
    elif kind == "html":
        path.write_text(f"<html><head><title>n</title></head><body><p>{sentence}</p></body></html>")
    elif kind == "pdf":
        write_pdf(path, [[sentence]])
    else:
        path.write_text(sentence + "\n")


def _pdfs(m: Manifest) -> None:
    folder = m.root / "pdf"
    folder.mkdir()
    whole = folder / "whole.pdf"
    write_pdf(whole, [[f"Page {i} of a long report about tide pools."] for i in range(6)])
    data = whole.read_bytes()
    whole.unlink()
    for n, cut in enumerate((0.1, 0.5, 0.9)):
        path = folder / f"truncated{n}.pdf"
        path.write_bytes(data[: int(len(data) * cut)])
        m.bad[path] = "truncated PDF"
    path = folder / "header-only.pdf"
    path.write_bytes(b"%PDF-1.7\n")
    m.bad[path] = "PDF header and nothing else"
    for n, password in enumerate(("hunter2", "correct horse")):
        path = folder / f"locked{n}.pdf"
        _encrypted(path, f"Locked minutes {word('lock', n)}.", password)
        m.bad[path] = "needs a password"
    path = folder / "owner-only.pdf"
    w = word("owner", 0)
    _encrypted(path, f"The {w} audit opens without a password.", "")
    m.good[path] = w
    for n in range(2):
        path = folder / f"cyclic{n}.pdf"
        path.write_bytes(_cyclic_xref(n))
        m.either[path] = "xref tables that point at each other"
    for n, mib in enumerate((64, 512)):
        path = folder / f"bomb{n}.pdf"
        path.write_bytes(_bomb(mib))
        m.either[path] = f"a content stream inflating to {mib} MiB"
    path = folder / "kids-loop.pdf"
    objects = _page_objects(b"BT /F1 12 Tf 72 720 Td (loop) Tj ET")
    objects[1] = b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>"
    path.write_bytes(_pdf(objects, b"", lambda at: b""))
    m.either[path] = "a page tree that contains itself"
    path = folder / "garbage.pdf"
    path.write_bytes(random.Random(7).randbytes(20_000))
    m.bad[path] = "random bytes"


def _encrypted(path: Path, sentence: str, password: str) -> None:
    from pypdf import PdfReader, PdfWriter

    plain = io.BytesIO()
    write_pdf(path, [[sentence]])
    plain.write(path.read_bytes())
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt(user_password=password, owner_password="owner-secret", algorithm="AES-128")
    with path.open("wb") as fh:
        writer.write(fh)


def _pdf(objects: list[bytes], trailer_extra: bytes, prev_at: Callable[[int], bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R " % (len(objects) + 1)
    out += trailer_extra + prev_at(xref_at) + b">>\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def _page_objects(content: bytes, *, compress: bool = False) -> list[bytes]:
    stream = zlib.compress(content, 9) if compress else content
    flt = b" /Filter /FlateDecode" if compress else b""
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d%s >>\nstream\n" % (len(stream), flt) + stream + b"\nendstream",
    ]


def _cyclic_xref(variant: int) -> bytes:
    """An xref whose /Prev points at itself (or just before itself)."""
    objects = _page_objects(b"BT /F1 12 Tf 72 720 Td (cyclic) Tj ET")
    return _pdf(objects, b"", lambda at: b"/Prev %d " % (at - variant))


def _bomb(mib: int) -> bytes:
    """A valid one-page PDF whose content stream inflates to `mib` MiB of spaces."""
    chunk = zlib.compressobj(9)
    parts = [chunk.compress(b" " * (1 << 20)) for _ in range(mib)]
    stream = b"".join(parts) + chunk.flush()
    objects = _page_objects(b"")
    objects[3] = (
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream"
    )
    return _pdf(objects, b"", lambda at: b"")


def _markup(m: Manifest) -> None:
    folder = m.root / "markup"
    folder.mkdir()
    path = folder / "nested.html"
    path.write_text("<div>" * 100_000 + "deep" + "</div>" * 100_000)
    m.either[path] = "100,000 nested elements"
    path = folder / "unclosed.html"
    path.write_text("<html><body><p>" + "<b><i><script>" * 2000 + "never closed")
    m.either[path] = "thousands of unclosed elements and scripts"
    path = folder / "one-word.md"
    path.write_text("x" * 1_500_000)
    m.either[path] = "one word of 1.5 million characters"


def _binaries(m: Manifest) -> None:
    folder = m.root / "binary"
    folder.mkdir()
    rng = random.Random(3)
    samples = {
        "random.md": rng.randbytes(4096),
        "elf.txt": b"\x7fELF\x02\x01\x01" + bytes(64) + rng.randbytes(2048),
        "png.txt": b"\x89PNG\r\n\x1a\n" + rng.randbytes(3000),
        "zeros.py": bytes(10_000),
        "sqlite.md": b"SQLite format 3\x00" + rng.randbytes(4080),
        "gzip.html": zlib.compress(b"<html>" * 500),
        "mostly-nul.txt": b"hello\x00" * 1000,
        "exe.rst": b"MZ\x90\x00" + rng.randbytes(4000),
    }
    for name, data in samples.items():
        (folder / name).write_bytes(data)
        m.bad[folder / name] = "binary content under a text name"


def _encodings(m: Manifest) -> None:
    folder = m.root / "encodings"
    folder.mkdir()
    texts = {
        "utf16-nobom.txt": ("utf-16-le", "Le {w} café ouvre à l'aube près de la rivière."),
        "utf16be-nobom.txt": ("utf-16-be", "Der {w} Bäcker öffnet früh am Morgen."),
        "latin1.txt": ("latin-1", "Él {w} come piñata en la mañana, señor."),
        "cp1252.md": ("cp1252", "# Notes\n\nThe {w} quote \u201csmart\u201d \u2013 dash."),
    }
    for n, (name, (encoding, template)) in enumerate(texts.items()):
        w = word("enc", n)
        (folder / name).write_bytes(template.format(w=w).encode(encoding) * 3)
        m.good[folder / name] = w
    w = word("broken", 0)
    broken = f"Valid start {w} then ".encode() + b"\xff\xfe\xc3\x28 bad \xe2\x82 bytes\n"
    (folder / "broken-utf8.md").write_bytes(broken * 4)
    m.good[folder / "broken-utf8.md"] = w
    w = word("mixed", 0)
    mixed = f"Caf\u00e9 {w} in UTF-8, ".encode() + "and caf\u00e9 in Latin-1.\n".encode("latin-1")
    (folder / "mixed.txt").write_bytes(mixed * 4)
    m.good[folder / "mixed.txt"] = w
    (folder / "empty.md").write_bytes(b"")
    m.either[folder / "empty.md"] = "empty file"
    (folder / "bom-only.txt").write_bytes(b"\xef\xbb\xbf")
    m.either[folder / "bom-only.txt"] = "a byte-order mark and nothing else"


def _big_files(m: Manifest, big: bool) -> None:
    folder = m.root / "big"
    folder.mkdir()
    path = folder / "sparse.txt"
    with path.open("wb") as fh:
        fh.truncate((2 << 30) if big else (64 << 20))
    m.bad[path] = "sparse file over the size limit"
    path = folder / "one-line.txt"
    size = (50 << 20) - 4096 if big else (2 << 20)
    w = word("line", 0)
    head = f"{w} starts a line that never ends ".encode()
    filler = b"lorem ipsum dolor sit amet consectetur "
    with path.open("wb") as fh:
        fh.write(head)
        fh.write(filler * ((size - len(head)) // len(filler)))
    m.either[path] = f"a single line of {size >> 20} MiB"


def _nesting(m: Manifest) -> None:
    folder = m.root / "deep"
    for level in range(120):
        folder = folder / f"d{level % 10}"
    folder.mkdir(parents=True)
    w = word("deep", 0)
    (folder / "bottom.md").write_text(f"The {w} lies at the bottom of the tree.\n")
    m.good[folder / "bottom.md"] = w


def _documents(m: Manifest, outside: Path) -> None:
    """Zip-and-XML documents: good ones beside bombs, entity tricks and locked files."""
    folder = m.root / "documents"
    folder.mkdir()
    w = word("docx", 0)
    good = docgen.write_docx(folder / "fine.docx", "Fine", [("Notes", [f"The {w} is kept."])])
    m.good[good] = w
    w = word("epub", 0)
    m.good[docgen.write_epub(folder / "fine.epub", "Fine", [("One", [f"A {w} sails."])])] = w
    bad = {
        docgen.zip_bomb(folder / "bomb.docx", "word/document.xml", 70 << 20): "zip bomb",
        docgen.zip_bomb(folder / "dense.epub", "OEBPS/a.xhtml", 8 << 20): "zip bomb (ratio)",
        docgen.docx_with(folder / "laughs.docx", docgen.BILLION_LAUGHS): "billion laughs",
        docgen.docx_with(folder / "xxe.docx", docgen.xxe(outside / "secret.md")): "XXE",
        docgen.docx_with(folder / "deep.docx", docgen.deep_xml(5_000)): "nested XML",
        docgen.encrypted_office(folder / "locked.docx"): "password-protected Office file",
    }
    (folder / "cut.pptx").write_bytes(good.read_bytes()[:2000])
    bad[folder / "cut.pptx"] = "truncated zip"
    m.bad.update({path: reason for path, reason in bad.items()})


def _links(m: Manifest, outside: Path) -> None:
    secret = outside / "secret.md"
    secret.write_text(f"The {word('secret', 0)} must never be indexed through a link.\n")
    (outside / "inner").mkdir()
    (outside / "inner" / "more.txt").write_text(f"{word('secret', 1)} lives outside.\n")
    m.never += [secret, outside / "inner" / "more.txt"]
    folder = m.root / "links"
    folder.mkdir()
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    (folder / "up").symlink_to(m.root, target_is_directory=True)
    (folder / "a").symlink_to(folder / "b")
    (folder / "b").symlink_to(folder / "a")
    (folder / "out-file.md").symlink_to(secret)
    (folder / "out-dir").symlink_to(outside, target_is_directory=True)
    (folder / "dangling.md").symlink_to(folder / "missing.md")
    in_tree = next(iter(m.good))
    (folder / "inside.md").symlink_to(in_tree)
    m.links += sorted(folder.iterdir())


def _specials(m: Manifest) -> None:
    folder = m.root / "special"
    folder.mkdir()
    fifo = folder / "pipe.md"
    os.mkfifo(fifo)
    m.special.append(fifo)
    sock_path = folder / "sock.txt"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(sock_path))
    finally:
        sock.close()
    m.special.append(sock_path)


def _unreadable(m: Manifest) -> None:
    folder = m.root / "locked"
    folder.mkdir()
    path = folder / "no-read.md"
    path.write_text(f"The {word('noread', 0)} is private.\n")
    path.chmod(0)
    closed = folder / "closed-dir"
    closed.mkdir()
    (closed / "inside.md").write_text(f"The {word('closed', 0)} is behind a locked door.\n")
    closed.chmod(0)
    # Root reads anything: there these are simply good files.
    target = m.either if os.geteuid() == 0 else m.bad
    target[path] = "no read permission"
    target[closed / "inside.md"] = "folder without permission"


def _names(m: Manifest) -> None:
    folder = m.root / "names"
    folder.mkdir()
    w = word("newline", 0)
    path = folder / "two\nlines.md"
    path.write_text(f"The {w} file has a newline in its name.\n")
    m.good[path] = w
    w = word("tab", 0)
    path = folder / "tab\there ünï.md"
    path.write_text(f"The {w} file has a tab and accents in its name.\n")
    m.good[path] = w
    raw = os.fsencode(folder) + b"/bad-\xff\xfe-name.md"
    with open(raw, "wb") as fh:
        fh.write(f"The {word('badname', 0)} file name is not UTF-8.\n".encode())
    m.either[Path(os.fsdecode(raw))] = "file name that is not valid UTF-8"
    for n in range(6):
        w = word("spaces", n)
        path = folder / f"  lead and trail {n}  .txt"
        path.write_text(f"The {w} file name has odd spaces.\n")
        m.good[path] = w


def restore_permissions(root: Path) -> None:
    """Give folders and files back their permissions so a temporary tree can be removed."""
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                mode = os.lstat(path).st_mode
                if stat.S_ISDIR(mode) or stat.S_ISREG(mode):
                    os.chmod(path, 0o700)
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
