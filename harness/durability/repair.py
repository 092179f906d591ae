"""Repair: rebuild whatever a scrub found damaged, from what it found good.

Order and guarantees:

1. Scrub. If there is no sidecar, no valid manifest anywhere, or the
   artifact is damaged and fewer than k shares are good, refuse with a typed
   error *before writing anything*.
2. The artifact, if damaged or missing: decode it from k good shares
   (primaries preferred — no arithmetic needed) into a temporary file while
   hashing; only when size and SHA-256 equal the manifest's is it renamed
   over the artifact. Wrong bytes are never written.
3. Damaged or missing shares: re-encode just those from the (now verified)
   artifact; each is committed only if its payload hash equals the
   manifest's and the artifact hashed equal during that same pass.
4. ``manifest.json``, if damaged or missing: rewritten from the surviving
   copy, byte for byte.
5. Scrub again and return both reports, so the caller sees the proof.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from harness.atomicio import AtomicWriter, write_json
from harness.durability.codec import get_codec
from harness.durability.errors import MANIFEST, NO_SIDECAR, UNRECOVERABLE, VERIFY, DurabilityError, typed_io
from harness.durability.scrub import INTACT, Inspection, ScrubReport, inspect
from harness.durability.scrub import NO_SIDECAR as NO_SIDECAR_STATUS
from harness.durability.sidecar import MANIFEST_NAME, SIDECAR_SCHEMA, SidecarManifest, share_name
from harness.durability.streams import decode_pass, encode_pass


@dataclass(frozen=True)
class RepairResult:
    """What repair found, what it did, and the scrub after it."""

    artifact: str
    sidecar: str
    before: ScrubReport
    after: ScrubReport
    actions: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.after.ok

    @property
    def repaired(self) -> bool:
        return bool(self.actions)


@typed_io
def repair(
    artifact: str | os.PathLike[str], *, sidecar: str | os.PathLike[str] | None = None
) -> RepairResult:
    """Restore the artifact, its shares and manifest.json (see module doc)."""
    found = inspect(artifact, sidecar=sidecar)
    before = found.report
    manifest = _refuse_if_unrecoverable(found)
    if before.ok:
        return RepairResult(before.artifact, before.sidecar, before, before)

    actions: list[str] = []
    if before.artifact_state.status != INTACT:
        used = sorted(found.good)[: manifest.k]
        _rebuild_artifact(found, manifest, used)
        actions.append(f"artifact rebuilt from shares {used}")
    broken = [s.index for s in before.shares if s.status != INTACT]
    if broken:
        _reencode_shares(found, manifest, broken)
        actions.extend(f"{share_name(i)} re-encoded from the artifact" for i in broken)
    if before.manifest_status != INTACT:
        write_json(found.sidecar_path / MANIFEST_NAME, manifest.to_json(), schema=SIDECAR_SCHEMA)
        actions.append(f"{MANIFEST_NAME} restored from {before.manifest_source}")
    after = inspect(artifact, sidecar=sidecar).report
    return RepairResult(before.artifact, before.sidecar, before, after, tuple(actions))


def _refuse_if_unrecoverable(found: Inspection) -> SidecarManifest:
    report = found.report
    if report.status == NO_SIDECAR_STATUS:
        raise DurabilityError(
            NO_SIDECAR,
            "the artifact has no sidecar to repair from",
            where=report.sidecar,
            hint="generate one with `fjh durability generate` while the artifact is known good",
        )
    if found.manifest is None:
        raise DurabilityError(
            MANIFEST,
            "no valid manifest survives in manifest.json or any share trailer; nothing was written",
            where=report.sidecar,
        )
    if not report.recoverable:
        raise DurabilityError(
            UNRECOVERABLE,
            f"artifact is {report.artifact_state.status} and only {report.good_shares} of "
            f"{found.manifest.m} shares are good ({found.manifest.k} needed); nothing was written",
            where=report.artifact,
            hint="restore the artifact or shares from another copy (e.g. git history)",
        )
    return found.manifest


def _rebuild_artifact(found: Inspection, manifest: SidecarManifest, used: list[int]) -> None:
    """Decode into a temp file; rename over the artifact only if the hash matches."""
    import hashlib

    target = found.artifact_path
    mode = target.stat().st_mode & 0o7777 if target.is_file() else 0o644
    codec = get_codec(manifest.codec, manifest.k, manifest.m)
    digest = hashlib.sha256()
    size = 0
    with AtomicWriter(target, mode=mode) as writer:
        paths = {i: found.sidecar_path / share_name(i) for i in used}
        for chunk in decode_pass(paths, manifest.layout, codec):
            digest.update(chunk)
            writer.write(chunk)
            size += len(chunk)
        if size != manifest.artifact_size or digest.hexdigest() != manifest.artifact_sha256:
            raise DurabilityError(
                VERIFY,
                "decoded artifact does not match the manifest's SHA-256; the artifact was not touched",
                where=str(target),
                hint="a share changed during repair; scrub again",
            )


def _reencode_shares(found: Inspection, manifest: SidecarManifest, indices: list[int]) -> None:
    """Re-encode ``indices`` from the artifact; commit only what verifies."""
    codec = get_codec(manifest.codec, manifest.k, manifest.m)
    writers = {i: AtomicWriter(found.sidecar_path / share_name(i)) for i in indices}
    try:
        digest = encode_pass(found.artifact_path, manifest.layout, codec, writers)
        if (
            digest.artifact_sha256 != manifest.artifact_sha256
            or digest.artifact_size != manifest.artifact_size
        ):
            raise DurabilityError(
                VERIFY,
                "the artifact changed during repair; no share was written",
                where=str(found.artifact_path),
            )
        wrong = [share_name(i) for i in indices if digest.share_sha256[i] != manifest.shares[i].sha256]
        if wrong:
            raise DurabilityError(
                VERIFY,
                f"re-encoded {', '.join(wrong)} do not match the manifest; no share was written",
                where=str(found.sidecar_path),
                hint="the codec build may differ from the one that generated the sidecar",
            )
        for index, writer in writers.items():
            writer.write(manifest.trailer(index))
            writer.commit()
    finally:
        for writer in writers.values():
            writer.abort()
