# The two commands of the README. Each makes its own virtual environment.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCALE ?= small
PORT ?= 8000

.PHONY: install demo test lint bench

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BIN)/.installed

## make demo [SCALE=medium] [PORT=8001]: demo data -> pilotage-demo.duckdb -> focus dashboard -> http://127.0.0.1:$(PORT); one login per role
demo: install
	$(BIN)/pilotage demo --scale $(SCALE) --port $(PORT) --users

## make test: the whole suite (DuckDB and PostgreSQL; PostgreSQL tests skip when no server answers)
test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check pilotage tests
