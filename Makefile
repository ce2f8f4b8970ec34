# One task runner for glamlab. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
GLAMLAB := $(VENV)/bin/glamlab
# torch first, pinned: pip then takes the local CPU build instead of a CUDA one.
TORCH := torch==2.13.0

.PHONY: demo test test-fast test-pg test-postgres lint typecheck check bench install install-all wordnet clean

$(VENV)/.base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e ".[dev]"
	touch $@

# Everything the full test suite needs (optional extras included).
# iiif-prezi3 (Apache-2.0) loads the IIIF exports in the tests, as the IIIF community's
# tools do; --no-deps because its metadata pins Pillow<=12.0 (it uses Pillow only in
# helpers that build manifests from image files, never called here).
IIIF_PREZI3 := iiif-prezi3==3.1.1
$(VENV)/.all: $(VENV)/.base pyproject.toml
	$(PIP) install -q "$(TORCH)"
	$(PIP) install -q -e ".[all,dev]"
	$(PIP) install -q --no-deps "$(IIIF_PREZI3)"
	touch $@

install: $(VENV)/.base
install-all: $(VENV)/.all

demo: $(VENV)/.all
	$(GLAMLAB) demo blank-pages --workspace-dir demo-workspace/blank-pages --fresh
	$(GLAMLAB) demo illustrations --workspace-dir demo-workspace/illustrations --fresh

# pytest ends with its summary line ("N passed, M skipped in S s") and the slowest
# tests. Exit status 5 means the selection held no tests: said plainly, not a failure.
PYTEST = $(PY) -m pytest -q --durations=10
define run_pytest
	@echo '+ $(PYTEST) $(1)'; $(PYTEST) $(1); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest: no tests were selected, nothing failed"; rc=0; fi; exit $$rc
endef

test: $(VENV)/.all
	$(call run_pytest,)

test-fast: $(VENV)/.base
	$(call run_pytest,-m "not slow and not browser")

# The suite against a PostgreSQL server, GLAMLAB_TEST_PG=postgresql://user@host:port/postgres
# (each test gets a fresh database there). `make test-postgres` starts a throw-away
# PostgreSQL 15 for it (scripts/pg-test-server). Browser tests add nothing store-specific;
# nor do the tests that take no store fixture (tests/conftest.py leaves them out, as
# pytest's 'deselected' count says; GLAMLAB_TEST_PG_ALL=1 keeps them).
test-pg: $(VENV)/.all
	@if [ -z "$$GLAMLAB_TEST_PG" ]; then \
	  echo "test-pg needs GLAMLAB_TEST_PG=postgresql://...; or run: make test-postgres"; exit 2; fi
	$(call run_pytest,-m "not browser")

test-postgres: $(VENV)/.all
	scripts/pg-test-server $(MAKE) test-pg

lint: $(VENV)/.base
	$(VENV)/bin/ruff check src tests benchmarks

typecheck: $(VENV)/.base
	$(VENV)/bin/mypy

# Both, and fail on either (what CI runs before the tests).
check: lint typecheck

bench: $(VENV)/.all
	@for f in benchmarks/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

# Optional: WordNet 3.0 (Debian's wordnet-base) for the text models' concept features.
# glamlab works without it; with it, text models also read the nouns' broader terms.
wordnet:
	@[ -f /usr/share/wordnet/data.noun ] && echo "WordNet is installed: /usr/share/wordnet" || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wordnet-base)

clean:
	rm -rf $(VENV) demo-workspace .pytest_cache .mypy_cache .ruff_cache
