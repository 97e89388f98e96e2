"""Checks on zip and OLE containers before a document library opens them.

Word, OpenDocument, EPUB and PowerPoint files are zip archives of XML. A tiny archive can
declare members that inflate to gigabytes, and its XML can declare entities that expand
exponentially or name files outside the archive. Python's zipfile never inflates a member
past the size its directory declares, so checking the declared sizes caps what any library
reads; XML that declares entities is refused before a parser sees it.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager

from semfind.engine.errors import ExtractionError

MAX_MEMBER_BYTES = 64 << 20
MAX_TOTAL_BYTES = 256 << 20
MAX_MEMBERS = 20_000
MAX_RATIO = 200
"""Deflate reaches ~1000:1 only on degenerate input; real XML stays well under 100:1."""
_RATIO_FLOOR = 1 << 20  # members under 1 MiB may compress as well as they like
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_XML_SUFFIXES = (".xml", ".rels", ".xhtml", ".html", ".htm", ".opf", ".ncx", ".rdf")
_ENTITY_MARKS = (b"<!ENTITY", "<!ENTITY".encode("utf-16-le"), "<!ENTITY".encode("utf-16-be"))


def checked_zip(data: bytes, what: str) -> zipfile.ZipFile:
    """The archive, after its declared sizes and its XML are found safe to read."""
    if data.startswith(_OLE_MAGIC):
        raise ExtractionError(_ole_reason(data, what))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise ExtractionError(f"corrupt {what}: not a readable zip container ({exc})") from exc
    _check_sizes(infos, what)
    _check_xml(archive, infos, what)
    return archive


def _ole_reason(data: bytes, what: str) -> str:
    if _ENCRYPTED_STREAM in data:
        return f"encrypted {what} (a password is needed to open it)"
    return f"unsupported {what}: an old binary (OLE) file, not the zip-based format"


def _check_sizes(infos: list[zipfile.ZipInfo], what: str) -> None:
    if len(infos) > MAX_MEMBERS:
        raise ExtractionError(f"unsafe {what}: {len(infos)} archive members")
    total = 0
    for info in infos:
        size = info.file_size
        total += size
        if size > MAX_MEMBER_BYTES:
            raise ExtractionError(
                f"unsafe {what}: {info.filename} inflates to {_mib(size)} MiB"
                f" (over {_mib(MAX_MEMBER_BYTES)} MiB; zip bomb?)"
            )
        if total > MAX_TOTAL_BYTES:
            raise ExtractionError(f"unsafe {what}: inflates past {_mib(MAX_TOTAL_BYTES)} MiB")
        if size > _RATIO_FLOOR and size > MAX_RATIO * max(info.compress_size, 1):
            raise ExtractionError(
                f"unsafe {what}: {info.filename} inflates {size // max(info.compress_size, 1)}"
                " times its packed size (zip bomb?)"
            )


def _check_xml(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], what: str) -> None:
    for info in infos:
        if not info.filename.lower().endswith(_XML_SUFFIXES) or info.is_dir():
            continue
        try:
            head = archive.read(info)
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
            raise ExtractionError(f"corrupt {what}: {info.filename}: {exc}") from exc
        if any(mark in head for mark in _ENTITY_MARKS):
            raise ExtractionError(
                f"unsafe {what}: {info.filename} declares XML entities (entity expansion or"
                " external files), which semfind does not read"
            )


def _mib(size: int) -> int:
    return size >> 20


@contextmanager
def library_errors(what: str) -> Iterator[None]:
    """Whatever a document library raises on a malformed file, as ExtractionError."""
    try:
        yield
    except ExtractionError:
        raise
    except RecursionError as exc:
        raise ExtractionError(f"corrupt {what}: structure nested too deeply") from exc
    except MemoryError as exc:
        raise ExtractionError(f"{what} too large to process") from exc
    except Exception as exc:  # the libraries raise KeyError, lxml errors, ... on bad input
        lines = str(exc).strip().splitlines()
        reason = lines[0][:200] if lines else type(exc).__name__
        raise ExtractionError(f"corrupt {what}: {reason}") from exc
