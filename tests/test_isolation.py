"""The test suite runs the same whatever SEMFIND_* settings the developer's shell has."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OURS = {"SEMFIND_DATA_DIR", "SEMFIND_CACHE_DIR", "SEMFIND_CONFIG"}


def test_a_test_sees_only_the_folders_conftest_sets() -> None:
    assert {name for name in os.environ if name.startswith("SEMFIND_")} == OURS


def test_the_shells_settings_do_not_reach_the_tests() -> None:
    leaked = {"SEMFIND_UNITS": "passage", "SEMFIND_RUNTIME_DIR": "/nowhere", "SEMFIND_DB": "x"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         f"{__file__}::test_a_test_sees_only_the_folders_conftest_sets"],
        cwd=ROOT, env={**os.environ, **leaked}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
