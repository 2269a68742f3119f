#!/usr/bin/env bash
# Idempotent setup: .venv with the locked requirements, npm assets, the database.
# Each step is skipped when its inputs have not changed (stamp files in .venv/).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=$(scripts/find_python.sh)
VENV=.venv

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)'; then
  echo "setup: creating $VENV with $PY"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade "pip<25" wheel
fi

req_hash=$(sha256sum requirements.txt | cut -c1-16)
if [ "$(cat "$VENV/.requirements-hash" 2>/dev/null)" != "$req_hash" ]; then
  echo "setup: installing requirements.txt (a few minutes the first time)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r requirements.txt
  echo "$req_hash" > "$VENV/.requirements-hash"
fi

if [ -f package.json ]; then
  npm_hash=$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -c1-16)
  if [ ! -d node_modules ] || [ "$(cat node_modules/.setup-hash 2>/dev/null)" != "$npm_hash" ]; then
    echo "setup: installing npm packages"
    npm ci --no-audit --no-fund --silent 2>/dev/null || npm install --no-audit --no-fund --silent
    echo "$npm_hash" > node_modules/.setup-hash
  fi
fi

mkdir -p var models
if [ -f bot/data/__init__.py ]; then
  "$VENV/bin/python" -m bot db upgrade >/dev/null
fi
