"""Transform stacks as data: parse, prove, and run them over IR programs.

A stack is a list of :class:`Transform`, **outermost first**: ``vmap(grad(f))``
is ``[vmap, grad]``. :func:`apply_stack` turns a flat program (``*arrays ->
list of arrays``) into the transformed flat program using any namespace with
JAX's API (``frankenjax_ref`` itself, or ``jax`` in the harness's oracle), so
both sides of a conformance check apply a stack with the *same* code.

Flat calling conventions per transform (``n`` inputs, ``m`` outputs inside):

===============  ==========================================  ==================
transform         arguments of the transformed function       outputs
===============  ==========================================  ==================
jit               the same ``n``                              the same ``m``
grad              the same ``n`` (inner must give 1 scalar)   one per argnum
value_and_grad    the same ``n``                              value + one per argnum
vmap              the same ``n`` (batched per ``in_axes``)    the same ``m``
jvp               ``n`` primals then ``n`` tangents           ``m`` primals then ``m`` tangents
vjp               ``n`` primals then ``m`` cotangents         ``n`` cotangents
jacfwd/jacrev     the same ``n``                              ``m`` x argnums blocks
hessian           the same ``n`` (inner must give 1 scalar)   argnums x argnums blocks
===============  ==========================================  ==================

Before a stack runs on a program, :func:`build_proof` checks it: every entry
names a known transform with valid params; the abstract signature of every
layer is derived by tracing (so ``grad`` of a non-scalar, or ``grad(vmap(f))``,
fail here exactly as JAX fails); each layer contributes one evidence entry
bound to its index and transform; evidence ids are unique; and the stack has
a hash. :func:`run` then executes and records the decision in the ledger.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from frankenjax_ref.errors import DispatchError, FJError

KNOWN = ("jit", "grad", "value_and_grad", "vmap", "jvp", "vjp", "jacfwd", "jacrev", "hessian")

#: Allowed params per transform, with defaults.
PARAM_DEFAULTS: dict[str, dict[str, Any]] = {
    "jit": {},
    "grad": {"argnums": 0},
    "value_and_grad": {"argnums": 0},
    "vmap": {"in_axes": 0, "out_axes": 0},
    "jvp": {},
    "vjp": {},
    "jacfwd": {"argnums": 0},
    "jacrev": {"argnums": 0},
    "hessian": {"argnums": 0},
}


@dataclass(frozen=True)
class Transform:
    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"transform": self.name, "params": _jsonable(dict(self.params))}

    def __str__(self) -> str:
        if not self.params:
            return self.name
        inner = ", ".join(f"{k}={v!r}" for k, v in sorted(self.params.items()))
        return f"{self.name}[{inner}]"


def _jsonable(x: Any) -> Any:
    if isinstance(x, tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, list):
        return [_jsonable(v) for v in x]
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    return x


def _tuplify(x: Any) -> Any:
    return tuple(_tuplify(v) for v in x) if isinstance(x, list) else x


def make_transform(name: str, params: Mapping[str, Any] | None = None) -> Transform:
    """A validated stack entry (unknown names and params are typed errors)."""
    if name not in PARAM_DEFAULTS:
        raise DispatchError(
            "FJ-DISPATCH-PARSE", f"unknown transform {name!r}", hint=f"known: {', '.join(KNOWN)}"
        )
    given = dict(params or {})
    unknown = sorted(set(given) - set(PARAM_DEFAULTS[name]))
    if unknown:
        raise DispatchError("FJ-DISPATCH-PARSE", f"{name} does not take params {unknown}")
    full = {**PARAM_DEFAULTS[name], **{k: _tuplify(v) for k, v in given.items()}}
    for key, value in full.items():
        _check_param(name, key, value)
    return Transform(name, full)


def _check_param(name: str, key: str, value: Any) -> None:
    def is_axis(v: Any) -> bool:
        return v is None or (isinstance(v, int) and not isinstance(v, bool))

    if key == "argnums":
        ok = (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, tuple)
            and value
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        )
    else:  # in_axes / out_axes: an axis, or a tuple of axes
        ok = is_axis(value) or (isinstance(value, tuple) and all(is_axis(v) for v in value))
    if not ok:
        raise DispatchError("FJ-DISPATCH-PARSE", f"{name}: invalid {key}={value!r}")


_NAME = re.compile(r"[a-z_]+")


def parse_stack(text: str) -> list[Transform]:
    """Parse ``'vmap(grad)'``, ``'jit,vmap,grad'`` or ``'vmap(grad(f))'`` (outermost first).

    Params are not expressible in this short form; use JSON stacks for them.
    """
    if not isinstance(text, str) or not text.strip():
        raise DispatchError("FJ-DISPATCH-PARSE", "empty transform stack")
    s = text.replace(" ", "")
    if "," in s:
        names = s.split(",")
    else:
        names = []
        rest = s
        depth = 0
        while rest:
            m = _NAME.match(rest)
            if not m:
                raise DispatchError("FJ-DISPATCH-PARSE", f"cannot parse transform stack {text!r}")
            name = m.group(0)
            rest = rest[m.end() :]
            if name == "f" and not rest.strip(")"):
                break
            names.append(name)
            if rest.startswith("("):
                rest = rest[1:]
                depth += 1
            elif rest.strip(")") == "":
                break
            else:
                raise DispatchError("FJ-DISPATCH-PARSE", f"cannot parse transform stack {text!r}")
        if rest.count(")") != depth or rest.strip(")"):
            raise DispatchError("FJ-DISPATCH-PARSE", f"unbalanced parentheses in {text!r}")
    if any(not n for n in names):
        raise DispatchError("FJ-DISPATCH-PARSE", f"empty entry in transform stack {text!r}")
    return [make_transform(n) for n in names]


def stack_from_json(obj: Any) -> list[Transform]:
    """A stack from its JSON form ``[{"transform": name, "params": {...}}, ...]``."""
    if not isinstance(obj, list):
        raise DispatchError("FJ-DISPATCH-PARSE", "a transform stack must be a JSON list")
    out = []
    for i, entry in enumerate(obj):
        if not isinstance(entry, dict) or not isinstance(entry.get("transform"), str):
            raise DispatchError("FJ-DISPATCH-PARSE", f"stack entry {i} must be {{transform, params}}")
        params = entry.get("params", {})
        if not isinstance(params, dict) or set(entry) - {"transform", "params"}:
            raise DispatchError("FJ-DISPATCH-PARSE", f"stack entry {i} has unexpected fields")
        out.append(make_transform(entry["transform"], params))
    return out


def stack_to_json(stack: Sequence[Transform]) -> list[dict[str, Any]]:
    return [t.to_json() for t in stack]


def stack_signature(stack: Sequence[Transform]) -> str:
    """``vmap(grad(f))`` for ``[vmap, grad]``."""
    text = "f"
    for t in reversed(stack):
        text = f"{t.name}({text})"
    return text


def stack_hash(stack: Sequence[Transform]) -> str:
    data = json.dumps(stack_to_json(stack), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()


# --- applying a stack (shared by the reference and the oracle) ----------------------------------


FlatFn = Callable[..., list[Any]]


def _argnums(t: Transform) -> tuple[int, ...]:
    a = t.params["argnums"]
    return (a,) if isinstance(a, int) else tuple(a)


def _single(outs: list[Any], what: str) -> Any:
    if len(outs) != 1:
        from frankenjax_ref.errors import TransformError

        raise TransformError(
            "FJ-GRAD-NONSCALAR", f"{what} needs a function with a single output, this one has {len(outs)}"
        )
    return outs[0]


def _as_list(out: Any) -> list[Any]:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _leaves(tree: Any) -> list[Any]:
    if isinstance(tree, (tuple, list)):
        return [leaf for t in tree for leaf in _leaves(t)]
    if isinstance(tree, dict):
        return [leaf for k in sorted(tree) for leaf in _leaves(tree[k])]
    return [tree]


def apply_transform(api: Any, t: Transform, f: FlatFn, n_in: int) -> tuple[FlatFn, int]:
    """Wrap flat ``f`` (``n_in`` inputs) in ``t`` using ``api`` (fj or jax); returns (g, g's input count)."""
    p = t.params
    if t.name == "jit":
        jitted = api.jit(lambda *a: tuple(f(*a)))
        return (lambda *a: list(jitted(*a))), n_in
    if t.name in ("grad", "value_and_grad"):
        nums = p["argnums"]
        transformed = getattr(api, t.name)(lambda *a: _single(f(*a), t.name), argnums=nums)
        return (lambda *a: _leaves(transformed(*a))), n_in
    if t.name == "vmap":
        mapped = api.vmap(lambda *a: tuple(f(*a)), in_axes=p["in_axes"], out_axes=p["out_axes"])
        return (lambda *a: list(mapped(*a))), n_in
    if t.name == "jvp":

        def jvp_fn(*a: Any) -> list[Any]:
            primals_out, tangents_out = api.jvp(lambda *xs: tuple(f(*xs)), tuple(a[:n_in]), tuple(a[n_in:]))
            return [*primals_out, *tangents_out]

        return jvp_fn, 2 * n_in
    if t.name == "vjp":

        def vjp_fn(*a: Any) -> list[Any]:
            _, pullback = api.vjp(lambda *xs: tuple(f(*xs)), *a[:n_in])
            return list(pullback(tuple(a[n_in:])))

        return vjp_fn, -n_in  # negative: "n_in primals, then one cotangent per output"
    if t.name in ("jacfwd", "jacrev"):
        jac = getattr(api, t.name)(lambda *a: tuple(f(*a)), argnums=p["argnums"])
        return (lambda *a: _leaves(jac(*a))), n_in
    if t.name == "hessian":
        hess = api.hessian(lambda *a: _single(f(*a), "hessian"), argnums=p["argnums"])
        return (lambda *a: _leaves(hess(*a))), n_in
    raise DispatchError("FJ-DISPATCH-PARSE", f"unknown transform {t.name!r}")  # pragma: no cover


def apply_stack(api: Any, stack: Sequence[Transform], f: FlatFn, n_in: int) -> FlatFn:
    """The transformed flat function: innermost transform applied first."""
    g, n = f, n_in
    for t in reversed(stack):
        if n < 0:  # the inner transform was vjp; its input count depends on outputs, keep primals
            n = -n
        g, n = apply_transform(api, t, g, n)
    return g


def reference_api() -> Any:
    """The reference's transforms as a JAX-like namespace."""
    from frankenjax_ref import api

    return SimpleNamespace(
        jit=api.jit,
        grad=api.grad,
        value_and_grad=api.value_and_grad,
        vmap=api.vmap,
        jvp=api.jvp,
        vjp=api.vjp,
        jacfwd=api.jacfwd,
        jacrev=api.jacrev,
        hessian=api.hessian,
    )


def program_function(closed: Any) -> FlatFn:
    """An IR program as a flat function, interpretable under every transform."""
    from frankenjax_ref.interpreters.eval import eval_jaxpr

    return lambda *args: eval_jaxpr(closed, *args)


# --- the composition proof -------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    index: int
    transform: str
    params: dict[str, Any]
    in_signature: str
    out_signature: str
    evidence_id: str


@dataclass(frozen=True)
class CompositionProof:
    signature: str
    stack: list[dict[str, Any]]
    stack_hash: str
    evidence: list[Evidence]
    program_signature: str

    def to_json(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def _describe(avals: Sequence[Any]) -> str:
    return "(" + ", ".join(a.str_short() for a in avals) + ")"


class _LayerLog:
    """Signatures each layer's function is called with, and which layers are running."""

    def __init__(self) -> None:
        self.signatures: dict[int, tuple[str, str]] = {}
        self.active: list[int] = []

    def wrap(self, level: int, f: FlatFn) -> FlatFn:
        from frankenjax_ref.core.avals import get_aval

        def recorded(*args: Any) -> list[Any]:
            self.active.append(level)
            outs = f(*args)
            self.active.pop()
            if level not in self.signatures:
                self.signatures[level] = (
                    _describe([get_aval(a) for a in args]),
                    _describe([get_aval(o) for o in outs]),
                )
            return outs

        return recorded


def build_proof(closed: Any, stack: Sequence[Transform], args: Sequence[Any]) -> CompositionProof:
    """Check ``stack`` over ``closed`` at the avals of ``args`` (see :func:`stage`)."""
    return stage(closed, stack, args)[0]


def stage(closed: Any, stack: Sequence[Transform], args: Sequence[Any]) -> tuple[CompositionProof, Any]:
    """Check ``stack`` over ``closed`` at the avals of ``args``; return the proof and the staged program.

    The whole stack is traced once with ``make_jaxpr``; every layer's function
    is instrumented so that each transform's evidence records the signature
    of the function it transforms and of the function it produces. A stack
    that cannot be built (grad of a non-scalar, grad(vmap(f)), bad vmap axes,
    wrong argument counts) fails with FJ-DISPATCH-PROOF, naming the failing
    layer and the underlying error code.
    """
    from frankenjax_ref.api import make_jaxpr
    from frankenjax_ref.core.avals import get_aval

    if len(stack) > 16:
        raise DispatchError("FJ-DISPATCH-PROOF", f"stack of depth {len(stack)} exceeds the limit of 16")
    log = _LayerLog()
    api = reference_api()
    layers = list(reversed(stack))  # innermost first
    f: FlatFn = log.wrap(0, program_function(closed))
    n = len(closed.jaxpr.invars)
    for level, t in enumerate(layers, start=1):
        f, n = apply_transform(api, t, f, -n if n < 0 else n)
        f = log.wrap(level, f)
    try:
        staged = make_jaxpr(lambda *xs: list(f(*xs)))(*args)
    except FJError as exc:
        failing = (log.active[-1] if log.active else 0) - 1
        where = "the program" if failing < 0 else f"layer {len(stack) - 1 - failing} ({layers[failing].name})"
        raise DispatchError(
            "FJ-DISPATCH-PROOF",
            f"{where} of {stack_signature(stack)} cannot be built: [{exc.code}] {exc.message}",
            where="program" if failing < 0 else f"stack[{len(stack) - 1 - failing}]",
        ) from exc
    evidence = []
    for level, t in enumerate(layers, start=1):
        index = len(stack) - level
        in_sig = log.signatures.get(level - 1, ("()", "()"))[0]
        out_sig = log.signatures.get(level, ("()", "()"))[1]
        inner_out = log.signatures.get(level - 1, ("()", "()"))[1]
        params = _jsonable(dict(t.params))
        payload = json.dumps([index, t.name, params, in_sig, inner_out, out_sig], sort_keys=True)
        evidence.append(
            Evidence(
                index,
                t.name,
                params,
                f"{in_sig} -> {inner_out}",
                f"{log.signatures[level][0]} -> {out_sig}",
                hashlib.sha256(payload.encode()).hexdigest(),
            )
        )
    evidence.reverse()  # outermost first, like the stack
    proof = CompositionProof(
        stack_signature(stack),
        stack_to_json(stack),
        stack_hash(stack),
        evidence,
        _describe([get_aval(a) for a in args]),
    )
    check_proof(proof, stack)
    return proof, staged


def check_proof(proof: CompositionProof, stack: Sequence[Transform]) -> None:
    """The structural checks: one evidence entry per transform, bound to it, unique, hash matches."""
    if len(proof.evidence) != len(stack):
        raise DispatchError("FJ-DISPATCH-PROOF", "evidence count does not match the stack depth")
    seen: set[str] = set()
    for i, (e, t) in enumerate(zip(proof.evidence, stack, strict=True)):
        if e.index != i or e.transform != t.name:
            raise DispatchError("FJ-DISPATCH-PROOF", f"evidence {i} is not bound to transform {t.name}")
        if e.evidence_id in seen:
            raise DispatchError("FJ-DISPATCH-PROOF", f"duplicate evidence {e.evidence_id}")
        seen.add(e.evidence_id)
    if proof.stack_hash != stack_hash(stack):
        raise DispatchError("FJ-DISPATCH-PROOF", "stack hash does not match the stack")
    if proof.signature != stack_signature(stack):
        raise DispatchError("FJ-DISPATCH-PROOF", "signature does not match the stack")


# --- running -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DispatchResult:
    outputs: list[Any]
    proof: CompositionProof
    cache_key: str
    cache_hit: bool = False


@dataclass(frozen=True)
class _Staged:
    """A stack applied to a program and staged once: its proof and the whole computation as one jaxpr."""

    proof: CompositionProof
    program: Any  # ClosedJaxpr


#: Staged programs by (cache key, argument signature), least recently used first. A program is staged
#: (proved, traced through every transform) once; later runs with the same key and argument avals only
#: evaluate it. Bounded, so a long campaign of distinct programs does not grow without end.
PROGRAM_CACHE_SIZE = 256
_program_cache: OrderedDict[tuple[str, str], _Staged] = OrderedDict()


def clear_program_cache() -> None:
    _program_cache.clear()


def run(
    closed: Any,
    stack: Sequence[Transform] | str,
    args: Sequence[Any],
    *,
    mode: str = "strict",
    backend: str = "cpu",
    compile_options: Mapping[str, Any] | None = None,
    unknown_features: Sequence[str] = (),
) -> DispatchResult:
    """Prove ``stack`` over ``closed``, record the decision, run it; return outputs, proof, cache key.

    The cache key (mode, backend, program fingerprint, stack, options, unknown features) plus the
    arguments' abstract signature finds a staged program in :data:`_program_cache`: on a miss the
    stack is proved and the transformed program traced to one jaxpr, which is kept; on a hit only
    the jaxpr runs. The ledger records the dispatch decision either way (with ``cache_hit``).
    """
    from frankenjax_ref import cache, ledger
    from frankenjax_ref.core.avals import get_aval
    from frankenjax_ref.interpreters.eval import eval_jaxpr

    if isinstance(stack, str):
        stack = parse_stack(stack)
    if backend != "cpu":
        raise DispatchError("FJ-DISPATCH-MODE", f"unknown backend {backend!r}; the reference runs on 'cpu'")
    key = cache.cache_key(
        mode=mode,
        backend=backend,
        closed=closed,
        stack=stack,
        compile_options=compile_options or {},
        unknown_features=unknown_features,
    )
    slot = (key.hex, "|".join(f"{a.str_short()}{'~' if a.weak_type else ''}" for a in map(get_aval, args)))
    staged = _program_cache.get(slot)
    hit = staged is not None
    if staged is None:
        try:
            staged = _Staged(*stage(closed, stack, args))
        except DispatchError as exc:
            ledger.default_ledger().decide(
                "dispatch",
                {"proof_valid": 0.0, "proof_invalid": 1.0},
                {"stack": stack_signature(stack), "error": exc.message},
            )
            raise
        _program_cache[slot] = staged
        while len(_program_cache) > PROGRAM_CACHE_SIZE:
            _program_cache.popitem(last=False)
    else:
        _program_cache.move_to_end(slot)
    proof = staged.proof
    ledger.default_ledger().decide(
        "dispatch",
        {"proof_valid": 1.0, "proof_invalid": 0.0},
        {"stack": proof.signature, "stack_hash": proof.stack_hash, "cache_key": key.hex, "cache_hit": hit},
    )
    return DispatchResult(list(eval_jaxpr(staged.program, *args)), proof, key.hex, hit)
