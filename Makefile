# The two commands: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
MODEL = $(shell scripts/model_path.sh)

export PYTHONPATH := $(CURDIR)
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: run test test-unit lint format setup train shell validate lock clean nlu-compare policy-compare

## run: set up if needed, train if stale, start everything, print the URLs
run: train
	$(PY) -m bot.ops.launcher --model $(MODEL)

## test: set up if needed, lint, and run the whole suite
test: lint train
	scripts/ci_system_deps.sh
	scripts/test.sh

## test-unit: the fast tier (no model, no servers) for the inner loop, on every core
test-unit: setup
	scripts/test.sh -q -n auto -m "not model and not e2e and not scaleout"

## lint: ruff (lint + format check) and mypy over the whole tree
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## format: apply ruff's fixes and formatting
format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

setup:
	scripts/setup.sh

train: setup
	scripts/train.sh >/dev/null

## shell: talk to the bot in the terminal (starts the action server too)
shell: train
	@$(PY) -m bot.ops.shell --model $(MODEL)

validate: setup
	$(VENV)/bin/rasa data validate --fail-on-warnings

## lock: regenerate requirements.txt from requirements.in
lock:
	rm -rf .venv-lock && scripts/find_python.sh | xargs -I{} {} -m venv .venv-lock
	.venv-lock/bin/pip install -q "pip<25" && .venv-lock/bin/pip install -q -r requirements.in
	.venv-lock/bin/pip freeze --exclude-editable > requirements.txt && rm -rf .venv-lock

clean:
	rm -rf models results .rasa

# --- production topology (deploy/, docs/deployment.md) ---
.PHONY: services services-stop topology

## services: start the project's PostgreSQL (127.0.0.1:15432) and Redis (127.0.0.1:16379)
services:
	scripts/services.sh start

services-stop:
	scripts/services.sh stop

## topology: two Rasa replicas + two action servers on PostgreSQL + Redis, the web app, nginx in front on one port (LB_PORT, 8090); Ctrl-C stops all
topology: train services
	$(PY) -m bot.ops.topology --model $(MODEL)

# --- documentation pictures (tools/screenshots.py, docs/channels.md) ---
.PHONY: screenshots

## screenshots: PNGs of the chat widget and the FAQ into docs/screenshots/ (reuses a running `make run`)
screenshots: train
	$(PY) -m tools.screenshots

## nlu-compare: train each candidate pipeline (docs/nlu_configs/) and score it on the held-out set
nlu-compare: setup
	$(PY) -m tools.nlu_compare

## policy-compare: train each candidate policy set (docs/policy_configs/); conversation tests, decisions, CPU per turn
policy-compare: setup
	$(PY) -m tools.policy_compare

# --- benchmarks and audits (bench/, docs/benchmarks.md); not part of `make test` ---
.PHONY: bench audit

## bench: load-test the product against a stock `rasa init` bot (<= ~15 min); BENCH_ARGS="--quick" for a smoke run
bench: train
	$(PY) -m bench --model $(MODEL) $(BENCH_ARGS)

## audit: pip-audit of requirements.txt from a throwaway venv (var/bench/audit; needs PyPI)
audit:
	rm -rf var/bench/audit && mkdir -p var/bench
	"$$(scripts/find_python.sh)" -m venv var/bench/audit
	var/bench/audit/bin/pip install -q pip-audit
	@# --strict: a dependency that cannot be audited (e.g. no vulnerability database reachable) fails the audit
	var/bench/audit/bin/pip-audit -r requirements.txt --no-deps --disable-pip --strict --desc on $(AUDIT_ARGS) \
	  || { echo "audit failed: a vulnerability was found, or a dependency could not be audited (see above; docs/benchmarks.md)" >&2; exit 1; }
