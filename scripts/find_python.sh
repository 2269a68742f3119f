#!/usr/bin/env bash
# Print the path of a working Python 3.10 interpreter (rasa 3.6 needs < 3.11).
# Order: $PYTHON, python3.10 on PATH, pyenv's newest 3.10.x.
set -euo pipefail

is_py310() {
  "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1
}

if [ -n "${PYTHON:-}" ]; then
  # An explicit choice is honoured or refused, never silently replaced.
  if is_py310 "$PYTHON"; then "$PYTHON" -c 'import sys; print(sys.executable)'; exit 0; fi
  echo "PYTHON=$PYTHON is not a working Python 3.10" >&2
  exit 1
fi

candidates=()
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  for v in $(ls -1 "$root/versions" 2>/dev/null | grep -E '^3\.10\.[0-9]+$' | sort -t. -k3,3nr); do
    candidates+=("$root/versions/$v/bin/python3.10")
  done
fi
for dir in "$HOME/.pyenv/versions"/3.10.*; do
  [ -x "$dir/bin/python3.10" ] && candidates+=("$dir/bin/python3.10")
done

for c in "${candidates[@]}"; do
  if is_py310 "$c"; then
    # Resolve shims to the real interpreter so the venv does not depend on pyenv state.
    "$c" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
echo "No Python 3.10 found: install one (e.g. 'pyenv install 3.10') or set PYTHON=/path/to/python3.10" >&2
exit 1
