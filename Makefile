# The two commands a new user needs: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run demo-reset test lint install install-dev clean translations

run: $(VENV)/.installed  ## Run the app on SQLite with the demo (http://127.0.0.1:8000)
	$(BIN)/tripartite db upgrade
	$(BIN)/tripartite demo
	$(BIN)/tripartite serve

demo-reset: $(VENV)/.installed  ## Start over: empty the database (every table and its data), then load a fresh demo
	$(BIN)/tripartite demo --reset

test: $(VENV)/.installed-dev  ## Run the whole test suite (SQLite, and PostgreSQL when reachable)
	$(BIN)/pytest

lint: $(VENV)/.installed-dev  ## ruff (checks and formatting) and mypy, as CI runs them
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python pyproject.toml requirements.lock $(wildcard app/locale/*/LC_MESSAGES/*.po)
	$(BIN)/pip install --quiet -c requirements.lock -e .
	$(BIN)/pybabel compile --statistics -d app/locale
	touch $@

$(VENV)/.installed-dev: $(VENV)/bin/python pyproject.toml requirements.lock $(wildcard app/locale/*/LC_MESSAGES/*.po)
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	$(BIN)/pybabel compile --statistics -d app/locale
	touch $@ $(VENV)/.installed

translations: $(VENV)/.installed  ## Extract the messages, update the fr/es catalogues, compile them
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 -k N_ --no-location --sort-output -o app/locale/messages.pot .
	$(BIN)/pybabel update -i app/locale/messages.pot -d app/locale --no-fuzzy-matching --width 100
	$(BIN)/pybabel compile --statistics -d app/locale

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
