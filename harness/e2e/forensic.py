"""Forensic logs (``frankenjax.e2e-forensic-log.v1``): one writer, one reader.

A log is everything needed to understand and re-run one scenario run
without the person who ran it: the command and the replay command, the
environment, the mode and transform stacks, the inputs (exact encoding, see
:mod:`harness.e2e.values`) and their ``fixture_id``, one entry per step with
what it produced, expected and actual values with their tolerances, timings
per phase, the files involved with their SHA-256, the status and a failure
summary.

:func:`write_log` validates the document against its JSON Schema, writes it
atomically to ``<log_dir>/<scenario>.e2e.json`` and gives it a durability
sidecar (regenerated on purpose: a new run is new content).
:func:`read_log` validates what it reads and, when a sidecar exists, refuses
a log that no longer matches it (``fjh durability repair`` restores it).
"""

from __future__ import annotations

import os
import platform
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

from harness.e2e.model import E2EError

LOG_SCHEMA = "frankenjax.e2e-forensic-log.v1"
LOG_SUFFIX = ".e2e.json"
STATUSES = ("pass", "fail", "error", "timeout")


def default_log_dir() -> Path:
    from harness.paths import artifacts_dir

    return artifacts_dir() / "e2e"


def log_path(scenario_id: str, log_dir: Path | None = None) -> Path:
    return (log_dir or default_log_dir()) / f"{scenario_id}{LOG_SUFFIX}"


def _dist_version(name: str) -> str | None:
    """A distribution's version without importing it (``jax`` stays unimported)."""
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


@cache
def _git_commit(root: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and len(commit) == 40 else None


def environment() -> dict[str, Any]:
    """The environment of this process, as every log records it."""
    import numpy as np

    import frankenjax_ref
    from harness import __version__
    from harness.paths import project_root

    return {
        "os": f"{platform.system()} {platform.release()}",
        "arch": platform.machine(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "numpy": np.__version__,
        "ml_dtypes": _dist_version("ml_dtypes"),
        "jax": _dist_version("jax"),
        "jaxlib": _dist_version("jaxlib"),
        "zfec": _dist_version("zfec"),
        "frankenjax_ref": frankenjax_ref.__version__,
        "harness": __version__,
        "git_commit": _git_commit(str(project_root())),
        "cpu_count": os.cpu_count(),
    }


def write_log(doc: dict[str, Any], path: Path, *, sidecar: bool = True) -> Path:
    """Validate, write atomically, then (re)generate the durability sidecar."""
    from harness.atomicio import write_json

    write_json(path, doc, schema=LOG_SCHEMA)
    if sidecar:
        from harness.durability import generate_sidecar

        generate_sidecar(path, force=True)
    return path


def read_log(path: str | os.PathLike[str], *, check_sidecar: bool = True) -> dict[str, Any]:
    """Read and validate a log; a sidecar that no longer matches it is an error."""
    from harness.durability import scrub, sidecar_dir
    from harness.schemas import read_json

    p = Path(path)
    if check_sidecar and p.is_file() and sidecar_dir(p).is_dir():
        report = scrub(p)
        if report.artifact_state.status != "intact":
            raise E2EError(
                "FJ-E2E-LOG",
                f"the log does not match its durability sidecar ({report.artifact_state.status})",
                where=str(p),
                hint=f"restore it with `fjh durability repair --artifact {p}`"
                if report.recoverable
                else "the sidecar cannot restore it",
            )
    doc = read_json(p, LOG_SCHEMA)
    return doc
