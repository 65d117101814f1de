# Two entry points (README.md): `make demo` and `make test`. Each sets itself up first.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: setup demo test test-fast test-wheel lint messages bench-quick bench-http

setup: $(VENV)/.installed
	bash scripts/setup-system.sh

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/rating demo

test: setup lint
	bash scripts/setup-browser.sh
	RATING_REQUIRE_BROWSER=1 $(BIN)/pytest -q
	bash scripts/check-wheel.sh

# The package as a user installs it: build the wheel, install it in a fresh venv outside the
# checkout, run --version, rules list, a small demo, matching, replay, verify, export.
test-wheel: setup
	bash scripts/check-wheel.sh

# Unit and golden tests while you work: 37-48 s on this idle 2-core machine (README).
# No generated city, no end-to-end run through the CLI or the API, no real server, no browser
# (those are `slow`; `make test` runs all). Two workers (pytest-xdist, one per core), each with
# one DuckDB thread (--duckdb-threads=1: two workers already fill two cores; more threads only
# hand small queries back and forth). `--dist loadscope` sends each module to one worker, which
# builds its module fixtures (rated, published warehouses) once (xdist hands out the modules
# with most tests first), and the modules importing scikit-learn or the app to one worker per
# library (tests/conftest.py); workers share the warehouses `tests.factories.load` ingested.
# `--few-examples`: property tests draw a quarter of their examples (CI draws them all). Only
# the hypothesis and xdist plugins are loaded: pytest rewrites the asserts of every module of
# each auto-loaded plugin's package (schemathesis alone has hundreds); the schemathesis fuzz module
# (all slow) is not even collected, as it builds its cases from the app's OpenAPI document at
# collection. Bytecode is cached even where PYTHONDONTWRITEBYTECODE is set, so a second run
# neither recompiles nor rewrites asserts.
# `--max-worker-restart=0`: a test that kills its worker (os._exit, a segfault, the OOM killer)
# fails the run at once; with a replacement worker, pytest-xdist 3.8's loadscope scheduler
# waits forever (upstream issues #1323, #1378). The crashed worker's remaining tests do not run.
# FAST_WORKERS=0 runs in one process; PYTEST_ARGS reaches pytest (e.g. PYTEST_ARGS=--pdb).
FAST_WORKERS ?= 2
PYTEST_ARGS ?=
test-fast: setup
	env -u PYTHONDONTWRITEBYTECODE PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 $(BIN)/pytest -q -m "not slow" \
		-p hypothesispytest -p xdist -n $(FAST_WORKERS) --dist loadscope --max-worker-restart=0 \
		--duckdb-threads=1 --few-examples \
		--ignore=tests/api/test_fuzz.py $(PYTEST_ARGS)

# Message catalogs of the command line: extract new strings into every rating/locale/*/….po,
# then compile the .mo files (translate the empty msgstr lines in between, and run it again).
messages: setup
	$(BIN)/python scripts/messages.py update
	$(BIN)/python scripts/messages.py compile
	$(BIN)/python scripts/messages.py todo

lint: setup
	$(BIN)/ruff check rating api tests benchmarks
	$(BIN)/ruff format --check rating api tests benchmarks
	$(BIN)/mypy

bench-quick: setup
	$(BIN)/python -m benchmarks --quick

bench-http: setup
	$(BIN)/python -m benchmarks.http_load
