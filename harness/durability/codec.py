"""Erasure coding: how an artifact is cut into stripes and shares.

The artifact is split into ``stripe_count`` stripes of ``k * block_size``
bytes (the last one zero-padded). Each stripe's ``k`` data blocks are encoded
into ``m`` blocks; share ``i`` is block ``i`` of every stripe, concatenated.
Any ``k`` of the ``m`` blocks of a stripe rebuild it (Reed–Solomon, via zfec).

Why stripes: the codec works on whole blocks in memory, so a 10 GiB log must
not become one 2.5 GiB block. Stripes bound memory to about ``m *
block_size`` whatever the artifact size. Why an *even* split (every stripe the
same block size, computed from the size rather than fixed): a fixed block
size would pad a 4 MiB + 1 byte artifact with almost a whole empty stripe;
spreading the bytes evenly keeps padding below ``k * stripe_count`` bytes.

zfec is *systematic*: shares ``0..k-1`` are the data blocks themselves. The
scrubber relies on that to verify primary shares by comparing them with the
(hash-verified) artifact instead of hashing them again, which is what lets a
scrub run near the speed of a single SHA-256 pass.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from harness.durability.errors import CODEC, PARAMS, DurabilityError

DEFAULT_K = 4
DEFAULT_M = 6
DEFAULT_CODEC = "zfec"
#: Upper bound on one share's block per stripe. With k=4, m=6 a stripe holds
#: 4 MiB of artifact and coding needs ~6 MiB of buffers: memory stays bounded
#: while blocks stay large enough that per-stripe overhead is negligible.
DEFAULT_MAX_BLOCK_SIZE = 1 << 20
#: zfec's limit on the number of shares.
MAX_SHARES = 256
#: A manifest asking for bigger blocks than this is refused rather than
#: trusted with our memory (a damaged or hostile manifest must not make a
#: scrub allocate gigabytes).
BLOCK_SIZE_LIMIT = 64 << 20


@dataclass(frozen=True)
class Layout:
    """Where every byte of the artifact lives among the shares."""

    k: int
    m: int
    artifact_size: int
    block_size: int
    stripe_count: int

    @property
    def stripe_size(self) -> int:
        """Artifact bytes per stripe (the last stripe is padded up to this)."""
        return self.k * self.block_size

    @property
    def share_size(self) -> int:
        """Payload bytes of each share."""
        return self.stripe_count * self.block_size

    @property
    def padding(self) -> int:
        """Zero bytes appended to the artifact to fill the last stripe."""
        return self.stripe_count * self.stripe_size - self.artifact_size

    def problems(self) -> list[str]:
        """Why this layout cannot describe a real encoding (empty when it can)."""
        found = check_params(self.k, self.m)
        if self.artifact_size < 0 or self.block_size < 0 or self.stripe_count < 0:
            found.append("sizes must not be negative")
            return found
        if self.block_size > BLOCK_SIZE_LIMIT:
            found.append(f"block_size {self.block_size} exceeds the limit {BLOCK_SIZE_LIMIT}")
        if self.artifact_size == 0:
            if self.stripe_count != 0 or self.block_size != 0:
                found.append("an empty artifact has no stripes and block_size 0")
        elif self.block_size == 0:
            found.append("a non-empty artifact needs block_size >= 1")
        elif self.padding < 0 or self.padding >= self.stripe_size:
            found.append(
                f"stripes ({self.stripe_count} x {self.stripe_size} bytes) do not fit "
                f"an artifact of {self.artifact_size} bytes with less than one stripe of padding"
            )
        return found


def check_params(k: int, m: int, max_block_size: int | None = None) -> list[str]:
    """Problems with the coding parameters, in words (empty when valid)."""
    found = []
    if not 1 <= k <= m:
        found.append(f"need 1 <= k <= m, got k={k}, m={m}")
    if m > MAX_SHARES:
        found.append(f"m={m} exceeds the codec limit of {MAX_SHARES} shares")
    if max_block_size is not None and not 1 <= max_block_size <= BLOCK_SIZE_LIMIT:
        found.append(f"max block size must be in [1, {BLOCK_SIZE_LIMIT}], got {max_block_size}")
    return found


def plan_layout(
    artifact_size: int, k: int = DEFAULT_K, m: int = DEFAULT_M, max_block_size: int = DEFAULT_MAX_BLOCK_SIZE
) -> Layout:
    """The layout :func:`generate_sidecar` uses: fewest stripes, split evenly."""
    problems = check_params(k, m, max_block_size)
    if artifact_size < 0:
        problems.append("artifact size must not be negative")
    if problems:
        raise DurabilityError(PARAMS, "; ".join(problems), hint="choose 1 <= k <= m <= 256")
    if artifact_size == 0:
        return Layout(k, m, 0, 0, 0)
    stripes = math.ceil(artifact_size / (k * max_block_size))
    block = math.ceil(artifact_size / (k * stripes))
    return Layout(k, m, artifact_size, block, stripes)


Buffer = bytes | bytearray | memoryview


class Codec(Protocol):
    """An erasure code over equal-sized blocks: any k of m rebuild the k data blocks."""

    name: str
    version: str
    #: True when shares 0..k-1 are the data blocks verbatim.
    systematic: bool

    def encode(self, blocks: Sequence[Buffer], wanted: Sequence[int]) -> list[Any]:
        """The share blocks with indices ``wanted`` for one stripe of k data blocks."""
        ...

    def decode(self, blocks: Sequence[Buffer], indices: Sequence[int]) -> list[Any]:
        """The k data blocks of a stripe from k share blocks and their indices."""
        ...


class ZfecCodec:
    """Reed–Solomon over GF(2^8) from the zfec package (systematic)."""

    name = "zfec"
    systematic = True

    def __init__(self, k: int, m: int):
        import zfec

        self.version = str(zfec.__version__)
        self._encoder = zfec.Encoder(k, m)
        self._decoder = zfec.Decoder(k, m)

    def encode(self, blocks: Sequence[Buffer], wanted: Sequence[int]) -> list[Any]:
        return list(self._encoder.encode(tuple(blocks), tuple(wanted)))

    def decode(self, blocks: Sequence[Buffer], indices: Sequence[int]) -> list[Any]:
        return list(self._decoder.decode(tuple(blocks), tuple(indices)))


CODECS: dict[str, type[ZfecCodec]] = {"zfec": ZfecCodec}


def get_codec(name: str, k: int, m: int) -> Codec:
    """The codec called ``name`` set up for (k, m); a typed error if unknown."""
    cls = CODECS.get(name)
    if cls is None:
        raise DurabilityError(
            CODEC, f"unknown codec {name!r}", hint=f"this build provides: {', '.join(sorted(CODECS))}"
        )
    problems = check_params(k, m)
    if problems:
        raise DurabilityError(PARAMS, "; ".join(problems))
    return cls(k, m)
