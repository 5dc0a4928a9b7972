# Two commands for a fresh machine (see README.md): `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: setup setup-dev espeak audio serve test bench

# What serving needs, and no more: the first call waits for this install alone.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	@touch $(STAMP)

# The tools that check and test it (pytest, ruff, mypy, Playwright), on top.
$(DEV_STAMP): $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(DEV_STAMP)

setup: $(STAMP)

setup-dev: $(DEV_STAMP)

# pyttsx3 speaks through espeak-ng on Linux. Install it where this machine allows; where it does
# not, say so: the helpline then speaks every prompt with Twilio's <Say>.
espeak:
	@if command -v espeak-ng >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -q && apt-get install -y -q espeak-ng; \
	elif [ "$$(uname)" = Linux ]; then \
		echo "espeak-ng is not installed, and installing it needs root (sudo apt-get install espeak-ng)."; \
		echo "Until then the helpline speaks with Twilio's <Say> instead of rendered audio."; \
	fi

audio: setup espeak
	$(BIN)/ivr prompts render

# The helpline answers as soon as the content is checked; `ivr serve` renders the audio beside
# it, and each prompt is spoken with <Say> until its recording is ready.
serve: setup espeak
	$(BIN)/ivr check
	$(BIN)/ivr serve --port $${PORT:-5000}

test: setup-dev audio
	$(BIN)/ivr check
	$(BIN)/ruff check ivr tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python benchmarks/webhooks.py
