"""Turning the bytes of a text file into str, and telling text from binary."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_SNIFF_BYTES = 8192
_MAX_CONTROL_SHARE = 0.10
_WIDE_ZERO_SHARE = 0.9

# UTF-32 LE must be tried before UTF-16 LE: its BOM starts with the UTF-16 LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_WIDE_BOM_ENCODINGS = frozenset({"utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be"})

_WESTERN = frozenset({"cp1252", "latin_1", "iso8859_15"})
_CP1252_TIE_MARGIN = 3.0
# Code pages of other regions and scripts: when charset_normalizer picks one of
# them it is usually right. Anything else it picks for text that also reads as
# plausible cp1252 (DOS, Mac, EBCDIC or CJK guesses on short input) is usually
# wrong, as cp1252 is by far the likelier legacy encoding of a person's files.
_REGIONAL_PREFIXES = (
    "cp125",
    "iso8859_",
    "koi8",
    "mac_cyrillic",
    "mac_greek",
    "cp866",
    "cp874",
    "tis_620",
)
# What else everyday Western text holds besides Latin-1 letters: the OE, S, Z and Y
# letters of cp1252, euro sign, dashes, curly quotes, ellipsis, bullet, guillemets,
# degree, section, copyright, trademark, currency, no-break space, Spanish marks,
# middle dot and multiplication sign (escaped, as several look like ASCII).
_WESTERN_EXTRAS = frozenset(
    "\u0152\u0153\u0160\u0161\u017d\u017e\u0178\u20ac\u2013\u2014\u2018\u2019\u201c\u201d"
    "\u2026\u2022\u00ab\u00bb\u00b0\u00a7\u00a9\u00ae\u2122\u00a3\u00a2\u00a5\u00a0\u00a1"
    "\u00bf\u00b7\u00d7"
)
_NOT_LETTERS = "\u00d7\u00f7"  # multiplication and division signs
_MIN_ASCII_LETTER_SHARE = 0.7
_FEW_LETTERS = 4

_ASCII_LETTER = re.compile(r"[A-Za-z]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# WHATWG: documents labelled latin-1 or ASCII are decoded as windows-1252.
_HINT_ALIASES = {"iso8859-1": "cp1252", "ascii": "cp1252"}

_TEXT_CONTROLS = frozenset(b"\t\n\r\f\v\x1b")
_CONTROL_BYTES = frozenset(range(32)) - _TEXT_CONTROLS | {0x7F}


def bom_encoding(data: bytes) -> tuple[str, int] | None:
    """The encoding announced by a leading byte-order mark, and the mark's length."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    return None


def bomless_utf16(data: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" for UTF-16 text written without a byte-order mark (as some
    Windows tools do): mostly Latin text then has a NUL in every other byte, and only there."""
    head = data[: _SNIFF_BYTES & ~1]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    for zeros, chars, encoding in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) >= _WIDE_ZERO_SHARE * len(zeros) and chars.count(0) == 0:
            text = head.decode(encoding, errors="replace")
            controls = sum(1 for char in text if ord(char) in _CONTROL_BYTES)
            return encoding if controls <= _MAX_CONTROL_SHARE * len(text) else None
    return None


def looks_binary(data: bytes) -> bool:
    """True when the first few KiB look like binary data rather than text."""
    bom = bom_encoding(data)
    if bom is not None and bom[0] in _WIDE_BOM_ENCODINGS:
        return False
    head = data[:_SNIFF_BYTES]
    if not head:
        return False
    if b"\x00" in head:
        return bomless_utf16(data) is None
    controls = sum(1 for byte in head if byte in _CONTROL_BYTES)
    return controls / len(head) > _MAX_CONTROL_SHARE


def decode_text(data: bytes, hint: str | None = None) -> str:
    """Decode file bytes to text with newlines normalised to "\\n".

    Order: byte-order mark, strict UTF-8, the `hint` encoding (e.g. an HTML
    <meta charset>), charset_normalizer's guess, then cp1252 and latin-1.
    """
    return normalise_newlines(_decode(data, hint))


def normalise_newlines(text: str) -> str:
    """Turn \\r\\n and lone \\r into \\n."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes, hint: str | None) -> str:
    bom = bom_encoding(data)
    if bom is not None:
        encoding, length = bom
        return data[length:].decode(encoding, errors="replace")
    wide = bomless_utf16(data)
    if wide is not None:
        return data[: len(data) & ~1].decode(wide, errors="replace")
    for candidate in ("utf-8", _canonical_hint(hint)):
        decoded = _try_decode(data, candidate)
        if decoded is not None:
            return decoded
    guessed = _guess(data)
    if guessed is not None:
        return guessed
    return _try_decode(data, "cp1252") or data.decode("latin-1")


def _canonical_hint(hint: str | None) -> str | None:
    if hint is None:
        return None
    try:
        name = codecs.lookup(hint).name
    except LookupError:
        return None
    if name.startswith(("utf-16", "utf-32")):
        return None  # a BOM would have said so; a label alone is wrong (WHATWG: read as UTF-8)
    return _HINT_ALIASES.get(name, name)


def _try_decode(data: bytes, encoding: str | None) -> str | None:
    if encoding is None:
        return None
    try:
        return data.decode(encoding)
    except (UnicodeError, LookupError):  # UnicodeError: codecs such as "undefined" raise it
        return None


def _guess(data: bytes) -> str | None:
    matches = list(from_bytes(data))
    if not matches:
        return None
    best = matches[0]
    western = next((m for m in matches if m.encoding in _WESTERN), None)
    if western is not None and western.percent_chaos <= best.percent_chaos + _CP1252_TIE_MARGIN:
        return _try_decode(data, "cp1252") or str(western)
    if not best.encoding.startswith(_REGIONAL_PREFIXES):
        cp1252 = _try_decode(data, "cp1252")
        if cp1252 is not None and _plausibly_western(cp1252):
            return cp1252
    return str(best)


def _plausibly_western(text: str) -> bool:
    """Mostly ASCII letters, the rest Latin-1 letters or everyday typography."""
    ascii_letters = len(_ASCII_LETTER.findall(text))
    letters = ascii_letters
    for char in _NON_ASCII.findall(text):
        if "\u00c0" <= char <= "\u00ff" and char not in _NOT_LETTERS:
            letters += 1
        elif char not in _WESTERN_EXTRAS:
            return False
    return letters <= _FEW_LETTERS or ascii_letters / letters >= _MIN_ASCII_LETTER_SHARE
