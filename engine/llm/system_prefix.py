"""A chat prompt's system turn, read by llama.cpp once and restored in later processes.

llama-cpp-python already reuses the longest common token prefix of consecutive prompts in
one process; this carries the system turn's part of that across processes. It works on
the tokens llama.cpp really read: after a generation from a fresh context, the KV cache is
cut back to the system turn (when the prompt began with exactly those tokens) and saved.
A model whose chat handler tokenises differently is simply never cached.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from semfind.engine.llm.prefix_state import (
    PrefixState,
    forget_state,
    read_state,
    state_path,
    write_state,
)

Message = dict[str, str]


class SystemPrefix:
    """The stored state of one llama.cpp model's system turns."""

    def __init__(self, llm: Any, model_key: str, n_ctx: int) -> None:
        self.llm, self.model_key, self.n_ctx = llm, model_key, n_ctx
        self._turns: dict[str, tuple[Path, tuple[int, ...]]] = {}

    def prime(self, messages: Sequence[Message]) -> bool:
        """Restore the system turn into a fresh context. True when the context was fresh
        and nothing was restored, so the turn is worth storing after this generation."""
        if self.llm.n_tokens or not messages or messages[0].get("role") != "system":
            return False
        path, tokens = self._where(messages[0])
        if not tokens:
            return False
        stored = read_state(path)
        if stored is None or stored.tokens != tokens:
            return True
        try:
            self.llm.load_state(_llama_state(self.llm, stored))
        except (RuntimeError, ValueError, TypeError):
            forget_state(path)
            self.llm.reset()
            return True
        return False

    def store(self, messages: Sequence[Message]) -> None:
        """Cut the context back to the system turn it began with, and save it."""
        path, tokens = self._where(messages[0])
        count = len(tokens)
        read = [int(t) for t in self.llm.input_ids[: min(self.llm.n_tokens, count + 1)]]
        if not count or len(read) <= count or tuple(read[:count]) != tokens:
            return
        if not self.llm._ctx.kv_cache_seq_rm(-1, count, -1):
            return
        self.llm.n_tokens = count
        saved = self.llm.save_state()
        write_state(path, PrefixState(tokens, bytes(saved.llama_state)))

    def _where(self, system: Message) -> tuple[Path, tuple[int, ...]]:
        """The state's file and the system turn's tokens."""
        import llama_cpp

        content = system.get("content", "")
        if content not in self._turns:
            text = _system_turn(self.llm, system)
            tokens = self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
            path = state_path(self.model_key, llama_cpp.__version__, self.n_ctx, text)
            self._turns[content] = (path, tuple(int(t) for t in tokens) if text else ())
        return self._turns[content]


def _system_turn(llm: Any, system: Message) -> str:
    """The system turn as the model's own chat template writes it (no BOS: the templates
    that want one write it themselves, and then the tokens do not match and nothing is
    cached)."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        return ""
    formatter = Jinja2ChatFormatter(
        template=template, eos_token="", bos_token="", add_generation_prompt=False
    )
    turn: Any = [dict(system)]  # llama-cpp-python types messages as TypedDicts
    return str(formatter(messages=turn).prompt)


def _llama_state(llm: Any, stored: PrefixState) -> Any:
    import llama_cpp
    import numpy as np

    count = len(stored.tokens)
    input_ids = np.zeros(llm.n_ctx(), dtype=np.intc)
    input_ids[:count] = stored.tokens
    return llama_cpp.LlamaState(
        input_ids=input_ids,
        scores=np.zeros((count, llm.n_vocab()), dtype=np.single),
        n_tokens=count,
        llama_state=stored.state,
        llama_state_size=len(stored.state),
        seed=llm._seed,
    )
