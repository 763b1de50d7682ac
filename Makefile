# The two commands a new user needs: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint install install-dev clean

run: $(VENV)/.installed  ## Run the app on SQLite with the demo (http://127.0.0.1:8000)
	$(BIN)/tripartite db upgrade
	$(BIN)/tripartite demo
	$(BIN)/tripartite serve

test: $(VENV)/.installed-dev  ## Run the whole test suite (SQLite, and PostgreSQL when reachable)
	$(BIN)/pytest

lint: $(VENV)/.installed-dev  ## ruff and mypy, as CI runs them
	$(BIN)/ruff check .
	$(BIN)/mypy app

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python pyproject.toml requirements.lock
	$(BIN)/pip install --quiet -c requirements.lock -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/bin/python pyproject.toml requirements.lock
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
