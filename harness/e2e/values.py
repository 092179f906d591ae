"""Values in forensic logs: one exact JSON encoding, comparison under a tolerance, and diffs.

A scenario's inputs, intermediate states, expected and actual values are
plain JSON, except for a few kinds of value that JSON cannot hold exactly,
which are wrapped in a one-key object whose key starts with ``$``:

* ``{"$array": ARRAY}`` — a NumPy array or scalar, ``ARRAY`` in the
  ``frankenjax.array.v1`` encoding (exact: every bit of every float,
  including NaN payloads and signed zeros, survives the round trip);
* ``{"$ir": IR}`` — a :class:`~frankenjax_ref.core.ir.ClosedJaxpr` in the
  canonical ``frankenjax.ir.v1`` form;
* ``{"$bytes": BASE64}`` — raw bytes;
* ``{"$float": "inf" | "-inf" | "nan"}`` — a non-finite Python float (a finite
  one is a plain JSON number: Python's ``repr`` round-trips exactly).

Tuples become lists. Dictionary keys must be strings not starting with
``$``. :func:`encode` and :func:`decode` are inverses on everything a
scenario produces, so a log read back gives the same values the scenario saw.

``fixture_id`` (in every log) is the SHA-256 of the canonical bytes (sorted
keys, compact separators) of the encoded inputs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

from harness.errors import HarnessError

_SPECIAL = ("$array", "$ir", "$bytes", "$float")


class ValueFormatError(HarnessError):
    """A value in a forensic log is not in the log's encoding."""


@dataclass(frozen=True)
class Tolerance:
    """How two values must agree: ``exact`` (bit for bit) or ``allclose`` (arrays and floats).

    ``allclose`` compares integers, booleans, strings, shapes and dtypes
    exactly, floats by ``|a - b| <= atol + rtol * |b|`` with NaN equal to NaN
    and infinities (with their signs) exact.
    """

    kind: str = "exact"
    atol: float = 0.0
    rtol: float = 0.0

    def to_json(self) -> dict[str, Any]:
        if self.kind == "exact":
            return {"kind": "exact"}
        return {"kind": self.kind, "atol": self.atol, "rtol": self.rtol}

    @classmethod
    def from_json(cls, obj: Any) -> Tolerance:
        if not isinstance(obj, dict) or obj.get("kind") not in ("exact", "allclose"):
            raise ValueFormatError("FJ-E2E-LOG", f"not a tolerance: {obj!r:.200}")
        if obj["kind"] == "exact":
            return cls()
        return cls("allclose", float(obj["atol"]), float(obj["rtol"]))

    def describe(self) -> str:
        return "bit-exact" if self.kind == "exact" else f"allclose(atol={self.atol:g}, rtol={self.rtol:g})"


EXACT = Tolerance()


def encode(value: Any, where: str = "value") -> Any:
    """The log encoding of ``value`` (see the module docstring)."""
    import numpy as np

    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (np.ndarray, np.generic)):  # before float: np.float64 is a float subclass
        from frankenjax_ref.ir import encode_array

        return {"$array": encode_array(value, where=where)}
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"$float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str) or key.startswith("$"):
                raise ValueFormatError("FJ-E2E-LOG", f"key {key!r} is not a plain string", where=where)
            out[key] = encode(item, f"{where}.{key}")
        return out
    if isinstance(value, (list, tuple)):
        return [encode(item, f"{where}[{i}]") for i, item in enumerate(value)]
    from frankenjax_ref.core.ir import ClosedJaxpr

    if isinstance(value, ClosedJaxpr):
        from frankenjax_ref.ir import to_json

        return {"$ir": to_json(value)}
    raise ValueFormatError(
        "FJ-E2E-LOG", f"cannot encode a {type(value).__name__} in a forensic log", where=where
    )


def decode(obj: Any, where: str = "value") -> Any:
    """The value a log entry encodes (inverse of :func:`encode`)."""
    if obj is None or isinstance(obj, (bool, str, int, float)):
        return obj
    if isinstance(obj, list):
        return [decode(item, f"{where}[{i}]") for i, item in enumerate(obj)]
    if not isinstance(obj, dict):
        raise ValueFormatError("FJ-E2E-LOG", f"unexpected JSON value {obj!r:.100}", where=where)
    special = [k for k in obj if k.startswith("$")]
    if not special:
        return {k: decode(v, f"{where}.{k}") for k, v in obj.items()}
    if len(obj) != 1 or special[0] not in _SPECIAL:
        raise ValueFormatError("FJ-E2E-LOG", f"unknown tagged value with keys {sorted(obj)}", where=where)
    tag, body = special[0], obj[special[0]]
    try:
        if tag == "$array":
            from frankenjax_ref.ir import decode_array

            return decode_array(body, where=where)
        if tag == "$ir":
            from frankenjax_ref.ir import from_json

            return from_json(body)
        if tag == "$bytes":
            return base64.b64decode(body.encode("ascii"), validate=True)
        return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}[body]
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise ValueFormatError("FJ-E2E-LOG", f"malformed {tag} value: {exc}", where=where) from None


def canonical_bytes(obj: Any) -> bytes:
    """Sorted keys, compact separators, UTF-8: the bytes hashes are taken over."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def fixture_id(encoded_inputs: Any) -> str:
    """SHA-256 of the canonical bytes of a scenario's encoded inputs."""
    return hashlib.sha256(canonical_bytes(encoded_inputs)).hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- comparison --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One place where two encoded values disagree."""

    path: str
    expected: str
    actual: str
    reason: str

    def render(self) -> str:
        return f"{self.path}: {self.reason}\n    expected: {self.expected}\n    actual:   {self.actual}"


def _short(obj: Any, limit: int = 160) -> str:
    text = json.dumps(obj, sort_keys=True, allow_nan=False) if not isinstance(obj, str) else repr(obj)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def compare(expected: Any, actual: Any, tolerance: Tolerance = EXACT, path: str = "") -> list[Difference]:
    """Every difference between two *encoded* values (empty when they agree under ``tolerance``)."""
    out: list[Difference] = []
    _compare(expected, actual, tolerance, path or "$", out)
    return out


def _compare(a: Any, b: Any, tol: Tolerance, path: str, out: list[Difference]) -> None:
    if len(out) >= 50:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        if "$array" in a and "$array" in b and len(a) == 1 and len(b) == 1:
            _compare_arrays(a["$array"], b["$array"], tol, path, out)
            return
        for key in sorted(set(a) | set(b)):
            if key not in a:
                out.append(Difference(f"{path}.{key}", "(absent)", _short(b[key]), "unexpected key"))
            elif key not in b:
                out.append(Difference(f"{path}.{key}", _short(a[key]), "(absent)", "missing key"))
            else:
                _compare(a[key], b[key], tol, f"{path}.{key}", out)
        return
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(Difference(path, f"{len(a)} items", f"{len(b)} items", "list length differs"))
            return
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _compare(x, y, tol, f"{path}[{i}]", out)
        return
    if (
        tol.kind == "allclose"
        and isinstance(a, float)
        and isinstance(b, float)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    ):
        if not (a == b or abs(a - b) <= tol.atol + tol.rtol * abs(a)):
            out.append(Difference(path, repr(a), repr(b), f"differs by {abs(a - b):.3g} ({tol.describe()})"))
        return
    if not _same(a, b):
        out.append(Difference(path, _short(a), _short(b), "values differ"))


def _same(a: Any, b: Any) -> bool:
    """Exact JSON equality that tells -0.0 from 0.0 and 1 from 1.0 (``==`` does neither)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return repr(a) == repr(b)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def _compare_arrays(a: Any, b: Any, tol: Tolerance, path: str, out: list[Difference]) -> None:
    import numpy as np

    if _same(a, b):
        return
    if not isinstance(a, dict) or not isinstance(b, dict):
        out.append(Difference(path, _short(a), _short(b), "malformed array"))
        return
    if a.get("dtype") != b.get("dtype") or a.get("shape") != b.get("shape"):
        out.append(
            Difference(
                path,
                f"{a.get('dtype')}{a.get('shape')}",
                f"{b.get('dtype')}{b.get('shape')}",
                "dtype/shape differ",
            )
        )
        return
    from frankenjax_ref.ir import decode_array, encode_array

    x, y = decode_array(a), decode_array(b)
    if tol.kind == "exact" or x.dtype.kind not in "fc":
        # the writer's encoding is canonical and exact: equal elements <=> equal bits
        ea, eb = encode_array(x)["data"], encode_array(y)["data"]
        unequal = np.array([not _same(p, q) for p, q in zip(ea, eb, strict=True)], dtype=bool)
        reason = "bits differ"
    else:
        wide = np.complex128 if x.dtype.kind == "c" else np.float64
        with np.errstate(invalid="ignore", over="ignore"):
            close = np.isclose(y.astype(wide), x.astype(wide), atol=tol.atol, rtol=tol.rtol, equal_nan=True)
        unequal = ~close
        reason = tol.describe()
    bad = np.flatnonzero(np.asarray(unequal).reshape(-1))
    if bad.size == 0:
        return
    first = int(bad[0])
    xs, ys = x.reshape(-1), y.reshape(-1)
    detail = f"{bad.size} of {xs.size} elements differ ({reason}); first at flat index {first}"
    if x.dtype.kind in "fc":
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.abs(xs.astype(np.complex128) - ys.astype(np.complex128))
        finite = diff[np.isfinite(diff)]
        if finite.size:
            detail += f"; max |diff| {float(finite.max()):.3g}"
    out.append(Difference(f"{path}[{first}]", repr(xs[first].item()), repr(ys[first].item()), detail))
