"""The llama.cpp library semfind runs on: its backends and what it was built with."""

from __future__ import annotations

import ctypes
import os
from functools import cache
from pathlib import Path
from typing import Any

from semfind.engine.runtime.gpu import Offload, choose_offload, free_vram_bytes


def default_threads() -> int:
    """One thread per physical core is what llama.cpp runs best with."""
    count = os.cpu_count() or 1
    return max(1, count // 2) if count > 4 else count


def gpu_offload_supported() -> bool:
    import llama_cpp

    quiet_llama_logs()
    return bool(llama_cpp.llama_supports_gpu_offload())


def plan_offload(requested: int, model_bytes: int, n_layer: int | None) -> Offload:
    """The GPU layers a model gets here: none on a CPU build, else as `requested`, where
    -1 means as many as fit in free VRAM."""
    gpu_build = gpu_offload_supported()
    free = free_vram_bytes() if gpu_build and requested < 0 else None
    return choose_offload(
        requested, gpu_build=gpu_build, model_bytes=model_bytes, n_layer=n_layer, free_bytes=free
    )


_LIB_NAMES = ("libggml.so.0", "libggml.so", "libggml.dylib", "ggml.dll")


def _lib_dir() -> Path:
    import llama_cpp

    return Path(llama_cpp.__file__).parent / "lib"


def _backend_dir() -> Path:
    """Where the loadable backends are: llama-cpp-python's wheel puts them in a `bin` folder
    beside the package; the standalone build keeps them with the other libraries."""
    beside = _lib_dir().parent.parent / "bin"
    if any(beside.glob("*ggml-cpu*")):
        return beside
    return _lib_dir()


def _ggml() -> Any | None:
    """The ggml library llama.cpp itself uses. Wheels hold copies rather than symlinks
    (libggml.so, libggml.so.0...), so it is found by the name libllama linked against,
    among the libraries already loaded; loading another copy would give another registry."""
    import llama_cpp  # noqa: F401 - loads libllama and, with it, ggml

    loaded = getattr(os, "RTLD_NOLOAD", 0)
    for name in _LIB_NAMES:
        try:
            return ctypes.CDLL(name, mode=loaded | ctypes.RTLD_GLOBAL)
        except OSError:
            continue
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
        ggml.ggml_backend_load_all_from_path(os.fsencode(_backend_dir()))
    return int(ggml.ggml_backend_reg_count())


class _Feature(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("value", ctypes.c_char_p)]


def _registries(ggml: Any) -> list[int]:
    ggml.ggml_backend_reg_get.restype = ctypes.c_void_p
    ggml.ggml_backend_reg_get.argtypes = [ctypes.c_size_t]
    return [ggml.ggml_backend_reg_get(i) for i in range(int(ggml.ggml_backend_reg_count()))]


def features() -> list[str]:
    """What the loaded backends report of themselves: the CPU's instruction sets in use
    ("AVX2", "AVX512"...), as llama.cpp's own system info prints them."""
    ensure_backends()
    ggml = _ggml()
    if ggml is None or not hasattr(ggml, "ggml_backend_reg_get_proc_address"):
        return []
    ggml.ggml_backend_reg_get_proc_address.restype = ctypes.c_void_p
    ggml.ggml_backend_reg_get_proc_address.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    getter_type = ctypes.CFUNCTYPE(ctypes.POINTER(_Feature), ctypes.c_void_p)
    found: list[str] = []
    for reg in _registries(ggml):
        address = ggml.ggml_backend_reg_get_proc_address(reg, b"ggml_backend_get_features")
        if not address:
            continue
        table = getter_type(address)(reg)
        index = 0
        while table[index].name:
            name, value = table[index].name.decode(), table[index].value.decode()
            found.append(name if value == "1" else f"{name}={value}")
            index += 1
    return found


def backend_names() -> list[str]:
    """Names of the registered backends ("CPU", "CUDA", "Metal"...)."""
    ensure_backends()
    ggml = _ggml()
    if ggml is None or not hasattr(ggml, "ggml_backend_reg_get"):
        return []
    ggml.ggml_backend_reg_name.restype = ctypes.c_char_p
    ggml.ggml_backend_reg_name.argtypes = [ctypes.c_void_p]
    return [ggml.ggml_backend_reg_name(reg).decode() for reg in _registries(ggml)]


def build_info() -> dict[str, str]:
    """llama-cpp-python's version, the backends loaded and the CPU features in use."""
    import llama_cpp

    quiet_llama_logs()
    return {
        "llama_cpp_python": str(llama_cpp.__version__),
        "backends": ", ".join(backend_names()) or "?",
        "gpu_offload": "yes" if llama_cpp.llama_supports_gpu_offload() else "no",
        "system": " ".join(features()) or "?",
    }


_LOG_SINK: Any = None
"""The ctypes log callback must outlive every call into llama.cpp."""


def quiet_llama_logs() -> None:
    """Drop llama.cpp's own logging (it writes warnings to stderr) unless SEMFIND_DEBUG=1,
    then make sure its backends are loaded."""
    global _LOG_SINK
    if _LOG_SINK is None and not os.environ.get("SEMFIND_DEBUG"):
        import llama_cpp

        @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
        def sink(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
            return None

        _LOG_SINK = sink
        llama_cpp.llama_log_set(sink, ctypes.c_void_p(0))
    _keep_standard_streams()
    ensure_backends()


class _Unsuppressed:
    """Stands in for llama-cpp-python's suppress_stdout_stderr, which points the process's
    stdout and stderr at /dev/null while a model loads. With the log callback above there is
    nothing to hide, and the redirection is process-wide: a model loading in a worker thread
    (the TUI loads its embedder and its LLM in workers) swallows what the UI thread draws
    meanwhile, and two overlapping loads restore the wrong descriptors for good."""

    def __init__(self, disable: bool = True) -> None:
        self.disable = disable

    def __enter__(self) -> _Unsuppressed:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _keep_standard_streams() -> None:
    import importlib

    for name in ("llama_cpp.llama", "llama_cpp._internals", "llama_cpp.llama_chat_format"):
        module = importlib.import_module(name)
        if hasattr(module, "suppress_stdout_stderr"):
            setattr(module, "suppress_stdout_stderr", _Unsuppressed)  # noqa: B010
