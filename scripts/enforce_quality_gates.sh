#!/usr/bin/env bash
# Thin wrapper over `fjh gates`: run the CI quality gates (--profile ci|full, --only G, --skip-G, --flake-runs N).
# Every argument is passed through; see `fjh gates --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .venv/bin/fjh ]; then exec .venv/bin/fjh gates "$@"; fi
exec fjh gates "$@"
