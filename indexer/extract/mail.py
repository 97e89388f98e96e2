"""E-mail (stdlib email): one .eml message, or every message of an .mbox archive as a page
of its own (its own result), each with its subject, sender and date over its text body;
labelled with the message number, the subject and the line within the message."""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage, Message

from semfind.indexer.extract.decode import decode_text, normalise_newlines
from semfind.indexer.extract.document import Document, Page
from semfind.indexer.extract.html_text import extract_html
from semfind.indexer.extract.layout import quoted
from semfind.indexer.extract.titles import clean_title

_FROM_LINE = re.compile(rb"(?:^|\n)From [^\n]*\n")
_ESCAPED_FROM = re.compile(r"^>(>*From )", re.MULTILINE)


def extract_email(data: bytes, file_name: str) -> Document:
    """An .mbox is split at its "From " lines (the mailbox module needs a file on disk;
    this is its own rule); anything else is one message."""
    archive = file_name.lower().endswith(".mbox")
    raws = split_mbox(data) if archive else [data]
    pages: list[Page] = []
    subject = ""
    for number, raw in enumerate(raws, start=1):
        message = email.message_from_bytes(raw, policy=policy.default)
        subject = clean_title(_header(message, "subject"))
        text = _message_text(message)
        if archive:
            text = _ESCAPED_FROM.sub(r"\1", text)
        place = f" #{number}" if archive else ""
        label = f"{place} {quoted(subject or '(no subject)')}:{{line}}"
        pages.append(Page(text, number if archive else None, sections=((0, label),)))
    title = "" if archive else subject
    return Document("email", title or file_name, tuple(pages), has_real_title=bool(title))


def split_mbox(data: bytes) -> list[bytes]:
    """The messages of an mbox: what lies between its "From " separator lines."""
    separators = list(_FROM_LINE.finditer(data))
    if not separators:
        return [data] if data.strip() else []
    ends = [*(m.start() for m in separators[1:]), len(data)]
    return [data[m.end() : end] for m, end in zip(separators, ends, strict=True)]


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError, LookupError):  # malformed header
        return ""
    return str(value) if value is not None else ""


def _message_text(message: Message) -> str:
    head = [
        f"{key}: {value}"
        for key in ("Subject", "From", "Date")
        if (value := " ".join(_header(message, key).split()))
    ]
    return "\n".join(head) + "\n\n" + _body(message).strip()


def _body(message: Message) -> str:
    """The plain-text body (the HTML body's visible text where the plain one is empty or
    missing); attachments are left out."""
    if not isinstance(message, EmailMessage):
        return _part_text(message)
    for kind in ("plain", "html"):
        try:
            part = message.get_body(preferencelist=(kind,))
        except (KeyError, ValueError, LookupError, TypeError):
            part = None
        text = _part_text(part) if part is not None else ""
        if text.strip():
            return text
    return ""


def _part_text(part: Message) -> str:
    if part.is_multipart():
        return ""
    payload = part.get_payload(decode=True)
    raw = payload if isinstance(payload, bytes) else str(part.get_payload()).encode()
    if part.get_content_type() == "text/html":
        return extract_html(raw, "message.html").pages[0].text
    try:
        return normalise_newlines(raw.decode(part.get_content_charset() or "utf-8"))
    except (LookupError, UnicodeDecodeError):
        return decode_text(raw)
