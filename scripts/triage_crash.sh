#!/usr/bin/env sh
# Thin wrapper: scripts/triage_crash.sh crash-<sha1> [--target T] [...]  ==  fjh triage ...
# (fjh triage --help lists the options; --all re-triages the whole index, --gate runs the crash gate)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
py="$here/.venv/bin/python"
[ -x "$py" ] || py=python3
exec "$py" -m harness triage "$@"
