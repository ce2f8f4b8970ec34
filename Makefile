# One task runner for glamlab. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
GLAMLAB := $(VENV)/bin/glamlab
# torch first, pinned: pip then takes the local CPU build instead of a CUDA one.
TORCH := torch==2.13.0

.PHONY: demo test test-fast test-pg lint typecheck bench install install-all clean

$(VENV)/.base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e ".[dev]"
	touch $@

# Everything the full test suite needs (optional extras included).
$(VENV)/.all: $(VENV)/.base pyproject.toml
	$(PIP) install -q "$(TORCH)"
	$(PIP) install -q -e ".[all,dev]"
	touch $@

install: $(VENV)/.base
install-all: $(VENV)/.all

demo: $(VENV)/.all
	$(GLAMLAB) demo --workspace-dir demo-workspace --fresh

test: $(VENV)/.all
	$(PY) -m pytest -q

test-fast: $(VENV)/.base
	$(PY) -m pytest -q -m "not slow and not browser"

# The suite against a PostgreSQL server: GLAMLAB_TEST_PG=postgresql://user@host:port/postgres
test-pg: $(VENV)/.all
	$(PY) -m pytest -q -m "not browser"

lint: $(VENV)/.base
	$(VENV)/bin/ruff check src tests benchmarks

typecheck: $(VENV)/.base
	$(VENV)/bin/mypy

bench: $(VENV)/.all
	@for f in benchmarks/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) demo-workspace .pytest_cache .mypy_cache .ruff_cache
