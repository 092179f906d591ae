"""frankenjax.array.v1: exact round trips of every dtype and typed errors for bad arrays."""

from __future__ import annotations

import json
import math

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frankenjax_ref.core import dtypes
from frankenjax_ref.core.values import ElementBudget, Limits, decode_array, encode_array
from frankenjax_ref.errors import IRError

UINT_OF = {2: np.uint16, 4: np.uint32, 8: np.uint64}
FLOAT_DTYPES = [dtypes.bfloat16, dtypes.float16, dtypes.float32, dtypes.float64]
INT_DTYPES = list(dtypes.INTEGER)


def roundtrip(x: np.ndarray) -> np.ndarray:
    """encode -> canonical JSON text -> parse -> decode."""
    text = json.dumps(encode_array(x), allow_nan=False, sort_keys=True, separators=(",", ":"))
    return decode_array(json.loads(text))


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype == dtypes.float0:
        return True
    if a.dtype.kind == "c" or a.dtype in FLOAT_DTYPES:
        uint = UINT_OF[a.dtype.itemsize if a.dtype.kind != "c" else a.dtype.itemsize // 2]
        return bool(np.array_equal(np.ascontiguousarray(a).view(uint), np.ascontiguousarray(b).view(uint)))
    return bool(np.array_equal(a, b))


shapes = st.lists(st.integers(0, 4), min_size=0, max_size=3).map(tuple)


@st.composite
def float_arrays(draw: st.DrawFn) -> np.ndarray:
    """Any bit pattern of any float dtype (NaN payloads, subnormals, ±0, ±inf)."""
    d = draw(st.sampled_from(FLOAT_DTYPES))
    shape = draw(shapes)
    n = math.prod(shape)
    width = d.itemsize * 8
    special = {
        16: [0x0000, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0x0001, 0x7F80, 0xFF80, 0x7FC0, 0xFFC1, 0x7F81],
        32: [0, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001, 1, 0x807FFFFF],
        64: [0, 1 << 63, 0x7FF0000000000000, 0x7FF8000000000000, 0xFFF8000000000001, 1, 0x000FFFFFFFFFFFFF],
    }[width]
    element = st.one_of(st.integers(0, (1 << width) - 1), st.sampled_from(special))
    raw = draw(st.lists(element, min_size=n, max_size=n))
    return np.array(raw, dtype=UINT_OF[d.itemsize]).view(d).reshape(shape)


@settings(max_examples=300, deadline=None)
@given(float_arrays())
def test_float_bit_patterns_round_trip_exactly(x: np.ndarray) -> None:
    assert same_bits(roundtrip(x), x)


@st.composite
def complex_arrays(draw: st.DrawFn) -> np.ndarray:
    d: np.dtype = draw(st.sampled_from([dtypes.complex64, dtypes.complex128]))
    shape = draw(shapes)
    n = 2 * math.prod(shape)
    comp = UINT_OF[d.itemsize // 2]
    raw = draw(st.lists(st.integers(0, (1 << (8 * d.itemsize // 2)) - 1), min_size=n, max_size=n))
    return np.array(raw, dtype=comp).view(d).reshape(shape)


@settings(max_examples=100, deadline=None)
@given(complex_arrays())
def test_complex_bit_patterns_round_trip_exactly(x: np.ndarray) -> None:
    assert same_bits(roundtrip(x), x)


@st.composite
def int_arrays(draw: st.DrawFn) -> np.ndarray:
    d = draw(st.sampled_from(INT_DTYPES))
    info = np.iinfo(d)
    shape = draw(shapes)
    n = math.prod(shape)
    element = st.one_of(
        st.integers(int(info.min), int(info.max)), st.sampled_from([int(info.min), int(info.max), 0])
    )
    return np.array(draw(st.lists(element, min_size=n, max_size=n)), dtype=d).reshape(shape)


@settings(max_examples=150, deadline=None)
@given(int_arrays())
def test_integers_round_trip_exactly(x: np.ndarray) -> None:
    assert same_bits(roundtrip(x), x)


@st.composite
def bool_arrays(draw: st.DrawFn) -> np.ndarray:
    shape = draw(shapes)
    n = math.prod(shape)
    return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool).reshape(shape)


@settings(max_examples=50, deadline=None)
@given(bool_arrays())
def test_bools_round_trip(x: np.ndarray) -> None:
    assert same_bits(roundtrip(x), x)


def test_canonical_float_text() -> None:
    enc = encode_array(np.array([-0.0, 0.1, 5e-324, np.inf, -np.inf, np.nan, 1e16]))
    assert json.dumps(enc["data"]) == '[-0.0, 0.1, 5e-324, "inf", "-inf", "nan", 1e+16]'
    # float32 values are written exactly, as their float64 value
    assert encode_array(np.float32(0.1))["data"] == [0.10000000149011612]
    # non-default NaNs keep sign and payload, with width/4 hex digits
    neg_nan = np.array(0xFFC00000, dtype=np.uint32).view(np.float32)
    assert encode_array(neg_nan)["data"] == ["nan:0xffc00000"]
    assert encode_array(np.array([0x7E01], dtype=np.uint16).view(np.float16))["data"] == ["nan:0x7e01"]
    assert encode_array(np.array([np.nan], dtype=ml_dtypes.bfloat16))["data"] == ["nan"]
    assert encode_array(np.array(np.iinfo(np.uint64).max, dtype=np.uint64))["data"] == [2**64 - 1]
    assert encode_array(np.zeros((2, 3), dtypes.float0)) == {"dtype": "float0", "shape": [2, 3], "data": []}
    assert encode_array(np.array([1 + 2j], np.complex64))["data"] == [[1.0, 2.0]]
    assert encode_array(True) == {"dtype": "bool", "shape": [], "data": [True]}


def test_float0_and_empty_round_trip() -> None:
    z = roundtrip(np.zeros((3, 0, 2), dtypes.float0))
    assert z.dtype == dtypes.float0 and z.shape == (3, 0, 2)
    e = roundtrip(np.zeros((0, 5), np.int8))
    assert e.dtype == np.int8 and e.shape == (0, 5)


def test_hand_written_floats_round_to_nearest() -> None:
    assert decode_array({"dtype": "float32", "shape": [], "data": [0.1]}) == np.float32(0.1)
    assert decode_array({"dtype": "float16", "shape": [1], "data": [3]})[0] == np.float16(3)
    # bfloat16 rounds once, to nearest: 1 + 2**-8 + tiny is above the midpoint
    x = decode_array({"dtype": "bfloat16", "shape": [1], "data": [1.00390625 + 2.0**-40]})
    assert x.view(np.uint16)[0] == 0x3F81
    # ties go to even
    x = decode_array({"dtype": "bfloat16", "shape": [1], "data": [1.00390625]})
    assert x.view(np.uint16)[0] == 0x3F80
    # a huge integer is fine for float64 as long as it fits
    assert decode_array({"dtype": "float64", "shape": [], "data": [2**64]}) == 2.0**64


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(FLOAT_DTYPES[:3]))
def test_decoding_rounds_like_a_single_correct_rounding(value: float, d: np.dtype) -> None:
    """Decoding equals exact round-to-nearest-even from the float64 value (or rejects overflow)."""
    try:
        got = decode_array({"dtype": dtypes.name_of(d), "shape": [], "data": [value]})
    except IRError as exc:
        assert exc.code == "FJ-IR-VALUE"
        assert abs(value) >= float(ml_dtypes.finfo(d).max)
        return
    if d == dtypes.bfloat16:
        # reference: round float64 -> bfloat16 by hand, ties to even
        from fractions import Fraction

        exact = Fraction(value)
        lo = np.array(value, np.float64).astype(np.float32).astype(d)  # candidate, then neighbours
        candidates = [lo]
        for step in (-1, 1):
            candidates.append((lo.view(np.uint16) + np.uint16(step & 0xFFFF)).view(d))
        finite = [c for c in candidates if np.isfinite(np.float64(c))]
        best = min(finite, key=lambda c: (abs(Fraction(float(c)) - exact), int(c.view(np.uint16)) & 1))
        assert float(got) == float(best) or (float(got) == 0 and float(best) == 0)
    else:
        assert got.view(UINT_OF[d.itemsize]) == np.array(value).astype(d).view(UINT_OF[d.itemsize])


BAD_ARRAYS = [
    ([1, 2], "FJ-IR-VALUE"),
    ({"dtype": "float32", "shape": []}, "FJ-IR-VALUE"),
    ({"dtype": "float32", "shape": [], "data": [1.0], "extra": 1}, "FJ-IR-VALUE"),
    ({"dtype": "float128", "shape": [], "data": [1.0]}, "FJ-IR-DTYPE"),
    ({"dtype": "f32", "shape": [], "data": [1.0]}, "FJ-IR-DTYPE"),
    ({"dtype": 3, "shape": [], "data": [1.0]}, "FJ-IR-DTYPE"),
    ({"dtype": "float32", "shape": 3, "data": [1.0]}, "FJ-IR-VALUE"),
    ({"dtype": "float32", "shape": [-1], "data": []}, "FJ-IR-VALUE"),
    ({"dtype": "float32", "shape": [True], "data": [1.0]}, "FJ-IR-VALUE"),
    ({"dtype": "float32", "shape": [2.0], "data": [1.0, 2.0]}, "FJ-IR-VALUE"),
    ({"dtype": "float32", "shape": [2], "data": [1.0]}, "FJ-IR-VALUE"),
    ({"dtype": "float32", "shape": [1], "data": 1.0}, "FJ-IR-VALUE"),
    ({"dtype": "float32", "shape": [1], "data": [1e39]}, "FJ-IR-VALUE"),
    ({"dtype": "float16", "shape": [1], "data": [65520.0]}, "FJ-IR-VALUE"),
    ({"dtype": "float64", "shape": [1], "data": [float("inf")]}, "FJ-IR-VALUE"),
    ({"dtype": "float64", "shape": [1], "data": [float("nan")]}, "FJ-IR-VALUE"),
    ({"dtype": "float64", "shape": [1], "data": [10**400]}, "FJ-IR-VALUE"),
    ({"dtype": "float64", "shape": [1], "data": [True]}, "FJ-IR-VALUE"),
    ({"dtype": "float64", "shape": [1], "data": [None]}, "FJ-IR-VALUE"),
    ({"dtype": "float64", "shape": [1], "data": ["Infinity"]}, "FJ-IR-VALUE"),
    ({"dtype": "float64", "shape": [1], "data": ["nan:0x7ff8"]}, "FJ-IR-VALUE"),
    ({"dtype": "float32", "shape": [1], "data": ["nan:0x7f800000"]}, "FJ-IR-VALUE"),  # inf, not NaN
    ({"dtype": "float32", "shape": [1], "data": ["nan:0x7fc0000g"]}, "FJ-IR-VALUE"),
    ({"dtype": "int8", "shape": [1], "data": [128]}, "FJ-IR-VALUE"),
    ({"dtype": "uint64", "shape": [1], "data": [-1]}, "FJ-IR-VALUE"),
    ({"dtype": "uint64", "shape": [1], "data": [2**64]}, "FJ-IR-VALUE"),
    ({"dtype": "int64", "shape": [1], "data": [1.0]}, "FJ-IR-VALUE"),
    ({"dtype": "int64", "shape": [1], "data": [False]}, "FJ-IR-VALUE"),
    ({"dtype": "bool", "shape": [1], "data": [1]}, "FJ-IR-VALUE"),
    ({"dtype": "complex64", "shape": [1], "data": [1.0]}, "FJ-IR-VALUE"),
    ({"dtype": "complex64", "shape": [1], "data": [[1.0]]}, "FJ-IR-VALUE"),
    ({"dtype": "complex64", "shape": [1], "data": [[1.0, "x"]]}, "FJ-IR-VALUE"),
    ({"dtype": "float0", "shape": [1], "data": [0]}, "FJ-IR-VALUE"),
    ({"dtype": "float32", "shape": [10**12], "data": []}, "FJ-IR-LIMIT"),
    ({"dtype": "float32", "shape": [4096, 4096, 4096], "data": []}, "FJ-IR-LIMIT"),
    ({"dtype": "float32", "shape": [1] * 17, "data": [0.0]}, "FJ-IR-LIMIT"),
]


@pytest.mark.parametrize(("obj", "code"), BAD_ARRAYS)
def test_bad_arrays_raise_typed_errors(obj: object, code: str) -> None:
    with pytest.raises(IRError) as info:
        decode_array(obj, where="x")
    assert info.value.code == code
    assert info.value.where and info.value.where.startswith("x")


def test_error_locations_name_the_element() -> None:
    with pytest.raises(IRError) as info:
        decode_array({"dtype": "complex64", "shape": [2], "data": [[1, 2], [3, "bad"]]}, where="consts[0]")
    assert info.value.where == "consts[0].data[1][1]"


def test_total_element_budget() -> None:
    limits = Limits(max_total_elements=10)
    budget = ElementBudget(limits)
    decode_array({"dtype": "int8", "shape": [6], "data": [0] * 6}, limits=limits, budget=budget)
    with pytest.raises(IRError) as info:
        decode_array({"dtype": "int8", "shape": [6], "data": [0] * 6}, limits=limits, budget=budget)
    assert info.value.code == "FJ-IR-LIMIT"


def test_encode_rejects_unsupported_dtypes() -> None:
    with pytest.raises(IRError) as info:
        encode_array(np.array(["a"]))
    assert info.value.code == "FJ-IR-DTYPE"
    with pytest.raises(IRError):
        encode_array(np.array([object()]))


def test_array_schema_accepts_encoded_arrays() -> None:
    from harness.schemas import validate

    for x in [
        np.array([np.nan, -0.0], np.float32),
        np.array([[1 + 1j]]),
        np.array([2**64 - 1], np.uint64),
        np.zeros((2,), dtypes.float0),
        np.array(True),
    ]:
        validate(encode_array(x), "frankenjax.array.v1")
