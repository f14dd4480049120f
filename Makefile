# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The main job: three preset sweeps (about a minute on 2 cores; a rerun is cached), then their reports.
demo: $(STAMP)
	$(BIN)/sweeps run sine --out runs/sine
	$(BIN)/sweeps run moons --out runs/moons
	$(BIN)/sweeps run blobs --out runs/blobs
	$(BIN)/sweeps report runs/sine
	$(BIN)/sweeps report runs/moons
	$(BIN)/sweeps report runs/blobs
	@echo
	@echo "Reports: open runs/sine/report/index.html, runs/moons/report/index.html, runs/blobs/report/index.html"

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) runs bench/out
