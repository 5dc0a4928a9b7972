# Two commands for a fresh machine (see README.md): `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup serve test check lint bench

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

serve: setup
	$(BIN)/ivr check
	$(BIN)/ivr serve --port $${PORT:-5000}

test: setup
	$(BIN)/ivr check
	$(BIN)/ruff check ivr tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python benchmarks/webhooks.py
