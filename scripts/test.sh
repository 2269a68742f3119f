#!/usr/bin/env bash
# The whole suite (called by `make test` after lint, setup and training).
# The scale-out tests start the project's PostgreSQL and Redis when they are
# not running; whatever this run started, it stops again, so a second
# checkout's run can bind the same ports.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD" RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1
services_were_up=0
scripts/services.sh status >/dev/null 2>&1 && services_were_up=1
stop_started_services() {
  if [ "$services_were_up" = 0 ] && scripts/services.sh status >/dev/null 2>&1; then
    scripts/services.sh stop >/dev/null 2>&1 || true
  fi
}
trap stop_started_services EXIT
.venv/bin/python -m pytest "$@"
