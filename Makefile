# narrate: `make run` narrates the bundled sample; `make test` runs the suite. Both set up .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
SAMPLE := examples/water-bills.md

.PHONY: run test test-fast lint bench bench-cluster clean-output

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,check,studio,dask]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/narrate $(SAMPLE)

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q

test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -m "not voice"

lint: $(VENV)/.installed-test
	$(BIN)/ruff check narrate tests
	$(BIN)/mypy narrate

bench: $(VENV)/.installed-test
	$(BIN)/python bench/bench.py
	$(BIN)/python bench/bench.py --cluster
	$(BIN)/python bench/proof_bench.py
	{ echo "# First sound ($$(date -Iminutes), load $$(cut -d' ' -f1 /proc/loadavg))"; echo; echo '```'; \
	  $(BIN)/python bench/preview_latency.py; $(BIN)/python bench/studio_latency.py; echo '```'; } \
	  > bench/RESULTS-latency.md

bench-cluster: $(VENV)/.installed-test
	$(BIN)/python bench/bench.py --cluster

clean-output:
	rm -rf output/*.mp3 output/*.partial
