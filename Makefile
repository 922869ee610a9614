# Rapport: `make demo` to try it, `make test` to check it. Everything lives in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck test-sqlite test-postgres bench-s bench-m clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Rapport needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/rapport demo

test: install lint typecheck test-sqlite test-postgres

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy rapport

test-sqlite: install
	RAPPORT_TESTING=1 $(BIN)/pytest

# The same database tests again on a throwaway PostgreSQL cluster (browser tests once is enough).
test-postgres: install
	RAPPORT_TESTING=1 scripts/with-postgres $(BIN)/pytest -m "not browser"

bench-s: install
	$(BIN)/python bench/generate.py --size S --data-dir bench/out/S
	$(BIN)/python bench/run.py --data-dir bench/out/S

bench-m: install
	$(BIN)/python bench/generate.py --size M --data-dir bench/out/M
	$(BIN)/python bench/run.py --data-dir bench/out/M

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
