"""Chat LLMs: the interface every backend implements (in-process in engine.llm.llama,
remote in engine.llm.remote; engine.llm.factory picks one)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

Message = dict[str, str]


@dataclass
class LLMStats:
    """Tokens and seconds of the last generation."""

    prompt_tokens: int = 0
    prompt_s: float = 0.0
    gen_tokens: int = 0
    gen_s: float = 0.0
    estimated: bool = False
    """True when the backend could not count tokens exactly (a remote server that does
    not report usage)."""

    @property
    def prompt_tps(self) -> float:
        return self.prompt_tokens / self.prompt_s if self.prompt_s > 0 else 0.0

    @property
    def gen_tps(self) -> float:
        return self.gen_tokens / self.gen_s if self.gen_s > 0 else 0.0

    def to_json(self) -> dict[str, float | int | bool]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "prompt_s": round(self.prompt_s, 4),
            "prompt_tokens_per_s": round(self.prompt_tps, 1),
            "gen_tokens": self.gen_tokens,
            "gen_s": round(self.gen_s, 4),
            "gen_tokens_per_s": round(self.gen_tps, 1),
            "estimated": self.estimated,
        }


class ChatBackend(ABC):
    """A chat model: streams deterministic (temperature 0) completions."""

    name: str
    """Shown to the user; also part of the thought cache key."""
    key: str
    """Identity of the weights (file checksum, or server and model name)."""
    n_ctx: int
    """Tokens of context the model gets (prompt and answer together)."""
    builtin: bool = False
    """Whether this is the built-in SmolLM2 (not a model the user chose)."""

    def __init__(self) -> None:
        self.stats = LLMStats()

    @abstractmethod
    def stream(
        self,
        messages: Sequence[Message],
        max_tokens: int = 256,
        stop: Sequence[str] = (),
        start_by: float | None = None,
    ) -> Iterator[str]:
        """Yield the reply piece by piece; `stats` describes it once exhausted.

        `start_by` (a `time.perf_counter()` instant) bounds reading the prompt: a reply
        not begun by then is abandoned with LLMTooSlowError."""

    def complete(
        self, messages: Sequence[Message], max_tokens: int = 256, stop: Sequence[str] = ()
    ) -> str:
        return "".join(self.stream(messages, max_tokens, stop))

    def count_tokens(self, text: str) -> int:
        """Tokens of `text`; backends without a tokenizer estimate."""
        return max(1, len(text) // 4)

    def describe(self) -> str:
        return self.name

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the model."""
