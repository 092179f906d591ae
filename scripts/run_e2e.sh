#!/usr/bin/env bash
# Thin wrapper over `fjh e2e`: run end-to-end scenarios (all, --packet P, --scenario S); writes artifacts/e2e/<scenario>.e2e.json.
# Every argument is passed through; see `fjh e2e --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .venv/bin/fjh ]; then exec .venv/bin/fjh e2e "$@"; fi
exec fjh e2e "$@"
