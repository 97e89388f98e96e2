"""The standalone executable: packaging/build.sh builds it, packaging/smoke.sh runs it clean."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.real_model,
    pytest.mark.skipif(
        platform.system() != "Linux" or platform.machine() != "x86_64",
        reason="the smoke test targets Linux x86_64 (other platforms: see the README)",
    ),
    pytest.mark.skipif(shutil.which("cmake") is None, reason="building llama.cpp needs cmake"),
]


def test_the_standalone_build_passes_its_smoke_test(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    env = {**os.environ, "SEMFIND_DIST": str(dist), "PYTHON": sys.executable}
    build = _run(["packaging/build.sh"], env)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    archives = list(dist.glob("semfind-*-linux-x86_64.tar.gz"))
    assert len(archives) == 1 and (dist / "semfind" / "semfind").is_file()
    variants = {p.name for p in (dist / "semfind").rglob("libggml-cpu-*")}
    assert any("haswell" in name for name in variants), variants  # portable, not native
    assert any("sapphirerapids" in name for name in variants), variants  # AMX, patched
    smoke = _run(["packaging/smoke.sh", str(archives[0])], env)
    assert smoke.returncode == 0, smoke.stdout[-3000:] + smoke.stderr[-3000:]
    assert "smoke test passed" in smoke.stdout
    print(smoke.stdout)  # sizes and timings, for `pytest -s`


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600, check=False
    )
