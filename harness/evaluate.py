"""Loading programs and arguments from files, checking and running them.

The library behind ``fjh ir check``, ``fjh ir print`` and ``fjh eval``. It
never prints: each function returns a typed result or raises an ``FJError``.

An arguments file (``frankenjax.args.v1``)::

    {"schema": "frankenjax.args.v1", "args": [ARRAY, ...]}

with each ARRAY in the ``frankenjax.array.v1`` encoding. Errors:
``FJ-IO-NOT-FOUND`` / ``FJ-IO-READ`` for the file itself, ``FJ-ARGS-FORMAT``
when it is not JSON or not shaped like the schema, the array codes
(``FJ-IR-VALUE``, ``FJ-IR-DTYPE``, ``FJ-IR-LIMIT``) for a bad array, and
``FJ-IR-ARITY`` / ``FJ-IR-TYPE-MISMATCH`` when the arguments do not fit the
program's invars (count, shape, dtype; weak types do not matter).

The readers here are stricter than the JSON Schemas in ``artifacts/schemas``
(they check element types, ranges, counts and the program's typing), so the
files are validated by them rather than by ``jsonschema``, which would also
be far too slow on large arrays.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from frankenjax_ref.errors import FJError, IRError
from harness.errors import ArtifactIOError, HarnessError

if TYPE_CHECKING:
    import numpy as np

    from frankenjax_ref.core.ir import ClosedJaxpr
    from frankenjax_ref.core.values import Limits

ARGS_SCHEMA = "frankenjax.args.v1"
_ARGS_KEYS = frozenset({"schema", "args"})


def read_limited(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """The bytes of ``path``, refusing (FJ-IR-LIMIT) files over ``max_bytes`` before reading them."""
    p = Path(path)
    try:
        with open(p, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                raise IRError("FJ-IR-LIMIT", f"file is {size} bytes, the limit is {max_bytes}", where=str(p))
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise ArtifactIOError("FJ-IO-NOT-FOUND", "file does not exist", where=str(p)) from None
    except IsADirectoryError:
        raise ArtifactIOError("FJ-IO-READ", "is a directory, not a file", where=str(p)) from None
    except OSError as exc:
        raise ArtifactIOError("FJ-IO-READ", f"cannot read file: {exc.strerror}", where=str(p)) from None
    if len(data) > max_bytes:  # the file grew while we read it
        raise IRError("FJ-IR-LIMIT", f"file is larger than {max_bytes} bytes", where=str(p))
    return data


def _located(exc: FJError, path: str | os.PathLike[str]) -> FJError:
    """The same error with the file name in front of its location."""
    where = f"{os.fspath(path)}:{exc.where}" if exc.where else os.fspath(path)
    return type(exc)(exc.code, exc.message, where=where, hint=exc.hint)


def load_program(path: str | os.PathLike[str], limits: Limits | None = None) -> ClosedJaxpr:
    """Read and check a ``frankenjax.ir.v1`` file (every IR error names the file)."""
    from frankenjax_ref import ir

    limits = limits or ir.DEFAULT_LIMITS
    data = read_limited(path, limits.max_bytes)
    try:
        return ir.loads(data, limits)
    except IRError as exc:
        raise _located(exc, path) from None


def load_args(path: str | os.PathLike[str], limits: Limits | None = None) -> list[np.ndarray]:
    """Read a ``frankenjax.args.v1`` file into arrays."""
    from frankenjax_ref import ir
    from frankenjax_ref.core.values import ElementBudget

    limits = limits or ir.DEFAULT_LIMITS
    data = read_limited(path, limits.max_bytes)
    try:
        doc = ir.parse_json(data, limits)
    except IRError as exc:
        if exc.code == "FJ-IR-LIMIT":
            raise _located(exc, path) from None
        raise HarnessError("FJ-ARGS-FORMAT", exc.message, where=f"{os.fspath(path)}:{exc.where}") from None
    if not isinstance(doc, dict) or doc.keys() != _ARGS_KEYS:
        raise HarnessError(
            "FJ-ARGS-FORMAT",
            'an arguments file is an object with exactly "schema" and "args"',
            where=os.fspath(path),
            hint=f'{{"schema": "{ARGS_SCHEMA}", "args": [{{"dtype": ..., "shape": ..., "data": ...}}]}}',
        )
    if doc["schema"] != ARGS_SCHEMA:
        raise HarnessError(
            "FJ-ARGS-FORMAT", f'"schema" must be {ARGS_SCHEMA!r}', where=f"{os.fspath(path)}:schema"
        )
    if not isinstance(doc["args"], list):
        raise HarnessError(
            "FJ-ARGS-FORMAT", '"args" must be a list of arrays', where=f"{os.fspath(path)}:args"
        )
    budget = ElementBudget(limits)
    try:
        return [
            ir.decode_array(a, where=f"args[{i}]", limits=limits, budget=budget)
            for i, a in enumerate(doc["args"])
        ]
    except IRError as exc:
        raise _located(exc, path) from None


@dataclass(frozen=True)
class CheckResult:
    """What ``fjh ir check`` reports about a valid program."""

    path: str
    fingerprint: str
    equations: int
    equations_total: int
    in_avals: list[str]
    out_avals: list[str]

    def summary(self) -> str:
        return (
            f"ok {self.fingerprint} {self.equations} equations, "
            f"({', '.join(self.in_avals)}) -> ({', '.join(self.out_avals)})"
        )


def check_program(path: str | os.PathLike[str], limits: Limits | None = None) -> CheckResult:
    """Load, validate and fingerprint a program file."""
    from frankenjax_ref import ir

    closed = load_program(path, limits)
    return CheckResult(
        path=os.fspath(path),
        fingerprint=ir.fingerprint(closed, check=False),  # loads already validated it
        equations=len(closed.jaxpr.equations),
        equations_total=sum(1 for _ in closed.jaxpr.walk()),
        in_avals=[a.str_short() for a in closed.in_avals],
        out_avals=[a.str_short() for a in closed.out_avals],
    )


def print_program(path: str | os.PathLike[str], limits: Limits | None = None) -> str:
    """The program in a file, as ``jax.make_jaxpr`` would print it."""
    from frankenjax_ref import ir

    return ir.pformat(load_program(path, limits))


@dataclass(frozen=True)
class EvalResult:
    """The outputs of running a program (under a transform stack, if one was given)."""

    program: str
    fingerprint: str
    values: list[Any] = field(repr=False)
    stack: str | None = None
    proof: dict[str, Any] | None = None
    cache_key: str | None = None

    def outputs_json(self) -> dict[str, Any]:
        """``{"outputs": [ARRAY, ...]}`` (plus ``proof`` and ``cache_key`` under a stack)."""
        from frankenjax_ref import ir

        doc: dict[str, Any] = {
            "outputs": [ir.encode_array(v, where=f"outputs[{i}]") for i, v in enumerate(self.values)]
        }
        if self.stack is not None:
            doc.update({"transform": self.stack, "proof": self.proof, "cache_key": self.cache_key})
        return doc


def parse_transform(text: str) -> list[Any]:
    """A stack from ``--transform``: ``'vmap(grad)'``, ``'jit,vmap,grad'``, or a JSON list with params."""
    import json

    from frankenjax_ref import dispatch

    stripped = text.strip()
    if stripped.startswith("["):
        try:
            obj = json.loads(stripped)
        except json.JSONDecodeError as exc:
            from frankenjax_ref.errors import DispatchError

            raise DispatchError("FJ-DISPATCH-PARSE", f"--transform is not valid JSON: {exc}") from None
        return dispatch.stack_from_json(obj)
    return dispatch.parse_stack(stripped)


def run_program(
    path: str | os.PathLike[str],
    args_path: str | os.PathLike[str],
    limits: Limits | None = None,
    *,
    transform: str | None = None,
    mode: str = "strict",
    unknown_features: tuple[str, ...] = (),
) -> EvalResult:
    """Evaluate the program in ``path`` on the arguments in ``args_path`` with the reference.

    With ``transform``, the stack is proved and run by :func:`frankenjax_ref.dispatch.run`
    (the arguments are then those of the transformed function, e.g. primals and
    tangents for ``jvp``), and the result carries the proof and the cache key.
    """
    import numpy as np

    from frankenjax_ref import dispatch, ir
    from frankenjax_ref.interpreters.eval import check_args, eval_jaxpr

    closed = load_program(path, limits)
    args = load_args(args_path, limits)
    fp = ir.fingerprint(closed, check=False)
    if transform is None:
        try:
            check_args(closed, args)
        except IRError as exc:
            raise _located(exc, args_path) from None
        return EvalResult(program=os.fspath(path), fingerprint=fp, values=eval_jaxpr(closed, *args))
    stack = parse_transform(transform)
    result = dispatch.run(closed, stack, args, mode=mode, unknown_features=unknown_features)
    return EvalResult(
        program=os.fspath(path),
        fingerprint=fp,
        values=[np.asarray(v) for v in result.outputs],
        stack=dispatch.stack_signature(stack),
        proof=result.proof.to_json(),
        cache_key=result.cache_key,
    )
