# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
CONFIG ?= config/nieuwswacht.yaml

.PHONY: run test lint format eval bench clean install install-test

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e '.[test]'
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(VENV)/bin/nieuwswacht run --config $(CONFIG)

test: install-test
	$(PY) -m pytest

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

EVAL ?= tests/eval/labelled.jsonl
eval: install
	$(VENV)/bin/nieuwswacht eval --config $(CONFIG) $(EVAL)

bench: install-test
	$(PY) bench/match.py
	$(PY) bench/crawl.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
