"""bench/fuzz.py's targets: their seeds pass everywhere; a short fuzz run only when asked.

    SEMFIND_FUZZ_SECONDS=10 .venv/bin/python -m pytest tests/test_fuzz.py

fuzzes each target for that many seconds (needs the fuzz extra: pip install -e '.[fuzz]').
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import load_bench

ROOT = Path(__file__).resolve().parent.parent


fuzz = load_bench("fuzz")


@pytest.mark.parametrize("target", sorted(fuzz.TARGETS))
def test_fuzz_target_accepts_its_seeds(target: str) -> None:
    """The harness and its invariants hold on valid input, without atheris."""
    for seed in fuzz.seeds(target):
        fuzz.TARGETS[target](seed)


def test_repeat_switch() -> None:
    assert fuzz.expand(b"\x00abc") == b"abc"
    assert fuzz.expand(fuzz.repeated(b"ab", 3, b"!")) == b"ababab!"


@pytest.mark.parametrize("target", sorted(fuzz.TARGETS))
def test_fuzz_target_finds_no_crash(target: str, tmp_path: Path) -> None:
    seconds = os.environ.get("SEMFIND_FUZZ_SECONDS")
    if not seconds:
        pytest.skip("opt-in: set SEMFIND_FUZZ_SECONDS=N to fuzz each target for N seconds")
    if importlib.util.find_spec("atheris") is None:
        pytest.skip("atheris is not installed (pip install -e '.[fuzz]')")
    command = [sys.executable, str(ROOT / "bench" / "fuzz.py"), "--target", target]
    command += ["--seconds", seconds, "--corpus", str(tmp_path)]
    run = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
