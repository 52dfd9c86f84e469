# Two commands do all the set-up: `make run` serves Keel, `make test` checks everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
export UV_PROJECT_ENVIRONMENT := $(VENV)
# `make run PORT=8080 HOST=0.0.0.0`. localhost, not 127.0.0.1: a browser app on http://localhost:3000
# (FRONTEND_URL's default) is then the same site as the API, so its SameSite=Strict refresh cookie is
# sent and its CSRF cookie readable (README.md, "A browser app in development").
HOST ?= localhost
PORT ?= 8000

.PHONY: run test install lint typecheck pytest migrate bench bench-layers clean openapi openapi-check openapi-lint client ts-client resource

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: uv.lock pyproject.toml | $(BIN)/uv
	$(BIN)/uv sync --frozen --quiet
	@touch $@

install: $(VENV)/.synced

# Without APP_ENV a process is production; these two targets are the development start.
migrate: install
	APP_ENV=$${APP_ENV:-development} $(BIN)/flask --app wsgi db upgrade
	APP_ENV=$${APP_ENV:-development} $(BIN)/flask --app wsgi keys rotate --if-none

run: migrate
	@echo "Keel on http://$(HOST):$(PORT)  (Swagger UI: http://$(HOST):$(PORT)/docs)"
	APP_ENV=$${APP_ENV:-development} $(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest --cov --cov-report=term

test: lint typecheck pytest

# Keel against the bare-Flask floor with wrk, on the local PostgreSQL (docs/benchmarks.md).
# SEED=100000 users by default; BENCH_ARGS for more (e.g. BENCH_ARGS="--duration 20 --pairs 5").
# FSFT=path/to/full-stack-fastapi-template adds its /users/me beside Keel's (FSFT_PYTHON: its interpreter).
SEED ?= 100000
bench: install
	$(BIN)/python bench/run.py --seed $(SEED) $(if $(FSFT),--fsft $(FSFT)) $(if $(FSFT_PYTHON),--fsft-python $(FSFT_PYTHON)) $(BENCH_ARGS)

# Keel's CPU per request, layer by layer, in-process (docs/benchmarks.md); REQUESTS per path.
REQUESTS ?= 3000
bench-layers: install
	$(BIN)/python bench/layers.py --requests $(REQUESTS)

# The committed OpenAPI document: regenerate it after changing the API (a test fails until you do).
openapi: install
	APP_ENV=development $(BIN)/flask --app wsgi spec write docs/openapi.json

# A new owner-scoped resource: `make resource NAME=widgets` (plural, snake_case) writes its feature
# package, migration, tests and docs (docs/adding-a-resource.md); a taken or unsafe name writes nothing.
resource: install
	@test -n "$(NAME)" || { echo "usage: make resource NAME=<plural, snake_case>  (such as widgets)"; exit 2; }
	APP_ENV=$${APP_ENV:-development} $(BIN)/flask --app wsgi resource new '$(NAME)'

# A typed Python client (build/client) from the committed document; the generator formats it with
# the venv's ruff. tests/e2e/test_generated_client.py does the same from the served document.
client: install
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/openapi-python-client generate --path docs/openapi.json --output-path build/client --overwrite

# TypeScript types for the committed document (build/keel.d.ts: `paths`, `components`), for
# openapi-fetch's createClient<paths>; tests/e2e/test_typescript_client.py compiles and runs a typed
# flow (tests/e2e/typescript) with types generated from the served document.
ts-client: node_modules/.installed
	node_modules/.bin/openapi-typescript docs/openapi.json --output build/keel.d.ts

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

# Breaking changes (removed operations or response fields, newly required inputs, narrowed types)
# from the last release's document to docs/openapi.json, by Optic; it exits 1 and names each one.
# (CI unset: Optic would write its report for a hosted service into the working tree.)
OPENAPI_BASE ?= $(shell ls docs/releases/openapi-*.json 2>/dev/null | sort -V | tail -n 1)
OPENAPI_HEAD ?= docs/openapi.json
openapi-check: node_modules/.installed
	env -u CI OPTIC_TELEMETRY_LEVEL=off node_modules/.bin/optic diff $(OPENAPI_BASE) $(OPENAPI_HEAD) --check

# Redocly's `recommended` rules (redocly.yaml) over docs/openapi.json: it exits 1 on any error and
# lists its warnings (docs/api.md says which are accepted). No telemetry, no update check.
OPENAPI_LINT ?= docs/openapi.json
openapi-lint: node_modules/.installed
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true node_modules/.bin/redocly lint $(OPENAPI_LINT) --config redocly.yaml --format=stylish

clean:
	rm -rf node_modules $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
