"""Scrub: verify an artifact, its manifest and every share; say what is recoverable.

Erasure coding by itself detects nothing — a decoder fed a rotten share
returns rotten bytes without complaint. So hashes decide which shares are
good: a share counts only when its payload matches the manifest's SHA-256
and its file is exactly what generate wrote; decoding (repair, proof) uses
only shares this module calls intact.

Speed: a naive scrub hashes the artifact and all m shares, 1 + m/k times the
artifact (2.5x for k=4, m=6). Two things bring it near one SHA-256 pass:
primary shares of a systematic code are compared with the artifact's blocks
(memcmp, several GB/s) instead of being hashed, and that comparison and the
parity hashes run on other threads while the artifact is hashed (``hashlib``
and file reads release the GIL). When the artifact turns out damaged the
comparisons prove nothing, and the primaries are hashed after all — the slow
path is paid only when there is damage.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from harness.durability.errors import NOT_FOUND, DurabilityError, typed_io
from harness.durability.sidecar import (
    MANIFEST_NAME,
    SidecarManifest,
    _share_files,
    resolve_manifest,
    share_index_of,
    share_name,
    sidecar_dir,
    utc_now,
)
from harness.durability.streams import compare_primaries, hash_payload, hash_stream
from harness.paths import relative_to_root

SCRUB_SCHEMA = "frankenjax.scrub-report.v1"

INTACT = "intact"
DAMAGED = "damaged"
MISSING = "missing"
UNKNOWN = "unknown"
UNRECOVERABLE = "unrecoverable"
NO_SIDECAR = "no-sidecar"

#: Below this many bytes to read, threads cost more than they save.
PARALLEL_THRESHOLD = 4 << 20

T = TypeVar("T")


@dataclass(frozen=True)
class ShareState:
    index: int
    file: str
    status: str
    detail: str | None = None


@dataclass(frozen=True)
class ArtifactState:
    status: str
    expected_size: int | None = None
    actual_size: int | None = None
    expected_sha256: str | None = None
    actual_sha256: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class ScrubReport:
    """What one scrub found (``frankenjax.scrub-report.v1``).

    ``status`` is ``intact`` only when every file is exactly as generated;
    ``damaged`` when something is not but :func:`repair` can restore it all;
    ``unrecoverable`` when it cannot; ``no-sidecar`` when there is none.
    """

    artifact: str
    sidecar: str
    scrubbed_at: str
    status: str
    recoverable: bool
    codec: str | None
    codec_version: str | None
    k: int | None
    m: int | None
    good_shares: int
    manifest_status: str
    manifest_source: str | None
    manifest_detail: str | None
    artifact_state: ArtifactState
    shares: tuple[ShareState, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.status == INTACT

    def to_json(self) -> dict[str, Any]:
        state = self.artifact_state
        return {
            "schema": SCRUB_SCHEMA,
            "artifact": self.artifact,
            "sidecar": self.sidecar,
            "scrubbed_at": self.scrubbed_at,
            "status": self.status,
            "recoverable": self.recoverable,
            "codec": None if self.codec is None else {"name": self.codec, "version": self.codec_version},
            "k": self.k,
            "m": self.m,
            "good_shares": self.good_shares,
            "manifest": {
                "status": self.manifest_status,
                "source": self.manifest_source,
                "detail": self.manifest_detail,
            },
            "artifact_state": {
                "status": state.status,
                "expected_size": state.expected_size,
                "actual_size": state.actual_size,
                "expected_sha256": state.expected_sha256,
                "actual_sha256": state.actual_sha256,
                "detail": state.detail,
            },
            "shares": [
                {"index": s.index, "file": s.file, "status": s.status, "detail": s.detail}
                for s in self.shares
            ],
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class Inspection:
    """A scrub report plus what repair and proof need to act on it."""

    report: ScrubReport
    artifact_path: Path
    sidecar_path: Path
    manifest: SidecarManifest | None

    @property
    def good(self) -> tuple[int, ...]:
        return tuple(s.index for s in self.report.shares if s.status == INTACT)


def scrub(artifact: str | os.PathLike[str], *, sidecar: str | os.PathLike[str] | None = None) -> ScrubReport:
    """Verify ``artifact`` and its sidecar; report, never modify."""
    return inspect(artifact, sidecar=sidecar).report


@typed_io
def inspect(artifact: str | os.PathLike[str], *, sidecar: str | os.PathLike[str] | None = None) -> Inspection:
    """The scrub itself (see module doc); shared by scrub, repair and pipeline."""
    artifact_path = Path(artifact)
    directory = Path(sidecar) if sidecar is not None else sidecar_dir(artifact_path)
    if artifact_path.exists() and not artifact_path.is_file():
        raise DurabilityError(NOT_FOUND, "artifact is not a regular file", where=str(artifact_path))
    names = (relative_to_root(artifact_path), relative_to_root(directory))
    if not directory.is_dir():
        if not artifact_path.exists():
            raise DurabilityError(
                NOT_FOUND, "neither the artifact nor its sidecar exists", where=str(artifact_path)
            )
        return Inspection(
            _no_manifest_report(names, artifact_path, directory, NO_SIDECAR, MISSING, "no sidecar directory"),
            artifact_path,
            directory,
            None,
        )
    resolution = resolve_manifest(directory)
    manifest = resolution.manifest
    if manifest is None:
        report = _no_manifest_report(
            names, artifact_path, directory, UNRECOVERABLE, resolution.file_status, resolution.file_detail
        )
        return Inspection(report, artifact_path, directory, None)

    shares, artifact_state = verify_shares(directory, manifest, range(manifest.m), artifact_path)
    assert artifact_state is not None
    good = [s for s in shares if s.status == INTACT]
    recoverable = artifact_state.status == INTACT or len(good) >= manifest.k
    everything = (
        resolution.file_status == INTACT and artifact_state.status == INTACT and len(good) == manifest.m
    )
    status = INTACT if everything else (DAMAGED if recoverable else UNRECOVERABLE)
    problems: list[str] = []
    if resolution.file_status != INTACT:
        problems.append(f"manifest.json {resolution.file_status}: {resolution.file_detail}")
    if artifact_state.status != INTACT:
        problems.append(f"artifact {artifact_state.status}: {artifact_state.detail}")
    problems.extend(f"{s.file} {s.status}: {s.detail}" for s in shares if s.status != INTACT)
    if not recoverable:
        problems.append(f"only {len(good)} good shares, {manifest.k} needed to rebuild the artifact")
    report = ScrubReport(
        artifact=names[0],
        sidecar=names[1],
        scrubbed_at=utc_now(),
        status=status,
        recoverable=recoverable,
        codec=manifest.codec,
        codec_version=manifest.codec_version,
        k=manifest.k,
        m=manifest.m,
        good_shares=len(good),
        manifest_status=resolution.file_status,
        manifest_source=resolution.source,
        manifest_detail=resolution.file_detail,
        artifact_state=artifact_state,
        shares=tuple(shares),
        problems=tuple(problems),
    )
    return Inspection(report, artifact_path, directory, manifest)


def _no_manifest_report(
    names: tuple[str, str],
    artifact_path: Path,
    directory: Path,
    status: str,
    manifest_status: str,
    manifest_detail: str | None,
) -> ScrubReport:
    """A report for a sidecar without any valid manifest: nothing can be verified."""
    present = artifact_path.is_file()
    artifact_state = ArtifactState(
        status=UNKNOWN if present else MISSING,
        actual_size=artifact_path.stat().st_size if present else None,
        detail="cannot be verified without a manifest" if present else "artifact file is missing",
    )
    shares = tuple(
        ShareState(share_index_of(p.name) or 0, p.name, UNKNOWN, "cannot be verified without a manifest")
        for p in _share_files(directory)
    )
    if status == NO_SIDECAR:
        problems = (f"no sidecar at {names[1]}; run `fjh durability generate --artifact {names[0]}`",)
    else:
        problems = (
            f"no valid manifest in {MANIFEST_NAME} or any share trailer ({manifest_detail}); "
            "nothing can be verified or rebuilt; if the artifact is known good, "
            f"run `fjh durability generate --artifact {names[0]}`",
        )
    return ScrubReport(
        artifact=names[0],
        sidecar=names[1],
        scrubbed_at=utc_now(),
        status=status,
        recoverable=False,
        codec=None,
        codec_version=None,
        k=None,
        m=None,
        good_shares=0,
        manifest_status=manifest_status,
        manifest_source=None,
        manifest_detail=manifest_detail,
        artifact_state=artifact_state,
        shares=shares,
        problems=problems,
    )


def verify_shares(
    directory: Path, manifest: SidecarManifest, indices: Iterable[int], artifact: Path | None
) -> tuple[list[ShareState], ArtifactState | None]:
    """Decide which of ``indices`` are intact (and, given ``artifact``, whether it is).

    Without an artifact (the decode proof, which must rely on shares alone)
    every payload is hashed.
    """
    from harness.durability.codec import codec_class

    layout = manifest.layout
    wanted = list(indices)
    states: dict[int, ShareState] = {}
    candidates: list[int] = []
    for index in wanted:
        frame = _check_frame(directory, manifest, index)
        if frame is None:
            candidates.append(index)
        else:
            states[index] = frame

    with ExitStack() as stack:
        # Both artifact jobs read through handles opened here, on the same
        # inode: an atomic replace of the artifact mid-scrub cannot make the
        # hash and the comparison look at different files.
        hash_handle = compare_handle = None
        artifact_size: int | None = None
        if artifact is not None and artifact.is_file():
            try:
                hash_handle = stack.enter_context(open(artifact, "rb"))
                compare_handle = stack.enter_context(open(artifact, "rb"))
                first, second = os.fstat(hash_handle.fileno()), os.fstat(compare_handle.fileno())
                artifact_size = first.st_size
                if not os.path.samestat(first, second):
                    compare_handle = None
            except OSError:
                compare_handle = None
        systematic = codec_class(manifest.codec).systematic  # a scrub hashes; it never decodes
        comparable = compare_handle is not None and systematic and artifact_size == manifest.artifact_size
        compared = [i for i in candidates if comparable and i < manifest.k]
        hashed = [i for i in candidates if i not in compared]

        def hash_share(index: int) -> tuple[int, str | None]:
            try:
                return index, hash_payload(directory / share_name(index), layout.share_size)
            except OSError:
                return index, None

        def artifact_task() -> tuple[str, int] | None:
            assert hash_handle is not None
            try:
                return hash_stream(hash_handle)
            except OSError:
                return None

        def compare_task() -> frozenset[int]:
            assert compare_handle is not None
            try:
                paths = {i: directory / share_name(i) for i in compared}
                return compare_primaries(compare_handle, layout, paths)
            except OSError:
                return frozenset(compared)

        # The artifact hash is the longest single job: start it first. The
        # comparison and the parity hashes share the other worker(s).
        artifact_opened = hash_handle is not None
        jobs: list[Callable[[], Any]] = [artifact_task] if artifact_opened else []
        jobs.extend(functools.partial(hash_share, i) for i in hashed)
        if compared:
            jobs.append(compare_task)
        volume = layout.share_size * len(candidates) + (artifact_size or 0)
        results = _run(jobs, parallel=volume >= PARALLEL_THRESHOLD)
    artifact_result = results.pop(0) if artifact_opened else None
    mismatched: frozenset[int] = results.pop() if compared else frozenset()
    hashes: dict[int, str | None] = dict(results)
    artifact_present = artifact is not None and (artifact_opened or artifact.exists())

    artifact_state: ArtifactState | None = None
    if artifact is not None:
        artifact_state = _artifact_state(manifest, artifact_present, artifact_result)
        if artifact_state.status == INTACT:
            for index in compared:
                bad = index in mismatched
                detail = "payload differs from the verified artifact" if bad else None
                states[index] = ShareState(index, share_name(index), DAMAGED if bad else INTACT, detail)
        else:
            hashes.update(_run([functools.partial(hash_share, i) for i in compared], parallel=False))
    for index, digest in hashes.items():
        states[index] = _payload_state(manifest, index, digest)
    return [states[i] for i in wanted], artifact_state


def _artifact_state(
    manifest: SidecarManifest, present: bool, result: tuple[str, int] | None
) -> ArtifactState:
    expected_size, expected_sha = manifest.artifact_size, manifest.artifact_sha256
    if not present:
        return ArtifactState(MISSING, expected_size, None, expected_sha, None, "artifact file is missing")
    if result is None:
        return ArtifactState(DAMAGED, expected_size, None, expected_sha, None, "artifact cannot be read")
    sha, size = result
    if size != expected_size:
        detail: str | None = f"size {size} bytes, manifest says {expected_size}"
    elif sha != expected_sha:
        detail = "SHA-256 differs from the manifest"
    else:
        return ArtifactState(INTACT, expected_size, size, expected_sha, sha, None)
    return ArtifactState(DAMAGED, expected_size, size, expected_sha, sha, detail)


def _payload_state(manifest: SidecarManifest, index: int, digest: str | None) -> ShareState:
    name = share_name(index)
    if digest is None:
        return ShareState(index, name, DAMAGED, "payload is truncated or unreadable")
    if digest != manifest.shares[index].sha256:
        return ShareState(index, name, DAMAGED, "payload SHA-256 differs from the manifest")
    return ShareState(index, name, INTACT)


def _check_frame(directory: Path, manifest: SidecarManifest, index: int) -> ShareState | None:
    """Size and trailer of a share file; None when both are exactly as generated."""
    path = directory / share_name(index)
    name = share_name(index)
    expected_tail = manifest.trailer(index)
    expected_size = manifest.layout.share_size + len(expected_tail)
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size != expected_size:
                return ShareState(index, name, DAMAGED, f"file is {size} bytes, expected {expected_size}")
            handle.seek(size - len(expected_tail))
            if handle.read(len(expected_tail)) != expected_tail:
                return ShareState(index, name, DAMAGED, "trailer (manifest copy or share index) differs")
    except FileNotFoundError:
        return ShareState(index, name, MISSING, "share file is missing")
    except IsADirectoryError:
        return ShareState(index, name, DAMAGED, "share path is a directory")
    except OSError as exc:
        return ShareState(index, name, DAMAGED, f"cannot read share file: {exc.strerror}")
    return None


def _run(jobs: list[Callable[[], T]], *, parallel: bool) -> list[T]:
    """Run ``jobs`` and return their results in order; on threads when it pays."""
    if not parallel or len(jobs) < 2:
        return [job() for job in jobs]
    workers = min(len(jobs), os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fjh-scrub") as pool:
        return list(pool.map(lambda job: job(), jobs))


@typed_io
def write_report(path: str | os.PathLike[str], document: dict[str, Any], schema: str) -> Path:
    """Write a report (scrub, summary, proof) atomically, schema-checked; IO errors typed."""
    from harness.atomicio import write_json

    return write_json(path, document, schema=schema)
