# One command for the main job, one for the tests; both create .venv and install what they need.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: install simulate test lint mutants up migrate clean catalogs

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

catalogs: install  ## after changing a patient text: extract the template, merge it into every language's catalog
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k NN_:1,2 -k _ --no-location --omit-header --sort-output -o shared/i18n/locales/opd.pot .
	$(BIN)/pybabel update -i shared/i18n/locales/opd.pot -d shared/i18n/locales -D opd --ignore-obsolete --ignore-pot-creation-date
