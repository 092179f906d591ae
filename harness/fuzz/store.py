"""Where fuzzing keeps its files, and the one way it protects them.

::

    corpus/<target>/seed/*            committed seed corpus (scripts/make_seed_corpus.py)
    corpus/<target>/<sha1>            inputs the fuzzer found interesting (grown, not committed)
    corpus/crashes/<target>/crash-<sha1>        a crashing input, as the fuzzer wrote it
    corpus/crashes/<target>/crash-<sha1>.min    its minimized form (fjh triage)
    corpus/crashes/index.v1.jsonl     the crash index (harness.fuzz.triage)
    artifacts/fuzz/<target>/<run-id>.log / .json    a fuzz run's log and summary

Crash inputs, seeds, logs and summaries are long-lived (they match the
durability walker's patterns), so each gets a zfec sidecar through
:func:`ensure_sidecar`, which is idempotent: an intact sidecar is left
exactly as it is (regenerating would rewrite its timestamp), a damaged one
is repaired, a missing one generated.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from harness.paths import artifacts_dir, corpus_dir

CRASH_PREFIX = "crash-"
MIN_SUFFIX = ".min"


def target_corpus(target: str) -> Path:
    return corpus_dir() / target


def seed_dir(target: str) -> Path:
    return target_corpus(target) / "seed"


def crashes_root() -> Path:
    return corpus_dir() / "crashes"


def crash_dir(target: str) -> Path:
    return crashes_root() / target


def crash_name(data: bytes) -> str:
    """libFuzzer's name for a crashing input: ``crash-`` + SHA-1 of its bytes."""
    return CRASH_PREFIX + hashlib.sha1(data).hexdigest()


def fuzz_artifacts(target: str) -> Path:
    return artifacts_dir() / "fuzz" / target


def corpus_files(directory: Path) -> list[Path]:
    """Regular, visible files directly in ``directory`` (no sidecars, no subdirectories)."""
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return []
    return [
        Path(e.path)
        for e in entries
        if e.is_file(follow_symlinks=False) and not e.name.startswith(".") and not e.name.endswith(".fjsc")
    ]


def ensure_sidecar(path: Path) -> str:
    """Make sure ``path`` has an intact sidecar; returns ``kept``, ``generated`` or ``repaired``."""
    from harness.durability import generate_sidecar, repair, scrub, sidecar_dir

    if not sidecar_dir(path).exists():
        generate_sidecar(path)
        return "generated"
    report = scrub(path)
    if report.ok:
        return "kept"
    repair(path)
    return "repaired"
