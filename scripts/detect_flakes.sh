#!/usr/bin/env bash
# Thin wrapper over `fjh flakes`: run the test command N times (--runs N, --command CMD) and report flaky tests.
# Every argument is passed through; see `fjh flakes --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .venv/bin/fjh ]; then exec .venv/bin/fjh flakes "$@"; fi
exec fjh flakes "$@"
