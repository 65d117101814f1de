# Two entry points (README.md): `make demo` and `make test`. Each sets itself up first.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench-quick bench-http

setup: $(VENV)/.installed
	bash scripts/setup-system.sh

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/rating demo

test: setup
	bash scripts/setup-browser.sh
	$(BIN)/ruff check rating api tests benchmarks
	RATING_REQUIRE_BROWSER=1 $(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check rating api tests benchmarks

bench-quick: setup
	$(BIN)/python -m benchmarks --quick

bench-http: setup
	$(BIN)/python -m benchmarks.http_load
