#!/usr/bin/env bash
# Create or refresh a virtual environment from pinned requirement files.
# Usage: tools/make-venv.sh VENV_DIR REQUIREMENT_FILE...
# Python: the newest of 3.13, 3.12, 3.11 found (pyenv installs included), so that the newest
# ansible-core runs; test-requirements.txt picks the ansible-core that supports the chosen Python.
# The venv is rebuilt only when the interpreter or a requirement file changed (stamp file).
set -euo pipefail
venv=$1; shift

find_python() {
  local version candidate found
  # The venv's own bin is on the Makefile's PATH; its python must not be the base of a new venv.
  PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$(cd "$(dirname "$venv")" && pwd)/$(basename "$venv")/bin" | paste -sd:)
  for version in 3.13 3.12 3.11; do
    for candidate in "python$version" "$(pyenv root 2>/dev/null)/versions/$version"*/bin/"python$version"; do
      found=$(command -v "$candidate" 2>/dev/null) || continue
      if "$found" -c 'import sys, venv, ensurepip; sys.exit(sys.prefix != sys.base_prefix)' >/dev/null 2>&1; then
        echo "$found"; return 0
      fi
    done
  done
  echo "no Python 3.11, 3.12 or 3.13 with venv found" >&2
  return 1
}

python=$(find_python)
stamp="$("$python" -c 'import sys; print(sys.version)') $(cat "$@" | sha256sum | cut -c1-16)"
if [ -f "$venv/.stamp" ] && [ "$(cat "$venv/.stamp")" = "$stamp" ] && [ -x "$venv/bin/python" ]; then
  exit 0
fi
echo "creating $venv with $python ($("$python" --version))"
rm -rf "$venv"
"$python" -m venv "$venv"
args=()
for file in "$@"; do args+=(-r "$file"); done
"$venv/bin/pip" install --quiet --disable-pip-version-check "${args[@]}" 2>&1 | grep -v "^WARNING: Location" || true
"$venv/bin/pip" check
echo "$stamp" > "$venv/.stamp"
