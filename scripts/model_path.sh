#!/usr/bin/env bash
# The model path for the current training inputs (a content hash of them).
set -euo pipefail
cd "$(dirname "$0")/.."
hash=$( (find data bot/nlu -type f \( -name '*.yml' -o -name '*.py' \) | LC_ALL=C sort; echo config.yml; echo domain.yml; echo requirements.txt) \
  | xargs sha256sum | sha256sum | cut -c1-16)
echo "models/assistant-$hash.tar.gz"
