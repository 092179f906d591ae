"""Seed corpora: inputs that start the fuzzer deep inside each parser.

``scripts/make_seed_corpus.py`` writes them to ``corpus/<target>/seed/``
(deterministically: same code, same bytes) and they are committed.

``ir_deserializer``
    * ``prim-<name>.json`` — one valid program per registered primitive,
      staged by the reference's own tracer, so params are exactly what the
      primitive declares: the seed of its case spec (``harness.conformance.specs``,
      whose dtypes are spread over the primitives so that every dtype appears as
      an operand), or for jit and the custom-derivative primitives a builder below;
    * ``dtype-*.json`` — consts and literals of every dtype with edge values
      (signed zeros, infinities, NaN payloads, subnormals, int extremes),
      empty and float0 arrays, weak types;
    * ``nest-*.json`` — nested ``jit`` sub-jaxprs with consts and literals at
      every level, several outputs;
    * ``text-*.json`` — valid documents in non-canonical text (whitespace,
      key order, short dtype names in params, unicode names);
    * ``bad-*.json`` — near misses: one edit away from valid (each names the
      rule it breaks), and the JSON-level ones (truncation, duplicate keys,
      NaN literals, BOM, over-deep nesting, over-long integers);
    * ``regress-<sha1>`` — minimized inputs of fixed crashes (from the crash
      index), kept as regressions.

``sidecar_manifest``
    manifests and share files of real sidecars (several k, m and sizes, a
    fixed ``created_at``), and near misses (bad self-hash, non-canonical text,
    inconsistent layout with a valid hash, broken trailers).

``fixture_loader``
    fixture bundles written by the fixture module's own writer, when it
    exists in this checkout, and near misses.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import shutil
import struct
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ml_dtypes
import numpy as np

SeedSet = dict[str, bytes]

# --- ir_deserializer ------------------------------------------------------------------------


def _avals(*specs: tuple[Any, tuple[int, ...]] | tuple[Any, tuple[int, ...], bool]) -> list[Any]:
    from frankenjax_ref.core.avals import ShapedArray

    out = []
    for spec in specs:
        dtype, shape, *weak = spec
        out.append(ShapedArray(tuple(shape), np.dtype(dtype), bool(weak and weak[0])))
    return out


def _trace(f: Callable[..., Any], avals: list[Any]) -> Any:
    from frankenjax_ref.interpreters.tracing import trace_to_jaxpr

    def flat(*xs: Any) -> list[Any]:
        out = f(*xs)
        return list(out) if isinstance(out, (list, tuple)) else [out]

    return trace_to_jaxpr(flat, avals)


def _bind(name: str, **params: Any) -> Callable[..., Any]:
    from frankenjax_ref.core.primitive import PRIMITIVES

    def f(*xs: Any) -> Any:
        return PRIMITIVES[name].bind(*xs, **params)

    return f


F64, F32, F16, BF16 = np.float64, np.float32, np.float16, ml_dtypes.bfloat16
C64, C128 = np.complex64, np.complex128
I8, I16, I32, I64 = np.int8, np.int16, np.int32, np.int64
U8, U16, U32, U64 = np.uint8, np.uint16, np.uint32, np.uint64
B = np.bool_
V3 = (3,)


def _primitive_program(name: str) -> Any | None:
    """The primitive bound once, as its case spec's seed says (``None``: no seed from the spec).

    Without a dtype the seed takes the first of ``SEED_DTYPES`` the reference traces.
    """
    from frankenjax_ref.core import dtypes
    from frankenjax_ref.errors import FJError
    from harness.conformance.specs import SEED_SHAPE, spec_for
    from harness.conformance.specs.model import SEED_DTYPES

    row = spec_for(name)
    seed = row.seed
    if seed is None:
        return None
    variant = row.variant(seed.variant) if seed.variant is not None else row.variants[0]
    shapes = seed.shapes or tuple(a.shape if a.shape is not None else SEED_SHAPE for a in variant.args)
    for swept in (seed.dtype,) if seed.dtype else SEED_DTYPES:
        avals = _avals(
            *((dtypes.from_name(a.dtype_for(swept)), s) for a, s in zip(variant.args, shapes, strict=True))
        )
        params = (
            dict(seed.params)
            if seed.params is not None
            else variant.params_for(dtypes.from_name(swept), avals)
        )
        try:
            return _trace(_bind(name, **params), avals)
        except (FJError, TypeError, ValueError):
            if seed.dtype:
                raise
    return None


def _jit_program(depth: int, *, consts: bool = True, outputs: int = 1) -> Any:
    from frankenjax_ref import lax
    from frankenjax_ref.primitives.jit import jit_call

    body = _trace(lambda x: [lax.neg(x)] * outputs, _avals((F32, (2,))))
    for level in range(depth):
        const = np.array([level, -0.0], dtype=np.float32)
        prev = body

        def f(x: Any, prev: Any = prev, const: np.ndarray = const, level: int = level) -> Any:
            y = lax.add(x, const) if consts else x
            outs = jit_call(prev, [y], f"level{level}")
            return [lax.mul(o, np.float32(0.5)) for o in outs]

        body = _trace(f, _avals((F32, (2,))))
    return body


def _custom_programs() -> dict[str, Any]:
    """custom_jvp_call / custom_vjp_call / custom_lin programs, for the ones this checkout registers.

    Built by binding the primitives with traced rule sub-jaxprs (what the
    oracle importer produces); a primitive that refuses these operands is
    left out and shows up as unseeded.
    """
    from frankenjax_ref import lax
    from frankenjax_ref.core.primitive import PRIMITIVES
    from frankenjax_ref.errors import FJError

    x3 = _avals((F64, V3))
    body = _trace(lambda x: [lax.sin(x)], x3)
    jvp_rule = _trace(lambda x, t: [lax.sin(x), lax.mul(lax.cos(x), t)], x3 + x3)
    fwd = _trace(lambda x: [x, lax.sin(x)], x3)
    bwd = _trace(lambda r, ct: [lax.mul(lax.cos(r), ct)], x3 + x3)
    attempts: dict[str, Callable[[], Any]] = {
        "custom_jvp_call": lambda: _trace(
            _bind("custom_jvp_call", call_jaxpr=body, jvp_jaxpr=jvp_rule, num_consts=0, symbolic_zeros=False),
            x3,
        ),
        "custom_vjp_call": lambda: _trace(
            _bind(
                "custom_vjp_call",
                call_jaxpr=body,
                fwd_jaxpr=fwd,
                bwd_jaxpr=bwd,
                num_consts=0,
                symbolic_zeros=False,
            ),
            x3,
        ),
        "custom_lin": lambda: _trace(_bind("custom_lin", num_res=1, bwd_jaxpr=bwd), x3 + x3),
    }
    found: dict[str, Any] = {}
    for name, build in attempts.items():
        if name not in PRIMITIVES:
            continue
        try:
            found[name] = build()
        except (FJError, TypeError, ValueError):
            continue
    return found


def _consts_every_dtype() -> Any:
    from frankenjax_ref import lax
    from frankenjax_ref.core import dtypes

    def bits(dtype: Any, pattern: int) -> np.ndarray:
        d = np.dtype(dtype)
        uint = {2: np.uint16, 4: np.uint32, 8: np.uint64}[d.itemsize]
        return np.array([pattern], dtype=uint).view(d)

    consts: list[np.ndarray] = [
        np.array([[True, False], [False, True]]),
        np.array([-128, 127, 0], dtype=I8),
        np.array([-32768, 32767], dtype=I16),
        np.array([-(2**31), 2**31 - 1], dtype=I32),
        np.array([np.iinfo(I64).min, np.iinfo(I64).max, 0], dtype=I64),
        np.array([0, 255], dtype=U8),
        np.array([65535], dtype=U16),
        np.array([2**32 - 1, 7], dtype=U32),
        np.array([0, np.iinfo(U64).max], dtype=U64),
        np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, 1.7976931348623157e308, 0.1]),
        np.concatenate([np.array([0.1, -0.0, 1e-45, np.inf], dtype=F32), bits(F32, 0xFFC00001)]),
        np.concatenate([np.array([65504.0, 6e-8, -np.inf], dtype=F16), bits(F16, 0x7C01)]),
        np.concatenate([np.array([1.5, -np.inf, 1e-40, 3.0e38], dtype=BF16), bits(BF16, 0xFF81)]),
        np.array([complex(1, -0.0), complex(np.nan, np.inf)], dtype=C64),
        np.array([[complex(0.1, 0.2)], [complex(-np.inf, 5e-324)]], dtype=C128),
        np.zeros((2, 0, 3)),
        np.zeros((0,), dtype=I32),
        np.zeros((3, 2), dtype=dtypes.float0),
        np.array(7, dtype=U16),
    ]
    return _trace(lambda x: [lax.neg(x), *consts], _avals((F64, (2,))))


def literal_for(d: np.dtype) -> np.ndarray:
    """A scalar of dtype ``d`` that stresses its encoding: an integer extreme, a complex with a
    negative-zero part, a float that is not a small integer."""
    from frankenjax_ref.core import dtypes

    if d == dtypes.bool_:
        return np.array(True)
    if dtypes.is_unsigned(d):
        return np.array(np.iinfo(d).max, dtype=d)
    if dtypes.is_integer(d):
        return np.array(np.iinfo(d).min, dtype=d)
    if dtypes.is_complex(d):
        return np.array(complex(-0.0, 1.5), dtype=d)
    return np.array(-2.5, dtype=d)


def _literals_every_dtype() -> Any:
    from frankenjax_ref import lax
    from frankenjax_ref.core import dtypes

    every = list(dtypes.ALL)

    def f(*xs: Any) -> Any:
        outs = [lax.eq(x, literal_for(d)) for x, d in zip(xs, every, strict=True)]
        x64 = xs[every.index(np.dtype(F64))]
        outs += [lax.add(x64, np.float64(np.inf)), lax.mul(x64, np.float64(-0.0)), lax.add(x64, 2.0)]
        outs += [lax.add(x64, np.float64(5e-324)), lax.add(x64, np.float64(np.nan))]
        return outs

    return _trace(f, _avals(*((d, ()) for d in every)))


def _binders_every_dtype() -> Any:
    """An identity over one input of every dtype, several shapes, weak types and float0."""
    from frankenjax_ref.core import dtypes

    specs: list[tuple[Any, ...]] = [(d, (2,)) for d in dtypes.ALL]
    specs += [(F64, (), True), (I64, (), True), (C128, (), True), (dtypes.float0, (3,)), (F32, (0, 4))]
    specs += [(F16, (1, 1, 1, 1, 1, 1, 1, 1)), (U8, (4, 0))]
    return _trace(lambda *xs: list(xs), _avals(*specs))


def _chain_program() -> Any:
    """A longer program mixing families, a literal of each kind and a jit."""
    from frankenjax_ref import lax
    from frankenjax_ref.primitives.jit import jit_call

    inner = _trace(lambda h: lax.integer_pow(h, 3), _avals((F64, V3)))
    c = np.arange(3.0)

    def f(b: Any, w: Any, i: Any) -> Any:
        d = lax.sin(b)
        e = lax.add(lax.mul(d, 2.0), c)
        s = lax.reduce_sum(e, axes=(0,))
        (g,) = jit_call(inner, [e], "inner")
        m = lax.dot_general(lax.reshape(g, (3, 1)), lax.reshape(e, (1, 3)), (((1,), (0,)), ((), ())))
        k = lax.convert_element_type(lax.argmax(m, 1, np.dtype(I32)), np.dtype(F64))
        j = lax.select_n(lax.lt(i, np.int32(1)), k, lax.rev(k, (0,)))
        return [s, lax.mul(w, s), j, lax.transpose(m, (1, 0))]

    return _trace(f, _avals((F64, V3), (F64, (), True), (I32, V3)))


def _base_doc() -> dict[str, Any]:
    """The hand-written base document with a reduction added (the near-miss base): a const,
    literals, a jit and a reduce_sum whose params the near misses corrupt."""
    from harness.irdocs import base_doc, binder, eqn

    doc = base_doc()
    jaxpr = doc["jaxpr"]
    params = {"axes": [0], "out_sharding": None}
    jaxpr["equations"].append(eqn("reduce_sum", [{"var": "f"}], [binder("g", "float64", [])], params))
    jaxpr["outvars"].insert(2, {"var": "g"})
    return doc


def _edit(path: tuple[Any, ...], value: Any = ..., *, delete: bool = False) -> Callable[[Any], Any]:
    def apply(doc: Any) -> Any:
        doc = copy.deepcopy(doc)
        node = doc
        for key in path[:-1]:
            node = node[key]
        if delete:
            del node[path[-1]]
        elif isinstance(node, list) and path[-1] == len(node):
            node.append(copy.deepcopy(value))
        else:
            node[path[-1]] = copy.deepcopy(value)
        return doc

    return apply


_J = "jaxpr"
_EQ = (_J, "equations")
_INNER = (*_EQ, 2, "sub_jaxprs", "jaxpr")

#: near misses: name -> edit of the base document (each breaks one rule)
_NEAR_MISSES: dict[str, Callable[[Any], Any]] = {
    "schema-missing": _edit(("schema",), delete=True),
    "schema-v2": _edit(("schema",), "frankenjax.ir.v2"),
    "schema-not-string": _edit(("schema",), 1),
    "extra-top-key": _edit(("extra",), 1),
    "jaxpr-not-object": _edit((_J,), []),
    "consts-not-list": _edit(("consts",), {}),
    "binder-name-empty": _edit((_J, "invars", 0, "name"), ""),
    "binder-name-too-long": _edit((_J, "invars", 0, "name"), "n" * 257),
    "binder-duplicate": _edit((_J, "invars", 1, "name"), "a"),
    "binder-shadows-const": _edit((*_EQ, 0, "outputs", 0, "name"), "c"),
    "var-unbound": _edit((_J, "outvars", 0, "var"), "zz"),
    "var-used-before-bound": _edit((*_EQ, 0, "inputs", 0, "var"), "e"),
    "var-not-string": _edit((_J, "outvars", 0, "var"), 3),
    "sub-jaxpr-sees-outer": _edit((*_INNER, _J, "equations", 0, "inputs", 0, "var"), "a"),
    "aval-short-dtype": _edit((_J, "invars", 0, "aval", "dtype"), "f64"),
    "aval-unknown-dtype": _edit((_J, "invars", 0, "aval", "dtype"), "float128"),
    "aval-negative-dim": _edit((_J, "invars", 0, "aval", "shape"), [-3]),
    "aval-float-dim": _edit((_J, "invars", 0, "aval", "shape"), [3.0]),
    "aval-rank-17": _edit((_J, "invars", 0, "aval", "shape"), [1] * 17),
    "aval-huge-dim": _edit((_J, "invars", 0, "aval", "shape"), [1 << 25]),
    "aval-huge-size": _edit((_J, "invars", 0, "aval", "shape"), [4096, 4097]),
    "aval-weak-not-bool": _edit((_J, "invars", 0, "aval", "weak_type"), 1),
    "aval-extra-key": _edit((_J, "invars", 0, "aval", "sharding"), None),
    "prim-unknown": _edit((*_EQ, 1, "primitive"), "addd"),
    "prim-name-long": _edit((*_EQ, 1, "primitive"), "p" * 300),
    "prim-not-string": _edit((*_EQ, 1, "primitive"), ["add"]),
    "params-missing": _edit((*_EQ, 0, "params"), {}),
    "params-extra": _edit((*_EQ, 1, "params"), {"x": 1}),
    "params-not-object": _edit((*_EQ, 1, "params"), []),
    "param-wrong-type": _edit((*_EQ, 3, "params", "axes"), "0"),
    "param-bool-for-int": _edit((*_EQ, 3, "params", "axes"), [True]),
    "param-bad-axis": _edit((*_EQ, 3, "params", "axes"), [5]),
    "param-dtype-unknown": _edit((*_EQ, 0, "params", "out_dtype"), "float128"),
    "param-sharding-not-none": _edit((*_EQ, 3, "params", "out_sharding"), "x"),
    "subjaxprs-missing": _edit((*_EQ, 2, "sub_jaxprs"), {}),
    "subjaxprs-extra": _edit((*_EQ, 1, "sub_jaxprs"), {"jaxpr": {"jaxpr": {}, "consts": []}}),
    "subjaxpr-not-closed": _edit((*_EQ, 2, "sub_jaxprs", "jaxpr", "consts"), None),
    "output-type-mismatch": _edit((*_EQ, 1, "outputs", 0, "aval", "dtype"), "float32"),
    "output-shape-mismatch": _edit((*_EQ, 1, "outputs", 0, "aval", "shape"), [4]),
    "output-weak-mismatch": _edit((*_EQ, 1, "outputs", 0, "aval", "weak_type"), True),
    "outputs-arity": _edit(
        (*_EQ, 1, "outputs", 1), {"name": "q", "aval": {"dtype": "float64", "shape": [3], "weak_type": False}}
    ),
    "inputs-arity": _edit((*_EQ, 1, "inputs", 1), delete=True),
    "jit-arity": _edit((*_EQ, 2, "inputs", 1), {"var": "a"}),
    "literal-rank-1": _edit((*_EQ, 0, "inputs", 1, "lit", "shape"), [1]),
    "literal-dtype-mismatch": _edit((*_EQ, 0, "inputs", 1, "lit", "dtype"), "float32"),
    "literal-missing-weak": _edit((*_EQ, 0, "inputs", 1, "weak_type"), delete=True),
    "literal-data-count": _edit((*_EQ, 0, "inputs", 1, "lit", "data"), [1.0, 2.0]),
    "consts-count": _edit(("consts",), []),
    "const-shape": _edit(("consts", 0, "shape"), [2]),
    "const-dtype": _edit(("consts", 0, "dtype"), "float32"),
    "const-data-type": _edit(("consts", 0, "data", 0), "x"),
    "const-nan-bad-bits": _edit(("consts", 0, "data", 1), "nan:0x7ff0000000000000"),
    "const-nan-short-hex": _edit(("consts", 0, "data", 1), "nan:0x7ff8"),
    "const-bool-as-int": _edit(("consts", 0), {"dtype": "bool", "shape": [3], "data": [1, 0, 1]}),
    "int-out-of-range": _edit((_J, "outvars", 3, "lit", "data", 0), 2**31),
    "float16-overflow": _edit(("consts", 0), {"dtype": "float16", "shape": [3], "data": [70000.0, 0, 0]}),
    "complex-not-pair": _edit(("consts", 0), {"dtype": "complex64", "shape": [3], "data": [1.0, 2.0, 3.0]}),
    "float0-with-data": _edit(("consts", 0), {"dtype": "float0", "shape": [3], "data": [0]}),
    "array-extra-key": _edit(("consts", 0, "extra"), 0),
}


def _nested_doc(depth: int) -> dict[str, Any]:
    """``depth`` levels of jit written directly as JSON (past the depth limit when > 32)."""
    leaf = {
        "jaxpr": {
            "constvars": [],
            "invars": [{"name": "x", "aval": {"dtype": "float32", "shape": [], "weak_type": False}}],
            "equations": [],
            "outvars": [{"var": "x"}],
        },
        "consts": [],
    }
    body = leaf
    for _ in range(depth):
        body = {
            "jaxpr": {
                "constvars": [],
                "invars": [{"name": "x", "aval": {"dtype": "float32", "shape": [], "weak_type": False}}],
                "equations": [
                    {
                        "primitive": "jit",
                        "inputs": [{"var": "x"}],
                        "params": {"name": "n"},
                        "outputs": [
                            {"name": "y", "aval": {"dtype": "float32", "shape": [], "weak_type": False}}
                        ],
                        "sub_jaxprs": {"jaxpr": body},
                    }
                ],
                "outvars": [{"var": "y"}],
            },
            "consts": [],
        }
    return {"schema": "frankenjax.ir.v1", **body}


def ir_seeds() -> SeedSet:
    """Every ``ir_deserializer`` seed by file name."""
    from frankenjax_ref import ir
    from frankenjax_ref.core.primitive import PRIMITIVES, lookup

    lookup("add")
    seeds: SeedSet = {}

    def put(name: str, closed: Any) -> None:
        seeds[f"{name}.json"] = ir.dumps(closed).encode()

    for name in sorted(PRIMITIVES):
        closed = _primitive_program(name)
        if closed is not None:
            put(f"prim-{name}", closed)
    put("prim-jit", _jit_program(1))
    for name, closed in _custom_programs().items():
        put(f"prim-{name}", closed)
    put("dtype-consts", _consts_every_dtype())
    put("dtype-literals", _literals_every_dtype())
    put("dtype-binders", _binders_every_dtype())
    put("nest-jit-3", _jit_program(3))
    put("nest-jit-8-multi", _jit_program(8, outputs=2))
    put("nest-jit-2-noconst", _jit_program(2, consts=False, outputs=3))
    put("mix-chain", _chain_program())

    base = _base_doc()
    ir.loads(json.dumps(base))  # the base must be valid, or every near miss is meaningless
    seeds["text-base.json"] = json.dumps(base).encode()
    seeds["text-pretty.json"] = json.dumps(base, indent=3, sort_keys=False).encode()
    unicode_names = json.loads(json.dumps(base).replace('"a"', '"\u03b1\u00e9"').replace('"b"', '"b\\u0301"'))
    seeds["text-unicode-names.json"] = json.dumps(unicode_names, ensure_ascii=False).encode()
    short = copy.deepcopy(base)
    short[_J]["equations"][0]["params"]["out_dtype"] = "f64"
    seeds["text-short-dtype-param.json"] = json.dumps(short).encode()
    seeds["text-nest-32.json"] = json.dumps(_nested_doc(32)).encode()
    for name, edit in _NEAR_MISSES.items():
        seeds[f"bad-{name}.json"] = json.dumps(edit(base)).encode()
    text = json.dumps(base)
    seeds["bad-json-truncated.json"] = text[: len(text) // 2].encode()
    seeds["bad-json-trailing-comma.json"] = text[:-1].encode() + b",}"
    seeds["bad-json-duplicate-key.json"] = (
        b'{"schema":"frankenjax.ir.v1","schema":"frankenjax.ir.v1",' + text[1:].encode()
    )
    seeds["bad-json-nan-literal.json"] = text.replace('"nan"', "NaN").encode()
    seeds["bad-json-infinity.json"] = text.replace("-0.0", "-Infinity").encode()
    seeds["bad-json-bom.json"] = b"\xef\xbb\xbf" + text.encode()
    seeds["bad-json-utf16.json"] = text.encode("utf-16")
    seeds["bad-json-invalid-utf8.json"] = text.replace('"inner"', '"in\udcffner"').encode(
        "utf-8", "surrogateescape"
    )
    seeds["text-lone-surrogate-name.json"] = text.replace('"inner"', '"\\ud800"').encode()
    seeds["bad-json-float-overflow.json"] = text.replace("-0.0", "1e400").encode()
    seeds["bad-json-long-int.json"] = text.replace("[7]", "[" + "9" * 65 + "]").encode()
    seeds["bad-json-deep-array.json"] = b"[" * 3000 + b"]" * 3000
    seeds["bad-json-empty.json"] = b""
    seeds["bad-json-null.json"] = b"null"
    seeds["bad-nest-33.json"] = json.dumps(_nested_doc(33)).encode()
    return seeds


def _regressions(target: str) -> SeedSet:
    """Minimized inputs of the crash index's entries for ``target`` (regression seeds)."""
    from harness.fuzz.store import crash_dir

    out: SeedSet = {}
    directory = crash_dir(target)
    if not directory.is_dir():
        return out
    try:
        from harness.fuzz.triage import read_index
    except ImportError:  # pragma: no cover
        return out
    from harness.paths import project_root

    for entry in read_index():
        if entry["target"] != target or not entry["paths"]["minimized"]:
            continue
        path = project_root() / entry["paths"]["minimized"]
        if path.is_file():
            out[f"regress-{entry['sha1']}"] = path.read_bytes()
    return out


# --- sidecar_manifest ------------------------------------------------------------------------

FIXED_CREATED_AT = "2024-01-01T00:00:00.000000Z"


def sidecar_seeds() -> SeedSet:
    """Manifests and share files of real sidecars, and near misses."""
    from harness.durability import generate_sidecar, sidecar_dir
    from harness.durability.sidecar import TRAILER_MAGIC, SidecarManifest
    from harness.fuzz.targets.sidecar_manifest import rehash

    seeds: SeedSet = {}
    shapes = [(0, 4, 6), (1, 1, 1), (100, 2, 3), (5000, 4, 6), (777, 3, 10), (64, 1, 2)]
    work = Path(tempfile.mkdtemp(prefix="fjh-seed-sidecar-"))
    try:
        for size, k, m in shapes:
            artifact = work / f"artifact-{size}-{k}-{m}.bin"
            artifact.write_bytes(bytes((i * 7 + size) % 251 for i in range(size)))
            generated = generate_sidecar(artifact, k=k, m=m, max_block_size=1024)
            manifest = dataclasses.replace(generated, created_at=FIXED_CREATED_AT)
            tag = f"{size}b-k{k}-m{m}"
            seeds[f"manifest-{tag}.json"] = manifest.text().encode()
            share = (sidecar_dir(artifact) / "share-000.fjs").read_bytes()[: manifest.layout.share_size]
            seeds[f"share-{tag}-0.fjs"] = share + manifest.trailer(0)
            if m > 1:
                last = (sidecar_dir(artifact) / f"share-{m - 1:03d}.fjs").read_bytes()[
                    : manifest.layout.share_size
                ]
                seeds[f"share-{tag}-{m - 1}.fjs"] = last + manifest.trailer(m - 1)
        base = json.loads(seeds["manifest-100b-k2-m3.json"])
        text = seeds["manifest-100b-k2-m3.json"]

        def canon(doc: Any) -> bytes:
            return (json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()

        def variant(name: str, edit: Callable[[Any], Any], fix: bool = True) -> None:
            doc = edit(copy.deepcopy(base))
            seeds[f"bad-{name}.json"] = canon(rehash(doc) if fix else doc)

        variant("hash-wrong", lambda d: {**d, "k": 1}, fix=False)
        variant("k-gt-m", lambda d: {**d, "k": 4})
        variant("share-count", lambda d: {**d, "shares": d["shares"][:2]})
        variant("share-order", lambda d: {**d, "shares": [d["shares"][1], d["shares"][0], d["shares"][2]]})
        variant("layout-derived", lambda d: {**d, "layout": {**d["layout"], "padding": 1}})
        variant("layout-stripes", lambda d: {**d, "layout": {**d["layout"], "stripe_count": 9}})
        variant("block-size-limit", lambda d: {**d, "layout": {**d["layout"], "block_size": 67108865}})
        variant("size-float", lambda d: {**d, "artifact": {**d["artifact"], "size": 100.0}})
        variant("schema-v2", lambda d: {**d, "schema": "frankenjax.sidecar.v2"})
        variant("extra-key", lambda d: {**d, "extra": 1})
        variant("created-at-bad", lambda d: {**d, "created_at": "yesterday"})
        other_codec = rehash({**copy.deepcopy(base), "codec": {"name": "raptorq", "version": "1"}})
        seeds["manifest-codec-raptorq.json"] = canon(other_codec)  # parses; the codec is checked at use
        seeds["bad-not-canonical.json"] = json.dumps(base).encode()
        seeds["bad-no-newline.json"] = text.rstrip(b"\n")
        seeds["bad-truncated.json"] = text[: len(text) // 2]
        seeds["bad-nan.json"] = text.replace(b'"k": 2', b'"k": NaN')
        seeds["bad-empty.json"] = b""
        manifest = SidecarManifest.from_json(base, where="seed")
        body = manifest.trailer(1)[:-16]
        seeds["bad-trailer-magic.fjs"] = b"\0" * 4 + manifest.trailer(1)[:-8] + b"FJSCSHR0"
        seeds["bad-trailer-length.fjs"] = body + struct.pack(">Q", 1 << 40) + TRAILER_MAGIC
        seeds["bad-trailer-index.fjs"] = _reframe(body.replace(b'"share_index":1', b'"share_index":7'))
        seeds["bad-trailer-short.fjs"] = TRAILER_MAGIC
        seeds["bad-trailer-fields.fjs"] = _reframe(b'{"manifest":{},"share_index":0,"x":1}')
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return seeds


def _reframe(body: bytes) -> bytes:
    from harness.durability.sidecar import TRAILER_MAGIC

    return body + struct.pack(">Q", len(body)) + TRAILER_MAGIC


# --- fixture_loader --------------------------------------------------------------------------


def fixture_seeds() -> SeedSet:
    """Small bundles cut from real ones (see harness.fuzz.targets.fixture_loader.seed_documents).

    The bundles come from ``$FJH_FIXTURE_SEED_SOURCE`` when set (a directory
    ``fjh capture --output DIR`` wrote), else from the project's ``fixtures/``.
    """
    import os

    from harness.fuzz.targets.fixture_loader import seed_documents

    source = os.environ.get("FJH_FIXTURE_SEED_SOURCE")
    found = seed_documents(Path(source) if source else None)
    if not found:  # never replace committed seeds with nothing
        from harness.fuzz.errors import UNAVAILABLE, FuzzError

        raise FuzzError(
            UNAVAILABLE,
            "no fixture bundles to cut fixture_loader seeds from",
            where=source or "fixtures/",
            hint="run `fjh capture --output DIR` and set FJH_FIXTURE_SEED_SOURCE=DIR",
        )
    return found


# --- writing ------------------------------------------------------------------------------------


def adapter_reply_seeds() -> SeedSet:
    from harness.fuzz.targets.adapter_reply import seeds

    return seeds()


GENERATORS: dict[str, Callable[[], SeedSet]] = {
    "ir_deserializer": ir_seeds,
    "sidecar_manifest": sidecar_seeds,
    "fixture_loader": fixture_seeds,
    "adapter_reply": adapter_reply_seeds,
}


@dataclasses.dataclass(frozen=True)
class SeedWriteResult:
    target: str
    directory: str
    written: tuple[str, ...]
    unchanged: int
    removed: tuple[str, ...]
    regressions: int

    @property
    def total(self) -> int:
        return len(self.written) + self.unchanged


def write_seeds(target: str, *, sidecars: bool = True, check: bool = False) -> SeedWriteResult:
    """Write ``corpus/<target>/seed/`` exactly (stale seeds removed); idempotent.

    A seed whose bytes are unchanged keeps its file and sidecar untouched; a
    changed one is rewritten and its sidecar regenerated (``force``: the new
    content is intended). ``check`` writes nothing and reports what would change.
    """
    from harness.atomicio import write_bytes
    from harness.durability import generate_sidecar, sidecar_dir
    from harness.fuzz.store import corpus_files, ensure_sidecar, seed_dir
    from harness.paths import relative_to_root

    seeds = dict(GENERATORS[target]())
    regressions = _regressions(target)
    seeds.update(regressions)
    directory = seed_dir(target)
    written, unchanged = [], 0
    for name, data in sorted(seeds.items()):
        path = directory / name
        if path.is_file() and path.read_bytes() == data:
            unchanged += 1
            if sidecars and not check:
                ensure_sidecar(path)
            continue
        written.append(name)
        if check:
            continue
        write_bytes(path, data)
        if sidecars:
            generate_sidecar(path, force=True)
    removed = [p.name for p in corpus_files(directory) if p.name not in seeds]
    if not check:
        for name in removed:
            (directory / name).unlink()
            shutil.rmtree(sidecar_dir(directory / name), ignore_errors=True)
    return SeedWriteResult(
        target, relative_to_root(directory), tuple(written), unchanged, tuple(removed), len(regressions)
    )


def seed_digest(seeds: SeedSet) -> str:
    h = hashlib.sha256()
    for name, data in sorted(seeds.items()):
        h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()
