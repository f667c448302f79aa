# Inkpick Desktop. `make run` opens the app, `make test` runs every test; both set up
# their own virtual environment (.venv) and the Debian libraries Qt needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test bench screenshots lint clean installer

$(STAMP): pyproject.toml
	scripts/system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench,dev,installer]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/inkpick-desktop $(ARGS)

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

screenshots: $(STAMP)
	scripts/system-deps.sh --xvfb
	$(BIN)/python scripts/screenshots.py

installer: $(STAMP)
	$(BIN)/python packaging/build.py

lint: $(STAMP)
	$(BIN)/ruff check inkpick_desktop tests
	$(BIN)/mypy inkpick_desktop/engine inkpick_desktop/data

clean:
	rm -rf $(VENV) build dist *.egg-info
