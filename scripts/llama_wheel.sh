#!/usr/bin/env bash
# Install llama-cpp-python into a venv, built from source with CMAKE_ARGS.
#
#   scripts/llama_wheel.sh VENV
#
# The wheel is cached per version, flags, patches, Python and platform in
# ~/.cache/semfind-build, so a GPU build never silently reuses a CPU one and CI does not
# rebuild every run. A build with AMX (named, or as the sapphirerapids variant of a
# GGML_CPU_ALL_VARIANTS build) is made from the source release with
# scripts/patches/llama-cpp-python-$LLAMA_VERSION-amx.patch applied (ggml's AMX code as
# released loads its tile configuration from a stack copy the compiler may drop: SIGILL).
set -euo pipefail
VENV=$1
LLAMA_VERSION=0.3.36
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}"
case " $CMAKE_ARGS " in
  *GGML_NATIVE=OFF*|*GGML_NATIVE=off*) ;;
  *) echo "CMAKE_ARGS must contain -DGGML_NATIVE=OFF: a native build crashes on some CPUs" >&2; exit 2 ;;
esac
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)
PATCH=""
case " $CMAKE_ARGS " in
  *GGML_AMX_INT8=[Oo][Nn]*|*GGML_CPU_ALL_VARIANTS=[Oo][Nn]*)
    PATCH="$(cd "$(dirname "$0")" && pwd)/patches/llama-cpp-python-$LLAMA_VERSION-amx.patch" ;;
esac
patch_sum=""
[ -z "$PATCH" ] || patch_sum=$("$VENV/bin/python" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()[:16])' "$PATCH")

pyver=$("$VENV/bin/python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
key=$("$VENV/bin/python" -c 'import hashlib, sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest()[:16])' \
  "$LLAMA_VERSION|$CMAKE_ARGS|$pyver|$(uname -sm)${patch_sum:+|$patch_sum}")
wheels="${XDG_CACHE_HOME:-$HOME/.cache}/semfind-build/llama-$key"
if [ "$(cat "$VENV/.llama-build" 2>/dev/null)" != "$key" ]; then
  if ! ls "$wheels"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    echo "building llama-cpp-python $LLAMA_VERSION with CMAKE_ARGS='$CMAKE_ARGS' (takes a few minutes)"
    mkdir -p "$wheels"
    rm -rf "$wheels.tmp"
    source="llama-cpp-python==$LLAMA_VERSION"
    if [ -n "$PATCH" ]; then
      "${PIP[@]}" download --no-deps --no-binary :all: -d "$wheels.tmp/sdist" "$source"
      tar xzf "$wheels.tmp"/sdist/llama_cpp_python-*.tar.gz -C "$wheels.tmp/sdist"
      source=$(echo "$wheels.tmp"/sdist/llama_cpp_python-"$LLAMA_VERSION")
      echo "applying $(basename "$PATCH") (ggml's AMX tile configuration)"
      patch -p1 -s -d "$source" < "$PATCH"
    fi
    "${PIP[@]}" wheel --no-deps --no-cache-dir -w "$wheels.tmp" "$source"
    mv "$wheels.tmp"/llama_cpp_python-*.whl "$wheels"/ && rm -rf "$wheels.tmp"
  fi
  "${PIP[@]}" install --no-deps --force-reinstall "$wheels"/llama_cpp_python-*.whl
  echo "$key" > "$VENV/.llama-build"
fi
