"""Deterministic cache keys for (program, transform stack, options), with strict/hardened gates.

A key is the SHA-256 of a length-prefixed, typed encoding of six fields, in
this order: mode, backend, IR fingerprint, transform stack, compile options,
unknown features. The encoding never goes through Python's ``hash`` or dict
ordering, so keys are identical across processes and hash seeds, and two
different field values can never encode to the same bytes (every value
carries its type tag and length).

Modes:

* ``strict`` rejects any unknown feature with FJ-CACHE-UNKNOWN-FEATURE;
* ``hardened`` accepts them, folds them (sorted) into the key — so a program
  compiled with an unknown feature never shares a cache entry with one
  compiled without it — and records the decision in the ledger.

The ledger's ``unknown_feature`` decision uses the mode as its prior:
strict assumes an unknown feature is as likely breaking as not (P = 0.5),
hardened assumes the key's isolation leaves little room for harm (P = 0.01);
with the default losses (reject 1 if benign, accept 20 if breaking) that is
reject under strict and accept under hardened.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from frankenjax_ref.errors import CacheError, DispatchError

MODES = ("strict", "hardened")
KEY_DOMAIN = b"frankenjax.cache-key.v1"
FIELDS = ("mode", "backend", "ir_fingerprint", "transform_stack", "compile_options", "unknown_features")

_PRIOR_BREAKING = {"strict": 0.5, "hardened": 0.01}


def encode(value: Any) -> bytes:
    """Typed, length-prefixed bytes of a JSON-like value (None, bool, int, float, str, list, dict)."""
    if value is None:
        return b"n" + struct.pack(">Q", 0)
    if isinstance(value, bool):
        return b"b" + struct.pack(">Q", 1) + (b"\x01" if value else b"\x00")
    if isinstance(value, int):
        raw = str(value).encode()
        return b"i" + struct.pack(">Q", len(raw)) + raw
    if isinstance(value, float):
        raw = value.hex().encode()
        return b"f" + struct.pack(">Q", len(raw)) + raw
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return b"s" + struct.pack(">Q", len(raw)) + raw
    if isinstance(value, (list, tuple)):
        body = b"".join(encode(v) for v in value)
        return b"l" + struct.pack(">Q", len(value)) + body
    if isinstance(value, Mapping):
        keys = sorted(value)
        if not all(isinstance(k, str) for k in keys):
            raise CacheError("FJ-CACHE-UNKNOWN-FEATURE", "compile option names must be strings")
        body = b"".join(encode(k) + encode(value[k]) for k in keys)
        return b"d" + struct.pack(">Q", len(keys)) + body
    raise CacheError("FJ-CACHE-UNKNOWN-FEATURE", f"cannot encode a {type(value).__name__} in a cache key")


@dataclass(frozen=True)
class CacheKey:
    hex: str
    fields: dict[str, Any]


def key_from_fields(fields: Mapping[str, Any]) -> CacheKey:
    """The key of already-resolved fields (in :data:`FIELDS` order)."""
    h = hashlib.sha256(KEY_DOMAIN)
    for name in FIELDS:
        h.update(encode(name))
        h.update(encode(fields[name]))
    return CacheKey(h.hexdigest(), dict(fields))


def cache_key(
    *,
    mode: str,
    backend: str,
    closed: Any = None,
    fingerprint: str | None = None,
    stack: Sequence[Any] = (),
    compile_options: Mapping[str, Any] | None = None,
    unknown_features: Sequence[str] = (),
) -> CacheKey:
    """Build the key, applying the mode's gate to ``unknown_features``.

    Give either ``closed`` (its canonical fingerprint is computed) or ``fingerprint``.
    """
    from frankenjax_ref import ledger
    from frankenjax_ref.dispatch import Transform, stack_to_json

    if mode not in MODES:
        raise DispatchError("FJ-DISPATCH-MODE", f"unknown mode {mode!r}; expected one of {MODES}")
    if fingerprint is None:
        from frankenjax_ref.ir import fingerprint as ir_fingerprint

        fingerprint = ir_fingerprint(closed)
    features = sorted({str(f) for f in unknown_features})
    if features:
        record = ledger.default_ledger().decide(
            "unknown_feature",
            {"feature_breaking": _PRIOR_BREAKING[mode], "feature_benign": 1 - _PRIOR_BREAKING[mode]},
            {"mode": mode, "features": features},
        )
        if record.action == "reject":
            raise CacheError(
                "FJ-CACHE-UNKNOWN-FEATURE",
                f"strict mode rejects unknown features: {', '.join(features)}",
                hint="remove them, or run in hardened mode to accept and record them",
            )
    stack_json = [t.to_json() if isinstance(t, Transform) else t for t in stack]
    if stack_json and not isinstance(stack_json, list):  # pragma: no cover
        stack_json = stack_to_json(stack)
    return key_from_fields(
        {
            "mode": mode,
            "backend": backend,
            "ir_fingerprint": fingerprint,
            "transform_stack": stack_json,
            "compile_options": dict(compile_options or {}),
            "unknown_features": features,
        }
    )
