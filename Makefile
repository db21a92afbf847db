# `make test` and `make mazur` work on a fresh machine: they install what they need first
# (Graphviz's dot, a virtual environment in .venv with the package and its extras).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup test mazur bench clean

setup: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	bash scripts/install-graphviz.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

test: $(STAMP)
	$(BIN)/python -m pytest

mazur: $(STAMP)
	$(BIN)/python demos/mazur.py

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
