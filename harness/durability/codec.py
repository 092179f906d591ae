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

Both codecs are *systematic*: shares ``0..k-1`` are the data blocks
themselves. The scrubber relies on that to verify primary shares by comparing
them with the (hash-verified) artifact instead of hashing them again, which is
what lets a scrub run near the speed of a single SHA-256 pass.

Codecs (``--codec``): ``zfec`` (the default; Reed–Solomon, so any k of m
always decode) and ``raptorq`` (optional, ``pip install 'frankenjax-harness[raptorq]'``;
RFC 6330 through the ``raptorq`` package). RaptorQ is a fountain code, not an
MDS code: some k-subsets of its symbols do not decode (with the package's
default encoding, k=7, m=12 has 3 such subsets of 792). Whether a subset
decodes depends only on k and the symbol indices, not on the data, so the
RaptorQ codec checks every k-subset of the m shares once per (k, m) and
refuses parameters for which any subset fails, or for which there are too many
subsets to check: a sidecar never promises "any k of m" it cannot keep.
"""

from __future__ import annotations

import functools
import importlib.metadata
import itertools
import math
from collections.abc import Iterable, Sequence
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
    artifact_size: int,
    k: int = DEFAULT_K,
    m: int = DEFAULT_M,
    max_block_size: int = DEFAULT_MAX_BLOCK_SIZE,
    alignment: int = 1,
) -> Layout:
    """The layout :func:`generate_sidecar` uses: fewest stripes, split evenly, each block a
    multiple of ``alignment`` bytes (the codec's symbol alignment)."""
    problems = check_params(k, m, max_block_size)
    if artifact_size < 0:
        problems.append("artifact size must not be negative")
    if problems:
        raise DurabilityError(PARAMS, "; ".join(problems), hint="choose 1 <= k <= m <= 256")
    if artifact_size == 0:
        return Layout(k, m, 0, 0, 0)
    max_block = max(alignment, max_block_size // alignment * alignment)
    stripes = math.ceil(artifact_size / (k * max_block))
    block = math.ceil(math.ceil(artifact_size / (k * stripes)) / alignment) * alignment
    return Layout(k, m, artifact_size, block, stripes)


Buffer = bytes | bytearray | memoryview


class Codec(Protocol):
    """An erasure code over equal-sized blocks: any k of m rebuild the k data blocks."""

    name: str
    version: str
    #: True when shares 0..k-1 are the data blocks verbatim.
    systematic: bool
    #: Blocks must be a multiple of this many bytes, and at most max_block_size.
    block_alignment: int
    max_block_size: int

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
    block_alignment = 1
    max_block_size = BLOCK_SIZE_LIMIT

    def __init__(self, k: int, m: int):
        import zfec

        self.version = str(zfec.__version__)
        self._encoder = zfec.Encoder(k, m)
        self._decoder = zfec.Decoder(k, m)

    def encode(self, blocks: Sequence[Buffer], wanted: Sequence[int]) -> list[Any]:
        return list(self._encoder.encode(tuple(blocks), tuple(wanted)))

    def decode(self, blocks: Sequence[Buffer], indices: Sequence[int]) -> list[Any]:
        return list(self._decoder.decode(tuple(blocks), tuple(indices)))


class RaptorqCodec:
    """RaptorQ (RFC 6330) from the ``raptorq`` package, one encoding symbol per share block.

    Each stripe of k blocks is encoded with symbol size = block size, so its k source
    symbols are the data blocks (systematic) and shares k..m-1 are the repair symbols
    with encoding symbol ids k..m-1. The package takes the symbol size as a 16-bit packet
    size and uses 8-byte symbol alignment, hence the block limits.
    """

    name = "raptorq"
    systematic = True
    block_alignment = 8
    max_block_size = 65528  # the largest multiple of 8 below 2**16
    #: (k, m) pairs with more k-subsets than this are refused, not checked.
    MAX_SUBSETS = 20000

    def __init__(self, k: int, m: int):
        import raptorq  # noqa: F401  (ImportError here: not installed, a typed error in get_codec)

        self.version = importlib.metadata.version("raptorq")
        self.k, self.m = k, m
        failing = _raptorq_failing_subsets(k, m)
        if failing:
            shown = ", ".join(str(list(sub)) for sub in failing[:3])
            raise DurabilityError(
                PARAMS,
                f"raptorq with k={k}, m={m} cannot promise that any {k} of {m} shares decode: "
                f"{len(failing)} subsets do not (e.g. {shown})",
                hint="choose other k/m (k <= 6 with m <= k + 6 always works) or --codec zfec",
            )

    def _check_block(self, block: int) -> None:
        if block % self.block_alignment or block > self.max_block_size:
            raise DurabilityError(
                PARAMS,
                f"raptorq blocks are multiples of {self.block_alignment} bytes up to {self.max_block_size}, "
                f"got {block}",
            )

    def encode(self, blocks: Sequence[Buffer], wanted: Sequence[int]) -> list[Any]:
        block = len(blocks[0])
        self._check_block(block)
        symbols = _raptorq_symbols(b"".join(blocks), block, self.m)
        return [symbols[i] for i in wanted]

    def decode(self, blocks: Sequence[Buffer], indices: Sequence[int]) -> list[Any]:
        block = len(blocks[0])
        self._check_block(block)
        data = _raptorq_decode(self.k, block, zip(indices, blocks, strict=True))
        if data is None:  # excluded by the subset check in __init__; a broken build would land here
            raise DurabilityError(PARAMS, f"raptorq could not decode from shares {list(indices)}")
        return [data[j * block : (j + 1) * block] for j in range(self.k)]


def _raptorq_symbols(data: bytes, block: int, m: int) -> list[bytes]:
    """The m encoding symbols (ids 0..m-1) of a stripe of k = len(data) / block source symbols."""
    import raptorq

    k = len(data) // block
    packets = raptorq.Encoder.with_defaults(data, block).get_encoded_packets(m - k)
    return [packet[4:] for packet in packets[:m]]  # a packet is a 4-byte payload id, then the symbol


def _raptorq_decode(k: int, block: int, symbols: Iterable[tuple[int, Buffer]]) -> bytes | None:
    """The stripe rebuilt from (symbol id, symbol) pairs, or None when they do not determine it."""
    import raptorq

    decoder = raptorq.Decoder.with_defaults(k * block, block)
    for index, symbol in symbols:
        # RFC 6330's FEC payload id: source block 0, then the encoding symbol id in 24 bits
        data = decoder.decode(bytes([0]) + index.to_bytes(3, "big") + bytes(symbol))
        if data is not None:
            return bytes(data)
    return None


@functools.cache
def _raptorq_failing_subsets(k: int, m: int) -> list[tuple[int, ...]]:
    """The k-subsets of m RaptorQ symbols that do not decode (decodability is a property of the
    symbol ids, not the data: RaptorQ is linear), found by decoding a small stripe from each."""
    if math.comb(m, k) > RaptorqCodec.MAX_SUBSETS:
        raise DurabilityError(
            PARAMS,
            f"raptorq with k={k}, m={m} has {math.comb(m, k)} share subsets, more than the "
            f"{RaptorqCodec.MAX_SUBSETS} this build checks",
            hint="choose a smaller m or --codec zfec",
        )
    block = RaptorqCodec.block_alignment
    data = bytes((7 * i + 1) % 256 for i in range(k * block))
    symbols = _raptorq_symbols(data, block, m)
    return [
        subset
        for subset in itertools.combinations(range(m), k)
        if _raptorq_decode(k, block, ((i, symbols[i]) for i in subset)) != data
    ]


CODECS: dict[str, type[ZfecCodec] | type[RaptorqCodec]] = {"zfec": ZfecCodec, "raptorq": RaptorqCodec}


def codec_class(name: str) -> type[ZfecCodec] | type[RaptorqCodec]:
    """The codec class called ``name`` (its static properties, such as ``systematic``, need no
    set-up); a typed error if unknown."""
    cls = CODECS.get(name)
    if cls is None:
        raise DurabilityError(
            CODEC, f"unknown codec {name!r}", hint=f"this build provides: {', '.join(sorted(CODECS))}"
        )
    return cls


def get_codec(name: str, k: int, m: int) -> Codec:
    """The codec called ``name`` set up for (k, m); a typed error if unknown or not installed."""
    cls = codec_class(name)
    problems = check_params(k, m)
    if problems:
        raise DurabilityError(PARAMS, "; ".join(problems))
    try:
        return cls(k, m)
    except ImportError:
        raise DurabilityError(
            CODEC,
            f"codec {name!r} is not installed",
            hint=f"pip install 'frankenjax-harness[{name}]'",
        ) from None
