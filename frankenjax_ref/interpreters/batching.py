"""Vectorization: the batching interpreter behind ``vmap``.

A :class:`BatchTracer` is a value with one extra axis, ``batch_dim`` (or
``None`` when the value is the same for every example). Each primitive's
entry in :data:`batch_rules` maps ``(axis_size, vals, dims, **params)`` to
``(out, out_dim)`` (lists for multiple results). Family helpers mirror
``jax/_src/interpreters/batching.py``: :func:`defvectorized` for unary
elementwise primitives, :func:`defbroadcasting` for n-ary elementwise ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from frankenjax_ref.core.avals import ShapedArray, get_aval
from frankenjax_ref.core.ir import ClosedJaxpr
from frankenjax_ref.core.primitive import Primitive, rule
from frankenjax_ref.interpreters.core import (
    Trace,
    Tracer,
    bind_eqn_list,
    bind_normalized,
    full_lower,
    full_raise,
    new_main,
)

BatchRule = Callable[..., tuple[Any, Any]]
batch_rules: dict[Primitive, BatchRule] = {}

not_mapped = None


class BatchTracer(Tracer):
    __slots__ = ("_trace", "batch_dim", "val")

    def __init__(self, trace: Trace, val: Any, batch_dim: int | None):
        self._trace = trace
        self.val = val
        self.batch_dim = batch_dim

    @property
    def aval(self) -> ShapedArray:
        aval = get_aval(self.val)
        if self.batch_dim is None:
            return aval
        shape = list(aval.shape)
        del shape[self.batch_dim]
        return aval.update(shape=tuple(shape))

    def full_lower(self) -> Any:
        if self.batch_dim is None:
            return full_lower(self.val)
        return self


class BatchTrace(Trace):
    @property
    def axis_size(self) -> int:
        return self.main.global_data

    def pure(self, val: Any) -> BatchTracer:
        return BatchTracer(self, val, not_mapped)

    lift = pure

    def process_primitive(
        self, primitive: Primitive, tracers: list[Any], params: dict[str, Any]
    ) -> list[Any]:
        vals = [t.val for t in tracers]
        dims = [t.batch_dim for t in tracers]
        if all(d is None for d in dims):
            outs = bind_eqn_list(primitive, vals, params)
            return [BatchTracer(self, o, not_mapped) for o in outs]
        batch = rule(batch_rules, primitive, "batch")
        outs, out_dims = batch(self.axis_size, vals, dims, **params)
        if not primitive.multiple_results:
            outs, out_dims = [outs], [out_dims]
        return [BatchTracer(self, o, d) for o, d in zip(outs, out_dims, strict=True)]


# --- axis helpers (used by rules) ---------------------------------------------


def moveaxis(x: Any, src: int, dst: int) -> Any:
    if src == dst:
        return x
    from frankenjax_ref.primitives import shape as lax

    ndim = get_aval(x).ndim
    perm = [i for i in range(ndim) if i != src]
    perm.insert(dst, src)
    return lax.transpose(x, tuple(perm))


def broadcast_axis(x: Any, size: int, axis: int) -> Any:
    """Insert a new axis of ``size`` at ``axis`` (values repeated)."""
    from frankenjax_ref.primitives import shape as lax

    aval = get_aval(x)
    shape = list(aval.shape)
    shape.insert(axis, size)
    dims = tuple(i for i in range(len(shape)) if i != axis)
    return lax.broadcast_in_dim(x, tuple(shape), dims)


def matchaxis(size: int, src: int | None, dst: int | None, x: Any) -> Any:
    """Put the batch axis of ``x`` (or a broadcast one, if unbatched) at ``dst``."""
    if dst is None:
        if src is not None:
            from frankenjax_ref.errors import TransformError

            raise TransformError("FJ-VMAP-AXES", "a mapped value cannot be returned with out_axes=None")
        return x
    if src is None:
        return broadcast_axis(x, size, dst)
    return moveaxis(x, src, dst)


def bdim_at_front(size: int, x: Any, dim: int | None) -> Any:
    return matchaxis(size, dim, 0, x)


# --- rule helpers ---------------------------------------------------------------


def _vectorized_batcher(
    primitive: Primitive, size: int, vals: Sequence[Any], dims: Sequence[int | None], **params: Any
) -> tuple[Any, Any]:
    (x,), (d,) = vals, dims
    return bind_normalized(primitive, [x], params), d


def defvectorized(primitive: Primitive) -> None:
    """A unary elementwise primitive: batch dim passes straight through."""
    batch_rules[primitive] = partial(_vectorized_batcher, primitive)


def broadcast_batcher_args(size: int, vals: Sequence[Any], dims: Sequence[int | None]) -> list[Any]:
    """Align operands of an elementwise primitive with the batch axis in front.

    Lax elementwise primitives accept equal-rank operands with size-1
    broadcasting, plus rank-0 operands. Batched operands get the batch axis at
    0; unbatched non-scalars get a leading size-1 axis; a batched per-example
    scalar is reshaped to ``(size, 1, ..., 1)`` when other operands have rank.
    """
    from frankenjax_ref.primitives import shape as lax

    ranks = [get_aval(v).ndim - (d is not None) for v, d in zip(vals, dims, strict=True)]
    rank = max(ranks)
    out = []
    for v, d, r in zip(vals, dims, ranks, strict=True):
        if d is None:
            out.append(v if r == 0 else lax.expand_dims(v, (0,)))
        else:
            v = moveaxis(v, d, 0)
            if r < rank:
                v = lax.reshape(v, (size,) + (1,) * rank)
            out.append(v)
    return out


def _broadcasting_batcher(
    primitive: Primitive, size: int, vals: Sequence[Any], dims: Sequence[int | None], **params: Any
) -> tuple[Any, Any]:
    shapes = {(get_aval(v).shape, d) for v, d in zip(vals, dims, strict=True)}
    if len(shapes) == 1 and None not in dims:
        # all operands have the same shape and batch dim: nothing to move
        out = bind_eqn_list(primitive, list(vals), params)
        d = dims[0]
    else:
        out = bind_eqn_list(primitive, broadcast_batcher_args(size, vals, dims), params)
        d = 0
    if primitive.multiple_results:
        return out, [d] * len(out)
    return out[0], d


def defbroadcasting(primitive: Primitive) -> None:
    """An n-ary elementwise primitive with lax's broadcasting."""
    batch_rules[primitive] = partial(_broadcasting_batcher, primitive)


# --- vmap of flat functions and of jaxprs ---------------------------------------


def batch_trace(
    f: Callable[..., Sequence[Any]], axis_size: int, args: Sequence[Any], in_dims: Sequence[int | None]
) -> tuple[list[Any], list[int | None]]:
    """Run flat ``f`` under a new batch trace; the outputs' values and batch dims."""
    with new_main(BatchTrace, axis_size) as main:
        trace = BatchTrace(main)
        tracers_in = [
            BatchTracer(trace, x, d) if d is not None else x for x, d in zip(args, in_dims, strict=True)
        ]
        outs = f(*tracers_in)
        tracers_out = [full_raise(trace, o) for o in outs]
        return [t.val for t in tracers_out], [t.batch_dim for t in tracers_out]


def vmap_flat(
    f: Callable[..., Sequence[Any]],
    axis_size: int,
    args: Sequence[Any],
    in_dims: Sequence[int | None],
    out_dims: Callable[[int], Sequence[int | None]],
) -> list[Any]:
    """Run flat ``f`` batched; ``out_dims(n_outputs)`` places each output's batch axis."""
    vals, dims = batch_trace(f, axis_size, args, in_dims)
    targets = [
        _resolve_out_axis(t, get_aval(v).ndim - (d is not None))
        for v, d, t in zip(vals, dims, out_dims(len(vals)), strict=True)
    ]
    return [matchaxis(axis_size, d, t, v) for v, d, t in zip(vals, dims, targets, strict=True)]


def _resolve_out_axis(axis: int | None, example_rank: int) -> int | None:
    """A negative ``out_axes`` entry counts from the end of the batched output."""
    if axis is None or axis >= 0:
        if axis is not None and axis > example_rank:
            from frankenjax_ref.errors import TransformError

            raise TransformError(
                "FJ-VMAP-AXES", f"out_axes {axis} out of range for an output of rank {example_rank}"
            )
        return axis
    if axis < -(example_rank + 1):
        from frankenjax_ref.errors import TransformError

        raise TransformError(
            "FJ-VMAP-AXES", f"out_axes {axis} out of range for an output of rank {example_rank}"
        )
    return axis + example_rank + 1


def vmap_jaxpr(
    closed: ClosedJaxpr, axis_size: int, in_dims: Sequence[int | None]
) -> tuple[ClosedJaxpr, list[int | None]]:
    """The batched version of ``closed``: batched outputs at axis 0, others unbatched."""
    from frankenjax_ref.interpreters.eval import eval_jaxpr_raw
    from frankenjax_ref.interpreters.tracing import trace_to_jaxpr

    in_avals = []
    for aval, d in zip(closed.in_avals, in_dims, strict=True):
        if d is None:
            in_avals.append(aval)
        else:
            shape = list(aval.shape)
            shape.insert(d, axis_size)
            in_avals.append(aval.update(shape=tuple(shape)))
    out_batched: list[int | None] = []

    def fun(*args: Any) -> list[Any]:
        vals, dims = batch_trace(
            lambda *xs: eval_jaxpr_raw(closed.jaxpr, closed.consts, xs), axis_size, args, in_dims
        )
        out_batched[:] = [None if d is None else 0 for d in dims]
        return [v if d is None else moveaxis(v, d, 0) for v, d in zip(vals, dims, strict=True)]

    return trace_to_jaxpr(fun, in_avals), out_batched
