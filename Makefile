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

## what CI runs: the tests (collecting coverage and a JUnit file for the gates), the P2C-001 e2e
## packet, then the quality gates with the CI profile (coverage read from this run, 2 flake runs).
## All three always run, so a red CI shows every problem at once; any failure fails the target.
test: setup
	@mkdir -p build/ci
	@status=0; \
	echo "== tests (pytest -n 2, coverage + JUnit for the gates)"; \
	$(BIN)/python -m pytest -n 2 --cov=frankenjax_ref --cov=harness --cov-branch --cov-report= \
		--junitxml=build/ci/pytest.junit.xml || status=1; \
	echo "== fjh e2e --packet P2C-001"; \
	$(BIN)/fjh e2e --packet P2C-001 || status=1; \
	echo "== fjh gates --profile ci"; \
	$(BIN)/fjh gates --profile ci || status=1; \
	if [ $$status -ne 0 ]; then echo "make test: FAILED (tests, e2e or a gate; see above)"; fi; \
	exit $$status

## every test, including the slow ones
test-all: setup
	$(BIN)/python -m pytest -n 2 -m ''

lint: setup
	$(BIN)/ruff check frankenjax_ref harness tests scripts
	$(BIN)/mypy

bench: setup
	$(BIN)/python scripts/bench_transforms.py
	$(BIN)/python scripts/bench_durability.py

## long campaigns, run on purpose
fuzz-campaign: setup
	$(BIN)/fjh fuzz ir_deserializer --max-time 600 --jobs 2 --keep-going

fault-campaign: setup
	$(BIN)/python scripts/durability_campaign.py --trials 10000

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
