# The two commands: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
MODEL = $(shell scripts/model_path.sh)

export PYTHONPATH := $(CURDIR)
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export ACTION_SERVER_URL ?= http://127.0.0.1:$(or $(ACTION_PORT),5055)/webhook
export TRACKER_DB ?= $(CURDIR)/var/trackers.db
export ACTION_SERVER_TOKEN ?=

.PHONY: run test setup train shell actions validate lock clean

## run: set up if needed, train if stale, start everything, print the URLs
run: train
	$(PY) -m bot.launcher --model $(MODEL)

## test: set up if needed and run the whole suite
test: train
	scripts/test.sh

setup:
	scripts/setup.sh

train: setup
	scripts/train.sh >/dev/null

## shell: talk to the bot in the terminal (starts the action server too)
shell: train
	@$(PY) -m bot.server.action_server --port $(or $(ACTION_PORT),5055) >var/shell-actions.log 2>&1 & \
	  pid=$$!; trap "kill $$pid" EXIT; sleep 5; \
	  $(VENV)/bin/rasa shell --model $(MODEL) --endpoints endpoints.yml

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

## topology: two Rasa replicas + two action servers on PostgreSQL + Redis; Ctrl-C stops all
topology: train
	$(PY) scripts/topology.py --model $(MODEL)

# --- documentation pictures (bot/web/screenshots.py, docs/channels.md) ---
.PHONY: screenshots

## screenshots: PNGs of the chat widget and the FAQ into docs/screenshots/ (reuses a running `make run`)
screenshots: train
	$(PY) -m bot.web.screenshots
