"""``frankenjax.adapter.v1``: how the harness talks to an implementation under test.

An adapter is any program that reads JSON objects, one per line, on stdin and
answers each with one JSON object on one line on stdout (stderr is free for
its logs). Three requests:

* ``{"op": "hello", "protocol": "frankenjax.adapter.v1"}`` ->
  ``{"ok": true, "name": str, "version": str, "primitives": [str], "transforms": [str]}``
  (what it supports; a case needing anything else is reported ``unsupported``);
* ``{"op": "run", "id": str, "program": <frankenjax.ir.v1>, "stack": [<transform>],
  "args": [<frankenjax.array.v1>]}`` ->
  ``{"id": str, "ok": true, "outputs": [<frankenjax.array.v1>]}`` or
  ``{"id": str, "ok": false, "error": {"code": str, "message": str}}``; the code
  ``unsupported`` means the adapter cannot run the case;
* ``{"op": "bye"}`` -> the adapter exits 0 (no reply).

This module holds the message formats (JSON Schemas
``frankenjax.adapter-request.v1`` / ``frankenjax.adapter-reply.v1``), the
harness's *reader* of replies -- any bytes an adapter prints give either a
valid reply or an :class:`AdapterError` with a stable code, never another
exception -- and :func:`serve`, the request loop the shipped adapters share.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from frankenjax_ref.errors import FJError, register_code
from harness.errors import HarnessError

PROTOCOL = "frankenjax.adapter.v1"
REQUEST_SCHEMA = "frankenjax.adapter-request.v1"
REPLY_SCHEMA = "frankenjax.adapter-reply.v1"
UNSUPPORTED = "unsupported"
#: the largest reply line the harness reads (a run's outputs); beyond it the case is an error
DEFAULT_MAX_REPLY_BYTES = 64 << 20


class AdapterError(HarnessError):
    """An adapter could not be started, or broke the protocol."""

    family = "ADAPTER"


EXEC = register_code("FJ-ADAPTER-EXEC", "ADAPTER", "the adapter command cannot be started")
HELLO = register_code("FJ-ADAPTER-HELLO", "ADAPTER", "the adapter did not answer hello as the protocol says")
PROTOCOL_VIOLATION = register_code(
    "FJ-ADAPTER-PROTOCOL", "ADAPTER", "the adapter printed something that is not a reply to the request"
)
TOO_LARGE = register_code("FJ-ADAPTER-TOO-LARGE", "ADAPTER", "the adapter's reply exceeds the size limit")
TIMEOUT = register_code("FJ-ADAPTER-TIMEOUT", "ADAPTER", "the adapter did not reply in time")
CRASHED = register_code("FJ-ADAPTER-CRASHED", "ADAPTER", "the adapter exited while a request was pending")


@dataclass(frozen=True)
class AdapterInfo:
    """What an adapter said of itself in its hello reply."""

    name: str
    version: str
    primitives: tuple[str, ...]
    transforms: tuple[str, ...]

    def supports(self, primitives: Sequence[str], transforms: Sequence[str]) -> list[str]:
        """What a case needs that the adapter does not claim (empty: it may run the case)."""
        missing = [f"primitive {p}" for p in primitives if p not in self.primitives]
        missing += [f"transform {t}" for t in transforms if t not in self.transforms]
        return missing


@dataclass(frozen=True)
class RunReply:
    """An adapter's answer to one run request: outputs, or an error (``code == 'unsupported'`` too)."""

    id: str
    ok: bool
    outputs: list[Any] = field(default_factory=list)
    error_code: str | None = None
    error_message: str | None = None

    @property
    def unsupported(self) -> bool:
        return not self.ok and self.error_code == UNSUPPORTED


# --- requests ------------------------------------------------------------------------------------------


def hello_request() -> dict[str, Any]:
    return {"op": "hello", "protocol": PROTOCOL}


def run_request(case_id: str, program: Any, stack: Any, args: Sequence[Any]) -> dict[str, Any]:
    """A run request from a fixture case's own fields (its ``ir``, ``stack`` and ``inputs``); ``args``
    may be arrays or already in the ``frankenjax.array.v1`` encoding (a fixture's inputs are)."""
    from frankenjax_ref.core.values import encode_array

    encoded = [a if isinstance(a, dict) else encode_array(a) for a in args]
    return {"op": "run", "id": case_id, "program": program, "stack": list(stack), "args": encoded}


def bye_request() -> dict[str, Any]:
    return {"op": "bye"}


def encode_line(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), allow_nan=False).encode() + b"\n"


# --- reading replies (any bytes: a reply or a typed error) --------------------------------------------------


def _json_object(line: bytes, what: str) -> dict[str, Any]:
    try:
        obj = json.loads(line.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise AdapterError(
            PROTOCOL_VIOLATION, f"{what} is not JSON: {_clip(exc)}; line: {_clip(line)}"
        ) from None
    if not isinstance(obj, dict):
        raise AdapterError(PROTOCOL_VIOLATION, f"{what} is a JSON {type(obj).__name__}, not an object")
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_schema(obj: dict[str, Any], what: str) -> None:
    from harness.schemas import validate

    try:
        validate(obj, REPLY_SCHEMA)
    except FJError as exc:
        raise AdapterError(
            PROTOCOL_VIOLATION, f"{what} does not follow the protocol: {exc.message}"
        ) from None


def parse_hello(line: bytes) -> AdapterInfo:
    """The hello reply, validated (FJ-ADAPTER-HELLO for anything else)."""
    try:
        obj = _json_object(line, "the hello reply")
        _check_schema(obj, "the hello reply")
    except AdapterError as exc:
        raise AdapterError(HELLO, exc.message) from None
    if "name" not in obj or obj.get("ok") is not True:
        raise AdapterError(HELLO, f"the hello reply must be ok with a name, got {_clip(line)}")
    return AdapterInfo(
        obj["name"],
        obj.get("version", ""),
        tuple(obj.get("primitives", ())),
        tuple(obj.get("transforms", ())),
    )


def parse_run_reply(line: bytes, expect_id: str) -> RunReply:
    """The reply to run request ``expect_id``: outputs decoded as ``frankenjax.array.v1``."""
    from frankenjax_ref.core.values import decode_array

    obj = _json_object(line, f"the reply to {expect_id!r}")
    _check_schema(obj, f"the reply to {expect_id!r}")
    if obj.get("id") != expect_id:
        raise AdapterError(
            PROTOCOL_VIOLATION, f"a reply for id {_clip(obj.get('id'))} where {expect_id!r} was asked"
        )
    if "ok" not in obj or ("outputs" not in obj and "error" not in obj):
        raise AdapterError(PROTOCOL_VIOLATION, f"the reply to {expect_id!r} has neither outputs nor an error")
    if not obj["ok"]:
        error = obj.get("error") or {}
        return RunReply(
            expect_id, False, error_code=str(error.get("code")), error_message=str(error.get("message"))
        )
    outputs = []
    for i, raw in enumerate(obj.get("outputs", [])):
        try:
            outputs.append(decode_array(raw, where=f"outputs[{i}]"))
        except FJError as exc:
            raise AdapterError(
                PROTOCOL_VIOLATION, f"output {i} of {expect_id!r} is not a frankenjax.array.v1: {exc.message}"
            ) from None
    return RunReply(expect_id, True, outputs)


def _clip(value: Any, n: int = 200) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return text if len(text) <= n else text[:n] + "..."


# --- the adapter side: one request loop for every Python adapter ------------------------------------------


@dataclass(frozen=True)
class Handler:
    """What an adapter implements: its hello fields and how it runs one request."""

    name: str
    version: str
    primitives: Sequence[str]
    transforms: Sequence[str]
    run: Callable[[Any, list[Any], list[Any]], list[Any]]  # (program doc, stack json, args) -> outputs


def serve(handler: Handler, stdin: IO[bytes] | None = None, stdout: IO[bytes] | None = None) -> int:
    """Answer requests until ``bye`` or end of input. A failing run is an error *reply*: the loop only
    ends on bye, end of input, or a request that is not a JSON object (answered, then exit 2)."""
    from frankenjax_ref.core.values import decode_array, encode_array

    inp = stdin or sys.stdin.buffer
    out = stdout or sys.stdout.buffer

    def reply(message: dict[str, Any]) -> None:
        out.write(encode_line(message))
        out.flush()

    for line in iter(inp.readline, b""):
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            reply({"ok": False, "error": {"code": "bad-request", "message": "not JSON"}})
            return 2
        if not isinstance(request, dict):
            reply({"ok": False, "error": {"code": "bad-request", "message": "not an object"}})
            return 2
        op = request.get("op")
        if op == "bye":
            return 0
        if op == "hello":
            reply(
                {
                    "ok": True,
                    "name": handler.name,
                    "version": handler.version,
                    "primitives": sorted(handler.primitives),
                    "transforms": sorted(handler.transforms),
                }
            )
            continue
        case_id = str(request.get("id", ""))
        if op != "run":
            reply(
                {
                    "id": case_id,
                    "ok": False,
                    "error": {"code": "bad-request", "message": f"unknown op {op!r}"},
                }
            )
            continue
        try:
            args = [decode_array(a, where=f"args[{i}]") for i, a in enumerate(request.get("args", []))]
            outputs = handler.run(request.get("program"), request.get("stack", []), args)
            reply({"id": case_id, "ok": True, "outputs": [encode_array(o) for o in outputs]})
        except FJError as exc:
            reply({"id": case_id, "ok": False, "error": {"code": exc.code, "message": exc.message[:2000]}})
        except Exception as exc:  # the implementation crashed on this case: report it, keep serving
            message = f"{type(exc).__name__}: {exc}"[:2000]
            reply({"id": case_id, "ok": False, "error": {"code": "crash", "message": message}})
    return 0
