# The two commands a newcomer needs: `make demo` (the main job) and `make test` (everything CI runs).
# Each creates its own virtual environment in .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/tobs demo

test: $(STAMP)
	scripts/ensure-postgresql >/dev/null
	scripts/ensure-chromium >/dev/null
	scripts/ensure-node $(VENV) >/dev/null
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) out run .pytest_cache .ruff_cache
