"""Durability: erasure-coded sidecars that let every long-lived artifact survive
bit rot and lost files, and prove that it does.

Each artifact ``A`` gets a sidecar directory ``A.fjsc/`` (see
:mod:`harness.durability.sidecar` for the layout) holding ``m`` zfec shares,
any ``k`` of which rebuild ``A`` (defaults k=4, m=6: any two files may be
lost), and a manifest (``frankenjax.sidecar.v1``) with the SHA-256 of the
artifact and of every share. Hashes decide which shares are good; the codec
only ever sees good shares; nothing rebuilt is written before its SHA-256
matches the manifest.

Public API (every function returns a dataclass, never prints, and raises
:class:`DurabilityError` with a stable ``FJ-DUR-*`` code on bad input):

``generate_sidecar(path, *, sidecar=None, k=4, m=6, max_block_size=1 MiB, force=False) -> SidecarManifest``
    Encode an artifact into a fresh sidecar. Call it after writing an
    artifact on purpose; ``force`` is needed to replace a sidecar that
    protects different content.
``scrub(path, *, sidecar=None) -> ScrubReport``
    Verify artifact, manifest and every share; ``report.ok`` only when all
    intact; ``report.recoverable`` says whether repair can fix the rest.
``repair(path, *, sidecar=None) -> RepairResult``
    Rebuild a damaged or missing artifact, shares and manifest; refuses
    (``FJ-DUR-UNRECOVERABLE``, nothing written) below k good shares.
``decode_proof(path, *, sidecar=None, drop=m-k, seed=random) -> DecodeProof``
    Decode from the shares alone with ``drop`` shares withheld; record it
    with ``write_proof(proof, default_proof_path(path))``.
``pipeline(path, ...) -> PipelineResult``
    Generate if missing, scrub, prove (drop m-k); writes the proof.
``scrub_all(root=None) / pipeline_all(root=None, ...) -> DurabilitySummary``
    The same over every artifact :func:`discover_artifacts` finds under
    :data:`LONG_LIVED_PATTERNS` minus :data:`EXCLUDED_PATTERNS`.
``refresh_sidecars(paths) -> int``
    Re-encode sidecars after a deliberate rewrite (``generate_sidecar(force=True)`` each).
``sidecar_dir(path) -> Path``
    The one place the sidecar location is derived.

Reports serialise with ``.to_json()`` to their schemas
(``frankenjax.scrub-report.v1``, ``frankenjax.decode-proof.v1``,
``frankenjax.durability-summary.v1``); ``write_report(path, doc, schema)``
writes one atomically, schema-checked.
"""

from __future__ import annotations

from harness.durability.codec import (
    DEFAULT_CODEC,
    DEFAULT_K,
    DEFAULT_M,
    DEFAULT_MAX_BLOCK_SIZE,
    Layout,
    plan_layout,
)
from harness.durability.errors import DurabilityError
from harness.durability.pipeline import PipelineResult, pipeline
from harness.durability.proof import DecodeProof, decode_proof, default_proof_path, write_proof
from harness.durability.repair import RepairResult, repair
from harness.durability.scrub import ArtifactState, ScrubReport, ShareState, scrub, write_report
from harness.durability.sidecar import (
    MANIFEST_NAME,
    SIDECAR_SUFFIX,
    SidecarManifest,
    generate_sidecar,
    refresh_sidecars,
    sidecar_dir,
)
from harness.durability.walk import (
    EXCLUDED_PATTERNS,
    LONG_LIVED_PATTERNS,
    DurabilitySummary,
    SummaryRow,
    discover_artifacts,
    pipeline_all,
    scrub_all,
)

__all__ = [
    "DEFAULT_CODEC",
    "DEFAULT_K",
    "DEFAULT_M",
    "DEFAULT_MAX_BLOCK_SIZE",
    "EXCLUDED_PATTERNS",
    "LONG_LIVED_PATTERNS",
    "MANIFEST_NAME",
    "SIDECAR_SUFFIX",
    "ArtifactState",
    "DecodeProof",
    "DurabilityError",
    "DurabilitySummary",
    "Layout",
    "PipelineResult",
    "RepairResult",
    "ScrubReport",
    "ShareState",
    "SidecarManifest",
    "SummaryRow",
    "decode_proof",
    "default_proof_path",
    "discover_artifacts",
    "generate_sidecar",
    "pipeline",
    "pipeline_all",
    "plan_layout",
    "refresh_sidecars",
    "repair",
    "scrub",
    "scrub_all",
    "sidecar_dir",
    "write_proof",
    "write_report",
]
