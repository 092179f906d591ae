"""Sidecars: where they live, what the manifest says, and how one is generated.

Layout (one function, :func:`sidecar_dir`, derives it from the artifact)::

    fixtures/bundle.json                 the artifact
    fixtures/bundle.json.fjsc/           its sidecar
        manifest.json                    frankenjax.sidecar.v1
        share-000.fjs ... share-005.fjs  m share files
        decode-proof.json                the latest decode proof (when one was written)

A share file is its *payload* (``share_size`` bytes: block ``i`` of every
stripe) followed by a *trailer*: the canonical compact JSON
``{"manifest": <the full manifest>, "share_index": i}``, its length as 8
bytes big-endian, and the magic ``FJSCSHR1``. The manifest's per-share
SHA-256 covers the payload only (``head -c share_size share-000.fjs |
sha256sum``).

Why a manifest copy in every share: the manifest is the one small file
without which no share can be interpreted. With a copy in each trailer, a
damaged or deleted ``manifest.json`` is rebuilt from any share whose trailer
survives, byte for byte. Every copy carries ``manifest_sha256`` (SHA-256 of
the canonical compact JSON of the manifest without that field), so a damaged
copy is detected, never trusted. When valid copies disagree (a regenerate
interrupted half-way), the copy held by the most files wins, ties going to
``manifest.json``.

Why exact bytes: a share is *intact* only when its file is byte-for-byte what
generate wrote (payload hash, size and trailer), and ``manifest.json`` only
when it is the canonical text of a valid manifest. "Detected" then means
exactly "changed", and repair can restore every file exactly.

Determinism: the same artifact with the same k, m and block size gives the
same payloads and hashes on every run; only ``created_at`` (and so the
manifest text and trailers that embed it) differs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import struct
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.atomicio import AtomicWriter, dumps_json, write_json
from harness.durability.codec import (
    DEFAULT_CODEC,
    DEFAULT_K,
    DEFAULT_M,
    DEFAULT_MAX_BLOCK_SIZE,
    MAX_SHARES,
    Layout,
    get_codec,
    plan_layout,
)
from harness.durability.errors import MANIFEST, MISMATCH, NOT_FOUND, VERIFY, DurabilityError, typed_io
from harness.durability.streams import encode_pass

SIDECAR_SCHEMA = "frankenjax.sidecar.v1"
SIDECAR_SUFFIX = ".fjsc"
MANIFEST_NAME = "manifest.json"
PROOF_NAME = "decode-proof.json"
SHARE_FORMAT = "fjsc-share-v1"
TRAILER_MAGIC = b"FJSCSHR1"
_TRAILER_FIXED = 8 + len(TRAILER_MAGIC)
#: No real trailer comes near this (m=256 gives ~40 KB); a bigger length
#: field is damage, and must not make a reader allocate it.
MAX_TRAILER_BYTES = 1 << 20
MAX_MANIFEST_BYTES = 4 << 20
_SHARE_NAME = re.compile(r"^share-(\d{3})\.fjs$")


def sidecar_dir(artifact: str | os.PathLike[str]) -> Path:
    """The sidecar directory of ``artifact``: ``<artifact>.fjsc`` beside it."""
    path = Path(artifact)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def share_name(index: int) -> str:
    return f"share-{index:03d}.fjs"


def share_index_of(name: str) -> int | None:
    """The index encoded in a share file name, or None for other names."""
    match = _SHARE_NAME.match(name)
    return int(match.group(1)) if match else None


def utc_now() -> str:
    """ISO-8601 UTC with a ``Z``, to the microsecond."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(obj: Any) -> bytes:
    """Compact canonical JSON: what hashes and trailers are computed over."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


@dataclass(frozen=True)
class ShareRecord:
    index: int
    file: str
    sha256: str


@dataclass(frozen=True)
class SidecarManifest:
    """The parsed, verified content of a ``frankenjax.sidecar.v1`` manifest."""

    artifact_name: str
    artifact_size: int
    artifact_sha256: str
    codec: str
    codec_version: str
    k: int
    m: int
    block_size: int
    stripe_count: int
    shares: tuple[ShareRecord, ...]
    created_at: str

    @property
    def layout(self) -> Layout:
        return Layout(self.k, self.m, self.artifact_size, self.block_size, self.stripe_count)

    def body(self) -> dict[str, Any]:
        """The document without its self-hash."""
        layout = self.layout
        return {
            "schema": SIDECAR_SCHEMA,
            "artifact": {
                "name": self.artifact_name,
                "size": self.artifact_size,
                "sha256": self.artifact_sha256,
            },
            "codec": {"name": self.codec, "version": self.codec_version},
            "k": self.k,
            "m": self.m,
            "layout": {
                "block_size": layout.block_size,
                "stripe_count": layout.stripe_count,
                "stripe_size": layout.stripe_size,
                "share_size": layout.share_size,
                "padding": layout.padding,
            },
            "share_format": SHARE_FORMAT,
            "shares": [{"index": s.index, "file": s.file, "sha256": s.sha256} for s in self.shares],
            "created_at": self.created_at,
        }

    @property
    def manifest_sha256(self) -> str:
        return hashlib.sha256(canonical_bytes(self.body())).hexdigest()

    def to_json(self) -> dict[str, Any]:
        doc = self.body()
        doc["manifest_sha256"] = self.manifest_sha256
        return doc

    def text(self) -> str:
        """The exact text of ``manifest.json``."""
        return dumps_json(self.to_json())

    def trailer(self, index: int) -> bytes:
        """The exact trailer bytes of share ``index``."""
        body = canonical_bytes({"manifest": self.to_json(), "share_index": index})
        return body + struct.pack(">Q", len(body)) + TRAILER_MAGIC

    def share_file_size(self, index: int) -> int:
        return self.layout.share_size + len(self.trailer(index))

    @classmethod
    def from_json(cls, doc: Any, *, where: str) -> SidecarManifest:
        """Validate (schema, self-hash, internal consistency) and parse.

        Raises :class:`DurabilityError` ``FJ-DUR-MANIFEST`` naming the first
        problem; never any other exception, whatever ``doc`` is.
        """
        from harness.errors import SchemaError
        from harness.schemas import validate

        try:
            validate(doc, SIDECAR_SCHEMA, where=where)
        except SchemaError as exc:
            raise DurabilityError(MANIFEST, f"manifest is invalid: {exc.message}", where=exc.where) from None
        try:  # JSON escapes can spell lone surrogates ("\ud800"), which have no UTF-8 encoding to hash
            canonical_bytes(doc)
        except (UnicodeEncodeError, ValueError) as exc:
            raise DurabilityError(
                MANIFEST, f"manifest is not encodable as UTF-8 JSON: {exc}", where=where
            ) from None
        layout = doc["layout"]
        # int(): JSON Schema's "integer" admits 4.0; the canonical comparison
        # below then rejects the document instead of letting a float through.
        manifest = cls(
            artifact_name=doc["artifact"]["name"],
            artifact_size=int(doc["artifact"]["size"]),
            artifact_sha256=doc["artifact"]["sha256"],
            codec=doc["codec"]["name"],
            codec_version=doc["codec"]["version"],
            k=int(doc["k"]),
            m=int(doc["m"]),
            block_size=int(layout["block_size"]),
            stripe_count=int(layout["stripe_count"]),
            shares=tuple(ShareRecord(int(s["index"]), s["file"], s["sha256"]) for s in doc["shares"]),
            created_at=doc["created_at"],
        )
        if manifest.manifest_sha256 != doc["manifest_sha256"]:
            raise DurabilityError(
                MANIFEST, "manifest content does not match its manifest_sha256 (damaged)", where=where
            )
        problems = manifest.layout.problems()
        if canonical_bytes(manifest.to_json()) != canonical_bytes(doc):
            problems.append("derived layout fields disagree with k, block_size and stripe_count")
        if len(manifest.shares) != manifest.m:
            problems.append(f"lists {len(manifest.shares)} shares for m={manifest.m}")
        for position, share in enumerate(manifest.shares):
            if share.index != position or share.file != share_name(position):
                problems.append(
                    f"share entry {position} must be index {position}, file {share_name(position)}"
                )
                break
        if problems:
            raise DurabilityError(MANIFEST, "manifest is inconsistent: " + "; ".join(problems), where=where)
        return manifest


def parse_manifest_text(raw: bytes, *, where: str) -> SidecarManifest:
    """Parse ``manifest.json`` bytes; they must be the canonical text, exactly."""
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # ValueError: also ints > 4300 digits
        raise DurabilityError(MANIFEST, f"manifest is not valid UTF-8 JSON: {exc}", where=where) from None
    manifest = SidecarManifest.from_json(doc, where=where)
    if manifest.text().encode() != raw:
        raise DurabilityError(MANIFEST, "manifest text is not in canonical form (damaged)", where=where)
    return manifest


def read_manifest_file(path: Path) -> SidecarManifest:
    """Read and verify one ``manifest.json``; typed errors for every failure."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_MANIFEST_BYTES + 1)
    except FileNotFoundError:
        raise DurabilityError(MANIFEST, "manifest.json is missing", where=str(path)) from None
    except OSError as exc:
        raise DurabilityError(MANIFEST, f"cannot read manifest: {exc.strerror}", where=str(path)) from None
    if len(raw) > MAX_MANIFEST_BYTES:
        raise DurabilityError(
            MANIFEST, f"manifest is larger than {MAX_MANIFEST_BYTES} bytes", where=str(path)
        )
    return parse_manifest_text(raw, where=str(path))


def read_trailer(path: Path) -> tuple[int, SidecarManifest]:
    """The share index and manifest copy a share file's trailer holds."""
    where = str(path)
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size < _TRAILER_FIXED:
                raise DurabilityError(MANIFEST, "share file too short to hold a trailer", where=where)
            handle.seek(size - _TRAILER_FIXED)
            fixed = handle.read(_TRAILER_FIXED)
            (length,) = struct.unpack(">Q", fixed[:8])
            if fixed[8:] != TRAILER_MAGIC:
                raise DurabilityError(MANIFEST, "share trailer magic is missing", where=where)
            if length > MAX_TRAILER_BYTES or length > size - _TRAILER_FIXED:
                raise DurabilityError(MANIFEST, f"share trailer length {length} is impossible", where=where)
            handle.seek(size - _TRAILER_FIXED - length)
            body = handle.read(length)
    except OSError as exc:
        raise DurabilityError(MANIFEST, f"cannot read share file: {exc.strerror}", where=where) from None
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # ValueError: also ints > 4300 digits
        raise DurabilityError(MANIFEST, f"share trailer is not valid JSON: {exc}", where=where) from None
    if not isinstance(doc, dict) or set(doc) != {"manifest", "share_index"}:
        raise DurabilityError(MANIFEST, "share trailer does not have the expected fields", where=where)
    manifest = SidecarManifest.from_json(doc["manifest"], where=f"{where}:trailer")
    index = doc["share_index"]
    if type(index) is not int or not 0 <= index < manifest.m or manifest.trailer(index) != body + fixed:
        raise DurabilityError(MANIFEST, "share trailer is not in canonical form (damaged)", where=where)
    return index, manifest


@dataclass(frozen=True)
class ManifestResolution:
    """Which manifest a sidecar holds, and what became of ``manifest.json``.

    ``manifest`` is None when no valid copy survives anywhere. ``source``
    names the file the chosen copy was read from; ``votes`` counts the
    files (manifest.json and share trailers) holding that same copy.
    """

    manifest: SidecarManifest | None
    source: str | None
    votes: int
    file_status: str
    file_detail: str | None


def resolve_manifest(sidecar: Path) -> ManifestResolution:
    """Find the sidecar's manifest in ``manifest.json`` or any share trailer."""
    manifest_path = sidecar / MANIFEST_NAME
    from_file: SidecarManifest | None = None
    file_status, file_detail = "intact", None
    if not manifest_path.exists():
        file_status, file_detail = "missing", "manifest.json is missing"
    else:
        try:
            from_file = read_manifest_file(manifest_path)
        except DurabilityError as exc:
            file_status, file_detail = "damaged", exc.message

    copies: dict[str, SidecarManifest] = {}
    holders: Counter[str] = Counter()
    first_source: dict[str, str] = {}
    if from_file is not None:
        key = from_file.manifest_sha256
        copies[key], holders[key], first_source[key] = from_file, 1, MANIFEST_NAME
    for share_path in _share_files(sidecar):
        index = share_index_of(share_path.name)
        copy = _trailer_copy(share_path, index, from_file)
        if copy is None:
            continue
        key = copy.manifest_sha256
        copies.setdefault(key, copy)
        first_source.setdefault(key, share_path.name)
        holders[key] += 1
    if not copies:
        return ManifestResolution(None, None, 0, file_status, file_detail)
    best = max(holders.values())
    tied = [key for key, votes in holders.items() if votes == best]
    preferred = from_file.manifest_sha256 if from_file is not None else None
    chosen = preferred if preferred in tied else min(tied, key=lambda key: first_source[key])
    if from_file is not None and chosen != preferred:
        file_status = "damaged"
        file_detail = f"manifest.json disagrees with the manifest held by {best} share trailers"
    return ManifestResolution(copies[chosen], first_source[chosen], best, file_status, file_detail)


def _share_files(sidecar: Path) -> list[Path]:
    try:
        entries = sorted(os.scandir(sidecar), key=lambda e: e.name)
    except OSError:
        return []
    return [Path(e.path) for e in entries if share_index_of(e.name) is not None and e.is_file()][:MAX_SHARES]


def _trailer_copy(path: Path, index: int | None, known: SidecarManifest | None) -> SidecarManifest | None:
    """The manifest copy in a share's trailer, cheaply when it equals ``known``."""
    if known is not None and index is not None and index < known.m:
        expected = known.trailer(index)
        try:
            with open(path, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size >= len(expected):
                    handle.seek(size - len(expected))
                    if handle.read(len(expected)) == expected:
                        return known
        except OSError:
            return None
    try:
        return read_trailer(path)[1]
    except DurabilityError:
        return None


@typed_io
def generate_sidecar(
    artifact: str | os.PathLike[str],
    *,
    sidecar: str | os.PathLike[str] | None = None,
    k: int = DEFAULT_K,
    m: int = DEFAULT_M,
    max_block_size: int = DEFAULT_MAX_BLOCK_SIZE,
    codec: str = DEFAULT_CODEC,
    force: bool = False,
) -> SidecarManifest:
    """Encode ``artifact`` into a fresh sidecar and return its manifest.

    Call it after (re)writing an artifact on purpose. It refuses, with
    ``FJ-DUR-SIDECAR-MISMATCH`` and nothing written, to replace a sidecar
    whose manifest protects *different* content unless ``force`` is set:
    otherwise running it on a damaged artifact would bless the damage and
    destroy the only means of repairing it. Shares are committed before the
    manifest; every file is written atomically.
    """
    path = Path(artifact)
    if not path.is_file():
        raise DurabilityError(NOT_FOUND, "artifact is not a regular file", where=str(path))
    directory = Path(sidecar) if sidecar is not None else sidecar_dir(path)
    coder = get_codec(codec, k, m)
    block_limit = min(max_block_size, coder.max_block_size)
    layout = plan_layout(path.stat().st_size, k, m, block_limit, coder.block_alignment)
    created = not directory.exists()
    writers: dict[int, AtomicWriter] = {}
    try:
        for index in range(m):
            writers[index] = AtomicWriter(directory / share_name(index))
        digest = encode_pass(path, layout, coder, writers)
        if digest.artifact_size != layout.artifact_size:
            raise DurabilityError(VERIFY, "artifact changed size while it was being encoded", where=str(path))
        if not force:
            _refuse_to_replace_other_content(directory, digest.artifact_sha256, digest.artifact_size)
        manifest = SidecarManifest(
            artifact_name=path.name,
            artifact_size=layout.artifact_size,
            artifact_sha256=digest.artifact_sha256,
            codec=coder.name,
            codec_version=coder.version,
            k=k,
            m=m,
            block_size=layout.block_size,
            stripe_count=layout.stripe_count,
            shares=tuple(ShareRecord(i, share_name(i), digest.share_sha256[i]) for i in range(m)),
            created_at=utc_now(),
        )
        for index, writer in writers.items():
            writer.write(manifest.trailer(index))
            writer.commit()
    except BaseException:
        for writer in writers.values():
            writer.abort()
        if created:
            # Leave no empty sidecar behind: it would read as "sidecar lost".
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise
    write_json(directory / MANIFEST_NAME, manifest.to_json(), schema=SIDECAR_SCHEMA)
    for stale in _share_files(directory):
        stale_index = share_index_of(stale.name)
        if stale_index is not None and stale_index >= m:
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
    return manifest


def _refuse_to_replace_other_content(directory: Path, sha256: str, size: int) -> None:
    if not directory.is_dir():
        return
    existing = resolve_manifest(directory).manifest
    if existing is None:
        return
    if (existing.artifact_sha256, existing.artifact_size) != (sha256, size):
        raise DurabilityError(
            MISMATCH,
            "the existing sidecar protects different content than the artifact now holds",
            where=str(directory),
            hint="run `fjh durability repair` if the artifact is damaged, "
            "or `generate --force` if the change was intended",
        )


def refresh_sidecars(paths: Iterable[str | os.PathLike[str]]) -> int:
    """Re-encode the sidecars of artifacts their writer just rewrote on purpose.

    Writers of long-lived artifacts (capture, conformance, the main job) call
    this after an atomic write, so a deliberate rewrite never looks like damage
    to a later scrub. Returns the number of sidecars written.
    """
    count = 0
    for path in paths:
        generate_sidecar(path, force=True)
        count += 1
    return count
