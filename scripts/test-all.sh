#!/usr/bin/env bash
# The whole suite on a fresh Debian machine: installs the external
# validators and Chromium (as root), the npm packages from the lockfile, then typechecks,
# builds and runs every test. Under CI=true a missing validator fails.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
{ command -v promtool && command -v prometheus; } >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v prometheus-pushgateway >/dev/null 2>&1 || missing+=(prometheus-pushgateway)
/usr/bin/python3 -c 'import prometheus_client.openmetrics.parser' >/dev/null 2>&1 || missing+=(python3-prometheus-client)
[ -x "${OMNIMETER_CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then
    echo "test:all: installing ${missing[*]} (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "!!! test:all: missing system packages: ${missing[*]} (not root, cannot install them); their tests will be skipped, or fail under CI=true" >&2
  fi
fi

# Wasmtime's Python bindings (from the machine's local wheel index): the second Component Model runtime.
if ! .cache/venv-wasmtime/bin/python -c 'import wasmtime.component' >/dev/null 2>&1; then
  echo "test:all: installing wasmtime (pip, into .cache/venv-wasmtime)"
  python3 -m venv .cache/venv-wasmtime
  .cache/venv-wasmtime/bin/pip install -q --retries 0 --timeout 10 'wasmtime>=49,<50'
fi

node scripts/ensure-deps.mjs
npm run build:wasm   # first: tests and the browser demo import the components' generated glue and types
npm run lint
npm run typecheck
npm run build
npx vitest run   # every project: node, chromium, and package (npm pack, installed into an empty project: the consumer test and the docs test)
npm run test:soak   # alone: it measures scrape latency under attack
