# Two commands do all the set-up on a fresh machine:
#   make run    install, then classify a note and score examples/contacts.csv with models/default
#   make test   install everything (extras, test tools, Debian chromium) and run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip

.PHONY: run test install install-test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

install: $(BIN)/python
	$(PIP) install --quiet -e ".[all]"

install-test: $(BIN)/python
	$(PIP) install --quiet -e ".[all,test,transformers]"
	bash scripts/install_browser.sh

run: install
	$(BIN)/nlp-contact classify "Cust rang chasing her PIP decision, 14 wks now, not eaten for 2 days as no money" --explain
	$(BIN)/nlp-contact score examples/contacts.csv --out runs/contacts_scored.csv
	@echo "Scored rows written to runs/contacts_scored.csv"

test: install-test
	$(BIN)/python -m pytest -q

lint: $(BIN)/python
	$(BIN)/ruff check nlp_contact service tests benchmarks training
	$(BIN)/ruff format --check nlp_contact service tests benchmarks training
	$(BIN)/mypy

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache
