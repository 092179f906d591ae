"""The tolerance policy (harness.conformance.compare) and the known-divergences list."""

from __future__ import annotations

import json

import ml_dtypes
import numpy as np
import pytest

from frankenjax_ref.core import dtypes
from harness.conformance.compare import (
    EXACT,
    TIERS,
    Tolerance,
    compare,
    compare_outputs,
    tolerance_for,
    ulp_distance,
)
from harness.conformance.divergences import load_known_divergences
from harness.errors import SchemaError


def test_shapes_and_dtypes_are_always_exact() -> None:
    loose = Tolerance(atol=1e9, rtol=1e9, max_ulp=1 << 60)
    assert compare(np.zeros(3, np.float32), np.zeros(3, np.float64), loose).kind == "dtype"
    assert compare(np.zeros(3), np.zeros((3, 1)), loose).kind == "shape"
    assert compare(np.zeros(()), np.zeros((1,)), loose).kind == "shape"


def test_integers_and_bools_are_exact_whatever_the_tolerance() -> None:
    loose = Tolerance(atol=10, rtol=10, max_ulp=100)
    r = compare(np.array([1, 2, 3], np.int32), np.array([1, 2, 4], np.int32), loose)
    assert not r.ok and r.kind == "value" and r.worst_index == [2] and r.mismatches == 1
    assert not compare(np.array([True]), np.array([False]), loose).ok
    big = np.iinfo(np.int64).max
    assert not compare(np.array([big]), np.array([big - 1]), loose).ok
    assert compare(np.array([big]), np.array([big])).ok


def test_nan_equals_nan_whatever_the_payload() -> None:
    a = np.array([np.nan, 1.0], np.float32)
    b = a.copy()
    b.view(np.uint32)[0] = 0xFFC00001  # another NaN payload, negative sign
    assert compare(a, b).ok
    r = compare(np.array([np.nan]), np.array([0.0]), Tolerance(atol=1.0))
    assert r.kind == "nan"
    assert compare(np.array([0.0]), np.array([np.nan]), Tolerance(atol=1.0)).kind == "nan"


def test_infinities_and_signed_zeros_are_exact() -> None:
    loose = Tolerance(atol=1e300, rtol=1.0, max_ulp=1 << 62)
    assert compare(np.array([np.inf]), np.array([-np.inf]), loose).kind == "inf"
    assert compare(np.array([np.inf]), np.array([1e308]), loose).kind == "inf"
    assert compare(np.array([np.inf]), np.array([np.inf]), EXACT).ok
    r = compare(np.array([-0.0]), np.array([0.0]), loose)
    assert r.kind == "signed_zero" and r.expected_value == "-0.0"
    # unless the case says otherwise
    assert compare(np.array([-0.0]), np.array([0.0]), Tolerance(signed_zeros=False)).ok


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, ml_dtypes.bfloat16])
def test_ulp_distance_counts_representable_values(dtype: type) -> None:
    one = np.array([1.0], dtype)
    nxt = (
        np.nextafter(one.astype(np.float64), 2).astype(dtype)
        if dtype is ml_dtypes.bfloat16
        else np.nextafter(one, np.array([2.0], dtype))
    )
    if dtype is ml_dtypes.bfloat16:
        nxt = (one.view(np.uint16) + 1).view(dtype)
    assert ulp_distance(one, nxt)[0] == 1
    zeros = np.array([0.0, -0.0], dtype)
    assert (
        ulp_distance(zeros, zeros[::-1])[0] == 0
    )  # +0 and -0 are 0 apart (their sign is checked separately)
    sub = np.array([0.0], dtype)
    sub.view(np.uint16 if np.dtype(dtype).itemsize == 2 else np.dtype(f"u{np.dtype(dtype).itemsize}"))[0] = 1
    assert ulp_distance(np.array([0.0], dtype), sub)[0] == 1
    assert ulp_distance(np.array([-0.0], dtype), sub)[0] == 1
    assert ulp_distance(-sub, sub)[0] == 2


def test_floats_pass_within_atol_rtol_or_ulp() -> None:
    tol = Tolerance(atol=0.0, rtol=0.0, max_ulp=2)
    x = np.array([1.0, 1e-300, 5e-324])
    y = np.nextafter(np.nextafter(x, 2), 2)  # two ULP up
    assert compare(x, y, tol).ok
    assert not compare(x, np.nextafter(y, 2), tol).ok
    assert compare(np.array([100.0]), np.array([100.5]), Tolerance(rtol=0.01)).ok
    assert compare(np.array([0.0]), np.array([1e-7]), Tolerance(atol=1e-6)).ok
    r = compare(np.array([1.0, 2.0]), np.array([1.0, 2.5]), Tolerance(rtol=0.01))
    assert not r.ok and r.kind == "value" and r.worst_index == [1] and r.max_abs_err == 0.5


def test_complex_compares_each_part() -> None:
    tol = tolerance_for(np.complex128)
    assert compare(np.array([1 + 2j]), np.array([1 + 2j]), tol).ok
    r = compare(np.array([1 + 2j, 3 + 4j]), np.array([1 + 2j, 3 + 4.5j]), tol)
    assert not r.ok and r.worst_index == [1] and r.mismatches == 1
    nan_im = np.array([complex(1, np.nan)])
    assert compare(nan_im, nan_im.copy(), tol).ok
    assert compare(np.array([complex(1, np.nan)]), np.array([complex(1, 0)]), tol).kind == "nan"


def test_float0_and_empty_arrays_compare_by_shape() -> None:
    assert compare(np.zeros((2, 3), dtypes.float0), np.zeros((2, 3), dtypes.float0)).ok
    assert compare(np.zeros((2, 3), dtypes.float0), np.zeros((3, 2), dtypes.float0)).kind == "shape"
    assert compare(np.zeros((0, 4), np.float32), np.zeros((0, 4), np.float32)).ok


def test_tiers_per_dtype() -> None:
    assert tolerance_for(np.int32) == Tolerance(tier="default")
    assert tolerance_for(np.bool_, "composite").max_ulp == 0
    f32 = tolerance_for(np.float32)
    assert (f32.atol, f32.rtol, f32.max_ulp) == TIERS["default"]["float32"]
    assert tolerance_for(np.complex64, "composite").rtol == TIERS["composite"]["float32"][1]
    mixed = tolerance_for([np.float64, np.float32])  # the loosest of several outputs
    assert mixed.rtol == TIERS["default"]["float32"][1]
    assert tolerance_for(np.float64, "exact") == Tolerance(tier="exact")
    with pytest.raises(ValueError):
        tolerance_for(np.float32, "sloppy")
    assert Tolerance.from_json(f32.to_json()) == f32


def test_compare_outputs_counts_and_first_failure() -> None:
    ok = compare_outputs([np.ones(2)], [np.ones(2)], EXACT)
    assert ok.ok and ok.max_ulp == 0
    assert compare_outputs([np.ones(2)], [], EXACT).kind == "arity"
    bad = compare_outputs([np.ones(2), np.zeros(2)], [np.ones(2), np.ones(2)], EXACT)
    assert not bad.ok and bad.message.startswith("output 1:")
    assert bad.to_json if hasattr(bad, "to_json") else True
    assert bad.outputs[1].to_json()["max_ulp"] > 0


def _kd(tmp_path, entries: list[dict]) -> str:  # type: ignore[no-untyped-def]
    doc = {
        "schema": "frankenjax.known-divergences.v1",
        "reviewed_by": "t",
        "reviewed_at": "2025-01-01",
        "divergences": entries,
    }
    path = tmp_path / "kd.json"
    path.write_text(json.dumps(doc))
    return str(path)


def _entry(**kw: object) -> dict:
    base = {
        "id": "KD-0001",
        "kind": "value",
        "cases": ["prim.sin.float32.*"],
        "reason": "XLA's float32 sin differs from libm at huge arguments",
        "evidence": "https://example.org/x",
        "added": "2025-01-01",
        "reviewed_by": "t",
    }
    base.update(kw)
    return base


def test_known_divergences_match_by_pattern_and_kind(tmp_path) -> None:  # type: ignore[no-untyped-def]
    kd = load_known_divergences(
        _kd(tmp_path, [_entry(), _entry(id="KD-0002", kind="nondeterministic", cases=["comp.*"])])
    )
    assert kd.match("prim.sin.float32.edge.jit").id == "KD-0001"  # type: ignore[union-attr]
    assert kd.match("prim.sin.float64.edge.jit") is None
    assert kd.match("comp.x") is None  # nondeterministic entries do not excuse values
    assert kd.match("comp.x", kinds=("nondeterministic",)).id == "KD-0002"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "bad",
    [
        {"evidence": "not a link"},
        {"reason": "short"},
        {"id": "KD-1"},
        {"kind": "whatever"},
    ],
)
def test_known_divergences_need_reason_and_evidence(tmp_path, bad: dict) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SchemaError) as err:
        load_known_divergences(_kd(tmp_path, [_entry(**bad)]))
    assert err.value.code == "FJ-SCHEMA-INVALID"


def test_known_divergence_ids_are_unique(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SchemaError):
        load_known_divergences(_kd(tmp_path, [_entry(), _entry()]))


def test_the_reviewed_file_in_ci_is_valid() -> None:
    kd = load_known_divergences("ci/known_divergences.v1.json")
    assert kd.path is not None
    for e in kd.entries:
        assert e.evidence.startswith("https://") and len(e.reason) >= 20


def test_complex_scalars() -> None:
    tol = tolerance_for(np.complex64)
    assert compare(np.complex64(1 + 2j), np.complex64(1 + 2j), tol).ok
    assert compare(np.asarray(1 + 2j, np.complex128), np.asarray(1 + 3j, np.complex128), tol).kind == "value"
