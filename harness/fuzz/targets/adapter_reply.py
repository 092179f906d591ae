"""Target ``adapter_reply``: any bytes an adapter might print, through the harness's reply reader.

An implementation under test is untrusted: whatever it writes on stdout must
become a reply or an ``AdapterError`` (``FJ-ADAPTER-*``), never another
exception, or the harness run would die with the adapter. Each input is read
as the reply to run request ``case-0`` and as a hello reply.

What the reader accepts must hold up (else P0): an accepted run reply,
written back by the protocol's own encoder, reads back to the same reply with
the same output bits (``round-trip-mismatch``); an accepted hello names the
adapter (``invariant``).
"""

from __future__ import annotations

import json
from typing import Any

from harness.adapters.protocol import AdapterError, parse_hello, parse_run_reply
from harness.fuzz.oracle import INVARIANT, ROUND_TRIP, InvariantViolation, rejection

CASE_ID = "case-0"


def _encoded(reply: Any) -> bytes:
    from frankenjax_ref.core.values import encode_array

    if reply.ok:
        body = {"id": reply.id, "ok": True, "outputs": [encode_array(o) for o in reply.outputs]}
    else:
        body = {
            "id": reply.id,
            "ok": False,
            "error": {"code": reply.error_code, "message": reply.error_message},
        }
    return json.dumps(body, allow_nan=False).encode()


def check(data: bytes) -> str:
    """``accepted`` when the bytes are a valid run reply or hello reply, else the run reader's rejection."""
    data = bytes(data)
    outcomes = []
    try:
        reply = parse_run_reply(data, CASE_ID)
    except AdapterError as exc:
        outcomes.append(rejection(exc))
    else:
        again = parse_run_reply(_encoded(reply), CASE_ID)
        same_bits = len(again.outputs) == len(reply.outputs) and all(
            a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
            for a, b in zip(again.outputs, reply.outputs, strict=True)
        )
        if (again.ok, again.error_code, again.error_message) != (
            reply.ok,
            reply.error_code,
            reply.error_message,
        ):
            raise InvariantViolation(ROUND_TRIP, "a re-encoded reply reads back with another status or error")
        if not same_bits:
            raise InvariantViolation(ROUND_TRIP, "a re-encoded reply reads back with other output bits")
        outcomes.append("accepted")
    try:
        info = parse_hello(data)
    except AdapterError as exc:
        outcomes.append(rejection(exc))
    else:
        if not info.name:
            raise InvariantViolation(INVARIANT, "an accepted hello has no adapter name")
        outcomes.append("accepted")
    return "accepted" if "accepted" in outcomes else outcomes[0]


def dictionary() -> list[bytes]:
    tokens = [
        '"id"',
        '"ok"',
        '"outputs"',
        '"error"',
        '"code"',
        '"message"',
        '"name"',
        '"version"',
        '"primitives"',
        '"transforms"',
        '"dtype"',
        '"shape"',
        '"data"',
        '"case-0"',
        '"unsupported"',
        '"float32"',
        '"float64"',
        '"complex64"',
        '"bfloat16"',
        '"int32"',
        '"bool"',
        '"float0"',
        '"nan"',
        '"inf"',
        '"-inf"',
        "true",
        "false",
        "null",
        "[]",
        "{}",
    ]
    return [t.encode() for t in tokens]


def seeds() -> dict[str, bytes]:
    """Replies an adapter writes: ok with outputs of several dtypes, errors, hello, near misses."""
    import numpy as np

    from frankenjax_ref.core.values import encode_array

    arrays = [
        np.array([1.5, -0.0, np.inf, np.nan], np.float32),
        np.array([[1, 2], [3, 4]], np.int64),
        np.array([1 + 2j, -0.0 - 1j], np.complex128),
        np.array(True),
        np.zeros((0, 3), np.float64),
    ]
    ok = {"id": CASE_ID, "ok": True, "outputs": [encode_array(a) for a in arrays]}
    out = {
        "ok-outputs.json": ok,
        "ok-empty.json": {"id": CASE_ID, "ok": True, "outputs": []},
        "error.json": {"id": CASE_ID, "ok": False, "error": {"code": "FJ-PRIM-SHAPE", "message": "bad"}},
        "unsupported.json": {"id": CASE_ID, "ok": False, "error": {"code": "unsupported", "message": "fft"}},
        "hello.json": {
            "ok": True,
            "name": "impl",
            "version": "1",
            "primitives": ["sin"],
            "transforms": ["jit"],
        },
        "wrong-id.json": {"id": "case-1", "ok": True, "outputs": []},
        "bad-array.json": {
            "id": CASE_ID,
            "ok": True,
            "outputs": [{"dtype": "float32", "shape": [2], "data": [1]}],
        },
    }
    return {name: json.dumps(doc, sort_keys=True).encode() + b"\n" for name, doc in out.items()}
