"""The public transforms: ``jit``, ``grad``, ``vmap``, ``jvp``, ``vjp`` and friends.

Each is a thin layer over a flat interpreter (``jvp_flat``, ``linearize_flat``
+ ``backward_pass``, ``vmap_flat``, ``trace_to_jaxpr``): it flattens pytrees,
checks arguments the way JAX checks them (with typed errors carrying the same
meaning as JAX's), runs the interpreter and rebuilds the output tree. Because
the interpreters only ever ``bind`` primitives, the transforms compose to any
depth and in any order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import frankenjax_ref.primitives  # noqa: F401  (fills the rule tables)
from frankenjax_ref import lax as flax
from frankenjax_ref.core import dtypes
from frankenjax_ref.core.avals import ShapedArray, get_aval, tangent_aval
from frankenjax_ref.core.ir import ClosedJaxpr
from frankenjax_ref.errors import PrimitiveError, TransformError
from frankenjax_ref.interpreters.ad_util import Zero, instantiate, zeros_like_aval
from frankenjax_ref.interpreters.batching import vmap_flat
from frankenjax_ref.interpreters.core import Tracer
from frankenjax_ref.interpreters.eval import eval_jaxpr, eval_jaxpr_raw
from frankenjax_ref.interpreters.jvp import jvp_flat
from frankenjax_ref.interpreters.partial_eval import linearize_flat
from frankenjax_ref.interpreters.tracing import hoist_tracer_consts, trace_to_jaxpr
from frankenjax_ref.interpreters.transpose import UndefPrimal, backward_pass
from frankenjax_ref.primitives.jit import jit_call
from frankenjax_ref.tree import PyTreeDef, broadcast_prefix, flatten_as, tree_flatten, tree_unflatten

__all__ = [
    "eval_jaxpr",
    "grad",
    "hessian",
    "jacfwd",
    "jacrev",
    "jit",
    "jvp",
    "linearize",
    "make_jaxpr",
    "value_and_grad",
    "vjp",
    "vmap",
]


# --- flattening ---------------------------------------------------------------------------------


class _OutTree:
    """Where a flattened function leaves its output structure."""

    def __init__(self) -> None:
        self.treedef: PyTreeDef | None = None

    def get(self) -> PyTreeDef:
        assert self.treedef is not None, "the function was not called"
        return self.treedef


def _flatten_fun(f: Callable[..., Any], in_tree: PyTreeDef) -> tuple[Callable[..., list[Any]], _OutTree]:
    store = _OutTree()

    def flat_f(*flat_args: Any) -> list[Any]:
        args = tree_unflatten(in_tree, flat_args)
        out = f(*args)
        leaves, store.treedef = tree_flatten(out)
        for leaf in leaves:
            _check_array(leaf, "output")
        return leaves

    return flat_f, store


def _check_array(x: Any, what: str) -> ShapedArray:
    try:
        return get_aval(x)
    except PrimitiveError:
        raise TransformError(
            "FJ-TRANSFORM-TYPE", f"{what} of type {type(x).__name__} is not a valid array value"
        ) from None


def _as_value(x: Any) -> Any:
    """Inputs: keep tracers and Python scalars (weak), turn lists into arrays."""
    if isinstance(x, (Tracer, np.ndarray, np.generic)) or dtypes.is_python_scalar(x):
        return x
    _check_array(x, "argument")
    return x


def _argnums_tuple(argnums: int | Sequence[int], nargs: int) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for n in nums:
        if not isinstance(n, int) or not -nargs <= n < nargs:
            raise TransformError(
                "FJ-TRANSFORM-ARGNUMS",
                f"argnums {argnums!r} out of range for a function called with {nargs} arguments",
            )
    return tuple(n % nargs for n in nums)


def _partial_args(f: Callable[..., Any], args: Sequence[Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
    """``f`` as a function of only ``args[argnums]``, the rest fixed."""

    def f_dyn(*dyn: Any) -> Any:
        full = list(args)
        for n, v in zip(argnums, dyn, strict=True):
            full[n] = v
        return f(*full)

    return f_dyn


# --- jvp, linearize, vjp --------------------------------------------------------------------------


def _check_tangent(primal: Any, tangent: Any, i: int) -> Any:
    p, t = get_aval(primal), _check_array(tangent, "tangent")
    expected = tangent_aval(p)
    if t.shape != p.shape:
        raise TransformError(
            "FJ-TRANSFORM-SHAPE", f"jvp: primal and tangent {i} have different shapes {p.shape} and {t.shape}"
        )
    if t.dtype != expected.dtype:
        raise TransformError(
            "FJ-TRANSFORM-TYPE",
            f"jvp: primal dtype {dtypes.name_of(p.dtype)} needs a tangent of dtype "
            f"{dtypes.name_of(expected.dtype)}, got {dtypes.name_of(t.dtype)} (argument {i})",
        )
    return Zero(expected) if expected.dtype == dtypes.float0 else tangent


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any], has_aux: bool = False) -> Any:
    """Forward mode: ``(f(*primals), J f(primals) @ tangents)``."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TransformError("FJ-TRANSFORM-TREE", "jvp primals and tangents must be tuples or lists")
    flat_primals, in_tree = tree_flatten(tuple(primals))
    flat_tangents = flatten_as(in_tree, tuple(tangents), "tangents")
    flat_primals = [_as_value(x) for x in flat_primals]
    flat_tangents = [
        _check_tangent(p, t, i) for i, (p, t) in enumerate(zip(flat_primals, flat_tangents, strict=True))
    ]
    flat_f, out_tree = _flatten_fun(f, in_tree)
    primals_out, tangents_out = jvp_flat(flat_f, flat_primals, flat_tangents)
    tangents_out = [instantiate(t) for t in tangents_out]
    treedef = out_tree.get()
    out_p, out_t = tree_unflatten(treedef, primals_out), tree_unflatten(treedef, tangents_out)
    if has_aux:
        (p, aux), (t, _) = _aux_pair(out_p), _aux_pair(out_t)
        return p, t, aux
    return out_p, out_t


def _aux_pair(out: Any) -> tuple[Any, Any]:
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TransformError(
            "FJ-TRANSFORM-HAS-AUX", "a function with has_aux=True must return a (value, aux) pair"
        )
    return out[0], out[1]


def linearize(f: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[..., Any]]:
    """``(f(*primals), f_jvp)`` where ``f_jvp`` is the linear map, evaluated without re-running ``f``."""
    flat_primals, in_tree = tree_flatten(primals)
    flat_primals = [_as_value(x) for x in flat_primals]
    flat_f, out_tree = _flatten_fun(f, in_tree)
    lin = linearize_flat(flat_f, flat_primals)
    treedef = out_tree.get()

    def f_jvp(*tangents: Any) -> Any:
        flat_t = flatten_as(in_tree, tangents, "tangents")
        checked = [_check_tangent(p, t, i) for i, (p, t) in enumerate(zip(flat_primals, flat_t, strict=True))]
        outs = eval_jaxpr_raw(lin.jaxpr, lin.consts, [instantiate(checked[i]) for i in lin.diff_positions])
        return tree_unflatten(treedef, outs)

    return tree_unflatten(treedef, lin.primals_out), f_jvp


def vjp(f: Callable[..., Any], *primals: Any, has_aux: bool = False) -> Any:
    """``(f(*primals), f_vjp)``; ``f_vjp(ct)`` returns one cotangent per primal argument."""
    flat_primals, in_tree = tree_flatten(primals)
    flat_primals = [_as_value(x) for x in flat_primals]
    flat_f, out_tree = _flatten_fun(f, in_tree)
    lin = linearize_flat(flat_f, flat_primals)
    treedef = out_tree.get()
    outs = tree_unflatten(treedef, lin.primals_out)
    aux = None
    main_tree = treedef
    if has_aux:
        out_value, aux = _aux_pair(outs)
        _, main_tree = tree_flatten(out_value)
        outs = out_value
    n_main = main_tree.num_leaves
    out_avals = [get_aval(x) for x in lin.primals_out]

    def f_vjp(ct: Any) -> tuple[Any, ...]:
        flat_ct = flatten_as(main_tree, ct, "cotangent")
        cts: list[Any] = []
        for i, (c, a) in enumerate(zip(flat_ct, out_avals[:n_main], strict=True)):
            expected = tangent_aval(a)
            got = _check_array(c, "cotangent")
            if got.shape != expected.shape or got.dtype != expected.dtype:
                raise TransformError(
                    "FJ-TRANSFORM-TYPE",
                    f"vjp: cotangent {i} is {got.str_short()}, expected {expected.str_short()}",
                )
            cts.append(Zero(expected) if expected.dtype == dtypes.float0 else c)
        cts += [Zero(tangent_aval(a)) for a in out_avals[n_main:]]
        undefined = [UndefPrimal(tangent_aval(lin.in_avals[i])) for i in lin.diff_positions]
        diff_cts = backward_pass(lin.jaxpr, lin.consts, undefined, cts)
        diff = dict(zip(lin.diff_positions, diff_cts, strict=True))
        per_input = [
            instantiate(diff[i]) if i in diff else zeros_like_aval(tangent_aval(a))
            for i, a in enumerate(lin.in_avals)
        ]
        return tuple(tree_unflatten(in_tree, per_input))

    return (outs, f_vjp, aux) if has_aux else (outs, f_vjp)


# --- grad -------------------------------------------------------------------------------------------


def _check_grad_input(x: Any, holomorphic: bool, allow_int: bool) -> None:
    """JAX's ``_check_input_dtype_revderiv``: real or complex inputs; ints only with ``allow_int``."""
    d = get_aval(x).dtype
    if holomorphic and not dtypes.is_complex(d):
        raise TransformError(
            "FJ-GRAD-INPUT-DTYPE",
            f"grad with holomorphic=True requires inputs with complex dtype, but got {dtypes.name_of(d)}.",
        )
    if dtypes.is_inexact(d) or allow_int:
        return
    raise TransformError(
        "FJ-GRAD-INPUT-DTYPE",
        f"grad requires real- or complex-valued inputs (input dtype that is a sub-dtype of np.inexact), "
        f"but got {dtypes.name_of(d)}. If you want to use Boolean- or integer-valued inputs, use vjp or "
        "set allow_int to True.",
    )


def _check_grad_output(out: Any, holomorphic: bool) -> ShapedArray:
    leaves, treedef = tree_flatten(out)
    if treedef.kind != "leaf":
        raise TransformError(
            "FJ-GRAD-NONSCALAR", f"Gradient only defined for scalar-output functions. Output was {treedef}."
        )
    aval = get_aval(leaves[0])
    if aval.shape != ():
        raise TransformError(
            "FJ-GRAD-NONSCALAR",
            f"Gradient only defined for scalar-output functions. Output had shape: {aval.shape}.",
        )
    ok = dtypes.is_inexact(aval.dtype) if holomorphic else dtypes.is_float(aval.dtype)
    if not ok:
        raise TransformError(
            "FJ-GRAD-OUTPUT-DTYPE",
            f"grad requires real-valued outputs (output dtype that is a sub-dtype of np.floating), but got "
            f"{dtypes.name_of(aval.dtype)}. For holomorphic differentiation, pass holomorphic=True.",
        )
    return aval


def value_and_grad(
    f: Callable[..., Any],
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
    allow_int: bool = False,
) -> Callable[..., Any]:
    """``(f(*args), grad f(*args))``; with ``has_aux``: ``((value, aux), grad)``."""

    @functools.wraps(f)
    def value_and_grad_f(*args: Any) -> Any:
        nums = _argnums_tuple(argnums, len(args))
        dyn = [args[n] for n in nums]
        for leaf in tree_flatten(dyn)[0]:
            _check_grad_input(leaf, holomorphic, allow_int)
        f_dyn = _partial_args(f, args, nums)
        if has_aux:
            out, f_vjp, aux = vjp(f_dyn, *dyn, has_aux=True)
        else:
            out, f_vjp = vjp(f_dyn, *dyn)
        aval = _check_grad_output(out, holomorphic)
        grads = f_vjp(flax.full((), 1, aval.dtype, weak_type=aval.weak_type))  # JAX's _one(ans)
        g = grads[0] if isinstance(argnums, int) else tuple(grads)
        return ((out, aux), g) if has_aux else (out, g)

    return value_and_grad_f


def grad(
    f: Callable[..., Any],
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
    allow_int: bool = False,
) -> Callable[..., Any]:
    """The gradient of a scalar-valued ``f`` with respect to ``args[argnums]``."""
    vg = value_and_grad(f, argnums, has_aux, holomorphic, allow_int)

    @functools.wraps(f)
    def grad_f(*args: Any) -> Any:
        if has_aux:
            (_, aux), g = vg(*args)
            return g, aux
        return vg(*args)[1]

    return grad_f


# --- vmap ---------------------------------------------------------------------------------------------


def _mapped_size(flat_args: list[Any], in_dims: list[int | None], axis_size: int | None) -> int:
    sizes = {get_aval(x).shape[d] for x, d in zip(flat_args, in_dims, strict=True) if d is not None}
    if len(sizes) > 1:
        raise TransformError(
            "FJ-VMAP-SIZE", f"vmap got inconsistent sizes for array axes to be mapped: {sorted(sizes)}"
        )
    if not sizes:
        if axis_size is None:
            raise TransformError(
                "FJ-VMAP-SIZE", "vmap must have at least one non-None value in in_axes (or pass axis_size)"
            )
        return axis_size
    (size,) = sizes
    if axis_size is not None and axis_size != size:
        raise TransformError("FJ-VMAP-SIZE", f"axis_size={axis_size} disagrees with the mapped size {size}")
    return size


def _normalize_axis(axis: int | None, ndim: int, what: str) -> int | None:
    if axis is None:
        return None
    if not -ndim <= axis < ndim:
        raise TransformError(
            "FJ-VMAP-AXES",
            f"vmap was requested to map its {what} along axis {axis}, which implies that its rank should be "
            f"at least {axis + 1 if axis >= 0 else -axis}, but is only {ndim}",
        )
    return axis % ndim


def vmap(
    f: Callable[..., Any], in_axes: Any = 0, out_axes: Any = 0, axis_size: int | None = None
) -> Callable[..., Any]:
    """Map ``f`` over an axis of its arguments (``in_axes``), stacking results on ``out_axes``."""

    @functools.wraps(f)
    def vmapped(*args: Any) -> Any:
        flat_args, in_tree = tree_flatten(args)
        flat_args = [_as_value(x) for x in flat_args]
        prefix = tuple(in_axes) if isinstance(in_axes, list) else in_axes
        if isinstance(prefix, tuple) and len(prefix) != len(args):
            raise TransformError(
                "FJ-VMAP-AXES",
                "vmap in_axes must be an int, None, or a tuple of entries corresponding to the positional "
                f"arguments passed to the function, but got len(in_axes)={len(prefix)}, "
                f"len(args)={len(args)}",
            )
        raw = broadcast_prefix(prefix, in_tree, "in_axes")
        dims = [_normalize_axis(d, get_aval(x).ndim, "argument") for x, d in zip(flat_args, raw, strict=True)]
        size = _mapped_size(flat_args, dims, axis_size)
        flat_f, out_tree = _flatten_fun(f, in_tree)
        vals = vmap_flat(
            flat_f, size, flat_args, dims, lambda n: broadcast_prefix(out_axes, out_tree.get(), "out_axes")
        )
        return tree_unflatten(out_tree.get(), vals)

    return vmapped


# --- jit ------------------------------------------------------------------------------------------------


class _JitCacheEntry:
    __slots__ = ("closed", "out_tree")

    def __init__(self, closed: ClosedJaxpr, out_tree: PyTreeDef):
        self.closed = closed
        self.out_tree = out_tree


class Jitted:
    """A staged function: traced to a jaxpr once per argument signature, then reused.

    Every call records a ``cache_hit`` or ``cache_miss`` decision in the
    default ledger (see :mod:`frankenjax_ref.ledger`).
    """

    def __init__(self, f: Callable[..., Any], static_argnums: tuple[int, ...], name: str):
        self.f = f
        self.static_argnums = static_argnums
        self.name = name
        self.cache: dict[Any, _JitCacheEntry] = {}
        functools.update_wrapper(self, f, updated=())

    def _signature(self, args: Sequence[Any]) -> tuple[list[Any], PyTreeDef, tuple[Any, ...], Any]:
        static = tuple((n, args[n]) for n in self.static_argnums)
        dyn = [a for i, a in enumerate(args) if i not in self.static_argnums]
        flat, in_tree = tree_flatten(tuple(dyn))
        flat = [_as_value(x) for x in flat]
        avals = tuple(get_aval(x) for x in flat)
        return flat, in_tree, avals, static

    def trace(self, *args: Any) -> tuple[ClosedJaxpr, PyTreeDef]:
        """Stage the function for these arguments (no caching, no call)."""
        _, in_tree, avals, static = self._signature(args)
        return self._trace(in_tree, avals, static)

    def _trace(
        self, in_tree: PyTreeDef, avals: tuple[ShapedArray, ...], static: Any
    ) -> tuple[ClosedJaxpr, PyTreeDef]:
        static_map = dict(static)

        def f_dyn(*dyn: Any) -> Any:
            it = iter(dyn)
            n = len(dyn) + len(static_map)
            return self.f(*(static_map[i] if i in static_map else next(it) for i in range(n)))

        flat_f, out_tree = _flatten_fun(f_dyn, in_tree)
        closed = trace_to_jaxpr(flat_f, list(avals))
        return closed, out_tree.get()

    def __call__(self, *args: Any) -> Any:
        from frankenjax_ref import ledger

        nums = _argnums_tuple(self.static_argnums, len(args)) if self.static_argnums else ()
        if nums != self.static_argnums:
            self.static_argnums = nums
        flat, in_tree, avals, static = self._signature(args)
        key = (in_tree, avals, static)
        entry = self.cache.get(key)
        if entry is None:
            closed, out_tree = self._trace(in_tree, avals, static)
            closed, hoisted = hoist_tracer_consts(closed)
            if not hoisted:
                self.cache[key] = _JitCacheEntry(closed, out_tree)
            ledger.record_jit_cache(self.name, hit=False, cacheable=not hoisted, signature=_describe(avals))
        else:
            closed, out_tree, hoisted = entry.closed, entry.out_tree, []
            ledger.record_jit_cache(self.name, hit=True, cacheable=True, signature=_describe(avals))
        outs = jit_call(closed, [*hoisted, *flat], self.name)
        return tree_unflatten(out_tree, outs)

    def cache_size(self) -> int:
        return len(self.cache)


def _describe(avals: Sequence[ShapedArray]) -> str:
    return "(" + ", ".join(a.str_short() for a in avals) + ")"


def jit(f: Callable[..., Any], static_argnums: int | Sequence[int] = ()) -> Jitted:
    """Stage ``f`` into a ``jit`` equation; traced once per argument signature."""
    nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    return Jitted(f, nums, getattr(f, "__name__", "jit"))


def make_jaxpr(f: Callable[..., Any], static_argnums: int | Sequence[int] = ()) -> Callable[..., ClosedJaxpr]:
    """``make_jaxpr(f)(*args)``: the closed jaxpr of ``f`` at these arguments' avals."""
    staged = jit(f, static_argnums)

    def make(*args: Any) -> ClosedJaxpr:
        return staged.trace(*args)[0]

    return make


# --- jacobians ------------------------------------------------------------------------------------------


def _std_basis(leaves: list[Any]) -> tuple[int, list[Any]]:
    """One-hot tangents for every scalar of ``leaves``, stacked on a leading axis."""
    sizes = [get_aval(x).size for x in leaves]
    total = int(sum(sizes))
    basis = []
    start = 0
    for x, n in zip(leaves, sizes, strict=True):
        aval = get_aval(x)
        eye = np.zeros((total, n), dtype=aval.dtype)
        eye[np.arange(start, start + n), np.arange(n)] = 1
        basis.append(eye.reshape((total, *aval.shape)))
        start += n
    return total, basis


def _jac_tree(
    jac_leaves: list[Any],
    out_tree: PyTreeDef,
    out_avals: list[ShapedArray],
    in_tree: PyTreeDef,
    in_avals: list[ShapedArray],
    stacked_in_front: bool,
) -> Any:
    """Rearrange flat jacobian blocks into JAX's nesting: out structure of in structure.

    Blocks are ``(total_in, *out_shape)`` (forward mode) or ``(out_size, total_in)``
    (reverse mode); each (output, input) pair becomes ``out_shape + in_shape``.
    """
    from frankenjax_ref import lax as flax

    in_sizes = [a.size for a in in_avals]
    out_sizes = [a.size for a in out_avals]
    per_out = []
    for oi, block in enumerate(jac_leaves):
        oa = out_avals[oi]
        entries = []
        offset = 0
        for ia, n in zip(in_avals, in_sizes, strict=True):
            if stacked_in_front:
                # block: (sum_in, *out_shape) -> (out_shape..., in_shape...)
                part = flax.slice(block, (offset,) + (0,) * oa.ndim, (offset + n, *oa.shape))
                part = flax.reshape(part, (n, oa.size))
                part = flax.transpose(part, (1, 0))
            else:
                # block: (out_size, sum_in flattened per input)
                part = flax.slice(block, (0, offset), (out_sizes[oi], offset + n))
            entries.append(flax.reshape(part, (*oa.shape, *ia.shape)))
            offset += n
        per_out.append(tree_unflatten(in_tree, entries))
    return tree_unflatten(out_tree, per_out)


def _check_jac_inputs(leaves: list[Any], name: str) -> None:
    for x in leaves:
        d = get_aval(x).dtype
        if not dtypes.is_inexact(d):
            raise TransformError(
                "FJ-GRAD-INPUT-DTYPE",
                f"{name} requires real- or complex-valued inputs (input dtype that is a sub-dtype of "
                f"np.inexact), but got {dtypes.name_of(d)}.",
            )


def _flat_dyn(f: Callable[..., Any], args: Sequence[Any], argnums: int | Sequence[int]) -> Any:
    """``f`` as a function of the leaves of ``args[argnums]``; also those leaves and their tree."""
    nums = _argnums_tuple(argnums, len(args))
    dyn = tuple(args[n] for n in nums)
    dyn_arg = dyn[0] if isinstance(argnums, int) else dyn
    in_leaves, in_tree = tree_flatten(dyn_arg)
    f_dyn = _partial_args(f, args, nums)

    def flat_in(*xs: Any) -> Any:
        rebuilt = tree_unflatten(in_tree, xs)
        return f_dyn(rebuilt) if isinstance(argnums, int) else f_dyn(*rebuilt)

    return flat_in, [_as_value(x) for x in in_leaves], in_tree


def jacfwd(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """Jacobian by forward mode: a vmapped JVP over the standard basis of the inputs."""

    def jacfun(*args: Any) -> Any:
        flat_in, in_leaves, in_tree = _flat_dyn(f, args, argnums)
        _check_jac_inputs(in_leaves, "jacfwd")
        _, basis = _std_basis(in_leaves)

        def pushfwd(*tangents: Any) -> Any:
            return jvp(flat_in, tuple(in_leaves), tuple(tangents))[1]

        jac_leaves, out_tree = tree_flatten(vmap(pushfwd)(*basis))
        out_avals = [get_aval(j).update(shape=get_aval(j).shape[1:]) for j in jac_leaves]
        in_avals = [get_aval(x) for x in in_leaves]
        return _jac_tree(jac_leaves, out_tree, out_avals, in_tree, in_avals, stacked_in_front=True)

    return jacfun


def jacrev(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """Jacobian by reverse mode: a vmapped VJP over the standard basis of the outputs."""
    from frankenjax_ref import lax as flax

    def jacfun(*args: Any) -> Any:
        flat_in, in_leaves, in_tree = _flat_dyn(f, args, argnums)
        _check_jac_inputs(in_leaves, "jacrev")
        y, pullback = vjp(flat_in, *in_leaves)
        out_leaves, out_tree = tree_flatten(y)
        total, basis = _std_basis(out_leaves)
        grads = vmap(lambda *cts: pullback(tree_unflatten(out_tree, list(cts))))(*basis)
        in_avals = [get_aval(x) for x in in_leaves]
        out_avals = [get_aval(x) for x in out_leaves]
        # a (total_out, total_in) matrix, cut into one block of rows per output
        cols = [flax.reshape(g, (total, a.size)) for g, a in zip(grads, in_avals, strict=True)]
        matrix = cols[0] if len(cols) == 1 else flax.concatenate(cols, 1)
        total_in = sum(a.size for a in in_avals)
        blocks, row = [], 0
        for a in out_avals:
            blocks.append(flax.slice(matrix, (row, 0), (row + a.size, total_in)))
            row += a.size
        return _jac_tree(blocks, out_tree, out_avals, in_tree, in_avals, stacked_in_front=False)

    return jacfun


def hessian(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """``jacfwd(jacrev(f))``, as in JAX."""
    return jacfwd(jacrev(f, argnums), argnums)
