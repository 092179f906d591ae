"""The streaming passes every durability operation is built from.

There are exactly five ways bytes flow, and each has one function here:

* :func:`encode_pass` — artifact -> shares (``generate``, and ``repair`` of
  damaged shares, which re-encodes only the shares it needs);
* :func:`decode_pass` — k shares -> artifact bytes (``repair`` of the
  artifact, and the decode ``proof``);
* :func:`hash_stream` — hash the artifact (``scrub``);
* :func:`compare_primaries` — compare primary shares with the artifact
  (``scrub``);
* :func:`hash_payload` — hash one share's payload (``scrub``, ``proof``).

All of them work stripe by stripe with reused buffers, so memory stays at a
few stripes whatever the artifact size. Buffers handed to callers (decoded
blocks) are only valid until the next iteration: consume them immediately.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from harness.durability.codec import Codec, Layout
from harness.durability.errors import VERIFY, DurabilityError

#: Read size when a pass is not bound to the stripe geometry.
CHUNK = 1 << 20


class Sink(Protocol):
    def write(self, data: bytes | bytearray | memoryview, /) -> int: ...


def read_full(handle: BinaryIO, buf: bytearray | memoryview) -> int:
    """Fill ``buf`` from ``handle``; fewer bytes only at end of file."""
    view = memoryview(buf)
    filled = 0
    while filled < len(view):
        got = handle.readinto(view[filled:])  # type: ignore[attr-defined]
        if not got:
            break
        filled += got
    return filled


def iter_stripes(handle: BinaryIO, layout: Layout) -> Iterator[tuple[memoryview, int]]:
    """Yield ``(stripe, data_length)`` per stripe, zero-padded to ``stripe_size``.

    ``data_length`` counts the artifact bytes actually read; a short read
    before the last stripe means the file shrank, which the caller detects
    through the total. The same buffer is reused for every stripe.
    """
    buf = bytearray(layout.stripe_size)
    view = memoryview(buf)
    for _ in range(layout.stripe_count):
        got = read_full(handle, view)
        if got < len(view):
            view[got:] = bytes(len(view) - got)
        yield view, got


@dataclass(frozen=True)
class EncodeDigest:
    """What one encode pass saw: the artifact's size and hash, each share's hash."""

    artifact_size: int
    artifact_sha256: str
    share_sha256: dict[int, str]


def encode_pass(artifact: Path, layout: Layout, codec: Codec, sinks: Mapping[int, Sink]) -> EncodeDigest:
    """Encode ``artifact`` once, appending share ``i``'s payload to ``sinks[i]``.

    Only the shares in ``sinks`` are computed, so a repair that lost one
    parity share pays for one parity block per stripe, not m. The artifact
    is hashed in the same pass, so a caller can check it against a manifest
    before committing anything the pass produced.
    """
    wanted = tuple(sorted(sinks))
    hashers = {i: hashlib.sha256() for i in wanted}
    artifact_hash = hashlib.sha256()
    size = 0
    block = layout.block_size
    with open(artifact, "rb") as handle:
        for stripe, got in iter_stripes(handle, layout):
            artifact_hash.update(stripe[:got])
            size += got
            data_blocks = [stripe[j * block : (j + 1) * block] for j in range(layout.k)]
            for index, share_block in zip(wanted, codec.encode(data_blocks, wanted), strict=True):
                hashers[index].update(share_block)
                sinks[index].write(share_block)
        if handle.read(1):
            size += 1 + _remaining(handle)
    return EncodeDigest(size, artifact_hash.hexdigest(), {i: h.hexdigest() for i, h in hashers.items()})


def _remaining(handle: BinaryIO) -> int:
    here = handle.tell()
    return os.fstat(handle.fileno()).st_size - here


def decode_pass(
    share_paths: Mapping[int, Path], layout: Layout, codec: Codec
) -> Iterator[memoryview | bytes | bytearray]:
    """Yield the artifact's bytes, rebuilt from exactly k shares.

    The caller decides which shares are good (hashes decide, never the
    codec) and must verify the SHA-256 of what this yields before trusting
    it: a share that changes between its verification and this read would
    otherwise go unnoticed.
    """
    indices = sorted(share_paths)
    if len(indices) != layout.k:
        raise ValueError(f"decode needs exactly k={layout.k} shares, got {len(indices)}")
    block = layout.block_size
    buffers = [bytearray(block) for _ in indices]
    remaining = layout.artifact_size
    with ExitStack() as stack:
        handles = [stack.enter_context(open(share_paths[i], "rb")) for i in indices]
        for _ in range(layout.stripe_count):
            for handle, buf, index in zip(handles, buffers, indices, strict=True):
                if read_full(handle, buf) != block:
                    raise DurabilityError(
                        VERIFY, f"share {index} is shorter than its manifest says", where=str(handle.name)
                    )
            for data_block in codec.decode(buffers, indices):
                take = min(block, remaining)
                if take <= 0:
                    break
                yield memoryview(data_block)[:take]
                remaining -= take


def hash_payload(path: Path, size: int) -> str | None:
    """SHA-256 of the first ``size`` bytes of ``path``; None if it is shorter."""
    digest = hashlib.sha256()
    buf = bytearray(min(CHUNK, max(size, 1)))
    view = memoryview(buf)
    left = size
    with open(path, "rb") as handle:
        while left > 0:
            want = view[: min(len(view), left)]
            got = read_full(handle, want)
            digest.update(want[:got])
            if got < len(want):
                return None
            left -= got
    return digest.hexdigest()


def hash_stream(handle: BinaryIO) -> tuple[str, int]:
    """SHA-256 and size of everything left in an open file, streamed."""
    digest = hashlib.sha256()
    size = 0
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    while got := handle.readinto(buf):  # type: ignore[attr-defined]
        digest.update(view[:got])
        size += got
    return digest.hexdigest(), size


def compare_primaries(handle: BinaryIO, layout: Layout, primaries: Mapping[int, Path]) -> frozenset[int]:
    """The primary shares whose payload differs from the artifact's blocks.

    For a systematic code, primary share ``i`` holds block ``i`` of every
    zero-padded stripe verbatim. If the artifact's hash matches the manifest
    (the caller checks, with :func:`hash_stream` on another handle to the
    same file, usually on another thread), a
    primary that equals those blocks is exactly the share generate wrote —
    proven without hashing it, at memcmp speed. If the artifact's hash does
    not match, this proves nothing and the caller must hash the primaries.
    """
    block = layout.block_size
    mismatched: set[int] = set()
    artifact_buf = bytearray(block)
    artifact_view = memoryview(artifact_buf)
    share_buf = bytearray(block)
    with ExitStack() as stack:
        shares = {i: stack.enter_context(open(p, "rb")) for i, p in primaries.items()}
        for _ in range(layout.stripe_count):
            for index in range(layout.k):
                got = read_full(handle, artifact_view)
                if got < block:
                    artifact_view[got:] = bytes(block - got)
                share = shares.get(index)
                if share is None or index in mismatched:
                    continue
                if read_full(share, share_buf) != block or share_buf != artifact_buf:
                    mismatched.add(index)
    return frozenset(mismatched)
