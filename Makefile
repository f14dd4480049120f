# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-browser browser bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The main job: three preset sweeps and the material's adam-vs-adagrad moons comparison,
# then their reports and the verdict, the admissions unit and the material's NOT (its
# trained w, b and output per row printed). Measured on 2 cores: the sweeps and reports
# 97-104 s after the install (about a minute more from a fresh clone); a rerun trains
# nothing and keeps unchanged reports (about 12 s). Each sweep prints a line as it starts,
# progress every few seconds, and its summary line.
demo: $(STAMP)
	$(BIN)/sweeps run sine --out runs/sine
	$(BIN)/sweeps run moons --out runs/moons
	$(BIN)/sweeps run blobs --out runs/blobs
	$(BIN)/sweeps run moons --set optimizer=adagrad --out runs/moons_adagrad
	$(BIN)/sweeps report runs/sine
	$(BIN)/sweeps report runs/moons
	$(BIN)/sweeps report runs/blobs
	$(BIN)/sweeps best runs/moons
	$(BIN)/sweeps compare runs/moons runs/moons_adagrad --out runs/adam_vs_adagrad | head -3
	$(BIN)/python examples/make_data.py
	$(BIN)/sweeps run examples/admissions.toml --out runs/admissions
	$(BIN)/sweeps best runs/admissions
	$(BIN)/sweeps run examples/not.toml --out runs/not
	$(BIN)/sweeps report runs/not
	$(BIN)/python examples/learnt.py runs/not
	@echo
	@echo "Reports: open runs/sine/report/index.html, runs/moons/report/index.html, runs/blobs/report/index.html"
	@echo "Comparison: open runs/adam_vs_adagrad/index.html; the material's NOT: runs/not/report/index.html"

test: $(STAMP) browser
	$(BIN)/python -m pytest -q

# The report's browser test alone; here a missing browser fails it instead of skipping it.
test-browser: $(STAMP) browser
	NNSWEEPS_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q tests/results/test_report_browser.py

# Headless Chromium and its driver for the browser test: installed with apt when missing and
# we are root (about 30 s); otherwise, or if apt fails, that test skips and says why.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	    echo "installing chromium and chromium-driver for the browser test" && \
	    apt-get update -qq >/dev/null && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver \
	      >/dev/null; } || echo "no chromium: the browser test will skip"

bench: $(STAMP)
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) runs bench/out
