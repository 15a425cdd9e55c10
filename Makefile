# Shaheen: the two commands a new machine needs.
#
#   make demo   install, migrate, seed the synthetic demo data, run the whole pipeline
#   make test   install, lint, type-check, and run every test on SQLite and on a
#               throwaway PostgreSQL cluster (stopped even when tests fail)

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export SHAHEEN_DATABASE_URL ?= sqlite:///./var/shaheen.db

.PHONY: install demo test lint typecheck unit clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found; set PYTHON=python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --editable '.[dev]'
	touch $@

install: $(STAMP)

demo: install
	$(BIN)/shaheen db upgrade
	$(BIN)/shaheen demo

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

unit: install
	SHAHEEN_REQUIRE_POSTGRES=1 scripts/with-postgres $(BIN)/pytest -n 2 -q

test: lint typecheck unit

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
