# narrate: `make run` narrates the bundled sample; `make test` runs the suite, lint and the docs build.
# Both set up .venv first. `make test-fast` is the developer's loop (no real voice, browser, cluster or slow tests).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
SAMPLE := examples/water-bills.md
FAST   := not voice and not browser and not cluster and not slow

.PHONY: run test test-fast lint docs bench bench-cluster clean-output

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,check,studio,dask,docs]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/narrate $(SAMPLE)

test: lint docs
	$(BIN)/python -m pytest -q

test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -m "$(FAST)"

lint: $(VENV)/.installed-test
	$(BIN)/ruff check narrate tests
	$(BIN)/mypy narrate

# The docs site (MkDocs + Material) into site/; --strict fails on a broken link or anchor. Works offline.
docs: $(VENV)/.installed-test
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

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
