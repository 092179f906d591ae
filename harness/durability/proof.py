"""Decode proofs: show, from the shares alone, that the artifact comes back.

A proof withholds ``drop`` shares chosen by a seeded RNG (the seed is
recorded, so the same proof can be re-run), verifies every remaining share
by SHA-256, decodes from k of the good ones and compares the decoded SHA-256
with the manifest's. It never reads the artifact file: the point is to show
the artifact could be rebuilt if it were gone.

Among the good remaining shares, parity shares are used first, so the proof
exercises Reed–Solomon reconstruction rather than copying primary blocks.
"""

from __future__ import annotations

import hashlib
import os
import random
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.durability.codec import get_codec
from harness.durability.errors import MANIFEST, NO_SIDECAR, PARAMS, VERIFY, DurabilityError, typed_io
from harness.durability.scrub import INTACT, verify_shares, write_report
from harness.durability.sidecar import (
    PROOF_NAME,
    SidecarManifest,
    resolve_manifest,
    share_name,
    sidecar_dir,
    utc_now,
)
from harness.durability.streams import decode_pass
from harness.paths import relative_to_root

PROOF_SCHEMA = "frankenjax.decode-proof.v1"


@dataclass(frozen=True)
class UnusableShare:
    index: int
    status: str
    detail: str | None


@dataclass(frozen=True)
class DecodeProof:
    """The evidence of one decode (``frankenjax.decode-proof.v1``)."""

    artifact: str
    sidecar: str
    created_at: str
    codec: str
    codec_version: str
    k: int
    m: int
    drop: int
    seed: int
    shares_dropped: tuple[int, ...]
    shares_used: tuple[int, ...]
    shares_unusable: tuple[UnusableShare, ...]
    expected_sha256: str
    expected_size: int
    decoded_sha256: str | None
    decoded_size: int | None
    recovered: bool
    detail: str | None
    elapsed_seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": PROOF_SCHEMA,
            "artifact": self.artifact,
            "sidecar": self.sidecar,
            "created_at": self.created_at,
            "codec": {"name": self.codec, "version": self.codec_version},
            "k": self.k,
            "m": self.m,
            "drop": self.drop,
            "seed": self.seed,
            "shares_dropped": list(self.shares_dropped),
            "shares_used": list(self.shares_used),
            "shares_unusable": [
                {"index": s.index, "status": s.status, "detail": s.detail} for s in self.shares_unusable
            ],
            "expected_sha256": self.expected_sha256,
            "expected_size": self.expected_size,
            "decoded_sha256": self.decoded_sha256,
            "decoded_size": self.decoded_size,
            "recovered": self.recovered,
            "detail": self.detail,
            "elapsed_seconds": self.elapsed_seconds,
        }


def choose_dropped(m: int, drop: int, seed: int) -> tuple[int, ...]:
    """The shares a proof withholds: a seeded sample, so it can be replayed."""
    return tuple(sorted(random.Random(seed).sample(range(m), drop)))


@typed_io
def decode_proof(
    artifact: str | os.PathLike[str],
    *,
    sidecar: str | os.PathLike[str] | None = None,
    drop: int | None = None,
    seed: int | None = None,
) -> DecodeProof:
    """Decode with ``drop`` shares withheld (default m - k) and report the outcome.

    ``recovered`` is false — not an exception — when too few good shares
    remain: that is a finding the proof records. Bad arguments and a sidecar
    without any valid manifest are typed errors.
    """
    started = time.perf_counter()
    artifact_path = Path(artifact)
    directory = Path(sidecar) if sidecar is not None else sidecar_dir(artifact_path)
    if not directory.is_dir():
        raise DurabilityError(NO_SIDECAR, "the artifact has no sidecar", where=str(directory))
    manifest = resolve_manifest(directory).manifest
    if manifest is None:
        raise DurabilityError(
            MANIFEST, "no valid manifest in manifest.json or any share trailer", where=str(directory)
        )
    drop = manifest.m - manifest.k if drop is None else drop
    if not 0 <= drop <= manifest.m:
        raise DurabilityError(PARAMS, f"--drop must be in [0, m={manifest.m}], got {drop}")
    seed = secrets.randbits(32) if seed is None else seed
    if seed < 0:
        raise DurabilityError(PARAMS, f"--seed must be a non-negative integer, got {seed}")

    dropped = choose_dropped(manifest.m, drop, seed)
    remaining = [i for i in range(manifest.m) if i not in dropped]
    states, _ = verify_shares(directory, manifest, remaining, None)
    good = [s.index for s in states if s.status == INTACT]
    unusable = tuple(UnusableShare(s.index, s.status, s.detail) for s in states if s.status != INTACT)
    used: tuple[int, ...] = ()
    decoded_sha: str | None = None
    decoded_size: int | None = None
    if len(good) < manifest.k:
        detail: str | None = (
            f"{len(good)} good shares after withholding {drop}, {manifest.k} needed: cannot decode"
        )
    else:
        used = tuple(sorted(sorted(good, reverse=True)[: manifest.k]))
        decoded_sha, decoded_size, detail = _decode_digest(directory, manifest, used)
    recovered = decoded_sha == manifest.artifact_sha256 and decoded_size == manifest.artifact_size
    if decoded_sha is not None and not recovered:
        detail = "decoded bytes do not match the manifest's SHA-256"
    return DecodeProof(
        artifact=relative_to_root(artifact_path),
        sidecar=relative_to_root(directory),
        created_at=utc_now(),
        codec=manifest.codec,
        codec_version=manifest.codec_version,
        k=manifest.k,
        m=manifest.m,
        drop=drop,
        seed=seed,
        shares_dropped=dropped,
        shares_used=used,
        shares_unusable=unusable,
        expected_sha256=manifest.artifact_sha256,
        expected_size=manifest.artifact_size,
        decoded_sha256=decoded_sha,
        decoded_size=decoded_size,
        recovered=recovered,
        detail=detail,
        elapsed_seconds=round(time.perf_counter() - started, 6),
    )


def _decode_digest(
    directory: Path, manifest: SidecarManifest, used: tuple[int, ...]
) -> tuple[str | None, int | None, str | None]:
    codec = get_codec(manifest.codec, manifest.k, manifest.m)
    digest = hashlib.sha256()
    size = 0
    try:
        for chunk in decode_pass({i: directory / share_name(i) for i in used}, manifest.layout, codec):
            digest.update(chunk)
            size += len(chunk)
    except DurabilityError as exc:
        if exc.code != VERIFY:
            raise
        return None, None, exc.message
    except OSError as exc:
        return None, None, f"cannot read a share: {exc.strerror}"
    return digest.hexdigest(), size, None


def default_proof_path(
    artifact: str | os.PathLike[str], sidecar: str | os.PathLike[str] | None = None
) -> Path:
    """Where a proof is kept by default: ``decode-proof.json`` inside the sidecar."""
    return (Path(sidecar) if sidecar is not None else sidecar_dir(artifact)) / PROOF_NAME


def write_proof(proof: DecodeProof, path: str | os.PathLike[str]) -> Path:
    """Write ``proof`` atomically, validated against its schema."""
    return write_report(path, proof.to_json(), PROOF_SCHEMA)
