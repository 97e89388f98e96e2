#!/usr/bin/env python3
"""Coverage-guided fuzzing (atheris/libFuzzer) of what semfind parses from untrusted bytes.

    python bench/fuzz.py [--target NAME|all] [--seconds N] [--corpus DIR] [--crashes DIR]
    python bench/fuzz.py --target html --reproduce build/fuzz/crashes/html/crash-...

Targets:
  text     extract() of text, Markdown, reST and code files (decoding, titles)
  html     extract() of HTML files (charset sniffing, html.parser, line anchors)
  segment  passages(), sentences.split() and the rule segmenter, with their span invariants
  control  the control-socket protocol: request lines through the server's line handler
           (file objects, no socket), the reply and event parsing of the client

Each target runs in its own libFuzzer process for a bounded time (a process that stops early,
on a timeout or out of memory, is restarted for the time left), over a corpus folder that it
grows, seeded with small valid inputs. semfind's own errors (SemfindError and subclasses) are
expected outcomes; any other exception, or a broken invariant (InvariantError), is a crash: its
input and traceback are kept in the crashes folder, once per distinct place it was raised, and
fuzzing goes on. Ends with a table: target, seconds, executions, coverage, crashes.

The first byte of every input is a repeat switch: with its top bit set, bytes 1-2 give a count
and its low 6 bits the length of a chunk that is repeated that often, so a short input can stand
for deep nesting or thousands of clauses, which libFuzzer's byte mutations rarely build.

Needs the fuzz extra (`pip install -e '.[fuzz]'`); --reproduce does not.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import encodings
import encodings.aliases
import hashlib
import importlib
import io
import json
import os
import pkgutil
import re
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
INSTRUMENTED = ("semfind", "html", "_markupbase")
"""Packages whose Python code gets coverage instrumentation (html.parser does the HTML work)."""
MAX_REPEATED = 64 * 1024
"""Most bytes the repeat switch may produce."""
MAX_RESTARTS = 8


class InvariantError(AssertionError):
    """A target's output broke a property the code promises (spans, lines, reply shape)."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise InvariantError(message)


def expand(data: bytes) -> bytes:
    """The input without its first byte, or, with that byte's top bit set, a chunk repeated."""
    if not data:
        return b""
    if not data[0] & 0x80 or len(data) < 3:
        return data[1:]
    size = (data[0] & 0x3F) + 1
    chunk, rest = data[3 : 3 + size], data[3 + size :]
    if not chunk:
        return rest
    count = 1 + int.from_bytes(data[1:3], "big") % 4096
    return chunk * min(count, MAX_REPEATED // len(chunk)) + rest


def repeated(chunk: bytes, count: int, rest: bytes = b"") -> bytes:
    """The input that `expand` turns into chunk * count + rest (the inverse, for seeds)."""
    assert 0 < len(chunk) <= 64 and 0 < count <= 4096
    return bytes([0x80 | (len(chunk) - 1)]) + (count - 1).to_bytes(2, "big") + chunk + rest


# -- extractors ---------------------------------------------------------------------------

TEXT_NAMES = ("notes.txt", "README", "guide.md", "index.rst", "tool.py", "Makefile", "x.yaml")


def fuzz_text(data: bytes) -> None:
    """The first byte (after the repeat switch) picks the file name, hence the extractor."""
    data = expand(data)
    if not data:
        return
    _check_extracted(TEXT_NAMES[data[0] % len(TEXT_NAMES)], data[1:])


def fuzz_html(data: bytes) -> None:
    _check_extracted("page.html", expand(data))


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_extracted(name: str, raw: bytes) -> None:
    from semfind.engine.errors import SemfindError
    from semfind.indexer.extract.decode import decode_text
    from semfind.indexer.extract.extractors import detect_kind, extract
    from semfind.indexer.extract.html_text import declared_charset

    kind = detect_kind(Path(name))
    try:
        doc = extract(Path(name), raw)
    except SemfindError:
        return
    check(doc.kind == kind, f"kind {doc.kind!r}, expected {kind!r}")
    check(len(doc.pages) == 1, f"{len(doc.pages)} pages")
    if doc.has_real_title:
        check(0 < len(doc.title) <= 300, f"title of {len(doc.title)} characters")
        check(doc.title == " ".join(doc.title.split()), f"title not collapsed: {doc.title!r}")
        check("\x00" not in doc.title, "NUL in title")
    else:
        check(doc.title == name, f"no real title, yet title {doc.title!r}")
    check(not _SURROGATE.search(doc.title), "lone surrogate in title")
    page = doc.pages[0]
    text = page.text
    check(page.number is None, f"page number {page.number}")
    check(not _SURROGATE.search(text), "lone surrogate in text (not storable as UTF-8)")
    if kind == "html":
        source = decode_text(raw, hint=declared_charset(raw))
        source_lines = source.count("\n") + 1
    else:
        check("\r" not in text, "carriage return left in text")
        check(not page.line_starts, "line anchors on a plain page")
        source_lines = text.count("\n") + 1
    offsets = [anchor for anchor, _ in page.line_starts]
    check(offsets == sorted(set(offsets)), f"anchors not strictly increasing: {offsets[:20]}")
    check(all(0 <= o <= len(text) for o in offsets), "anchor outside the text")
    check(all(line >= 1 for _, line in page.line_starts), "anchor before line 1")
    step = max(1, len(text) // 512)
    previous = 1
    for offset in [*range(0, len(text), step), len(text) - 1] if text else []:
        if kind == "html" and text[offset].isspace():
            continue  # may be a paragraph break the extractor made: units never start there
        line = page.line_at(offset)
        check(line >= previous, f"line_at({offset}) = {line} goes back from {previous}")
        check(line <= source_lines, f"line_at({offset}) = {line} past the {source_lines} lines")
        if kind != "html":
            check(line == text.count("\n", 0, offset) + 1, f"line_at({offset}) = {line}")
        previous = line


# -- segmenter ----------------------------------------------------------------------------


def count_tokens(text: str) -> int:
    """A stand-in for the model's tokenizer: one token per word, one of overhead."""
    return 1 + len(text.split())


_MARKERS = re.compile(r"(?:\s|[-*+\u2022]|\d{1,3}[.)])*")


def fuzz_segment(data: bytes) -> None:
    """Byte 0: token budget; byte 1: bit 0 pages at form feeds, bit 1 title from the text,
    bit 2 sentences only (no compound splitting). The rest is the text, as UTF-8."""
    from semfind.engine.store.records import titled
    from semfind.indexer.extract.document import Document, Page
    from semfind.indexer.extract.titles import markdown_title
    from semfind.indexer.segment.passages import passages
    from semfind.indexer.segment.propositions import RuleSegmenter

    data = expand(data)
    if len(data) < 2:
        return
    max_tokens, flags = 2 + data[0] % 96, data[1]
    text = data[2:].decode("utf-8", "replace")
    if flags & 1:
        pages = tuple(Page(t, i + 1) for i, t in enumerate(text.split("\f")))
    else:
        pages = (Page(text),)
    title = markdown_title(text) if flags & 2 else ""
    doc = Document("markdown", title or "doc.md", pages, has_real_title=bool(title))
    by_number = {p.number: p.text for p in pages}
    newlines = {p.number: [i for i, c in enumerate(p.text) if c == "\n"] for p in pages}

    units = passages(doc, count_tokens, max_tokens)
    title_cost = count_tokens(title) - 1 if title else 0
    budget = max(max_tokens - title_cost, max_tokens // 2)
    check([u.ord for u in units] == list(range(len(units))), "passage ords not 0..n-1")
    ends: dict[int | None, int] = {}
    for u in units:
        page_text = by_number[u.page]
        s, e = u.char_start, u.char_end
        where = f"passage {u.ord} ({s}, {e})"
        check(u.kind == "passage" and u.spans is None and u.parent_ord is None, where)
        check(0 <= s < e <= len(page_text), f"{where} out of bounds {len(page_text)}")
        check(u.text == page_text[s:e], f"{where}: text is not the span")
        check(not u.text[0].isspace() and not u.text[-1].isspace(), f"{where} not trimmed")
        gap = page_text[ends.get(u.page, 0) : s]
        check(s >= ends.get(u.page, 0), f"{where} overlaps or goes back")
        check(not gap.strip(), f"{where}: text before it is in no passage: {gap[:60]!r}")
        ends[u.page] = e
        if budget >= 2:
            check(count_tokens(u.text) <= budget, f"{where} over the budget of {budget}")
        expected = titled(title, u.text) if title and not u.text.startswith(title) else None
        check(u.embed_text == expected, f"{where}: embed text {u.embed_text!r}")
        line = bisect.bisect_left(newlines[u.page], s) + 1
        check(u.line_start == line, f"{where}: line_start {u.line_start}, not {line}")
        check(u.line_start <= u.line_end, f"{where}: lines go back")
    for page in pages:
        tail = page.text[ends.get(page.number, 0) :]
        check(not tail.strip(), f"text after the last passage is in none: {tail[:60]!r}")
        _check_pieces(page.text)

    segmenter = RuleSegmenter(compound=not flags & 4)
    props = segmenter.segment(doc, units)
    parents = {u.ord: u for u in units}
    check(
        [u.ord for u in props] == list(range(len(units), len(units) + len(props))),
        "proposition ords do not follow the passages'",
    )
    for u in props:
        page_text = by_number[u.page]
        spans = u.spans or ((u.char_start, u.char_end),)
        where = f"proposition {u.ord} {spans}"
        check(u.kind == "proposition", where)
        check(u.spans is None or len(u.spans) > 1, f"{where}: one span given as spans")
        check((u.char_start, u.char_end) == (spans[0][0], spans[-1][1]), f"{where}: char range")
        previous_end = 0
        for s, e in spans:
            check(0 <= s < e <= len(page_text), f"{where}: span out of bounds or empty")
            check(s >= previous_end, f"{where}: spans overlap or go back")
            previous_end = e
        check(u.text == " ".join(page_text[s:e] for s, e in spans), f"{where}: text")
        parent = parents.get(u.parent_ord) if u.parent_ord is not None else None
        check(parent is not None and parent.page == u.page, f"{where}: parent {u.parent_ord}")
        assert parent is not None
        check(parent.char_start <= u.char_start < parent.char_end, f"{where}: outside parent")
        check(bool(u.embed_text and u.embed_text.strip()), f"{where}: empty embed text")
        check(1 <= u.line_start <= u.line_end, f"{where}: lines")


def _check_pieces(text: str) -> None:
    from semfind.indexer.segment.sentences import split

    end = 0
    for piece in split(text):
        where = f"piece {piece}"
        check(piece.kind in ("sentence", "heading", "code"), where)
        check(0 <= piece.start < piece.end <= len(text), f"{where} out of bounds or empty")
        check(piece.start >= end, f"{where} overlaps or goes back")
        body = text[piece.start : piece.end]
        check(not body[0].isspace() and not body[-1].isspace(), f"{where} not trimmed")
        gap = text[end : piece.start]
        check(bool(_MARKERS.fullmatch(gap)), f"text lost before {where}: {gap[:60]!r}")
        end = piece.end
    check(not text[end:].strip(), f"text lost at the end: {text[end:][:60]!r}")


# -- control socket -----------------------------------------------------------------------


def fuzz_control(data: bytes) -> None:
    """The bytes as a client's request stream into the server's line handler, then as the
    daemon's reply to `request()` and as the event stream of `events()`."""
    data = expand(data)
    _serve(data)
    _client(data)


def _serve(stream: bytes) -> None:
    from semfind.indexer.daemon import control
    from semfind.indexer.daemon.commands import request_paths as _paths

    failures: list[BaseException] = []

    def handle(request: dict[str, Any]) -> dict[str, Any]:
        try:
            return answer(request)
        except Exception as exc:  # answer() would turn it into a reply; it is still a bug
            failures.append(exc)
            raise

    def answer(request: dict[str, Any]) -> dict[str, Any]:
        check(isinstance(request, dict) and request.get("cmd") in control.COMMANDS, "dispatch")
        if request["cmd"] not in ("index", "watch_add", "watch_remove"):
            return {"ok": True}
        paths = _paths(request)
        if isinstance(paths, str):
            return control.error(paths)
        check(bool(paths), "no paths")
        for path in paths:
            check(os.path.isabs(path) and os.path.normpath(path) == path, f"path {path!r}")
        return {"ok": True, "paths": paths}

    def subscribe(send: Callable[[dict[str, Any]], bool]) -> None:
        send({"event": "status"})

    server = control.ControlServer.__new__(control.ControlServer)
    server._handle, server._subscribe = handle, subscribe
    handler: Any = control._RequestHandler.__new__(control._RequestHandler)
    handler.server = SimpleNamespace(control=server)
    handler.rfile, handler.wfile = io.BytesIO(stream), io.BytesIO()
    handler.handle()
    if failures:
        raise failures[0]
    out = handler.wfile.getvalue()
    check(not out or out.endswith(b"\n"), "reply not ended by a newline")
    replies = out.splitlines()
    check(len(replies) <= stream.count(b"\n") + 1, "more replies than requests")
    for line in replies:
        reply = json.loads(line)
        check(isinstance(reply, dict), f"reply {line[:80]!r}")
        if "event" not in reply:
            check(reply.get("ok") is True or bool(reply.get("error")), f"reply {line[:80]!r}")


class _FakeSocket:
    """Hands out `data` in chunks the size of its first byte (at least one)."""

    def __init__(self, data: bytes) -> None:
        self._size = max(1, data[0]) if data else 1
        self._data = data

    def __enter__(self) -> _FakeSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def sendall(self, data: bytes) -> None:
        pass

    def recv(self, size: int) -> bytes:
        chunk, self._data = self._data[: min(size, self._size)], self._data[self._size :]
        return chunk


def _client(reply: bytes) -> None:
    from semfind.engine.errors import DaemonError
    from semfind.indexer.daemon import control

    path = Path("/nonexistent/semfind.sock")
    with mock.patch.object(control, "_connect", lambda *_: _FakeSocket(reply)):
        try:
            answer = control.request(path, {"cmd": "status"})
        except DaemonError:
            pass
        else:
            check(isinstance(answer, dict) and bool(answer.get("ok")), f"answer {answer!r}")
        try:
            for event in control.events(path):
                check(isinstance(event, dict), f"event {event!r}")
        except DaemonError:
            pass


# -- seeds and dictionaries ---------------------------------------------------------------

_MARKDOWN = b"""---
title: "Watering plants"
---
# Caring for plants

Water them weekly, e.g. on Sundays. Dr. Smith agrees; the U.S. guide does too!

- Symptoms include wilting, yellow leaves and dry soil.
- It needs light, but it burns in full sun.

```python
print("hello")
```

Setext title
============
"""
_RST = b"""=======
 Title
=======

Section
-------

Some *text*.
"""
_HTML = b"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>A  page</title>
<style>p { color: red }</style><script>var x = "<p>";</script></head>
<body><h1>Heading <em>one</em></h1>
<p>First&nbsp;paragraph &amp; more,<br>second line.</p>
<pre>
  code  kept
  as is</pre>
<table><tr><td>a</td><td>b</td></tr></table>
<!-- a comment --><![CDATA[ x ]]><ul><li>one<li>two</ul>
</body></html>
"""
_HTML_LATIN = (
    b'<?xml version="1.0" encoding="iso-8859-1"?>\n<html><body><p>caf\xe9</p></body></html>'
)
_PROSE = (
    "# Notes\n\nThe study, by Prof. J. R. Smith et al., showed fewer cases. It was small; "
    "the authors said so, but the effect held. Symptoms include fever, cough, headache and "
    "fatigue.\n\n1. First item.\n2) Second item? Yes.\n\n    indented code\n\n"
    "## Sub\n\nA very long paragraph without any end at all and it goes on and on\f"
    "Page two: another page. \u201cQuoted.\u201d Done...\n"
).encode()
_REQUESTS = (
    b'{"cmd": "status"}\n{"cmd": "pause"}\n{"cmd": "index", "paths": ["/tmp/a", "/b/../c"]}\n'
    b'{"cmd": "watch_add", "paths": ["relative"]}\n{"cmd": "embed", "texts": ["q"]}\n'
    b'[1, 2]\nnot json\n{"cmd": "subscribe"}\n'
)


def seeds(target: str) -> list[bytes]:
    """Small valid inputs for `target`, each with its leading repeat-switch byte."""
    if target == "text":
        plain = b"Plain text,\r\nwith Windows lines.\rAnd an old Mac one.\n"
        return [
            b"\x00" + bytes([TEXT_NAMES.index(name)]) + body
            for name, body in [
                ("guide.md", _MARKDOWN),
                ("index.rst", _RST),
                ("notes.txt", plain),
                ("notes.txt", "Gr\u00fc\u00dfe \u2013 \u00e9t\u00e9".encode("cp1252")),
                ("notes.txt", "\ufeffUTF-16 text\n".encode("utf-16")),
                ("tool.py", b'"""Doc."""\n\ndef f():\n    return 1\n'),
            ]
        ]
    if target == "html":
        return [b"\x00" + _HTML, b"\x00" + _HTML_LATIN, b"\x00<p>bare</p>"]
    if target == "segment":
        return [
            b"\x00\x20\x02" + _MARKDOWN,
            b"\x00\x08\x01" + _PROSE,
            b"\x00\x03\x06" + _PROSE,
            repeated(b"one two three four; ", 40, b"end."),
        ]
    if target == "control":
        return [
            b"\x00" + _REQUESTS,
            b'\x00{"ok": true, "status": {}}\n',
            b'\x00{"ok": false, "error": "no"}\n{"event": "status"}\n',
            repeated(b"[", 8, b"]]]]]]]]\n"),
        ]
    raise KeyError(target)


def dictionary(target: str) -> list[bytes]:
    """Tokens libFuzzer may splice in: tags, charset names, Markdown, protocol words."""
    words: list[bytes] = []
    if target in ("text", "html"):
        codecs = {m.name for m in pkgutil.iter_modules(encodings.__path__)}
        codecs |= set(encodings.aliases.aliases) | set(encodings.aliases.aliases.values())
        words += [name.encode() for name in sorted(codecs)]
        words += [b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"\r\n"]
    if target == "html":
        for tag in ("p", "pre", "h1", "title", "head", "body", "script", "style", "br", "td"):
            words += [f"<{tag}>".encode(), f"</{tag}>".encode()]
        words += [b"<meta charset=", b'<?xml encoding="', b"<![CDATA[", b"]]>", b"<!--"]
        words += [b"-->", b"<!DOCTYPE", b"&amp;", b"&#", b"&#x", b"<![if ", b"<svg>", b"</"]
    if target in ("text", "segment"):
        words += [b"# ", b"## ", b"\n---\n", b"+++", b"title: ", b"```", b"~~~", b"=====", b"\n\n"]
        words += [b"    ", b"- ", b"* ", b"1. ", b"2) ", b"\xe2\x80\xa2 ", b"\f"]
    if target == "segment":
        words += [
            b"e.g. ",
            b"Dr. ",
            b"U.S. ",
            b"... ",
            b"?! ",
            b'." ',
            b"; ",
            b", but ",
            b", and it ",
        ]
        words += [b" include ", b" such as ", b" are ", b": ", b" and ", b" or ", b"It ", b"This "]
        words += [b"-\n", b"\xe2\x80\x9c", b"\xe2\x80\x9d"]
    if target == "control":
        words += [f'"{cmd}"'.encode() for cmd in ("cmd", "paths", "texts", "ok", "event")]
        words += [b'{"cmd": "', b'"index"', b'"watch_add"', b'"subscribe"', b'"embed"', b"\n"]
        words += [b"\\ud800", b"\\u0000", b"null", b"true", b"1e999", b"NaN", b"[", b"{"]
    return words


def _dict_entry(word: bytes) -> str:
    body = "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\x{b:02X}" for b in word)
    return f'"{body}"'


# -- running ------------------------------------------------------------------------------

TARGETS: dict[str, Callable[[bytes], None]] = {
    "text": fuzz_text,
    "html": fuzz_html,
    "segment": fuzz_segment,
    "control": fuzz_control,
}


def signature(exc: BaseException) -> str:
    """Exception type and the innermost line of this project that raised it (for a broken
    invariant, the line that checked it)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.name != "check"]
    ours = [f for f in frames if _ours(f.filename)]
    if not (ours or frames):
        return type(exc).__name__
    frame = (ours or frames)[-1]
    return f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno}"


def _ours(filename: str) -> bool:
    path = Path(filename).resolve()
    return path.is_relative_to(ROOT) and ".venv" not in path.relative_to(ROOT).parts


def record_crash(target: str, data: bytes, exc: BaseException, folder: Path) -> tuple[str, bool]:
    """Keep the input and traceback, one per signature (the shorter input wins)."""
    sig = signature(exc)
    name = f"crash-{target}-{hashlib.sha1(sig.encode()).hexdigest()[:12]}"
    artifact = folder / name
    new = not artifact.exists()
    if new or len(data) < artifact.stat().st_size:
        folder.mkdir(parents=True, exist_ok=True)
        artifact.write_bytes(data)
        tb = "".join(traceback.format_exception(exc))
        shown = data[:200].hex() + ("..." if len(data) > 200 else "")
        artifact.with_suffix(".txt").write_text(
            f"{sig}\ninput ({len(data)} bytes, hex): {shown}\n\n{tb}", encoding="utf-8"
        )
    return sig, new


def worker(target: str, crashes: Path, libfuzzer_args: list[str]) -> None:
    """One libFuzzer process (never returns: libFuzzer exits)."""
    atheris: Any = importlib.import_module("atheris")
    early = [m for m in INSTRUMENTED if m in sys.modules]
    if early:
        print(f"fuzz: already imported, so not instrumented: {early}", file=sys.stderr)
    with atheris.instrument_imports(include=list(INSTRUMENTED)):
        for module in (
            "semfind.indexer.extract.extractors",
            "semfind.indexer.segment.propositions",
            "semfind.indexer.daemon.control",
            "semfind.indexer.daemon.daemon",
        ):
            importlib.import_module(module)
    run = TARGETS[target]
    seen: set[str] = set()

    def one_input(data: bytes) -> None:
        try:
            run(data)
        except Exception as exc:
            sig, _ = record_crash(target, data, exc, crashes)
            if sig not in seen:
                seen.add(sig)
                print(f"\nFUZZ-CRASH {sig}", flush=True)

    atheris.Setup([sys.argv[0], *libfuzzer_args], one_input)
    atheris.Fuzz()


_STAT = re.compile(r"^stat::number_of_executed_units:\s*(\d+)", re.M)
_DONE = re.compile(r"^#(\d+)\s+DONE\b", re.M)
_COV = re.compile(r"\bcov: (\d+) ft: (\d+)(?: corp: (\d+)/)?")
_CRASH = re.compile(r"^FUZZ-CRASH (.+)$", re.M)
_ARTIFACT = re.compile(r"Test unit written to (\S+)")


def fuzz(target: str, seconds: float, work: Path, crashes: Path) -> dict[str, Any]:
    """Run one target for `seconds` in libFuzzer processes; what they reported."""
    corpus, seed_dir = work / "corpus" / target, work / "seeds" / target
    logs, dicts = work / "logs", work / "dict"
    for folder in (corpus, seed_dir, logs, dicts, crashes):
        folder.mkdir(parents=True, exist_ok=True)
    for i, seed in enumerate(seeds(target)):
        (seed_dir / f"seed-{i}").write_bytes(seed)
    dict_file = dicts / f"{target}.dict"
    dict_file.write_text("\n".join(_dict_entry(w) for w in dictionary(target)) + "\n")
    result: dict[str, Any] = {"target": target, "executions": 0, "cov": 0, "ft": 0, "corpus": 0}
    crash_sigs: list[str] = []
    artifacts: list[str] = []
    started = time.monotonic()
    log_path = logs / f"{target}.log"
    with log_path.open("w", encoding="utf-8") as log:
        for _ in range(MAX_RESTARTS):
            left = int(seconds - (time.monotonic() - started))
            if left < 2:
                break
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--worker",
                target,
                "--crashes",
                str(crashes),
                "--",
                f"-max_total_time={left}",
                "-timeout=10",
                "-rss_limit_mb=2048",
                "-max_len=4096",
                "-print_final_stats=1",
                f"-artifact_prefix={crashes}/{target}-",
                f"-dict={dict_file}",
                str(corpus),
                str(seed_dir),
            ]
            proc = subprocess.run(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                check=False,
                cwd=ROOT,
            )
            log.write(proc.stdout)
            out = proc.stdout
            runs = _STAT.findall(out) or _DONE.findall(out)
            result["executions"] += int(runs[-1]) if runs else 0
            covs = _COV.findall(out)
            if covs:
                cov, ft, corp = covs[-1]
                result["cov"] = max(result["cov"], int(cov))
                result["ft"] = max(result["ft"], int(ft))
                result["corpus"] = int(corp or 0) or result["corpus"]
            crash_sigs += [s for s in _CRASH.findall(out) if s not in crash_sigs]
            artifacts += _ARTIFACT.findall(out)
            if proc.returncode == 0:
                break
            # libFuzzer stopped on its own: a timeout, out of memory, or a crash outside the
            # harness (the artifact says which); go on with the time left
            tail = out.strip().splitlines()[-3:]
            log.write(f"\n[fuzz.py] worker exited {proc.returncode}; restarting\n")
            if not _ARTIFACT.search(out):
                artifacts.append(f"worker exit {proc.returncode}: {' | '.join(tail)}")
    result["seconds"] = time.monotonic() - started
    result["crashes"] = crash_sigs + artifacts
    result["log"] = str(log_path)
    return result


def reproduce(target: str, files: list[Path]) -> int:
    """Run a target on saved inputs, without atheris; 1 when any still fails."""
    failed = 0
    for file in files:
        try:
            TARGETS[target](file.read_bytes())
        except Exception as exc:
            failed += 1
            print(f"{file}: {signature(exc)}")
            traceback.print_exception(exc)
        else:
            print(f"{file}: ok")
    return 1 if failed else 0


def table(rows: list[dict[str, Any]]) -> str:
    header = ("target", "seconds", "executions", "exec/s", "cov", "ft", "corpus", "crashes")
    lines = [header]
    for r in rows:
        rate = r["executions"] / r["seconds"] if r["seconds"] else 0.0
        lines.append(
            (
                r["target"],
                f"{r['seconds']:.0f}",
                str(r["executions"]),
                f"{rate:.0f}",
                str(r["cov"]),
                str(r["ft"]),
                str(r["corpus"]),
                str(len(r["crashes"])),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    )


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    libfuzzer_args: list[str] = []
    if "--" in args_in:
        cut = args_in.index("--")
        args_in, libfuzzer_args = args_in[:cut], args_in[cut + 1 :]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--target", default="all", choices=[*TARGETS, "all"])
    parser.add_argument("--seconds", type=float, default=60.0, help="per target")
    parser.add_argument(
        "--corpus",
        type=Path,
        default=ROOT / "build" / "fuzz",
        help="working folder: corpus/<target>, seeds, dictionaries, logs",
    )
    parser.add_argument(
        "--crashes", type=Path, default=None, help="where crash inputs go (default: CORPUS/crashes)"
    )
    parser.add_argument("--reproduce", type=Path, nargs="+", help="run the target on inputs")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(args_in)
    crashes: Path = args.crashes or args.corpus / "crashes"
    if args.worker:
        worker(args.worker, crashes, libfuzzer_args)
        return 0
    names = list(TARGETS) if args.target == "all" else [args.target]
    if args.reproduce:
        if args.target == "all":
            parser.error("--reproduce needs --target NAME")
        return reproduce(args.target, args.reproduce)
    rows = []
    for name in names:
        print(f"fuzzing {name} for {args.seconds:.0f} s ...", flush=True)
        rows.append(fuzz(name, args.seconds, args.corpus, crashes / name))
    print()
    print(table(rows))
    for row in rows:
        for crash in row["crashes"]:
            print(f"  {row['target']}: {crash}")
    if any(row["crashes"] for row in rows):
        print(f"\ncrash inputs and tracebacks: {crashes}/<target>/; logs: {args.corpus}/logs/")
        return 1
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
