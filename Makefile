# The commands people run often. `make run` and `make test` work on a fresh
# machine from a clean clone: they create .venv and install what is needed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# reinstall whenever pyproject.toml changes
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: setup run test test-all lint bench fuzz-campaign fault-campaign clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

setup: $(STAMP)

## main job: capture from JAX (strict), conformance, durability pipeline, summary
run: setup
	$(BIN)/fjh run

## the test suite (what CI runs)
test: setup
	$(BIN)/python -m pytest -n 2

## every test, including the slow ones
test-all: setup
	$(BIN)/python -m pytest -n 2 -m ''

lint: setup
	$(BIN)/ruff check frankenjax_ref harness tests scripts
	$(BIN)/mypy

bench: setup
	$(BIN)/python scripts/bench_transforms.py
	$(BIN)/python scripts/bench_durability.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
