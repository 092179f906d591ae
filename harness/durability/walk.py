"""``--all``: find every long-lived artifact in a tree and scrub or protect it.

What counts as long-lived is data, not code: :data:`LONG_LIVED_PATTERNS`
(included) minus :data:`EXCLUDED_PATTERNS`, as globs relative to the project
root where ``*`` stays inside one path segment and ``**`` spans any number
of directories. Change the lists, not the walker.

Whatever the patterns say, the walker never treats these as artifacts:
sidecar directories (``*.fjsc``) and everything in them, hidden files and
directories (atomic-write temporaries are ``.<name>.<random>.tmp``),
symlinks and anything that is not a regular file.

An artifact that is gone but whose sidecar remains (``x.json.fjsc`` without
``x.json``) is still listed: that is exactly the loss a sidecar exists to
undo, and scrub reports it as damaged (recoverable).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from frankenjax_ref.errors import FJError
from harness.durability.codec import DEFAULT_CODEC, DEFAULT_K, DEFAULT_M, DEFAULT_MAX_BLOCK_SIZE
from harness.durability.pipeline import pipeline
from harness.durability.scrub import ScrubReport, scrub
from harness.durability.sidecar import SIDECAR_SUFFIX, utc_now
from harness.paths import project_root

SUMMARY_SCHEMA = "frankenjax.durability-summary.v1"

#: Long-lived artifacts: fixture bundles, crash inputs and the crash index,
#: curated fuzz seeds, and every report and forensic log under artifacts/.
LONG_LIVED_PATTERNS: tuple[str, ...] = (
    "fixtures/**/*",
    "corpus/crashes/**/*",
    "corpus/*/seed/**/*",
    "artifacts/**/*",
)
#: Not artifacts: JSON Schemas ship with the code and are versioned with it;
#: artifacts/durability/ holds this subsystem's own per-run reports (scrub
#: and pipeline summaries), which would otherwise demand a sidecar each run.
EXCLUDED_PATTERNS: tuple[str, ...] = (
    "artifacts/schemas/**",
    "artifacts/durability/**",
)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile a root-relative glob (``*``, ``?``, ``**``) to a full-match regex."""
    parts = pattern.split("/")
    out = []
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        if part == "**":
            out.append(".*" if last else "(?:[^/]+/)*")
            continue
        segment = "".join("[^/]*" if ch == "*" else "[^/]" if ch == "?" else re.escape(ch) for ch in part)
        out.append(segment if last else segment + "/")
    return re.compile("".join(out))


_INCLUDE = [glob_regex(p) for p in LONG_LIVED_PATTERNS]
_EXCLUDE = [glob_regex(p) for p in EXCLUDED_PATTERNS]


def is_long_lived(relative: str) -> bool:
    """Whether a root-relative POSIX path is covered by the durability walk."""
    segments = relative.split("/")
    if any(s.startswith(".") or s.endswith(SIDECAR_SUFFIX) for s in segments):
        return False
    if not any(p.fullmatch(relative) for p in _INCLUDE):
        return False
    return not any(p.fullmatch(relative) for p in _EXCLUDE)


def discover_artifacts(root: str | os.PathLike[str] | None = None) -> list[Path]:
    """Every long-lived artifact under ``root`` (default: the project root), sorted.

    Includes artifacts that are missing but still have a sidecar.
    """
    base = Path(root) if root is not None else project_root()
    tops = sorted({p.split("/", 1)[0] for p in LONG_LIVED_PATTERNS})
    found: set[str] = set()
    for top in tops:
        for directory, dirnames, filenames in os.walk(base / top, followlinks=False):
            here = Path(directory)
            relative_dir = here.relative_to(base).as_posix()
            for name in list(dirnames):
                if name.endswith(SIDECAR_SUFFIX):
                    protected = name[: -len(SIDECAR_SUFFIX)]
                    if protected and not (here / protected).exists():
                        found.add(f"{relative_dir}/{protected}")
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not d.startswith(".") and not d.endswith(SIDECAR_SUFFIX) and not (here / d).is_symlink()
            )
            for name in filenames:
                path = here / name
                if path.is_symlink() or not path.is_file():
                    continue
                found.add(f"{relative_dir}/{name}")
    return [base / relative for relative in sorted(found) if is_long_lived(relative)]


@dataclass(frozen=True)
class SummaryRow:
    artifact: str
    status: str
    recoverable: bool
    good_shares: int
    k: int | None
    m: int | None
    generated: bool = False
    proof: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class DurabilitySummary:
    """One table for a whole tree (``frankenjax.durability-summary.v1``)."""

    command: str
    root: str
    created_at: str
    rows: tuple[SummaryRow, ...]

    @property
    def ok(self) -> bool:
        if self.command == "pipeline":
            return all(r.status == "intact" and r.proof == "recovered" for r in self.rows)
        return all(r.status == "intact" for r in self.rows)

    @property
    def totals(self) -> dict[str, int]:
        return dict(sorted(Counter(r.status for r in self.rows).items()))

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SUMMARY_SCHEMA,
            "command": self.command,
            "root": self.root,
            "created_at": self.created_at,
            "patterns": list(LONG_LIVED_PATTERNS),
            "excluded": list(EXCLUDED_PATTERNS),
            "ok": self.ok,
            "totals": self.totals,
            "rows": [
                {
                    "artifact": r.artifact,
                    "status": r.status,
                    "recoverable": r.recoverable,
                    "good_shares": r.good_shares,
                    "k": r.k,
                    "m": r.m,
                    "generated": r.generated,
                    "proof": r.proof,
                    "detail": r.detail,
                }
                for r in self.rows
            ],
        }


def _row(name: str, report: ScrubReport, *, generated: bool = False, proof: str | None = None) -> SummaryRow:
    return SummaryRow(
        artifact=name,
        status=report.status,
        recoverable=report.recoverable,
        good_shares=report.good_shares,
        k=report.k,
        m=report.m,
        generated=generated,
        proof=proof,
        detail=report.problems[0] if report.problems else None,
    )


def _error_row(name: str, exc: Exception) -> SummaryRow:
    detail = str(exc) if isinstance(exc, FJError) else f"{type(exc).__name__}: {exc}"
    return SummaryRow(name, "error", False, 0, None, None, detail=detail)


def scrub_all(root: str | os.PathLike[str] | None = None) -> DurabilitySummary:
    """Scrub every long-lived artifact; artifacts without a sidecar are ``no-sidecar`` rows."""
    base = Path(root) if root is not None else project_root()
    rows = []
    for path in discover_artifacts(base):
        name = path.relative_to(base).as_posix()
        try:
            rows.append(_row(name, scrub(path)))
        except (FJError, OSError) as exc:
            rows.append(_error_row(name, exc))
    return DurabilitySummary("scrub", str(base), utc_now(), tuple(rows))


def pipeline_all(
    root: str | os.PathLike[str] | None = None,
    *,
    k: int = DEFAULT_K,
    m: int = DEFAULT_M,
    max_block_size: int = DEFAULT_MAX_BLOCK_SIZE,
    codec: str = DEFAULT_CODEC,
    drop: int | None = None,
    seed: int | None = None,
) -> DurabilitySummary:
    """Run :func:`~harness.durability.pipeline.pipeline` on every long-lived artifact.

    Missing sidecars are created; existing ones are scrubbed and proved, never
    regenerated.
    """
    base = Path(root) if root is not None else project_root()
    rows = []
    for path in discover_artifacts(base):
        name = path.relative_to(base).as_posix()
        try:
            if not path.exists():
                rows.append(_row(name, scrub(path)))
                continue
            result = pipeline(
                path, k=k, m=m, max_block_size=max_block_size, codec=codec, drop=drop, seed=seed
            )
        except (FJError, OSError) as exc:
            rows.append(_error_row(name, exc))
            continue
        outcome = None if result.proof is None else ("recovered" if result.proof.recovered else "failed")
        rows.append(_row(name, result.scrub, generated=result.generated, proof=outcome))
    return DurabilitySummary("pipeline", str(base), utc_now(), tuple(rows))
