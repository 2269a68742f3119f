#!/usr/bin/env bash
# Train only when the training inputs changed: the model is cached under
# models/<content hash>.tar.gz and reused otherwise. Prints the model path.
set -euo pipefail
cd "$(dirname "$0")/.."
model=$(scripts/model_path.sh)
if [ -f "$model" ]; then
  echo "model up to date: $model" >&2
else
  echo "training $model (data, domain or config changed)..." >&2
  mkdir -p models
  # bot.rasa_server is `rasa`, started sooner (bot/rasa_server/__main__.py)
  RASA_TELEMETRY_ENABLED=false .venv/bin/python -m bot.rasa_server train \
    --config config.yml --domain domain.yml --data data \
    --out models --fixed-model-name "$(basename "$model" .tar.gz)" >&2
  # keep only the newest few models
  ls -1t models/*.tar.gz 2>/dev/null | tail -n +4 | xargs -r rm -f
fi
echo "$model"
