"""When does an indexed file become searchable? (issue 23, item 1)

Writes the first N documents of a BEIR corpus as Markdown files, runs `semfind index` on
them (the `semfind` given, so two checkouts can be compared) and polls the index from
outside: seconds until the first file is committed (found by keyword), until every file
is, and until the run ends. A file's row is committed with its keyword rows in one
transaction, in every version, so the committed-file count is what keyword search can see.

    python bench/twopass.py ../shared/data/beir/scifact --docs 800 --semfind .venv/bin/semfind
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from semfind.engine.store import index_facts


def write_markdown(corpus: Path, folder: Path, count: int) -> int:
    folder.mkdir(parents=True)
    written = 0
    with corpus.open() as lines:
        for line in lines:
            if written == count:
                break
            doc = json.loads(line)
            name = "".join(c if c.isalnum() else "_" for c in str(doc["_id"]))
            (folder / f"{name}.md").write_text(f"# {doc.get('title', '')}\n\n{doc['text']}\n")
            written += 1
    return written


def committed(db: Path) -> int:
    return index_facts.committed_files(db) if db.exists() else 0


def run(semfind: str, folder: Path, db: Path, total: int) -> dict[str, float | None]:
    started = time.perf_counter()
    child = subprocess.Popen(
        [semfind, "--db", str(db), "index", "-q", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    first: float | None = None
    every: float | None = None
    while child.poll() is None:
        count = committed(db)
        now = time.perf_counter() - started
        if count and first is None:
            first = now
        if count >= total and every is None:
            every = now
        time.sleep(0.05)
    end = time.perf_counter() - started
    report = child.stderr.read() if child.stderr else ""
    if child.returncode:
        raise SystemExit(f"semfind index failed: {report}")
    print(report.strip())
    return {"first_keyword_s": first or end, "all_keyword_s": every or end, "total_s": end}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path, help="a BEIR folder with corpus.jsonl")
    parser.add_argument("--docs", type=int, default=800)
    parser.add_argument("--semfind", default="semfind", help="the semfind command to time")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="semfind-twopass-"))
    try:
        total = write_markdown(args.dataset / "corpus.jsonl", work / "docs", args.docs)
        figures = run(args.semfind, work / "docs", work / "index.sqlite3", total)
        again = time.perf_counter()
        subprocess.run(
            [args.semfind, "--db", str(work / "index.sqlite3"), "index", "-q", str(work / "docs")],
            check=True,
            capture_output=True,
        )
        figures["unchanged_rerun_s"] = time.perf_counter() - again
        print(json.dumps({"docs": total, "semfind": args.semfind, **figures}))
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
