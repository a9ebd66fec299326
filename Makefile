# One command for the main job, one for the tests; both create .venv and install what they need.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: install simulate test lint mutants up migrate clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/.installed

simulate: install  ## start the services on the local servers, play the original scenario, stop them
	$(BIN)/opd simulate

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

test: lint  ## lint, import contracts, types, then every test against the real PostgreSQL and RabbitMQ
	$(BIN)/pytest

MUTANT_JOBS ?= 2
mutants: install  ## mutation testing of the rule and guarantee modules (slow, not in CI; docs/testing.md)
	$(BIN)/mutmut run --max-children $(MUTANT_JOBS)
	$(BIN)/mutmut results

up: install  ## run gateway, allocator and notifier until Ctrl-C
	$(BIN)/opd up

migrate: install
	$(BIN)/opd migrate

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis mutants
