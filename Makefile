# Two commands on a fresh machine (Python >= 3.10 and pip): `make demo` and `make test`.
# Each creates .venv and installs the package with its extras when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck docs bench clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/chatmodels demo

test: $(STAMP)
	$(BIN)/python -m pytest
	$(BIN)/ruff check chatmodels tests benchmarks
	$(BIN)/mypy chatmodels
	$(BIN)/python -m chatmodels.docgen --check
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict   # not -q: it hides the warnings

lint: $(STAMP)
	$(BIN)/ruff check chatmodels tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy chatmodels

docs: $(STAMP)
	$(BIN)/python -m chatmodels.docgen
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

bench: $(STAMP)
	$(BIN)/python benchmarks/iterate_contacts.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
