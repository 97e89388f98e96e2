"""What a GGUF model file says about itself, read from its header only.

gguf.GGUFReader decodes every element of every metadata array (the vocabulary, the
BPE merges) in Python, which takes seconds for a large vocabulary. This reader walks
the same format with the gguf package's constants, skips arrays, and checks that the
tensor data the header promises is all there, without reading it.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import gguf

from semfind.engine.errors import ModelError

_T = TypeVar("_T")

_SUPPORTED_VERSIONS = (2, 3)
_MAX_DIMS = 4

_SCALAR_FORMATS: dict[int, str] = {
    gguf.GGUFValueType.UINT8: "B",
    gguf.GGUFValueType.INT8: "b",
    gguf.GGUFValueType.UINT16: "H",
    gguf.GGUFValueType.INT16: "h",
    gguf.GGUFValueType.UINT32: "I",
    gguf.GGUFValueType.INT32: "i",
    gguf.GGUFValueType.FLOAT32: "f",
    gguf.GGUFValueType.BOOL: "?",
    gguf.GGUFValueType.UINT64: "Q",
    gguf.GGUFValueType.INT64: "q",
    gguf.GGUFValueType.FLOAT64: "d",
}


@dataclass(frozen=True)
class GGUFInfo:
    """The header facts semfind uses to describe and check a model."""

    path: Path
    architecture: str
    name: str | None
    n_embd: int | None
    n_ctx_train: int | None
    pooling: str | None
    """"none", "mean", "cls", "last" or "rank"; None when the file does not say."""
    causal: bool | None
    file_type: str | None
    """Dominant weight type, e.g. "Q8_0", "Q4_K_M", "F16"; None when the file does not say."""
    size_bytes: int
    n_layer: int | None = None
    """Transformer blocks; GPU offload is counted in these."""


class _Invalid(Exception):
    """The bytes do not follow the GGUF format."""


def read_gguf_info(path: Path) -> GGUFInfo:
    """Read `path`'s GGUF header; ModelError when it is not a complete GGUF file."""
    try:
        with path.open("rb") as f:
            size = f.seek(0, 2)
            if size == 0:
                raise _Invalid("the file is empty")
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                meta = _Header(buf).read()
    except OSError as e:
        raise ModelError(f"cannot read model file {path}: {e}") from e
    except _Invalid as e:
        raise ModelError(f"{path} is not a valid GGUF file: {e}") from e
    return _info(path, size, meta)


def _info(path: Path, size: int, meta: dict[str, Any]) -> GGUFInfo:
    arch = meta.get("general.architecture")
    if not isinstance(arch, str) or not arch:
        raise ModelError(f"{path} is not a valid GGUF file: it names no architecture")
    causal = meta.get(f"{arch}.attention.causal")
    return GGUFInfo(
        path=path,
        architecture=arch,
        name=_typed(meta.get("general.name"), str),
        n_embd=_typed(meta.get(f"{arch}.embedding_length"), int),
        n_ctx_train=_typed(meta.get(f"{arch}.context_length"), int),
        pooling=_enum_name(gguf.PoolingType, meta.get(f"{arch}.pooling_type")),
        causal=causal if isinstance(causal, bool) else None,
        file_type=_file_type(meta.get("general.file_type")),
        n_layer=_typed(meta.get(f"{arch}.block_count"), int),
        size_bytes=size,
    )


def _typed(value: Any, kind: type[_T]) -> _T | None:
    # bool is an int to Python, never a length or a name.
    return value if isinstance(value, kind) and not isinstance(value, bool) else None


def _enum_name(enum: Any, value: Any) -> str | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    try:
        return str(enum(value).name).lower()
    except ValueError:
        return None


def _file_type(value: Any) -> str | None:
    name = _enum_name(gguf.LlamaFileType, value)
    if name is None or name == "guessed":
        return None
    return name.upper().removeprefix("MOSTLY_").removeprefix("ALL_")


class _Header:
    """A cursor over the header; every read is bounds-checked."""

    def __init__(self, buf: mmap.mmap) -> None:
        self.buf = buf
        self.pos = 0
        self.order = "<"

    def read(self) -> dict[str, Any]:
        if self.buf[:4] != b"GGUF":
            raise _Invalid("bad magic bytes")
        version = self._scalar("I", 4)
        if version & 0xFFFF == 0:
            self.order = ">"
            version = struct.unpack(">I", self.buf[4:8])[0]
        if version not in _SUPPORTED_VERSIONS:
            raise _Invalid(f"unsupported GGUF version {version}")
        n_tensors, n_kv = self._scalar("Q"), self._scalar("Q")
        meta = {self._string(): self._value() for _ in range(n_kv)}
        alignment = meta.get("general.alignment", gguf.GGUF_DEFAULT_ALIGNMENT)
        if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
            raise _Invalid(f"bad alignment {alignment!r}")
        data_end = max((self._tensor_end() for _ in range(n_tensors)), default=0)
        data_start = -(-self.pos // alignment) * alignment
        if data_start + data_end > len(self.buf):
            raise _Invalid(f"truncated: tensor data ends at byte {data_start + data_end}")
        return meta

    def _scalar(self, fmt: str, at: int | None = None) -> Any:
        pos = self.pos if at is None else at
        try:
            (value,) = struct.unpack_from(self.order + fmt, self.buf, pos)
        except struct.error as e:
            raise _Invalid(f"truncated at byte {pos}") from e
        self.pos = pos + struct.calcsize(fmt)
        return value

    def _skip(self, n: int) -> None:
        if self.pos + n > len(self.buf):
            raise _Invalid(f"truncated at byte {self.pos}")
        self.pos += n

    def _string(self) -> str:
        n = self._scalar("Q")
        start = self.pos
        self._skip(n)
        return self.buf[start : self.pos].decode("utf-8", errors="replace")

    def _value(self) -> Any:
        vtype = self._scalar("I")
        if vtype == gguf.GGUFValueType.STRING:
            return self._string()
        if vtype in _SCALAR_FORMATS:
            return self._scalar(_SCALAR_FORMATS[vtype])
        if vtype != gguf.GGUFValueType.ARRAY:
            raise _Invalid(f"unknown metadata type {vtype}")
        self._skip_array()
        return None

    def _skip_array(self) -> None:
        itype, count = self._scalar("I"), self._scalar("Q")
        if itype in _SCALAR_FORMATS:
            self._skip(count * struct.calcsize(_SCALAR_FORMATS[itype]))
        elif itype == gguf.GGUFValueType.STRING:
            self._skip_strings(count)
        elif itype == gguf.GGUFValueType.ARRAY:
            for _ in range(count):
                self._skip_array()
        else:
            raise _Invalid(f"unknown array element type {itype}")

    def _skip_strings(self, count: int) -> None:
        # A chat model's vocabulary is ~50k strings: a tight loop, since a model's load
        # waits on this header read (0.15 s through _scalar, 0.02 s here).
        unpack, pos, end = struct.Struct(self.order + "Q").unpack_from, self.pos, len(self.buf)
        for _ in range(count):
            if pos + 8 > end:
                raise _Invalid(f"truncated at byte {pos}")
            pos += 8 + unpack(self.buf, pos)[0]
        if pos > end:
            raise _Invalid(f"truncated at byte {pos}")
        self.pos = pos

    def _tensor_end(self) -> int:
        """Skip one tensor description; return where its data ends, from the data start."""
        self._string()
        n_dims = self._scalar("I")
        if n_dims > _MAX_DIMS:
            raise _Invalid(f"tensor with {n_dims} dimensions")
        n_elements = 1
        for _ in range(n_dims):
            n_elements *= self._scalar("Q")
        ggml_type, offset = self._scalar("I"), self._scalar("Q")
        try:
            block, type_size = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType(ggml_type)]
        except (ValueError, KeyError):
            return int(offset)  # a type newer than this gguf package: size unknown
        return int(offset) + n_elements * type_size // block
