"""What this semfind is made of, for `semfind --version` and bug reports."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version


def versions() -> dict[str, str]:
    """semfind, llama.cpp (backends, CPU features), SQLite and sqlite-vec, Python."""
    import apsw

    from semfind.engine.runtime.llama import build_info

    llama = build_info()
    return {
        "semfind": _version("semfind"),
        "llama-cpp-python": llama["llama_cpp_python"],
        "llama.cpp backends": llama["backends"],
        "GPU offload": llama["gpu_offload"],
        "CPU features": llama["system"],
        "SQLite": f"{apsw.sqlite_lib_version()} (apsw {apsw.apsw_version()})",
        "sqlite-vec": _sqlite_vec(),
        "Python": f"{platform.python_version()} on {platform.system()} {platform.machine()}",
    }


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


def _sqlite_vec() -> str:
    import apsw
    import sqlite_vec

    conn = apsw.Connection(":memory:")
    try:
        conn.enable_load_extension(True)
        conn.load_extension(sqlite_vec.loadable_path())
        version = conn.execute("SELECT vec_version()").get  # the one value of the one row
        return "?" if version is None else str(version)
    finally:
        conn.close()
