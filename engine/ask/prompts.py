"""The prompts semfind gives the local LLM, kept in assets/prompts.toml."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any


@cache
def prompts() -> dict[str, Any]:
    text = resources.files("semfind.assets").joinpath("prompts.toml").read_text("utf-8")
    return tomllib.loads(text)


def prompt(section: str, part: str) -> str:
    return str(prompts()[section][part])


def version() -> int:
    return int(prompts()["version"])
