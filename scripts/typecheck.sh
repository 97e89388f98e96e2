#!/usr/bin/env bash
# mypy --strict over the installed layout: semfind.{app,engine,indexer} live in top-level
# folders, so a tree of links under build/ gives mypy the real module names (subpackages too).
set -euo pipefail
shopt -s globstar
cd "$(dirname "$0")/.."
VENV=${SEMFIND_VENV:-.venv}
tree=build/typecheck/semfind
mkdir -p "$tree"
for pkg in app engine indexer assets; do ln -sfn "../../../$pkg" "$tree/$pkg"; done
MYPYPATH=build/typecheck:bench "$VENV/bin/mypy" "$tree"/{app,engine,indexer}/**/*.py bench/*.py
