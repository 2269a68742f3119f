#!/usr/bin/env bash
# The model path for the current training inputs (bot/ops/model.py hashes them).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHONPATH="$PWD" .venv/bin/python -m bot.ops.model
