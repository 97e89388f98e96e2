VENV ?= .venv
SEMFIND = $(VENV)/bin/semfind
DEMO_DIR ?= examples
QUERY ?= how do I keep my plants alive while travelling
DEMO_DB ?= build/demo.sqlite3

.PHONY: setup demo test lint bench package smoke

setup:
	./scripts/setup.sh

demo: setup
	$(SEMFIND) --db $(DEMO_DB) index $(DEMO_DIR)
	$(SEMFIND) --db $(DEMO_DB) search "$(QUERY)"

lint: setup
	$(VENV)/bin/ruff check .
	./scripts/typecheck.sh

test: lint
	$(VENV)/bin/python -m pytest -q

bench: setup
	$(VENV)/bin/python bench/beir.py ../shared/data/beir/scifact

package:
	./packaging/build.sh

smoke: package
	./packaging/smoke.sh
