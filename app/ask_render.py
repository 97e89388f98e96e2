"""Showing an answer in the terminal: the quoted sentences at once, then the LLM's checked
restatement as it is written."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.live import Live
from rich.style import Style
from rich.text import Text

from semfind.engine.ask.answer import Answer, AskEvent, Extracted, Piece, Retrieved

from .render import printable

if TYPE_CHECKING:
    from semfind.engine.ask.evidence import Source
    from semfind.engine.ask.extractive import Extract, Quote

DROPPED = {
    "unsupported": "the LLM's rewrite said what the quotes do not, so it is not shown",
    "degenerate": "the LLM started repeating itself, so its rewrite is not shown",
    "refused": "the LLM found no answer in the quotes; they are shown as they are",
    "empty": "the LLM wrote nothing",
    "slow": "the LLM was not ready in time (setting ask_llm_wait_s); the quotes stand alone",
}
FOCUS = "bold underline"
CLOSEST = 5
ALSO_READ = 3
"""Uncited sources listed under the answer; --json has every one."""


def run_json(events: Iterable[AskEvent]) -> str:
    """The final answer as one JSON object."""
    answer = _last_answer(events)
    return json.dumps(answer.to_json(), ensure_ascii=False)


def run_live(out: Console, events: Iterable[AskEvent]) -> Answer:
    """The quotes as soon as they are chosen, the LLM's draft streamed under them, then the
    checked restatement in its place."""
    draft = Text(style="dim")
    live: Live | None = None
    answer: Answer | None = None
    status = out.status("Searching…", spinner="dots")
    status.start()
    try:
        for event in events:
            if isinstance(event, Retrieved):
                status.update(f"Reading {len(event.sources)} passages…")
            elif isinstance(event, Extracted):
                status.stop()
                out.print(quoted(event.extract))
                if event.llm_follows:
                    live = Live(Text("Restating…", style="dim"), console=out, transient=True)
                    live.start()
            elif isinstance(event, Piece):
                draft.append(event.text)
                if live is not None:
                    live.update(draft, refresh=True)
            else:
                answer = event
    finally:
        status.stop()
        if live is not None:
            live.stop()
    assert answer is not None
    _print_rest(out, answer)
    return answer


def run_plain(out: Console, events: Iterable[AskEvent]) -> Answer:
    answer = _last_answer(events)
    out.print(quoted(answer.extract))
    _print_rest(out, answer)
    return answer


def _last_answer(events: Iterable[AskEvent]) -> Answer:
    final = [event for event in events if isinstance(event, Answer)]
    return final[-1]


def _print_rest(out: Console, answer: Answer) -> None:
    rewrite = restated(answer)
    if rewrite is not None:
        out.print(rewrite)
    print_sources(out, answer)


QUOTED = Style(meta={"quoted": True})
"""Marks text quoted from a file."""


def quoted(found: Extract) -> Text:
    """The extractive answer: each sentence as it is in the file, with where it is."""
    from semfind.engine.ask.answer import NOT_FOUND

    if not found.found:
        return Text(NOT_FOUND, style="bold yellow")
    text = Text()
    for quote in found.quotes:
        text.append_text(quote_text(quote))
        text.append(f" [{quote.source}]", style="bold")
        text.append(f"\n   {printable(str(Path(quote.location)))}\n", style="cyan")
    text.rstrip()
    return text


def quote_text(quote: Quote) -> Text:
    """One quoted sentence with the span that holds what was asked for highlighted."""
    raw = quote.text
    offset = len(raw) - len(raw.lstrip())
    line = Text(raw.strip(), style="dim" if quote.context else "")
    # The file's own "[3]" is text, not a citation: link_citations leaves QUOTED spans alone.
    line.stylize(QUOTED, 0, len(line))
    focus = quote.focus_in_text()
    if focus is not None and not quote.context:
        line.stylize(FOCUS, max(0, focus[0] - offset), focus[1] - offset)
    return Text.assemble(("“", "dim"), line, ("”", "dim"))


def restated(answer: Answer) -> Text | None:
    """The LLM's checked restatement, or why there is none; None when it was not asked."""
    if answer.llm_outcome == "off" or answer.verdict == "not_found":
        return None
    if answer.llm_outcome == "unavailable":
        return Text(f"\n(no restatement: {answer.note})", style="dim italic")
    if not answer.written:
        return Text(f"\n({DROPPED.get(answer.llm_outcome, '')})", style="dim italic")
    text = Text("\nIn short: ", style="bold")
    for written in answer.written:
        text.append(written.text)
        if written.quote is not None:
            text.append(f" [{written.quote.source}]", style="bold")
        text.append(" ")
    dropped = sum(1 for w in answer.checked if w.status != "supported")
    if dropped:
        these = (
            "sentence the quotes do not back was"
            if dropped == 1
            else ("sentences the quotes do not back were")
        )
        text.append(f"\n({dropped} {these} left out)", "dim")
    return text


def print_sources(out: Console, answer: Answer) -> None:
    """The cited sources, then a few others read (all of them are in --json)."""
    cited = set(answer.cited)
    lines: list[Text] = []
    if answer.verdict == "not_found":
        closest = answer.sources[:CLOSEST]
        lines += [Text("\nClosest passages", style="bold")] if closest else []
        lines += [_source_line(source, False) for source in closest]
    else:
        used = [s for s in answer.sources if s.number in cited]
        others = [s for s in answer.sources if s.number not in cited]
        lines += [Text("\nSources", style="bold")] if used else []
        lines += [_source_line(source, True) for source in used]
        if others:
            lines.append(Text("Also read", style="dim bold"))
            lines += [_source_line(source, False) for source in others[:ALSO_READ]]
    lines.append(Text(footer(answer), style="dim"))
    out.print(Group(*lines))


def _source_line(source: Source, cited: bool) -> Text:
    flat = " ".join(source.hit.text.split())
    return Text.assemble(
        (f"[{source.number}] ", "bold" if cited else "dim"),
        (printable(str(Path(source.location))), "bold cyan" if cited else "cyan"),
        ("  " + (flat[:110] + "…" if len(flat) > 110 else flat), "" if cited else "dim"),
    )


def footer(answer: Answer, timings: bool = True) -> str:
    """Model, timings, tokens/s and the check's tally on one line."""
    found = answer.verdict == "answered"
    parts = ["quoted from your files" if found else "no sentence answers it closely enough"]
    if answer.model != "extractive":
        parts.append(f"restated by {answer.model}")
    if timings:
        parts.append(f"retrieval {answer.timings.get('retrieve_s', 0.0):.2f} s")
        parts.append(f"extract {answer.timings.get('extract_s', 0.0):.2f} s")
    if timings and "first_token_s" in answer.timings:
        parts.append(f"first token {answer.timings['first_token_s']:.2f} s")
    stats = answer.llm
    if stats.gen_tokens:
        approx = "≈" if stats.estimated else ""
        if stats.prompt_tokens:
            parts.append(f"prompt {stats.prompt_tokens} tok at {stats.prompt_tps:.0f} tok/s")
        parts.append(f"answer {approx}{stats.gen_tokens} tok at {approx}{stats.gen_tps:.0f} tok/s")
    if answer.checked:
        kept = sum(1 for w in answer.checked if w.status == "supported")
        parts.append(f"checked: {kept} of {len(answer.checked)} LLM sentences supported")
    return "\n" + " · ".join(parts)
