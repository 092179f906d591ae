"""Pipeline: make sure an artifact is protected, check it, and prove it.

``pipeline`` generates a sidecar only when there is none (or when
``regenerate`` says the current bytes are the intended ones): regenerating
over an existing sidecar would bless whatever damage the artifact has and
throw away the means to repair it. Then it scrubs, and when everything is
intact it writes a decode proof dropping m - k shares by default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from harness.durability.codec import DEFAULT_CODEC, DEFAULT_K, DEFAULT_M, DEFAULT_MAX_BLOCK_SIZE
from harness.durability.errors import typed_io
from harness.durability.proof import DecodeProof, decode_proof, default_proof_path, write_proof
from harness.durability.scrub import ScrubReport, scrub
from harness.durability.sidecar import generate_sidecar, sidecar_dir
from harness.paths import relative_to_root


@dataclass(frozen=True)
class PipelineResult:
    """Whether a sidecar was generated, the scrub, and the proof (if scrub passed)."""

    artifact: str
    generated: bool
    scrub: ScrubReport
    proof: DecodeProof | None
    proof_path: str | None

    @property
    def ok(self) -> bool:
        return self.scrub.ok and self.proof is not None and self.proof.recovered


@typed_io
def pipeline(
    artifact: str | os.PathLike[str],
    *,
    sidecar: str | os.PathLike[str] | None = None,
    k: int = DEFAULT_K,
    m: int = DEFAULT_M,
    max_block_size: int = DEFAULT_MAX_BLOCK_SIZE,
    codec: str = DEFAULT_CODEC,
    drop: int | None = None,
    seed: int | None = None,
    regenerate: bool = False,
    write_proof_file: bool = True,
) -> PipelineResult:
    """Generate (if missing), scrub, and prove ``artifact`` (see module doc)."""
    directory = Path(sidecar) if sidecar is not None else sidecar_dir(artifact)
    generated = False
    if regenerate or not directory.exists() or not any(directory.iterdir()):
        generate_sidecar(
            artifact,
            sidecar=directory,
            k=k,
            m=m,
            max_block_size=max_block_size,
            codec=codec,
            force=regenerate,
        )
        generated = True
    report = scrub(artifact, sidecar=directory)
    proof: DecodeProof | None = None
    proof_path: str | None = None
    if report.ok:
        proof = decode_proof(artifact, sidecar=directory, drop=drop, seed=seed)
        if write_proof_file:
            proof_path = relative_to_root(write_proof(proof, default_proof_path(artifact, directory)))
    return PipelineResult(report.artifact, generated, report, proof, proof_path)
