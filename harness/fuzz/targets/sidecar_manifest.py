"""Target ``sidecar_manifest``: bytes through the durability package's manifest readers.

Input that ends with the share-trailer magic (``FJSCSHR1``) is a share file
and goes through ``read_trailer``; anything else is ``manifest.json`` text
and goes through ``parse_manifest_text`` (what ``read_manifest_file`` calls
after reading the file). Only ``DurabilityError`` may escape, cleanly.

What the reader accepts must hold up (else P0):

* manifest text: it is the manifest's canonical text byte for byte
  (``round-trip-mismatch``), parses again to an equal manifest with the same
  self-hash, its layout has no problems and its JSON validates against
  ``frankenjax.sidecar.v1`` (``invariant``); every share's trailer, written
  to a file, reads back as that manifest and index (``round-trip-mismatch``);
* share file: the trailer the manifest would write for that index is exactly
  the file's tail, and the manifest's text parses back to it.

Share files are written to a private scratch directory with plain writes:
they are throwaway inputs of one execution, not project files.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import struct
import tempfile
from pathlib import Path
from typing import Any

from harness.durability.errors import DurabilityError
from harness.durability.sidecar import (
    SIDECAR_SCHEMA,
    TRAILER_MAGIC,
    SidecarManifest,
    canonical_bytes,
    parse_manifest_text,
    read_trailer,
)
from harness.errors import SchemaError
from harness.fuzz.mutators import JsonMutator, Mutator, json_mutator
from harness.fuzz.oracle import INVARIANT, ROUND_TRIP, InvariantViolation, rejection

_WHERE = "<fuzz input>"
_scratch: Path | None = None


def _scratch_file(name: str) -> Path:
    global _scratch
    if _scratch is None:
        base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        _scratch = Path(tempfile.mkdtemp(prefix="fjh-fuzz-sidecar-", dir=base))
    return _scratch / name


def _read_share(data: bytes) -> tuple[int, SidecarManifest]:
    path = _scratch_file("share-000.fjs")
    with open(path, "wb") as handle:
        handle.write(data)
    return read_trailer(path)


def check(data: bytes) -> str:
    data = bytes(data)
    if data.endswith(TRAILER_MAGIC):
        return _check_share(data)
    try:
        manifest = parse_manifest_text(data, where=_WHERE)
    except DurabilityError as exc:
        return rejection(exc)
    _check_manifest(manifest, data)
    return "accepted"


def _reparse(text: bytes, what: str) -> SidecarManifest:
    try:
        return parse_manifest_text(text, where=_WHERE)
    except DurabilityError as exc:
        rejection(exc)
        raise InvariantViolation(ROUND_TRIP, f"{what} is rejected: {exc}") from exc


def _check_manifest(manifest: SidecarManifest, data: bytes) -> None:
    text = manifest.text().encode()
    if text != data:
        raise InvariantViolation(
            ROUND_TRIP, "accepted manifest text differs from the manifest's canonical text"
        )
    again = _reparse(text, "the canonical text of an accepted manifest")
    if again != manifest or again.manifest_sha256 != manifest.manifest_sha256:
        raise InvariantViolation(ROUND_TRIP, "manifest changed over text/parse")
    problems = manifest.layout.problems()
    if problems:
        raise InvariantViolation(INVARIANT, f"accepted manifest has layout problems: {problems}")
    from harness.schemas import validate

    try:
        validate(manifest.to_json(), SIDECAR_SCHEMA, where=_WHERE)
    except SchemaError as exc:
        raise InvariantViolation(INVARIANT, f"accepted manifest's JSON fails its schema: {exc}") from exc
    for index in sorted({0, manifest.m - 1}):
        trailer = manifest.trailer(index)
        try:
            got_index, got = _read_share(b"\0" * 8 + trailer)
        except DurabilityError as exc:
            rejection(exc)
            raise InvariantViolation(
                ROUND_TRIP, f"trailer {index} of an accepted manifest is rejected: {exc}"
            ) from exc
        if got_index != index or got != manifest:
            raise InvariantViolation(
                ROUND_TRIP, f"trailer {index} reads back as share {got_index}/another manifest"
            )


def _check_share(data: bytes) -> str:
    try:
        index, manifest = _read_share(data)
    except DurabilityError as exc:
        return rejection(exc)
    trailer = manifest.trailer(index)
    if not data.endswith(trailer):
        raise InvariantViolation(
            ROUND_TRIP, f"accepted trailer is not what the manifest writes for share {index}"
        )
    again = _reparse(manifest.text().encode(), "the text of a manifest read from a trailer")
    if again != manifest:
        raise InvariantViolation(ROUND_TRIP, "manifest from a trailer changed over text/parse")
    return "accepted"


# --- fuzzing aids ------------------------------------------------------------------------


def dictionary() -> list[bytes]:
    words = [
        "schema",
        SIDECAR_SCHEMA,
        "artifact",
        "name",
        "size",
        "sha256",
        "codec",
        "version",
        "zfec",
        "k",
        "m",
        "layout",
        "block_size",
        "stripe_count",
        "stripe_size",
        "share_size",
        "padding",
        "share_format",
        "fjsc-share-v1",
        "shares",
        "index",
        "file",
        "share-000.fjs",
        "created_at",
        "manifest_sha256",
        "manifest",
        "share_index",
        "2024-01-01T00:00:00.000000Z",
    ]
    tokens = [f'"{w}"'.encode() for w in words]
    return [*tokens, TRAILER_MAGIC, b"\0" * 8, hashlib.sha256(b"").hexdigest().encode()]


def rehash(doc: Any) -> Any:
    """Recompute a manifest document's self-hash (lets mutants past the hash check)."""
    if isinstance(doc, dict) and "manifest_sha256" in doc:
        body = {k: v for k, v in doc.items() if k != "manifest_sha256"}
        doc = {**doc, "manifest_sha256": hashlib.sha256(canonical_bytes(body)).hexdigest()}
    return doc


def _fix_manifest(doc: Any) -> Any:
    if isinstance(doc, dict) and isinstance(doc.get("manifest"), dict):  # a trailer body
        return {**doc, "manifest": rehash(doc["manifest"])}
    return rehash(doc)


def _render_manifest(doc: Any, rng: random.Random) -> str:
    if rng.random() < 0.85:  # the canonical manifest text
        return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return json.dumps(doc)


class _ShareAwareMutator:
    """Manifest text is mutated as JSON; a share file's trailer is mutated and re-framed."""

    def __init__(self, tokens: list[bytes]):
        words = [t[1:-1].decode() for t in tokens if t.startswith(b'"') and t.endswith(b'"')]
        self.manifest = JsonMutator(words, fixup=_fix_manifest, render=_render_manifest)
        self.trailer = JsonMutator(
            words,
            fixup=_fix_manifest,
            render=lambda doc, rng: canonical_bytes(doc).decode(),
        )
        self.plain = json_mutator(tokens)

    def __call__(self, data: bytes, max_size: int, seed: int) -> bytes:
        data = bytes(data)
        if not data.endswith(TRAILER_MAGIC) or len(data) < 16:
            return self.manifest(data, max_size, seed)
        (length,) = struct.unpack(">Q", data[-16:-8])
        if length > len(data) - 16:
            return self.plain(data, max_size, seed)
        payload, body = data[: len(data) - 16 - length], data[len(data) - 16 - length : -16]
        new_body = self.trailer(body, max_size, seed)
        if random.Random(seed).random() < 0.1:
            payload = payload[: len(payload) // 2]
        out = payload + new_body + struct.pack(">Q", len(new_body)) + TRAILER_MAGIC
        return out if len(out) <= max_size else self.manifest(data, max_size, seed)


def mutator(tokens: list[bytes]) -> Mutator:
    return _ShareAwareMutator(tokens)
