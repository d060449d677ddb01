# Maillage — every target sets up what it needs first; `make setup` is idempotent.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test test-only lint bench clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

setup: $(STAMP)
	@scripts/system-packages.sh runtime
	$(BIN)/maillage compile-translations
	$(BIN)/maillage migrate --no-input -v 0
	$(BIN)/maillage load-referential
	$(BIN)/maillage collectstatic --no-input -v 0

run: setup
	$(BIN)/maillage serve --host $(HOST) --port $(PORT)

test: setup
	@scripts/system-packages.sh test
	$(MAKE) --no-print-directory test-only

# The suite alone (CI's PostgreSQL pass uses it with DATABASE_URL set).
test-only:
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src

bench: setup
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) var
