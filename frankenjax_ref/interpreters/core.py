"""The trace stack, tracers and ``bind`` — Autodidax's core, with JAX's names.

Every transform is an interpreter: a :class:`Trace` subclass that says how
to process a primitive on its own kind of :class:`Tracer`. ``bind`` finds the
innermost active transform among its arguments (the highest *level* on the
trace stack), raises every argument into that trace and lets it process the
primitive. Level 0 is plain evaluation with NumPy.

``jit`` and ``make_jaxpr`` install a *dynamic* trace: while it is set, every
``bind`` is staged into the jaxpr being built, even when its inputs are
plain constants (JAX's omnistaging).

The stack is process-global state, like JAX's: transforms may nest to any
depth but one process runs one trace at a time.
"""

from __future__ import annotations

import contextlib
import gc
import operator
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import numpy as np

from frankenjax_ref.core import dtypes
from frankenjax_ref.core.avals import ShapedArray, get_aval
from frankenjax_ref.core.primitive import Primitive, abstract_eval, impl_rules, rule
from frankenjax_ref.errors import TransformError


class MainTrace:
    """One entry of the trace stack: a transform and its level."""

    __slots__ = ("global_data", "level", "trace_type")

    def __init__(self, level: int, trace_type: type[Trace], global_data: Any):
        self.level = level
        self.trace_type = trace_type
        self.global_data = global_data

    def __repr__(self) -> str:
        return f"MainTrace({self.level}, {self.trace_type.__name__})"


class Trace:
    """How one transform processes primitives on its tracers."""

    def __init__(self, main: MainTrace):
        self.main = main

    def pure(self, val: Any) -> Tracer:
        """Wrap a value from outside every transform (a constant)."""
        raise NotImplementedError

    def lift(self, val: Tracer) -> Tracer:
        """Wrap a tracer of a lower (outer) transform."""
        raise NotImplementedError

    def process_primitive(
        self, primitive: Primitive, tracers: list[Any], params: dict[str, Any]
    ) -> list[Any]:
        raise NotImplementedError


class EvalTrace(Trace):
    """Level 0: type-check the operands (as JAX's dispatch does), then run the NumPy implementation."""

    def pure(self, val: Any) -> Any:
        return val

    lift = pure

    def process_primitive(
        self, primitive: Primitive, tracers: list[Any], params: dict[str, Any]
    ) -> list[Any]:
        # impls assume well-typed operands: without this, lax.sin(int32) would quietly compute in float64
        abstract_eval(primitive, [get_aval(t) for t in tracers], params)
        out = rule(impl_rules, primitive, "impl")(*tracers, **params)
        return list(out) if primitive.multiple_results else [out]


trace_stack: list[MainTrace] = [MainTrace(0, EvalTrace, None)]
dynamic_trace: MainTrace | None = None


@contextlib.contextmanager
def new_main(trace_type: type[Trace], global_data: Any = None) -> Iterator[MainTrace]:
    level = len(trace_stack)
    main = MainTrace(level, trace_type, global_data)
    trace_stack.append(main)
    # While the outermost transform runs, pause the cyclic garbage collector:
    # tracing allocates many long-lived objects (partial-eval recipes form
    # reference cycles), and repeated full collections over that growing set
    # make transform time grow faster than the program. Cycles are collected
    # when the outermost transform finishes.
    pause = level == 1 and gc.isenabled()
    if pause:
        gc.disable()
    try:
        yield main
    finally:
        trace_stack.pop()
        if pause:
            gc.enable()


@contextlib.contextmanager
def new_dynamic(main: MainTrace) -> Iterator[None]:
    global dynamic_trace
    prev, dynamic_trace = dynamic_trace, main
    try:
        yield
    finally:
        dynamic_trace = prev


class Tracer:
    """A value being traced. Arithmetic and indexing follow ``frankenjax_ref.numpy``."""

    _trace: Trace
    __array_priority__ = 1000

    @property
    def aval(self) -> ShapedArray:
        raise NotImplementedError

    def full_lower(self) -> Any:
        return self

    # -- array-like surface ------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.aval.shape

    @property
    def dtype(self) -> np.dtype:
        return self.aval.dtype

    @property
    def ndim(self) -> int:
        return self.aval.ndim

    @property
    def size(self) -> int:
        return self.aval.size

    def __len__(self) -> int:
        if not self.aval.shape:
            raise TypeError("len() of unsized object")
        return self.aval.shape[0]

    def __bool__(self) -> bool:
        return bool(self.to_concrete())

    def __int__(self) -> int:
        return int(self.to_concrete())

    def __float__(self) -> float:
        raise self._concretization_error("float()")

    def __complex__(self) -> complex:
        raise self._concretization_error("complex()")

    def _concretization_error(self, what: str) -> TransformError:
        """JAX refuses ``float()`` and ``complex()`` of every tracer, even a JVP tracer whose primal
        is concrete (a Python float would silently drop the tangent), while ``bool()``, ``int()``
        and ``operator.index()`` read a concrete primal."""
        return TransformError(
            "FJ-TRANSFORM-CONCRETE",
            f"{what} of a tracer {self.aval.str_short()} inside {type(self._trace).__name__}: "
            "the result would drop what the transform tracks",
            hint="keep the value an array (it is one already); use lax/numpy operations on it",
        )

    def __index__(self) -> int:
        return operator.index(self.to_concrete())

    def to_concrete(self) -> Any:
        """The concrete value, when this transform has one (JVP primals do)."""
        raise TransformError(
            "FJ-TRANSFORM-CONCRETE",
            f"a concrete value was needed from an abstract tracer {self.aval.str_short()} "
            f"inside {type(self._trace).__name__}",
            hint="use lax.select_n / numpy.where instead of Python control flow on traced values",
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}<{self.aval.str_short()}>"

    def _np(self) -> Any:
        import frankenjax_ref.numpy as fnp

        return fnp

    def __neg__(self) -> Any:
        return self._np().negative(self)

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return self._np().abs(self)

    def __invert__(self) -> Any:
        return self._np().invert(self)

    def __add__(self, other: Any) -> Any:
        return self._np().add(self, other)

    def __radd__(self, other: Any) -> Any:
        return self._np().add(other, self)

    def __sub__(self, other: Any) -> Any:
        return self._np().subtract(self, other)

    def __rsub__(self, other: Any) -> Any:
        return self._np().subtract(other, self)

    def __mul__(self, other: Any) -> Any:
        return self._np().multiply(self, other)

    def __rmul__(self, other: Any) -> Any:
        return self._np().multiply(other, self)

    def __truediv__(self, other: Any) -> Any:
        return self._np().true_divide(self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return self._np().true_divide(other, self)

    def __floordiv__(self, other: Any) -> Any:
        return self._np().floor_divide(self, other)

    def __mod__(self, other: Any) -> Any:
        return self._np().remainder(self, other)

    def __pow__(self, other: Any) -> Any:
        return self._np().power(self, other)

    def __rpow__(self, other: Any) -> Any:
        return self._np().power(other, self)

    def __matmul__(self, other: Any) -> Any:
        return self._np().matmul(self, other)

    def __rmatmul__(self, other: Any) -> Any:
        return self._np().matmul(other, self)

    def __and__(self, other: Any) -> Any:
        return self._np().bitwise_and(self, other)

    def __or__(self, other: Any) -> Any:
        return self._np().bitwise_or(self, other)

    def __xor__(self, other: Any) -> Any:
        return self._np().bitwise_xor(self, other)

    def __lt__(self, other: Any) -> Any:
        return self._np().less(self, other)

    def __le__(self, other: Any) -> Any:
        return self._np().less_equal(self, other)

    def __gt__(self, other: Any) -> Any:
        return self._np().greater(self, other)

    def __ge__(self, other: Any) -> Any:
        return self._np().greater_equal(self, other)

    def __eq__(self, other: Any) -> Any:
        return self._np().equal(self, other)

    def __ne__(self, other: Any) -> Any:
        return self._np().not_equal(self, other)

    __hash__: ClassVar[None] = None  # type: ignore[assignment]

    def __getitem__(self, index: Any) -> Any:
        return self._np().getitem(self, index)

    @property
    def T(self) -> Any:
        return self._np().transpose(self)

    def sum(self, axis: Any = None, keepdims: bool = False) -> Any:
        return self._np().sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Any:
        return self._np().mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Any:
        return self._np().max(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Any:
        return self._np().min(self, axis=axis, keepdims=keepdims)

    def prod(self, axis: Any = None, keepdims: bool = False) -> Any:
        return self._np().prod(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape: Any) -> Any:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return self._np().reshape(self, shape)

    def astype(self, dtype: Any) -> Any:
        return self._np().asarray(self, dtype=dtype)

    def transpose(self, *axes: Any) -> Any:
        return self._np().transpose(self, axes or None)


def find_top_trace(xs: Sequence[Any]) -> Trace:
    top_main = trace_stack[0]
    for x in xs:
        if isinstance(x, Tracer) and x._trace.main.level > top_main.level:
            top_main = x._trace.main
    if dynamic_trace is not None and dynamic_trace.level > top_main.level:
        top_main = dynamic_trace
    return top_main.trace_type(top_main)


def full_raise(trace: Trace, val: Any) -> Any:
    if not isinstance(val, Tracer):
        return trace.pure(val)
    level = trace.main.level
    if val._trace.main is trace.main:
        return val
    if val._trace.main.level < level:
        return trace.lift(val)
    raise TransformError(
        "FJ-TRANSFORM-LEAKED",
        f"a tracer of {type(val._trace).__name__} (level {val._trace.main.level}) was used "
        f"outside its transform, inside level {level}",
        hint="do not store traced values in globals or closures that outlive the transform",
    )


def full_lower(val: Any) -> Any:
    return val.full_lower() if isinstance(val, Tracer) else val


def bind(prim: Primitive, *args: Any, **params: Any) -> Any:
    """Apply ``prim`` to ``args`` in the innermost transform among them."""
    params = prim.normalize_params(params)
    return bind_normalized(prim, args, params)


def bind_normalized(prim: Primitive, args: Sequence[Any], params: dict[str, Any]) -> Any:
    """``bind`` for params already normalized (rules re-binding an equation)."""
    trace = find_top_trace(args)
    tracers = [full_raise(trace, a) for a in args]
    outs = trace.process_primitive(prim, tracers, params)
    if prim.multiple_results:
        return [full_lower(o) for o in outs]
    return full_lower(outs[0])


def bind_eqn_list(prim: Primitive, args: Sequence[Any], params: dict[str, Any]) -> list[Any]:
    """Like :func:`bind_normalized` but always returns a list of outputs."""
    out = bind_normalized(prim, args, params)
    return list(out) if prim.multiple_results else [out]


def concrete_value(x: Any) -> Any:
    """A NumPy value for ``x`` if it is concrete (possibly under JVP), else raise."""
    if isinstance(x, Tracer):
        return x.to_concrete()
    return x


def is_concrete(x: Any) -> bool:
    return not isinstance(x, Tracer)


def aval_of(x: Any) -> ShapedArray:
    return get_aval(x)


def scalar_literal(value: Any, dtype: np.dtype) -> np.ndarray:
    """A 0-d NumPy array of ``dtype`` — how rules write constants like ``2.0``."""
    return np.asarray(value, dtype=dtype) if dtype != dtypes.float0 else np.zeros((), dtypes.float0)
