"""Showing an answer in the terminal: streamed as it is written, then checked and marked."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.live import Live
from rich.text import Text

from semfind.engine.answer import Answer, AskEvent, Piece, Retrieved

if TYPE_CHECKING:
    from semfind.engine.evidence import Source

MARKS = {
    "unsupported": ("yellow", "no supporting source"),
    "invalid": ("red", "cites a source that does not exist"),
    "misquoted": ("red", "quote not found in the source"),
}


def run_json(events: Iterable[AskEvent]) -> str:
    """The final answer as one JSON object."""
    answer = _last_answer(events)
    return json.dumps(answer.to_json(), ensure_ascii=False)


def run_live(out: Console, events: Iterable[AskEvent]) -> Answer:
    """Stream the draft on a terminal, then replace it with the checked answer."""
    draft = Text()
    searching = Text("Searching…", style="dim")
    with Live(searching, console=out, auto_refresh=False, vertical_overflow="visible") as live:
        for event in events:
            if isinstance(event, Retrieved):
                note = f"Reading {len(event.sources)} passages…" if event.sources else ""
                live.update(Text(note, style="dim"), refresh=True)
            elif isinstance(event, Piece):
                draft.append(event.text)
                live.update(draft, refresh=True)
            else:
                live.update(checked(event), refresh=True)
                answer = event
    print_sources(out, answer)
    return answer


def run_plain(out: Console, events: Iterable[AskEvent]) -> Answer:
    answer = _last_answer(events)
    out.print(checked(answer))
    print_sources(out, answer)
    return answer


def _last_answer(events: Iterable[AskEvent]) -> Answer:
    final = [event for event in events if isinstance(event, Answer)]
    return final[-1]


def checked(answer: Answer) -> Text:
    """The answer with each sentence the checker doubts marked, and why."""
    if answer.verdict == "not_found":
        return Text(answer.text, style="bold yellow")
    text = Text()
    position = 0
    for sentence in answer.check.sentences:
        text.append(answer.text[position : sentence.start])
        mark = MARKS.get(sentence.status)
        if mark is None:
            text.append(sentence.text)
            if sentence.status == "attributed":
                text.append(f" [{sentence.citations[0]}]", style="dim italic")
        else:
            text.append(sentence.text, style=mark[0])
            text.append(f" ⚠ {mark[1]}", style=f"italic {mark[0]}")
        position = sentence.end
    text.append(answer.text[position:])
    return text


def print_sources(out: Console, answer: Answer) -> None:
    cited = set(answer.check.cited)
    heading = "Sources" if answer.verdict != "not_found" else "Closest passages"
    lines: list[Text] = [Text(f"\n{heading}", style="bold")] if answer.sources else []
    lines += [_source_line(source, source.number in cited) for source in answer.sources]
    lines.append(Text(footer(answer), style="dim"))
    out.print(Group(*lines))


def _source_line(source: Source, cited: bool) -> Text:
    flat = " ".join(source.hit.text.split())
    return Text.assemble(
        (f"[{source.number}] ", "bold" if cited else "dim"),
        (str(Path(source.location)), "bold cyan" if cited else "cyan"),
        ("  " + (flat[:110] + "…" if len(flat) > 110 else flat), "" if cited else "dim"),
    )


def footer(answer: Answer, timings: bool = True) -> str:
    """Model, timings, tokens/s and the check's tally on one line."""
    parts = [answer.model]
    if timings:
        parts.append(f"retrieval {answer.timings.get('retrieve_s', 0.0):.2f} s")
    if timings and "first_token_s" in answer.timings:
        parts.append(f"first token {answer.timings['first_token_s']:.2f} s")
    stats = answer.llm
    if stats.gen_tokens:
        approx = "≈" if stats.estimated else ""
        if stats.prompt_tokens:
            parts.append(f"prompt {stats.prompt_tokens} tok at {stats.prompt_tps:.0f} tok/s")
        parts.append(f"answer {approx}{stats.gen_tokens} tok at {approx}{stats.gen_tps:.0f} tok/s")
    check = answer.check
    if check.sentences:
        parts.append(f"checked: {check.supported} of {len(check.sentences)} sentences supported")
    if any(s.status == "attributed" for s in check.sentences):
        parts.append("grey [n]: source found by the check, not cited by the model")
    return "\n" + " · ".join(parts)
