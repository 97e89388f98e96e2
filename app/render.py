"""Turning engine results into terminal text and JSON lines."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from semfind.engine.search.query import NO_CLOSE_MATCH, any_close, query_terms, term_pattern

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import Console

    from semfind.engine.search.aggregate import Hit
    from semfind.engine.store.index_facts import ModelVectors
    from semfind.indexer.indexing import IndexReport

SNIPPET_CHARS = 240


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def shown_path(path: str) -> str:
    """`path` safe to print as rich markup: control characters (a newline in a file name)
    written as escapes, markup escaped. Every path printed as markup goes through here."""
    return escape(printable(path))


def shown(text: object) -> str:
    """A reason, an error or a command for rich markup: `[/]` or `[bold]` in it is printed
    as written, never read as a style (rich would restyle or raise). Newlines are kept."""
    return escape(str(text))


def printable(path: str) -> str:
    """`path` on one line: control characters written as escapes ("\\n"), for plain text."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], path)


def snippet(text: str, query: str, width: int = SNIPPET_CHARS) -> str:
    """The unit text on one line, cut around the first query word it contains."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    lowered = flat.lower()
    positions = [lowered.find(w) for w in query_terms(query) if lowered.find(w) >= 0]
    start = max(0, min(positions) - width // 4) if positions else 0
    cut = flat[start : start + width]
    return ("…" if start else "") + cut + ("…" if start + width < len(flat) else "")


def highlight(text: str, query: str) -> str:
    """Rich markup of `text` with the query's words in bold."""
    pattern = term_pattern(query)
    if pattern is None:
        return escape(text)
    out, last = [], 0
    for match in pattern.finditer(text):
        out += [escape(text[last : match.start()]), f"[bold yellow]{escape(match.group())}[/]"]
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


def print_hits(console: Console, hits: Sequence[Hit], query: str) -> None:
    if not hits:
        console.print("[dim]no results[/]")
        return
    if any_close(hits) is False:
        console.print(f"[yellow]{NO_CLOSE_MATCH}[/]", soft_wrap=True)
    for rank, hit in enumerate(hits, start=1):
        more = f"  [dim]+{len(hit.matches) - 1} more[/]" if len(hit.matches) > 1 else ""
        where = shown_path(hit.location)
        console.print(
            f"[bold]{rank:>2}.[/] [cyan]{where}[/]  [dim]{hit.score:.4f}[/]{more}",
            soft_wrap=True,
        )
        console.print("    " + evidence(hit, query), soft_wrap=True)


def evidence(hit: Hit, query: str, width: int = SNIPPET_CHARS) -> str:
    """The passage on one line around its best match, the match underlined, query words bold."""
    text = hit.passage.text
    spans = hit.evidence_spans()
    if not spans:
        return highlight(snippet(hit.text, query, width), query)
    first, last = spans[0][0], spans[-1][1]
    before = " ".join(text[:first].split())
    after = " ".join(text[last:].split())
    room = max(0, (width - (last - first)) // 2)
    # Cut at word boundaries so the context never starts or ends mid-word.
    head = ("…" + before[-room:].partition(" ")[2]) if len(before) > room else before
    tail = (after[:room].rpartition(" ")[0] + "…") if len(after) > room else after
    marked = " ".join(
        f"[underline]{highlight(' '.join(text[s:e].split()), query)}[/underline]" for s, e in spans
    )
    left = " " if head and text[first - 1].isspace() else ""
    right = " " if tail and last < len(text) and text[last].isspace() else ""
    return f"{highlight(head, query)}{left}{marked}{right}{highlight(tail, query)}"


def hit_json(rank: int, hit: Hit, mode: str) -> str:
    return json.dumps({"rank": rank, "mode": mode, **hit.to_json()}, ensure_ascii=False)


def print_report(console: Console, report: IndexReport, model_name: str) -> None:
    console.soft_wrap = True
    moved = f"{report.moved} moved, " if report.moved else ""
    console.print(
        f"[bold green]indexed[/] {plural(report.indexed, 'file')} into "
        f"{plural(report.units, 'unit')} ({report.unchanged:,} unchanged, {moved}"
        f"{report.removed:,} removed) "
        f"in {report.elapsed:.1f} s"
    )
    if report.first_searchable_s is not None and report.pass1_s is not None:
        console.print(
            f"searchable by keyword: the first file after {report.first_searchable_s:.1f} s, "
            f"every file after {report.pass1_s:.1f} s; vectors followed"
        )
    if report.embedded or report.reused:
        console.print(
            f"embedding: {plural(report.embedded, 'unit')}, {plural(report.tokens, 'token')} in "
            f"{report.embed_seconds:.1f} s = [bold]{report.tokens_per_s:,.0f} tokens/s[/], "
            f"[bold]{report.units_per_s:,.1f} units/s[/]; "
            f"{report.reused:,} reused from the content-hash cache"
        )
    if report.shares.total:
        console.print(f"embedded tokens: {report.shares.describe()}")
    if report.coverage is not None and not report.coverage.complete:
        left = "the next `semfind index` or the daemon builds the rest"
        console.print(f"[yellow]{report.coverage.describe()}[/]; {left}")
    if report.llm_upgraded:
        console.print(
            f"LLM propositions: {plural(report.llm_upgraded, 'file')} upgraded, "
            f"{plural(report.llm_accepted, 'proposition')} kept, "
            f"{report.llm_rejected:,} rejected as unsupported by their sentence"
        )
    if report.backend is not None:
        console.print(f"backend: {report.backend.describe()} · model {model_name}")
    _print_problems(console, "failed", report.failed, "red")
    _print_problems(console, "skipped", report.skipped, "yellow")
    _print_problems(console, "indexed in part", report.partial, "yellow")


def _print_problems(console: Console, label: str, items: list[tuple[str, str]], color: str) -> None:
    if not items:
        return
    console.print(f"[{color}]{label} ({len(items)}):[/]")
    for path, reason in items[:50]:
        console.print(f"  {shown_path(path)}: {escape(_reason(label, reason))}", soft_wrap=True)
    if len(items) > 50:
        console.print(f"  … and {len(items) - 50} more (see `semfind status --failed`)")


def counts_table(counts: dict[str, int], distinct_texts: int) -> Table:
    """Files and units; the vectors are per model, on lines of their own (`vectors_line`)."""
    table = Table(show_header=False, box=None)
    for key in ("files", "failed", "skipped"):
        table.add_row(key, f"{counts[key]:,}")
    units = counts["units"]
    shared = f" ({plural(distinct_texts, 'distinct text')})" if distinct_texts != units else ""
    table.add_row("units", f"{units:,}{shared}")
    return table


def kinds_line(kinds: dict[str, int]) -> str:
    """Indexed files per kind: "by kind: markdown 12, pdf 3, docx 1"."""
    return "by kind: " + ", ".join(f"{escape(kind)} {count:,}" for kind, count in kinds.items())


def vectors_line(model: ModelVectors, distinct_texts: int) -> str:
    """How far a model's vectors cover the units: identical texts share one vector; units
    without one are found by their keywords only."""
    head = f"vectors for {escape(model.model)} ({model.dim}-d): "
    units, missing = model.units, model.texts_to_build
    floor = (
        f"; propositions of passages under {model.part_floor} use their passage's"
        " (vector_min_parts)"
        if model.part_floor > 1
        else ""
    )
    if missing == 0:
        shared = f" ({plural(distinct_texts, 'distinct text')})" if distinct_texts != units else ""
        return head + f"all {plural(units, 'unit')} have one{shared}{floor}"
    have = distinct_texts - missing
    share = min(model.percent, 99.0) if model.units_without < units else 0.0
    return head + (
        f"{share:.0f} % of {plural(units, 'unit')}; {have:,} of "
        f"{plural(distinct_texts, 'distinct text')} ({missing:,} to build): "
        f"results by keyword only for the rest{floor}"
    )


def plural(count: int, noun: str) -> str:
    """ "1 file", "2 files", "1,000 units"."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def failure_line(status: str, path: str, error: str | None) -> str:
    """One line of `status --failed`: what happened to the file, and why."""
    label = "indexed in part" if status == "indexed" else status
    color = "red" if status == "failed" else "yellow"
    return f"[{color}]{label}[/] {shown_path(path)}: {escape(_reason(label, error or ''))}"


def _reason(label: str, text: str) -> str:
    """The reason without a repeat of its label ("indexed in part: indexed in part: ...")."""
    return text.removeprefix(f"{label}: ")
