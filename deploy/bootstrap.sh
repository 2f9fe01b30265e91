#!/usr/bin/env bash
# Creates the repository's virtual environment (.venv) with every service, shared/ and the launcher installed
# editable, plus the dev tools. Downloads go to caches outside the clone (uv's cache, ~/.cache/labelstream).
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${LABELSTREAM_CACHE:-$HOME/.cache/labelstream}"
mkdir -p "$CACHE"

need() { command -v "$1" >/dev/null 2>&1 || { echo "error: '$1' is required ($2)" >&2; exit 1; }; }
need python3.11 "Python 3.11 runs the services"
need java "Java 17 runs Kafka"
need mvn "Maven fetches the Kafka jars from Maven Central"
need go "Go builds MinIO once"

if command -v uv >/dev/null 2>&1; then
  UV=$(command -v uv)
else
  UV="$CACHE/tools/bin/uv"
  if [ ! -x "$UV" ]; then
    echo "installing uv into $CACHE/tools ..."
    python3.11 -m venv "$CACHE/tools"
    "$CACHE/tools/bin/pip" install -q --disable-pip-version-check uv
  fi
fi

# --frozen: install exactly uv.lock; --all-packages: every workspace member (services, gateway, shared, deploy).
"$UV" sync --frozen --all-packages --python python3.11 --quiet
