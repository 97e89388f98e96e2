"""The LLM loads in a background thread while the question is searched."""

from __future__ import annotations

import threading

import pytest

from semfind.engine.errors import ModelNotFoundError
from semfind.engine.llm.base import ChatBackend
from semfind.engine.llm.preload import PreloadedLLM

from .fakes import ScriptedLLM


class _Counted(ScriptedLLM):
    def __init__(self) -> None:
        super().__init__()
        self.loaded_in = threading.current_thread().name
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def test_the_model_loads_in_another_thread_and_the_caller_owns_it() -> None:
    preload = PreloadedLLM(_Counted)
    llm = preload()
    assert isinstance(llm, _Counted)
    assert llm.loaded_in != threading.current_thread().name
    preload.close()
    assert llm.closed == 0  # the caller took it: closing it is the caller's job


def test_a_model_nobody_took_is_closed() -> None:
    made: list[_Counted] = []

    def load() -> ChatBackend:
        made.append(_Counted())
        return made[-1]

    PreloadedLLM(load).close()
    assert len(made) == 1 and made[0].closed == 1


def test_a_failed_load_is_raised_to_the_caller() -> None:
    def missing() -> ChatBackend:
        raise ModelNotFoundError("the default LLM is not installed")

    preload = PreloadedLLM(missing)
    with pytest.raises(ModelNotFoundError, match="not installed"):
        preload()
    preload.close()
