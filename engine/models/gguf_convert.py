"""Convert a sentence-transformers BERT checkpoint into a Q8_0 or Q4_0 GGUF for llama.cpp.

Needs only gguf, safetensors and numpy: the input is a Hugging Face model folder with
config.json, model.safetensors, a WordPiece tokenizer.json and, optionally, the
sentence-transformers pooling config.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf
import numpy as np
import numpy.typing as npt
from safetensors import SafetensorError, safe_open

from semfind.engine.errors import ModelError
from semfind.engine.models.quant import Quant

_ARCH = gguf.MODEL_ARCH.BERT

# llama.cpp only consults the pre-tokenizer name for BPE vocabularies; WPM always uses
# its built-in BERT pre-tokenizer (LLAMA_VOCAB_PRE_TYPE_DEFAULT), so say exactly that.
_TOKENIZER_PRE = "default"

# Not in gguf 0.19's constants yet; llama.cpp reads them for WPM vocabularies.
_KEY_LOWERCASE = "tokenizer.ggml.normalizer.lowercase"
_KEY_STRIP_ACCENTS = "tokenizer.ggml.normalizer.strip_accents"

_CONFIG_INTS = (
    "hidden_size",
    "intermediate_size",
    "max_position_embeddings",
    "num_attention_heads",
    "num_hidden_layers",
    "vocab_size",
)

# Pooler and pretraining heads are not part of the sentence embedding.
_SKIPPED_PREFIXES = ("embeddings.position_ids", "pooler.", "cls.")

_POOLING_FLAGS = {
    "pooling_mode_mean_tokens": gguf.PoolingType.MEAN,
    "pooling_mode_cls_token": gguf.PoolingType.CLS,
    "pooling_mode_lasttoken": gguf.PoolingType.LAST,
}
_POOLING_NAMES = {
    "mean": gguf.PoolingType.MEAN,
    "cls": gguf.PoolingType.CLS,
    "lasttoken": gguf.PoolingType.LAST,
}

# Small tables added straight into activations; llama.cpp's own converter keeps them F32.
_F32_TENSORS = frozenset(
    gguf.TENSOR_NAMES[t] + ".weight"
    for t in (gguf.MODEL_TENSOR.POS_EMBD, gguf.MODEL_TENSOR.TOKEN_TYPES)
)


_FILE_TYPES: dict[Quant, gguf.LlamaFileType] = {
    "Q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
    "Q4_0": gguf.LlamaFileType.MOSTLY_Q4_0,
}
_TENSOR_TYPES: dict[Quant, gguf.GGMLQuantizationType] = {
    "Q8_0": gguf.GGMLQuantizationType.Q8_0,
    "Q4_0": gguf.GGMLQuantizationType.Q4_0,
}


@dataclass(frozen=True)
class _Vocab:
    tokens: list[str]
    types: list[gguf.TokenType]
    lowercase: bool
    strip_accents: bool


def convert_bert_to_gguf(
    model_dir: Path, out_path: Path, *, name: str | None = None, quant: Quant = "Q8_0"
) -> None:
    """Write the BERT encoder in `model_dir` to `out_path` as a `quant` GGUF, atomically.

    `name`, when given, is stored as general.name.
    """
    if not model_dir.is_dir():
        raise ModelError(f"model directory {model_dir} does not exist")
    config = _read_config(model_dir)
    vocab = _read_vocab(model_dir, config["vocab_size"])
    pooling = _read_pooling(model_dir)
    weights = _require_file(model_dir, "model.safetensors")
    with _atomic_output(out_path) as tmp:
        writer = gguf.GGUFWriter(tmp, gguf.MODEL_ARCH_NAMES[_ARCH])
        try:
            if name:
                writer.add_name(name)
            _add_hparams(writer, config, pooling, quant)
            _add_vocab(writer, model_dir, vocab)
            _add_tensors(writer, weights, config["num_hidden_layers"], quant)
            writer.write_header_to_file()
            writer.write_kv_data_to_file()
            writer.write_tensors_to_file()
        finally:
            writer.close()


@contextlib.contextmanager
def _atomic_output(out_path: Path) -> Iterator[Path]:
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp", dir=out_path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with tmp.open("rb+") as f:
            os.fsync(f.fileno())
        tmp.chmod(0o644)
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)


def _require_file(model_dir: Path, name: str) -> Path:
    path = model_dir / name
    if not path.is_file():
        raise ModelError(f"{model_dir} is not a BERT model directory: {name} is missing")
    return path


def _read_json(path: Path, kind: type[dict[str, Any]] | type[list[Any]] = dict) -> Any:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelError(f"cannot read {path}: {e}") from e
    if not isinstance(data, kind):
        raise ModelError(f"{path} does not hold a JSON {kind.__name__}")
    return data


def _read_config(model_dir: Path) -> dict[str, Any]:
    path = _require_file(model_dir, "config.json")
    config: dict[str, Any] = _read_json(path)
    if config.get("model_type") != "bert":
        raise ModelError(f"{path}: model_type is {config.get('model_type')!r}, expected 'bert'")
    for key in _CONFIG_INTS:
        if not isinstance(config.get(key), int) or config[key] <= 0:
            raise ModelError(f"{path}: {key} is missing or not a positive integer")
    return config


def _read_pooling(model_dir: Path) -> gguf.PoolingType | None:
    pooling_dir = model_dir / "1_Pooling"
    if (model_dir / "modules.json").is_file():
        modules = _read_json(model_dir / "modules.json", list)
        paths = [m.get("path", "") for m in modules if str(m.get("type", "")).endswith("Pooling")]
        pooling_dir = model_dir / paths[0] if paths else pooling_dir
    if not (pooling_dir / "config.json").is_file():
        return None
    pooling: dict[str, Any] = _read_json(pooling_dir / "config.json")
    for flag, kind in _POOLING_FLAGS.items():
        if pooling.get(flag):
            return kind
    mode = pooling.get("pooling_mode")
    if isinstance(mode, str) and mode in _POOLING_NAMES:
        return _POOLING_NAMES[mode]
    raise ModelError(f"{pooling_dir / 'config.json'}: only mean, cls and last-token pooling work")


def _read_vocab(model_dir: Path, vocab_size: int) -> _Vocab:
    path = _require_file(model_dir, "tokenizer.json")
    tokenizer: dict[str, Any] = _read_json(path)
    model = tokenizer.get("model") or {}
    if model.get("type") != "WordPiece" or not isinstance(model.get("vocab"), dict):
        raise ModelError(f"{path}: not a WordPiece tokenizer")
    ids: dict[str, int] = model["vocab"]
    if max(ids.values(), default=-1) >= vocab_size:
        raise ModelError(f"{path}: token ids exceed the model's vocab_size {vocab_size}")
    tokens = [f"[PAD{i}]" for i in range(vocab_size)]
    types = [gguf.TokenType.UNUSED] * vocab_size
    for token, i in ids.items():
        tokens[i], types[i] = token, gguf.TokenType.NORMAL
    for added in tokenizer.get("added_tokens") or []:
        i = added["id"]
        if i < vocab_size:
            tokens[i] = added["content"]
            special = added.get("special")
            types[i] = gguf.TokenType.CONTROL if special else gguf.TokenType.USER_DEFINED
    normalizer = tokenizer.get("normalizer") or {}
    lowercase = bool(normalizer.get("lowercase", True))
    strip = normalizer.get("strip_accents")
    return _Vocab(tokens, types, lowercase, lowercase if strip is None else bool(strip))


def _phantom(token: str, kind: gguf.TokenType) -> str:
    # llama.cpp's WPM marks word starts with U+2581 instead of marking continuations with ##.
    if kind == gguf.TokenType.CONTROL:
        return token
    if token.startswith("##"):
        return token[2:]
    return "\u2581" + token


def _add_hparams(
    writer: gguf.GGUFWriter, config: dict[str, Any], pooling: gguf.PoolingType | None, quant: Quant
) -> None:
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_head_count(config["num_attention_heads"])
    writer.add_token_type_count(int(config.get("type_vocab_size", 1)))
    writer.add_layer_norm_eps(float(config.get("layer_norm_eps", 1e-12)))
    writer.add_causal_attention(False)
    if pooling is not None:
        writer.add_pooling_type(pooling)
    writer.add_file_type(_FILE_TYPES[quant])
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)


def _add_vocab(writer: gguf.GGUFWriter, model_dir: Path, vocab: _Vocab) -> None:
    writer.add_tokenizer_model("bert")
    writer.add_tokenizer_pre(_TOKENIZER_PRE)
    writer.add_token_list([_phantom(t, k) for t, k in zip(vocab.tokens, vocab.types, strict=True)])
    writer.add_token_types(vocab.types)
    writer.add_bool(_KEY_LOWERCASE, vocab.lowercase)
    writer.add_bool(_KEY_STRIP_ACCENTS, vocab.strip_accents)
    special = gguf.SpecialVocab(model_dir, n_vocab=len(vocab.tokens))
    # llama.cpp has no CLS id of its own: BERT's [CLS] is its BOS token.
    cls_id = special.special_token_ids.pop("cls", None)
    if cls_id is not None:
        special.special_token_ids.setdefault("bos", cls_id)
    special.add_to_gguf(writer, quiet=True)


def _add_tensors(writer: gguf.GGUFWriter, weights: Path, block_count: int, quant: Quant) -> None:
    name_map = gguf.get_tensor_name_map(_ARCH, block_count)
    for hf_name, tensor in _read_tensors(weights):
        gguf_name = _gguf_tensor_name(name_map, hf_name)
        if gguf_name is not None:
            data, qtype = _encode(gguf_name, tensor, _TENSOR_TYPES[quant])
            writer.add_tensor(gguf_name, data, raw_dtype=qtype)


def _read_tensors(weights: Path) -> Iterator[tuple[str, npt.NDArray[Any]]]:
    try:
        with safe_open(str(weights), framework="np") as f:
            for hf_name in sorted(f.keys()):
                yield hf_name, f.get_tensor(hf_name)
    except (OSError, TypeError, SafetensorError) as e:
        raise ModelError(f"cannot read weights from {weights}: {e}") from e


def _gguf_tensor_name(name_map: gguf.TensorNameMap, hf_name: str) -> str | None:
    name = hf_name.removeprefix("bert.")
    if name.startswith(_SKIPPED_PREFIXES):
        return None
    # Old checkpoints call LayerNorm parameters gamma/beta.
    if name.endswith(".gamma"):
        name = name.removesuffix(".gamma") + ".weight"
    elif name.endswith(".beta"):
        name = name.removesuffix(".beta") + ".bias"
    gguf_name: str | None = name_map.get_name(name, try_suffixes=(".weight", ".bias"))
    if gguf_name is None:
        raise ModelError(f"unexpected tensor {hf_name!r} in a BERT checkpoint")
    return gguf_name


def _encode(
    gguf_name: str, tensor: npt.NDArray[Any], qtype: gguf.GGMLQuantizationType
) -> tuple[npt.NDArray[Any], gguf.GGMLQuantizationType]:
    data = np.ascontiguousarray(tensor, dtype=np.float32)
    if data.ndim < 2 or gguf_name.endswith("_norm.weight") or gguf_name in _F32_TENSORS:
        return data, gguf.GGMLQuantizationType.F32
    try:
        return gguf.quants.quantize(data, qtype), qtype
    except gguf.QuantError:
        # Rows whose length is not a multiple of the block size (32 for both types).
        qtype = gguf.GGMLQuantizationType.F16
        return gguf.quants.quantize(data, qtype), qtype
