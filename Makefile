# Every target works on a fresh machine: it installs what it needs first (Graphviz's dot, a virtual
# environment in .venv with the package and all its extras). ARGS passes options to a demo.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup test mazur truth-table makemore bench clean

ARGS ?=

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
	$(BIN)/python demos/mazur.py $(ARGS)

truth-table: $(STAMP)
	$(BIN)/python demos/truth_table.py $(ARGS)

makemore: $(STAMP)
	$(BIN)/python demos/makemore.py $(ARGS)

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run
	$(BIN)/python -m benchmarks.compiled

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
