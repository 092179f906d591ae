"""JAX jaxprs to canonical IR (:func:`from_jax`) and back (:func:`to_jax`).

Conversion rules of :func:`from_jax`, for a ``jax.make_jaxpr`` result
(JAX 0.10: ``jax.extend.core.ClosedJaxpr``):

* **Variables** keep their aval: shape, dtype and JAX's weak-type bit. A
  ``DropVar`` (``_`` output) becomes a fresh, unused variable.
* **Literals** keep their dtype and weak type; the value is taken exactly
  (``np.asarray(val, dtype)``). A non-scalar literal (JAX never writes one
  today) would become a constvar.
* **Consts** of the closed jaxpr become the canonical program's consts
  (NumPy arrays, bit-exact).
* **Primitives** keep JAX's names and params, checked and normalized by the
  reference's declared :class:`~frankenjax_ref.core.params.Param` types:
  enums (``RoundingMethod``, ``Precision``) become their names, dtypes become
  ``np.dtype``. The pjit-era name ``pjit`` maps to ``jit``.
* **Nested jit is kept as a call**: the ``jit`` equation with its body as the
  sub-jaxpr ``jaxpr`` (the reference's ``jit`` is a higher-order primitive, so
  staging survives every transform). JAX's sharding, layout, donation and
  compiler params on ``jit`` (:data:`DROPPED_JIT_PARAMS`) are dropped: the
  reference is single-device and has no compiler. Any other param JAX carries
  that the reference does not declare is dropped only if its value is
  ``None`` (an unset sharding); otherwise it is reported as unsupported.
* **custom_jvp_call / custom_vjp_call** keep the primal body (``call_jaxpr``)
  and the custom rule, traced to sub-jaxprs (``jvp_jaxpr``; ``fwd_jaxpr`` +
  ``bwd_jaxpr``) whose conventions are documented in
  :mod:`frankenjax_ref.primitives.custom`. JAX's ``symbolic_zeros`` flag is
  kept; the rule is traced with every tangent instantiated, which is what
  JAX's own ``jvp`` of the call does when no tangent is symbolically zero.
* **Anything else** — a primitive the reference does not register, an
  effectful equation, a param it cannot represent — is collected, and one
  :class:`OracleError` (``FJ-ORACLE-UNSUPPORTED``) lists every problem.

:func:`to_jax` inverts this: each canonical equation binds the JAX
primitive of the same name with the params converted back (names to JAX
enums) and the params the importer dropped filled back with JAX's defaults
— for ``jit`` by calling ``jax.jit`` on the body, so JAX supplies every
sharding/layout default itself; custom calls become ``jax.custom_jvp`` /
``jax.custom_vjp`` functions over the canonical rule sub-jaxprs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from frankenjax_ref.core import dtypes
from frankenjax_ref.core.avals import ShapedArray
from frankenjax_ref.core.ir import ClosedJaxpr, Equation, Jaxpr, Literal, Var
from frankenjax_ref.core.primitive import PRIMITIVES, Primitive
from frankenjax_ref.errors import FJError
from harness.oracle._loader import OracleError, load_jax

#: Params of JAX's ``jit`` equation that the reference's ``jit`` does not carry.
DROPPED_JIT_PARAMS = frozenset(
    {
        "in_shardings",
        "out_shardings",
        "in_layouts",
        "out_layouts",
        "donated_invars",
        "ctx_mesh",
        "keep_unused",
        "inline",
        "compiler_options_kvs",
    }
)

#: JAX primitive names mapped to the reference's names.
RENAMED_PRIMITIVES = {"pjit": "jit"}

#: Modules whose ``*_p`` objects are the JAX primitives :func:`to_jax` may bind.
_JAX_PRIMITIVE_MODULES = (
    "jax._src.lax.lax",
    "jax._src.lax.slicing",
    "jax._src.ad_util",
    "jax._src.lax.special",
    "jax._src.lax.control_flow",
    "jax._src.lax.windowed_reductions",
    "jax._src.lax.convolution",
)

#: Reference primitives that are not JAX primitives (the reference's own helpers).
NOT_JAX_PRIMITIVES = frozenset({"expand_dims", "custom_lin"})


class _Problems:
    """Every reason a program cannot be converted, collected before raising once."""

    def __init__(self) -> None:
        self.items: dict[str, list[str]] = {}

    def add(self, key: str, where: str) -> None:
        self.items.setdefault(key, []).append(where)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        parts = [f"{key} (at {', '.join(sorted(set(ws))[:3])})" for key, ws in sorted(self.items.items())]
        raise OracleError(
            "FJ-ORACLE-UNSUPPORTED",
            f"{len(self.items)} unsupported construct(s): " + "; ".join(parts),
            hint="add the primitive or param to frankenjax_ref, or keep the program out of the catalog",
        )


# --- from_jax ---------------------------------------------------------------------------------------


def from_jax(closed_jaxpr: Any, *, check: bool = True) -> ClosedJaxpr:
    """Convert a ``jax.make_jaxpr`` result to a canonical :class:`ClosedJaxpr`.

    With ``check`` the result is validated by the reference's type checker
    (``FJ-ORACLE-UNSUPPORTED`` when it disagrees with JAX's typing). Capture
    passes ``check=False``: JAX's program is the truth to record, and a
    reference that cannot type-check it fails that case in conformance.
    """
    load_jax()
    import frankenjax_ref.primitives  # noqa: F401  (registers every primitive)
    from frankenjax_ref import ir

    problems = _Problems()
    out = _Converter(problems).closed(closed_jaxpr, "program")
    problems.raise_if_any()
    if not check:
        return out
    try:
        ir.validate(out)
    except FJError as exc:
        raise OracleError(
            "FJ-ORACLE-UNSUPPORTED",
            f"the converted program does not type-check in the reference: {exc.message}",
            where=exc.where,
        ) from None
    return out


#: Custom rules may call custom functions (a ``custom_jvp`` rule calling the function itself), which
#: JAX expands lazily. Data cannot be lazy: rules nested deeper than this are inlined to their primal
#: body, which is exact for derivatives up to this order.
MAX_CUSTOM_RULE_DEPTH = 3


class _Converter:
    def __init__(self, problems: _Problems, custom_depth: int = 0):
        self.problems = problems
        self.custom_depth = custom_depth
        from jax.extend import core as jcore

        self.jcore = jcore

    def aval(self, javal: Any, where: str) -> ShapedArray:
        shape, dtype = getattr(javal, "shape", None), getattr(javal, "dtype", None)
        if shape is None or dtype is None or type(javal).__name__ != "ShapedArray":
            self.problems.add(f"abstract value {type(javal).__name__}", where)
            return ShapedArray((), dtypes.float32)
        try:
            d = dtypes.canonicalize(dtype)
        except FJError:
            self.problems.add(f"dtype {dtype}", where)
            d = dtypes.float32
        return ShapedArray(tuple(int(s) for s in shape), d, bool(getattr(javal, "weak_type", False)))

    def closed(self, cj: Any, where: str) -> ClosedJaxpr:
        consts = [self.const(c, f"{where}.consts[{i}]") for i, c in enumerate(cj.consts)]
        jaxpr, extra_consts = self.jaxpr(cj.jaxpr, where)
        return ClosedJaxpr(jaxpr, tuple(consts) + tuple(extra_consts))

    def const(self, value: Any, where: str) -> np.ndarray:
        try:
            arr = np.asarray(value)
            dtypes.canonicalize(arr.dtype)
        except Exception:
            self.problems.add(f"const of type {type(value).__name__}", where)
            return np.zeros((), np.float32)
        return arr

    def jaxpr(self, jj: Any, where: str) -> tuple[Jaxpr, list[np.ndarray]]:
        env: dict[Any, Var] = {}
        lifted_vars: list[Var] = []
        lifted_vals: list[np.ndarray] = []

        def bind(jv: Any, w: str) -> Var:
            var = Var(self.aval(jv.aval, w))
            if not isinstance(jv, self.jcore.DropVar):
                env[jv] = var
            return var

        def read(atom: Any, w: str) -> Var | Literal:
            if isinstance(atom, self.jcore.Literal):
                aval = self.aval(atom.aval, w)
                value = (
                    np.asarray(atom.val, dtype=aval.dtype)
                    if aval.dtype != dtypes.float0
                    else np.zeros(aval.shape, dtypes.float0)
                )
                if value.shape != ():
                    var = Var(aval)
                    lifted_vars.append(var)
                    lifted_vals.append(value)
                    return var
                return Literal(value, aval)
            found = env.get(atom)
            if found is None:
                self.problems.add("a variable used before it is bound", w)
                return Var(self.aval(atom.aval, w))
            return found

        constvars = [bind(v, f"{where}.constvars[{i}]") for i, v in enumerate(jj.constvars)]
        invars = [bind(v, f"{where}.invars[{i}]") for i, v in enumerate(jj.invars)]
        equations = []
        for i, eqn in enumerate(jj.eqns):
            w = f"{where}.eqns[{i}]({eqn.primitive.name})"
            inputs = tuple(read(x, w) for x in eqn.invars)
            outputs = tuple(bind(v, w) for v in eqn.outvars)
            converted = self.equation(eqn, inputs, outputs, w)
            if converted is not None:
                equations.append(converted)
        outvars = tuple(read(x, f"{where}.outvars") for x in jj.outvars)
        jaxpr = Jaxpr(tuple(constvars) + tuple(lifted_vars), tuple(invars), outvars, tuple(equations))
        return jaxpr, lifted_vals

    def equation(
        self, eqn: Any, inputs: tuple[Any, ...], outputs: tuple[Var, ...], where: str
    ) -> Equation | None:
        jname = eqn.primitive.name
        name = RENAMED_PRIMITIVES.get(jname, jname)
        prim = PRIMITIVES.get(name)
        if prim is None or name in ("custom_lin",):
            self.problems.add(f"primitive '{jname}'", where)
            return None
        if getattr(eqn, "effects", None):
            self.problems.add(f"effectful primitive '{jname}'", where)
            return None
        jparams = dict(eqn.params)
        if name in _CONSUMED and self.custom_depth >= MAX_CUSTOM_RULE_DEPTH:
            body = self.closed(jparams["call_jaxpr"], f"{where}.call_jaxpr")
            jit_p = PRIMITIVES["jit"]
            return Equation(jit_p, inputs, outputs, {"name": f"{jname}_inlined"}, {"jaxpr": body})
        try:
            subs = self.sub_jaxprs(name, prim, jparams, where)
        except FJError as exc:
            self.problems.add(f"{jname} rule: {exc.message}", where)
            return None
        except Exception as exc:
            self.problems.add(f"{jname} rule could not be traced ({type(exc).__name__}: {exc})", where)
            return None
        given: dict[str, Any] = {}
        for key, value in jparams.items():
            if key in prim.params:
                given[key] = value
            elif (
                key in prim.sub_jaxprs
                or key in _CONSUMED.get(name, ())
                or (name == "jit" and key in DROPPED_JIT_PARAMS)
            ):
                continue
            elif value is None:
                continue  # an unset sharding/layout: the single-device default
            else:
                self.problems.add(f"param {jname}[{key}={_short(value)}]", where)
                return None
        try:
            params = prim.normalize_params({**given, **subs})
        except FJError as exc:
            self.problems.add(f"params of {jname}: {exc.message}", where)
            return None
        plain = {k: v for k, v in params.items() if k not in prim.sub_jaxprs}
        return Equation(prim, inputs, outputs, plain, {k: params[k] for k in prim.sub_jaxprs})

    # --- higher-order primitives -----------------------------------------------------------------

    def rule(self, cj: Any, where: str) -> ClosedJaxpr:
        """Convert a custom rule's jaxpr one custom-nesting level deeper."""
        return _Converter(self.problems, self.custom_depth + 1).closed(cj, where)

    def sub_jaxprs(
        self, name: str, prim: Primitive, jparams: dict[str, Any], where: str
    ) -> dict[str, ClosedJaxpr]:
        if name == "jit":
            return {"jaxpr": self.closed(jparams["jaxpr"], f"{where}.jaxpr")}
        if name == "custom_jvp_call":
            call = jparams["call_jaxpr"]
            nc = int(jparams["num_consts"])
            return {
                "call_jaxpr": self.closed(call, f"{where}.call_jaxpr"),
                "jvp_jaxpr": self.rule(
                    _custom_jvp_rule(call, nc, jparams["jvp_jaxpr_fun"]), f"{where}.jvp_jaxpr"
                ),
            }
        if name == "custom_vjp_call":
            call = jparams["call_jaxpr"]
            nc = int(jparams["num_consts"])
            fwd, bwd = _custom_vjp_rules(
                call, nc, jparams["fwd_jaxpr_thunk"], jparams["bwd"], jparams["out_trees"]
            )
            return {
                "call_jaxpr": self.closed(call, f"{where}.call_jaxpr"),
                "fwd_jaxpr": self.rule(fwd, f"{where}.fwd_jaxpr"),
                "bwd_jaxpr": self.rule(bwd, f"{where}.bwd_jaxpr"),
            }
        if prim.sub_jaxprs:
            raise OracleError("FJ-ORACLE-UNSUPPORTED", f"no conversion for the sub-jaxprs of {name}")
        return {}


#: JAX params consumed by the conversion of a higher-order primitive's rules.
_CONSUMED = {
    "custom_jvp_call": ("call_jaxpr", "jvp_jaxpr_fun"),
    "custom_vjp_call": ("call_jaxpr", "fwd_jaxpr_thunk", "bwd", "out_trees"),
}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _tangent_avals(jax: Any, avals: Sequence[Any]) -> list[Any]:
    return [a.to_tangent_aval() for a in avals]


def _zeros(jax: Any, aval: Any) -> Any:
    import jax.numpy as jnp

    if aval.dtype == jax.dtypes.float0:
        return np.zeros(aval.shape, jax.dtypes.float0)
    return jnp.zeros(aval.shape, aval.dtype)


def _custom_jvp_rule(call: Any, num_consts: int, jvp_jaxpr_fun: Any) -> Any:
    """``jvp_jaxpr``: non-const primals + every tangent -> primal outs + every tangent out."""
    jax = load_jax()
    from jax._src import core as jcore_src

    primal_avals = list(call.in_avals[num_consts:])
    tangent_avals = _tangent_avals(jax, primal_avals)
    out_avals = list(call.out_avals)
    n = len(primal_avals)
    jvp_jaxpr, jvp_consts, out_zeros = jvp_jaxpr_fun.call_wrapped(*([False] * n))

    def full(*xs: Any) -> tuple[Any, ...]:
        outs = jcore_src.eval_jaxpr(jvp_jaxpr, jvp_consts, *xs)
        m = len(out_zeros)
        primals_out, nz = outs[:m], iter(outs[m:])
        tangents_out = [
            _zeros(jax, a.to_tangent_aval()) if z else next(nz)
            for a, z in zip(out_avals, out_zeros, strict=True)
        ]
        return (*primals_out, *tangents_out)

    specs = [
        jax.ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type) for a in (*primal_avals, *tangent_avals)
    ]
    return jax.make_jaxpr(full)(*specs)


def _custom_vjp_rules(
    call: Any, num_consts: int, fwd_thunk: Any, bwd: Any, out_trees: Any
) -> tuple[Any, Any]:
    """``fwd_jaxpr`` (non-const primals -> residuals + outs) and ``bwd_jaxpr`` (residuals + cts -> cts)."""
    jax = load_jax()
    from jax._src import core as jcore_src
    from jax._src.ad_util import Zero as JaxZero

    primal_avals = list(call.in_avals[num_consts:])
    out_avals = list(call.out_avals)
    n = len(primal_avals)
    fwd_jaxpr, fwd_consts = fwd_thunk.call_wrapped(*([True] * n))

    def fwd_full(*xs: Any) -> tuple[Any, ...]:
        outs = jcore_src.eval_jaxpr(fwd_jaxpr, fwd_consts, *xs)
        _, res_tree, input_fwds = out_trees()
        num_res_out = res_tree.num_leaves - sum(f is not None for f in input_fwds)
        res_out, primals_out = list(outs[:num_res_out]), list(outs[num_res_out:])
        it = iter(res_out)
        res = []
        for f in input_fwds:
            if f is None:
                res.append(next(it))
            elif f < num_consts:  # a closed-over constant forwarded as a residual
                raise OracleError(
                    "FJ-ORACLE-UNSUPPORTED", "custom_vjp forwards a closed-over constant as a residual"
                )
            else:  # input_fwds index the call's inputs including its consts; the rule takes none
                res.append(xs[f - num_consts])
        return (*res, *primals_out)

    specs = [jax.ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type) for a in primal_avals]
    fwd_closed_jaxpr = jax.make_jaxpr(fwd_full)(*specs)
    res_avals = list(fwd_closed_jaxpr.out_avals[: len(fwd_closed_jaxpr.out_avals) - len(out_avals)])
    n_res = len(res_avals)

    def bwd_full(*xs: Any) -> tuple[Any, ...]:
        res, cts = xs[:n_res], xs[n_res:]
        cts_in = list(bwd.call_wrapped(*res, *cts))
        out = []
        for ct, aval in zip(cts_in, primal_avals, strict=True):
            if ct is None or isinstance(ct, JaxZero):
                out.append(_zeros(jax, aval.to_tangent_aval()))
            else:
                out.append(ct)
        return tuple(out)

    ct_avals = _tangent_avals(jax, out_avals)
    bwd_specs = [
        jax.ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type) for a in (*res_avals, *ct_avals)
    ]
    bwd_closed = jax.make_jaxpr(bwd_full)(*bwd_specs)
    return fwd_closed_jaxpr, bwd_closed


# --- to_jax ---------------------------------------------------------------------------------------------


_JAX_PRIMS: dict[str, Any] | None = None


def jax_primitives() -> dict[str, Any]:
    """JAX's primitives by name (only the modules the reference's families map to)."""
    global _JAX_PRIMS
    if _JAX_PRIMS is None:
        load_jax()
        from jax.extend import core as jcore

        found: dict[str, Any] = {}
        for mod_name in _JAX_PRIMITIVE_MODULES:
            try:
                mod = importlib.import_module(mod_name)
            except ImportError:  # pragma: no cover - a future JAX moving modules
                continue
            for value in vars(mod).values():
                if isinstance(value, jcore.Primitive):
                    found.setdefault(value.name, value)
        _JAX_PRIMS = found
    return _JAX_PRIMS


def _jax_param(jax: Any, prim: Primitive, key: str, value: Any) -> Any:
    """A canonical param value in the form JAX's primitive expects."""
    if value is None:
        return None
    if prim.name == "round" and key == "rounding_method":
        return jax.lax.RoundingMethod[value]
    if prim.name == "dot_general" and key == "precision":
        return tuple(None if p is None else jax.lax.Precision[p] for p in value)
    return value


def to_jax(closed: ClosedJaxpr) -> Callable[..., list[Any]]:
    """A JAX function (``*arrays -> list of arrays``) computing ``closed`` with lax primitives."""
    load_jax()

    def fn(*args: Any) -> list[Any]:
        return _eval(closed.jaxpr, closed.consts, args)

    return fn


def _literal(jax: Any, lit: Literal) -> Any:
    import jax.numpy as jnp
    from jax._src.lax import lax as lax_internal

    if lit.aval.dtype == dtypes.float0:
        return np.zeros(lit.aval.shape, jax.dtypes.float0)
    value = jnp.asarray(lit.value, dtype=lit.aval.dtype)
    if lit.aval.weak_type:
        value = lax_internal._convert_element_type(value, np.dtype(lit.aval.dtype), weak_type=True)
    return value


def _eval(jaxpr: Jaxpr, consts: Sequence[Any], args: Sequence[Any]) -> list[Any]:
    jax = load_jax()
    import jax.numpy as jnp

    env: dict[Var, Any] = {}

    def read(x: Any) -> Any:
        return _literal(jax, x) if isinstance(x, Literal) else env[x]

    for v, c in zip(jaxpr.constvars, consts, strict=True):
        env[v] = jnp.asarray(c) if np.asarray(c).dtype != dtypes.float0 else c
    for v, a in zip(jaxpr.invars, args, strict=True):
        env[v] = a
    for eqn in jaxpr.equations:
        invals = [read(x) for x in eqn.inputs]
        outs = _bind(jax, eqn, invals)
        for v, o in zip(eqn.outputs, outs, strict=True):
            env[v] = o
    return [read(x) for x in jaxpr.outvars]


def _named(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    fn.__name__ = name
    fn.__qualname__ = name
    return fn


def _bind(jax: Any, eqn: Equation, invals: list[Any]) -> list[Any]:
    name = eqn.primitive.name
    if name == "jit":
        body = eqn.sub_jaxprs["jaxpr"]
        inner = _named(lambda *xs: tuple(_eval(body.jaxpr, body.consts, xs)), eqn.params["name"])
        return list(jax.jit(inner)(*invals))
    if name == "custom_jvp_call":
        return _bind_custom_jvp(jax, eqn, invals)
    if name == "custom_vjp_call":
        return _bind_custom_vjp(jax, eqn, invals)
    jprim = jax_primitives().get(name)
    if jprim is None or name in NOT_JAX_PRIMITIVES:
        raise OracleError("FJ-ORACLE-UNSUPPORTED", f"'{name}' is not a JAX primitive; to_jax cannot bind it")
    params = {k: _jax_param(jax, eqn.primitive, k, v) for k, v in eqn.params.items()}
    params.update({k: v for k, v in JAX_DEFAULT_PARAMS.get(name, {}).items() if k not in params})
    out = jprim.bind(*invals, **params)
    return list(out) if jprim.multiple_results else [out]


#: Params JAX requires that the reference does not declare (filled back by :func:`to_jax`).
JAX_DEFAULT_PARAMS: dict[str, dict[str, Any]] = {}


def _bind_custom_jvp(jax: Any, eqn: Equation, invals: list[Any]) -> list[Any]:
    nc = eqn.params["num_consts"]
    call, rule = eqn.sub_jaxprs["call_jaxpr"], eqn.sub_jaxprs["jvp_jaxpr"]
    consts, args = invals[:nc], invals[nc:]
    m = len(call.out_avals)

    def body(*xs: Any) -> tuple[Any, ...]:
        return tuple(_eval(call.jaxpr, call.consts, [*consts, *xs]))

    f = jax.custom_jvp(body)

    def jvp(primals: Any, tangents: Any) -> Any:
        outs = _eval(rule.jaxpr, rule.consts, [*primals, *tangents])
        return tuple(outs[:m]), tuple(outs[m:])

    f.defjvp(jvp, symbolic_zeros=False)
    return list(f(*args))


def _bind_custom_vjp(jax: Any, eqn: Equation, invals: list[Any]) -> list[Any]:
    nc = eqn.params["num_consts"]
    call, fwd_j, bwd_j = (eqn.sub_jaxprs[k] for k in ("call_jaxpr", "fwd_jaxpr", "bwd_jaxpr"))
    consts, args = invals[:nc], invals[nc:]
    m = len(call.out_avals)
    n_res = len(fwd_j.out_avals) - m

    def body(*xs: Any) -> tuple[Any, ...]:
        return tuple(_eval(call.jaxpr, call.consts, [*consts, *xs]))

    f = jax.custom_vjp(body)

    def fwd(*xs: Any) -> Any:
        outs = _eval(fwd_j.jaxpr, fwd_j.consts, xs)
        return tuple(outs[n_res:]), tuple(outs[:n_res])

    def bwd(res: Any, cts: Any) -> Any:
        return tuple(_eval(bwd_j.jaxpr, bwd_j.consts, [*res, *cts]))

    f.defvjp(fwd, bwd)
    return list(f(*args))
