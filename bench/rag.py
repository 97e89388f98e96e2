#!/usr/bin/env python3
"""`semfind ask` end to end on a SQuAD-format JSON: answers, citations, declining, time.

    python bench/rag.py ../shared/data/squad-sample/squad-v1.1-sample.json
        [--impossible bench/data/squad-sample-impossible.json] [--llm] [--cold N] [--tune]

Writes each article to a Markdown file (one paragraph per block) in a folder of the cache
dir, indexes it through the same indexer and store as `semfind index` (a rerun reuses the
index), asks every question through the engine's Asker and prints, for the extractive
answer (and with --llm the LLM rewrite and both together):
  - answer contains a gold answer (SQuAD normalisation), token F1 and exact match (of the
    answer and of its highlighted span),
  - a citation covers the gold paragraph,
  - answerable questions declined, and with --impossible, unanswerable questions answered,
  - time per question (warm, in process) and with --cold N, `semfind ask --no-llm` from a
    cold CLI for N questions.
--tune grid-searches the extractive weights and the decline floor (on this set: use it on a
sample, and check the result on a set it was not tuned on).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import re
import statistics
import string
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from beir import machine

from semfind.engine import paths
from semfind.engine.ask.answer import Answer, Asker
from semfind.engine.ask.evidence import gather_evidence, pack
from semfind.engine.ask.extractive import WEIGHTS, Candidate, Weights, score_all
from semfind.engine.ask.extractive import candidates as all_candidates
from semfind.engine.config import Settings, load_settings
from semfind.engine.search.query import Filters
from semfind.engine.search.searcher import Searcher
from semfind.engine.session.engine import Engine
from semfind.indexer.indexing import Indexer

DECLINE_BUDGET = 0.07
"""Share of answerable questions the tuned floor may decline (the target is at most 10 %)."""


@dataclass(frozen=True)
class Question:
    text: str
    answers: tuple[str, ...]
    """Gold answers; empty for a question the files do not answer."""
    path: str
    lines: tuple[int, int]
    """First and last line of the gold paragraph in its file."""


# -- data -----------------------------------------------------------------------


def write_articles(squad: Path, folder: Path) -> list[Question]:
    """One Markdown file per article; the questions with their paragraph's lines."""
    data = json.loads(squad.read_text(encoding="utf-8"))["data"]
    folder.mkdir(parents=True, exist_ok=True)
    questions: list[Question] = []
    for article in data:
        title = article["title"].replace("_", " ")
        path = folder / f"{article['title']}.md"
        lines = [f"# {title}", ""]
        for paragraph in article["paragraphs"]:
            first = len(lines) + 1
            block = " ".join(paragraph["context"].split())
            lines += [block, ""]
            for qa in paragraph["qas"]:
                gold = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                questions.append(Question(qa["question"], gold, str(path), (first, first)))
        text = "\n".join(lines)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return questions


def impossible(extra: Path, squad: Path) -> list[Question]:
    """Unanswerable questions; each is checked not to be answered word for word."""
    asked = json.loads(extra.read_text(encoding="utf-8"))["questions"]
    return [Question(q, (), "", (0, 0)) for group in asked.values() for q in group]


# -- SQuAD scoring (the official script's normalisation) ----------------------------


def normalize(text: str) -> str:
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def f1(prediction: str, gold: str) -> float:
    pred, ref = normalize(prediction).split(), normalize(gold).split()
    common = sum((Counter(pred) & Counter(ref)).values())
    if not common:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def contains(prediction: str, answers: Sequence[str]) -> bool:
    text = f" {normalize(prediction)} "
    return any(f" {normalize(a)} " in text for a in answers if normalize(a))


# -- one question ---------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    question: Question
    declined: bool
    answer: str
    """What is shown as the answer (empty when declined)."""
    focus: str
    """The highlighted span of the extractive answer (the answer itself where none)."""
    cited: tuple[tuple[str, int, int], ...]
    """(path, first line, last line) of each cited sentence."""
    seconds: float


def covers(outcome: Outcome) -> bool:
    q = outcome.question
    return any(p == q.path and a <= q.lines[1] and b >= q.lines[0] for p, a, b in outcome.cited)


def outcome_of(question: Question, answer: Answer, part: str, seconds: float) -> Outcome:
    """One view of an answer: "extract", "llm" or "both"."""
    extract = answer.extract
    if part == "llm" and not answer.written:
        return Outcome(question, True, "", "", (), seconds)
    if answer.verdict == "not_found":
        return Outcome(question, True, "", "", (), seconds)
    quotes = [q for q in extract.quotes if not q.context]
    cited = tuple((q.hit.path, q.line_start, q.line_end) for q in quotes)
    written = " ".join(s.text for s in answer.written)
    quoted = " ".join(q.text for q in extract.quotes)
    text = {"extract": quoted, "llm": written, "both": f"{written} {quoted}".strip()}[part]
    spans = [q.text[a:b] for q in quotes if (f := q.focus_in_text()) for a, b in [f]]
    focus = written if part == "llm" else (spans[0] if spans else text)
    if part == "llm":
        cited = tuple(
            (s.quote.hit.path, s.quote.line_start, s.quote.line_end)
            for s in answer.written
            if s.quote is not None
        )
    return Outcome(question, False, text, focus, cited, seconds)


# -- tables ---------------------------------------------------------------------


def table(label: str, outcomes: list[Outcome]) -> list[str]:
    answerable = [o for o in outcomes if o.question.answers]
    unanswerable = [o for o in outcomes if not o.question.answers]
    given = [o for o in answerable if not o.declined]
    times = sorted(o.seconds for o in outcomes)

    def share(items: list[Outcome], test: Callable[[Outcome], bool]) -> str:
        if not items:
            return "—"
        hits = sum(1 for o in items if test(o))
        return f"{100 * hits / len(items):.1f} % ({hits}/{len(items)})"

    row = [
        label,
        share(answerable, lambda o: not o.declined and contains(o.answer, o.question.answers)),
        f"{statistics.fmean(max(f1(o.focus, a) for a in o.question.answers) for o in given):.3f}"
        if given
        else "—",
        share(
            answerable,
            lambda o: (
                not o.declined and normalize(o.focus) in {normalize(a) for a in o.question.answers}
            ),
        ),
        share(answerable, lambda o: not o.declined and covers(o)),
        share(answerable, lambda o: o.declined),
        share(unanswerable, lambda o: not o.declined),
        f"{statistics.fmean(len(o.answer.split()) for o in given):.0f}" if given else "—",
        f"{1000 * _pct(times, 0.5):.0f} / {1000 * _pct(times, 0.95):.0f}",
    ]
    return row


HEAD = [
    "answer",
    "contains gold",
    "F1 (span)",
    "EM (span)",
    "cites gold paragraph",
    "answerable declined",
    "unanswerable answered",
    "words",
    "warm ms p50 / p95",
]


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(q * len(values)))]


def print_table(rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [HEAD, *rows]) for i in range(len(HEAD))]
    for row in [HEAD, ["-" * w for w in widths], *rows]:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


# -- tuning ---------------------------------------------------------------------


def tune(
    searcher: Searcher, questions: list[Question], settings: Settings
) -> tuple[Weights, float]:
    """Grid search of the weights (answer contains gold) and then the decline floor."""
    cached: list[tuple[Question, list[Candidate]]] = []
    for q in questions:
        evidence = gather_evidence(searcher, q.text, settings.ask_sources, Filters())
        sources = pack(evidence.hits, 4096, lambda t: len(t.split()))
        cached.append((q, all_candidates(q.text, sources, evidence)))
    grid = itertools.product(
        (1.0,), (0.2, 0.4, 0.6, 0.8, 1.0, 1.2), (0.0, 0.1, 0.2, 0.3), (0.0, 0.1, 0.2, 0.4)
    )
    best: tuple[float, Weights] = (-1.0, WEIGHTS)
    for sim, overlap, typed, rank in grid:
        weights = dataclasses.replace(
            WEIGHTS, similarity=sim, overlap=overlap, typed=typed, rank=rank
        )
        good = 0
        for q, found in cached:
            if not q.answers or not found:
                continue
            good += contains(score_all(found, weights)[0].text, q.answers)
        if good > best[0]:
            best = (good, weights)
    print(f"tuned on {len(cached)} questions: {best[1]}")
    print(f"  the best sentence alone contains gold for {best[0]}")
    _floor(cached, best[1], "with the tuned weights")
    # The run below asks through the engine, which scores with its own WEIGHTS: its floor
    # must come from those, whatever the grid preferred.
    floor = _floor(cached, WEIGHTS, "with the engine's weights (used below)")
    return best[1], floor


def _floor(cached: list[tuple[Question, list[Candidate]]], weights: Weights, label: str) -> float:
    """The floor that declines at most DECLINE_BUDGET of the answerable questions; whatever
    unanswerable ones score above it are answered (both rates are printed)."""
    tops = [
        (bool(q.answers), score_all(found, weights)[0].score if found else -1.0)
        for q, found in cached
    ]
    answerable = sorted(s for a, s in tops if a)
    floor = round(answerable[int(DECLINE_BUDGET * len(answerable))], 2) if answerable else 0.0
    unanswerable = [s for a, s in tops if not a]
    print(
        f"  floor {floor:.2f} {label}: {sum(1 for s in answerable if s < floor)}/"
        f"{len(answerable)} answerable declined, "
        f"{sum(1 for s in unanswerable if s >= floor)}/{len(unanswerable)} unanswerable answered"
    )
    return floor


# -- running --------------------------------------------------------------------


def ask_all(asker: Asker, questions: list[Question]) -> Iterator[tuple[Question, Answer, float]]:
    for q in questions:
        start = time.perf_counter()
        final = [e for e in asker.ask(q.text) if isinstance(e, Answer)][-1]
        yield q, final, time.perf_counter() - start


@dataclass(frozen=True)
class ColdRun:
    """One question through new `semfind ask` processes, without and with the LLM."""

    extract_runs: tuple[float, ...]
    """Wall times of `semfind ask --no-llm`: the one just before the LLM's run, then others."""
    llm_s: float
    """Wall time of `semfind ask`, 0 when the LLM was not run."""
    gen_s: float
    """The LLM's time generating the answer's own tokens (from its JSON)."""
    outcome: str = ""
    """What became of the LLM's rewrite ("slow": not begun in the time it had)."""

    @property
    def extract_s(self) -> float:
        """The question's extractive time: the median of its runs (one process varies by
        about ±0.1 s, which the budget would count twice)."""
        return statistics.median(self.extract_runs)

    def excess(self, paired: bool = False) -> float:
        """Seconds over the budget (negative: within it); `paired` measures against the
        one `--no-llm` run just before, instead of the median."""
        extract = self.extract_runs[0] if paired else self.extract_s
        return self.llm_s - (2 * extract + self.gen_s)


def _ask_process(db: Path, question: str, flags: list[str]) -> tuple[float, dict[str, Any]]:
    semfind = Path(sys.executable).with_name("semfind")
    start = time.perf_counter()
    done = subprocess.run(
        [str(semfind), "--db", str(db), "ask", *flags, "--json", question],
        check=True,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - start, json.loads(done.stdout)


COLD_REPEATS = 3
"""Cold `--no-llm` runs per question."""


def cold(db: Path, questions: list[Question], n: int, llm: bool) -> list[ColdRun]:
    """Each of N answerable questions asked by new processes, with --no-llm, then (with
    the LLM) without, then with --no-llm again, back to back so all meet the same load."""
    runs = []
    for q in [q for q in questions if q.answers][:n]:
        extract_s, _ = _ask_process(db, q.text, ["--no-llm"])
        llm_s, gen_s, outcome = 0.0, 0.0, ""
        if llm:
            llm_s, answer = _ask_process(db, q.text, [])
            gen_s, outcome = float(answer["tokens"]["gen_s"]), str(answer["llm"]["outcome"])
        more = [_ask_process(db, q.text, ["--no-llm"])[0] for _ in range(COLD_REPEATS - 1)]
        runs.append(ColdRun((extract_s, *more), llm_s, gen_s, outcome))
    return runs


def _p50_p95(times: list[float]) -> str:
    times = sorted(times)
    return f"{1000 * _pct(times, 0.5):.0f} / {1000 * _pct(times, 0.95):.0f}"


def budget(answers: list[tuple[Question, Answer, float]]) -> str:
    """Share of LLM answers within 2x the extractive time plus their own tokens' generation
    (the LLM's load and prompt must cost no more than the extract did)."""
    within = 0
    counted = 0
    for _, answer, _ in answers:
        t = answer.timings
        if "generate_s" not in t:
            continue
        counted += 1
        extractive = t["retrieve_s"] + t["extract_s"]
        own = answer.llm.gen_s
        within += t["total_s"] <= 2 * extractive + own
    return f"{within}/{counted}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("squad", type=Path, help="a SQuAD-format JSON file")
    parser.add_argument("--impossible", type=Path, help="JSON of unanswerable questions")
    parser.add_argument("--llm", action="store_true", help="also measure the LLM rewrite")
    parser.add_argument("--cold", type=int, default=0, help="cold-CLI timings for N questions")
    parser.add_argument("--tune", action="store_true", help="fit the extractive weights")
    parser.add_argument("--limit", type=int, default=0, help="ask only the first N questions")
    args = parser.parse_args()
    run(args)


def run(args: argparse.Namespace) -> None:
    name = args.squad.stem
    root = paths.cache_dir() / "bench" / f"rag-{name}"
    questions = write_articles(args.squad, root / "files")
    if args.limit:
        questions = questions[:: max(1, len(questions) // args.limit)][: args.limit]
    if args.impossible:
        questions += impossible(args.impossible, args.squad)
    db = root / "index.sqlite3"
    settings = dataclasses.replace(load_settings(), db=db)
    print(f"benchmark index: {db}", file=sys.stderr)
    engine = Engine(settings, writer=True, warm=True)
    with engine:
        embedder = engine.embedder()
        report = Indexer(engine.store(), embedder, settings).index_paths([root / "files"])
        print(f"indexed {report.files_done} files", file=sys.stderr)
        searcher = engine.searcher()
        if args.tune:
            _, floor = tune(searcher, questions, settings)
            settings = dataclasses.replace(settings, ask_min_score=floor)
        llm = engine.llm() if args.llm else None  # loaded before the clock starts
        asker = Asker(
            engine.llm if llm else None,
            engine.evidence,
            dataclasses.replace(settings, ask_llm=bool(llm)),
        )
        answers = list(ask_all(asker, questions))
        parts = ("extract", "llm", "both") if llm else ("extract",)
        rows = [table(part, [outcome_of(q, a, part, t) for q, a, t in answers]) for part in parts]
    print(
        f"\n{name}: {sum(1 for q in questions if q.answers)} answerable, "
        f"{sum(1 for q in questions if not q.answers)} unanswerable questions"
    )
    print(f"machine: {machine()}; embedder {embedder.name}; LLM {llm.name if llm else '—'}\n")
    print_table(rows)
    if llm:
        print(f"\nLLM answers within 2x extractive time + own generation: {budget(answers)}")
        for name in ("llm_load_s", "first_token_s", "generate_s", "total_s"):
            values = sorted(a.timings[name] for _, a, _ in answers if name in a.timings)
            print(f"  {name}: p50 {_pct(values, 0.5):.3f} s, p95 {_pct(values, 0.95):.3f} s")
    if args.cold:
        runs = cold(db, questions, args.cold, bool(llm))
        print(f"\ncold CLI, {len(runs)} answerable questions, ms p50 / p95:")
        runs_of_extract = [t for r in runs for t in r.extract_runs]
        print(f"  semfind ask --no-llm: {_p50_p95(runs_of_extract)}")
        if llm:
            print(f"  semfind ask:          {_p50_p95([r.llm_s for r in runs])}")
            print("  ask within 2x --no-llm + its own generation, and by how much (s):")
            for label, paired in (("median of the question's runs", False), ("run before", True)):
                excess = sorted(r.excess(paired) for r in runs)
                print(
                    f"    vs {label}: {sum(e <= 0 for e in excess)}/{len(runs)} within;"
                    f" over p50 {_pct(excess, 0.5):+.3f}, p90 {_pct(excess, 0.9):+.3f},"
                    f" max {excess[-1]:+.3f}"
                )
            slow = sum(r.outcome == "slow" for r in runs)
            print(f"  rewrites not begun in time (the quotes stood alone): {slow}/{len(runs)}")


if __name__ == "__main__":
    main()
