#!/usr/bin/env bash
# The whole suite (called by `make test` after setup and training).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD" RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1
exec .venv/bin/python -m pytest "$@"
