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

# The web UI: `npm ci` (from the committed package-lock.json; npm keeps its cache in ~/.npm) and `npm run build`
# (tsc type-check + esbuild bundle into the gateway's static/app/). Skipped when the sources' hash matches the
# last build's.
UI=gateway/ui
UI_OUT=gateway/src/labelstream_gateway/static/app
if command -v npm >/dev/null 2>&1; then
  ui_hash=$(cd "$UI" && cat package.json package-lock.json build.mjs tsconfig.json tsconfig.test.json eslint.config.mjs $(find src -type f | LC_ALL=C sort) | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$UI_OUT/.build-hash" 2>/dev/null)" != "$ui_hash" ] || [ ! -d "$UI/node_modules" ]; then
    echo "building the web UI (gateway/ui) ..."
    (cd "$UI" && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent) || { echo "error: the web UI did not build" >&2; exit 1; }
    echo "$ui_hash" > "$UI_OUT/.build-hash"
  fi
else
  echo "warning: npm is missing: the gateway serves a page saying the UI is not built" >&2
fi

# Chromium for the browser tests (Debian's package; Playwright drives it, `playwright install` cannot download).
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo -n"
  echo "installing chromium (browser tests) ..."
  ($SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium) >/dev/null 2>&1 \
    || echo "warning: could not install chromium: the browser tests will fail" >&2
fi
