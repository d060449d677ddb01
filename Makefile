# Maillage — every target sets up what it needs first; `make setup` is idempotent.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run serve-prod soak test test-only lint bench clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installation des dépendances verrouillées…" >&2
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock >&2
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e . >&2
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

# Setup talks on stderr only, so that `make bench` prints nothing but its JSON on stdout.
setup: $(STAMP)
	@scripts/system-packages.sh runtime
	@$(BIN)/maillage compile-translations >&2
	@$(BIN)/maillage migrate --no-input -v 0 >&2
	@$(BIN)/maillage load-referential >&2
	@$(BIN)/maillage load-demo >&2
	@$(BIN)/maillage indicators --recompute >/dev/null
	@$(BIN)/maillage collectstatic --no-input -v 0 >&2

# The background worker (imports, figure refreshes, scheduled harvests) runs beside the server
# and stops with it.
run: setup
	@$(BIN)/maillage worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/maillage serve --host $(HOST) --port $(PORT)

# The production server: gunicorn with several workers (src/maillage/gunicorn_conf.py), static
# files by WhiteNoise, the same environment settings; it refuses the public default SECRET_KEY.
serve-prod: setup
	@$(BIN)/maillage worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	MAILLAGE_BIND=$${MAILLAGE_BIND:-$(HOST):$(PORT)} \
	$(BIN)/gunicorn -c python:maillage.gunicorn_conf maillage.wsgi:application

# serve-prod on the loopback under 20 concurrent clients for a bounded time; JSON on stdout.
soak: setup
	@$(BIN)/python -m benchmarks --only soak

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
	@$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) var
