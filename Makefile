# Every target works on a fresh machine: it first runs scripts/bootstrap.py, which installs Graphviz's dot
# (and for `make test` Chromium) when it can (and says how when it cannot), and builds a virtual environment
# in .venv with the package and all its extras (rebuilt when it was made by another interpreter or left
# half-installed). PYTHON picks the interpreter (make PYTHON=python3.12); VENV the environment's folder (default
# .venv; .ci/run tests Python 3.10 in .venv-3.10, so the main .venv is not rebuilt for it); ARGS passes options
# to a demo.
PYTHON ?=
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup test docs mazur truth-table makemore moons bench clean

ARGS ?=

BOOTSTRAP = @$(or $(PYTHON),python3) scripts/bootstrap.py $(if $(PYTHON),--python $(PYTHON)) --venv $(VENV)

setup:
	$(BOOTSTRAP)

# The test target also installs Chromium, for the browser tests of viz.backward_page (tests/test_page.py).
test:
	$(BOOTSTRAP) --chromium
	$(BIN)/python -m pytest

# The documentation site (docs/, mkdocs.yml) into site/: open site/index.html. `make test` builds it too, with
# --strict (tests/test_docs.py), so a broken link or API reference fails the suite.
docs: setup
	$(BIN)/python -m mkdocs build --strict

mazur: setup
	$(BIN)/python demos/mazur.py $(ARGS)

truth-table: setup
	$(BIN)/python demos/truth_table.py $(ARGS)

makemore: setup
	$(BIN)/python demos/makemore.py $(ARGS)

moons: setup
	$(BIN)/python demos/moons.py $(ARGS)

bench: setup
	$(BIN)/python -m benchmarks.run
	$(BIN)/python -m benchmarks.compiled
	$(BIN)/python -m benchmarks.batched

clean:
	rm -rf .venv .venv-3.10 *.egg-info .pytest_cache .hypothesis
