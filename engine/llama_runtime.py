"""The llama.cpp library semfind runs on: its backends and what it was built with."""

from __future__ import annotations

import ctypes
import os
from functools import cache
from pathlib import Path
from typing import Any

_LIB_NAMES = ("libggml.so", "libggml.dylib", "ggml.dll")


def _lib_dir() -> Path:
    import llama_cpp

    return Path(llama_cpp.__file__).parent / "lib"


def _ggml() -> Any | None:
    for name in _LIB_NAMES:
        path = _lib_dir() / name
        if path.is_file():
            return ctypes.CDLL(str(path))
    return None


@cache
def ensure_backends() -> int:
    """Load llama.cpp's compute backends when it was built with GGML_BACKEND_DL (the portable
    build: one CPU library per instruction set, the best one chosen at run time). A build
    with the backends linked in has them already. Returns how many are registered."""
    ggml = _ggml()
    if ggml is None or not hasattr(ggml, "ggml_backend_reg_count"):
        return 0
    ggml.ggml_backend_reg_count.restype = ctypes.c_size_t
    if ggml.ggml_backend_reg_count() == 0 and hasattr(ggml, "ggml_backend_load_all_from_path"):
        ggml.ggml_backend_load_all_from_path.argtypes = [ctypes.c_char_p]
        ggml.ggml_backend_load_all_from_path(os.fsencode(_lib_dir()))
    return int(ggml.ggml_backend_reg_count())


def backend_names() -> list[str]:
    """Names of the registered backends ("CPU", "CUDA", "Metal"...)."""
    ensure_backends()
    ggml = _ggml()
    if ggml is None or not hasattr(ggml, "ggml_backend_reg_get"):
        return []
    ggml.ggml_backend_reg_get.restype = ctypes.c_void_p
    ggml.ggml_backend_reg_get.argtypes = [ctypes.c_size_t]
    ggml.ggml_backend_reg_name.restype = ctypes.c_char_p
    ggml.ggml_backend_reg_name.argtypes = [ctypes.c_void_p]
    count = int(ggml.ggml_backend_reg_count())
    return [ggml.ggml_backend_reg_name(ggml.ggml_backend_reg_get(i)).decode() for i in range(count)]


def build_info() -> dict[str, str]:
    """llama-cpp-python's version, the backends loaded and the CPU features in use."""
    import llama_cpp

    ensure_backends()
    system = llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip()
    return {
        "llama_cpp_python": str(llama_cpp.__version__),
        "backends": ", ".join(backend_names()) or "?",
        "gpu_offload": "yes" if llama_cpp.llama_supports_gpu_offload() else "no",
        "system": " ".join(system.split()),
    }
