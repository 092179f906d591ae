"""fjh capture: live capture from JAX, strictness, the analytical fallback, determinism, merging, --jobs."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness.cli import main
from harness.conformance.capture import CaptureError, capture
from harness.conformance.fixtures import bundle_path, decode_case, read_bundle
from harness.oracle import NO_JAX_ENV

jax = pytest.importorskip("jax")

SMALL = [
    "seed.square.float64",
    "prim.sin.float32.normal",
    "prim.sin.int32",  # JAX rejects the dtype: one rejection case, the rest not applicable
    "prim.add.int32.edge",
    "prim.nextafter.float64.normal.grad",  # JAX has no derivative of nextafter: an expected error
    "custom.relu.float64.normal.grad",
]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("fixtures")
    result = capture(output_dir=out, patterns=SMALL, strict=True, jobs=0)
    return out, result


def _cases(path: Path) -> dict[str, dict[str, Any]]:
    return {c["case_id"]: c for c in read_bundle(path).cases}


def test_live_capture_writes_self_contained_bundles(small: tuple[Path, Any]) -> None:
    out, result = small
    assert result.ok and result.mode == "jax" and result.strict
    # the 10 int32 sin cases are not applicable; their ordinary eager case's trace is the rejection case
    assert result.rejected_dtypes == 1 and result.not_applicable == 10
    assert set(result.families) == {"seed", "prim.elementwise", "custom"}
    seed = read_bundle(bundle_path(out, "seed"))
    assert seed.capture_mode == "jax" and seed.strict
    prov = seed.provenance
    assert prov["jax"] == jax.__version__ and prov["x64"] is True and prov["numpy"] == np.__version__
    assert prov["python"] and prov["platform"] and prov["capture_mode"] == "jax"
    case = _cases(bundle_path(out, "seed"))["seed.square.float64.grad.0"]
    for key in (
        "case_id",
        "family",
        "program",
        "ir",
        "stack",
        "inputs",
        "expected",
        "comparator",
        "tolerance",
        "provenance",
    ):
        assert case[key] is not None
    assert case["stack"] == [{"transform": "grad", "params": {"argnums": 0}}]
    assert case["expected"]["outputs"] == [{"dtype": "float64", "shape": [], "data": [-6.0]}]
    assert case["tolerance"]["tier"] == "composite" and case["comparator"] == "allclose"
    decoded = decode_case(case)
    assert decoded.closed is not None and [e.primitive.name for e in decoded.closed.jaxpr.equations] == [
        "mul"
    ]


def test_dtype_rejections_and_expected_errors(small: tuple[Path, Any]) -> None:
    out, _ = small
    elementwise = read_bundle(bundle_path(out, "prim.elementwise"))
    cases = {c["case_id"]: c for c in elementwise.cases}
    rejected = cases["prim.sin.int32.rejected"]
    assert rejected["ir"] is None and rejected["probe"]["primitive"] == "sin"
    assert rejected["expected"]["error"]["jax_exception"] == "TypeError"
    assert rejected["expected"]["error"]["codes"] == ["FJ-PRIM-DTYPE", "FJ-PRIM-PARAM"]
    skipped = {s["case_id"]: s["reason"] for s in elementwise.skipped}
    assert skipped["prim.sin.int32.edge.jit"] == "not_applicable"
    nxt = cases["prim.nextafter.float64.normal.grad"]
    assert nxt["expected"]["error"] == {
        "jax_exception": "NotImplementedError",
        "codes": ["FJ-RULE-MISSING"],
        "message": "Differentiation rule for 'nextafter' not implemented",
    }
    assert nxt["ir"] is not None and nxt["comparator"] == "error"
    edge = cases["prim.add.int32.edge.eager"]
    data = edge["inputs"][0]["data"]
    assert min(data) == -(2**31) and max(data) == 2**31 - 1  # the extremes are among the edge values


def test_cli_capture_then_conformance(tmp_path: Path) -> None:
    fixtures, reports = tmp_path / "fx", tmp_path / "rep"
    rc = main(
        [
            "capture",
            "--only",
            "seed.square.float64.jit.*",
            "--only",
            "prim.sin.float32.normal.jit",
            "--output",
            str(fixtures),
            "--jobs",
            "0",
            "--quiet",
            "--strict",
        ]
    )
    assert rc == 0
    rc = main(
        ["conformance", "--fixtures", str(fixtures), "--report-dir", str(reports), "--jobs", "0", "--quiet"]
    )
    assert rc == 0
    report = json.loads((reports / "parity-report.v1.json").read_text())
    assert report["totals"]["cases"] == 7 and report["totals"]["pass"] == 7


def _capture_cases(out: Path, jobs: int, patterns: list[str]) -> dict[str, list[dict[str, Any]]]:
    result = capture(output_dir=out, patterns=patterns, jobs=jobs)
    assert result.ok
    bundles = {}
    for f in result.files:
        b = read_bundle(f)
        bundles[b.family] = [{k: v for k, v in c.items() if k != "provenance"} for c in b.cases]
    return bundles


def test_results_are_identical_for_any_jobs(tmp_path: Path) -> None:
    patterns = ["seed.add2.float64.jit.*", "prim.mul.float32.edge", "prim.sign.int64.normal.j*"]
    inline = _capture_cases(tmp_path / "inline", 0, patterns)
    assert sum(map(len, inline.values())) == 11
    assert _capture_cases(tmp_path / "two", 2, patterns) == inline


@pytest.mark.slow
def test_results_are_identical_for_any_jobs_full(tmp_path: Path) -> None:
    patterns = ["seed.add2", "prim.mul.float32", "prim.sign.int64", "prim.reshape.3x2", "comp.polynomial"]
    inline = _capture_cases(tmp_path / "inline", 0, patterns)
    assert _capture_cases(tmp_path / "one", 1, patterns) == inline
    assert _capture_cases(tmp_path / "two", 2, patterns) == inline


def test_analytical_fallback_without_jax(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NO_JAX_ENV, "1")
    result = capture(output_dir=tmp_path, patterns=["seed.sin_x.float64", "seed.dot3", "prim.sin"], jobs=0)
    assert result.mode == "analytical_fallback" and result.ok
    assert set(result.families) == {"seed"}  # only the seed programs have closed forms
    bundle = read_bundle(bundle_path(tmp_path, "seed"))
    assert bundle.capture_mode == "analytical_fallback" and bundle.provenance["jax"] is None
    cases = {c["case_id"]: c for c in bundle.cases}
    assert all(c["capture_mode"] == "analytical_fallback" for c in cases.values())
    grad = cases["seed.sin_x.float64.grad.0"]
    assert grad["expected"]["outputs"][0]["data"] == [math.cos(-3.0)]
    dot = cases["seed.dot3.int64.vmap"]
    assert dot["expected"]["outputs"][0]["data"] == [32, 4, 0, -56]
    # and the reference agrees with the closed forms
    assert (
        main(
            [
                "conformance",
                "--fixtures",
                str(tmp_path),
                "--report-dir",
                str(tmp_path / "r"),
                "--jobs",
                "0",
                "--quiet",
            ]
        )
        == 0
    )


def test_strict_without_jax_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = bundle_path(tmp_path, "seed")
    existing.write_text("previous content")
    monkeypatch.setenv(NO_JAX_ENV, "1")
    rc = main(["capture", "--strict", "--output", str(tmp_path), "--jobs", "0", "--quiet"])
    assert rc == 2
    assert "FJ-ORACLE-UNAVAILABLE" in capsys.readouterr().err
    assert existing.read_text() == "previous content"
    assert sorted(p.name for p in tmp_path.iterdir()) == [existing.name]


def _break_case(monkeypatch: pytest.MonkeyPatch, case_id: str) -> None:
    import harness.conformance.capture as cap

    real = cap._capture_jax

    def broken(spec: Any, check: bool) -> dict[str, Any]:
        if spec.case_id == case_id:
            raise RuntimeError("simulated failure")
        return real(spec, check)

    monkeypatch.setattr(cap, "_capture_jax", broken)


def test_strict_capture_with_a_failing_case_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = capture(output_dir=tmp_path, patterns=["seed.add_one.int64"], jobs=0)
    before = {str(p.relative_to(tmp_path)): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    _break_case(monkeypatch, "seed.add_one.int64.jit.1")
    with pytest.raises(CaptureError) as err:
        capture(output_dir=tmp_path, patterns=["seed.add_one"], strict=True, jobs=0)
    assert err.value.code == "FJ-CAPTURE-FAILED" and "seed.add_one.int64.jit.1" in err.value.message
    assert {
        str(p.relative_to(tmp_path)): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()
    } == before
    assert first.ok


def test_non_strict_capture_lists_failures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _break_case(monkeypatch, "seed.add_one.int64.jit.1")
    rc = main(
        ["capture", "--only", "seed.add_one.int64", "--output", str(tmp_path), "--jobs", "0", "--quiet"]
    )
    assert rc == 1
    bundle = read_bundle(bundle_path(tmp_path, "seed"))
    assert {
        "case_id": "seed.add_one.int64.jit.1",
        "reason": "capture_failed",
        "detail": "RuntimeError: simulated failure",
    } in bundle.skipped
    assert "seed.add_one.int64.jit.1" not in {c["case_id"] for c in bundle.cases}


def _flaky_jax(monkeypatch: pytest.MonkeyPatch) -> None:
    import harness.oracle.run as run

    real = run.run_stack
    calls: dict[str, int] = {}

    def noisy(fn: Any, stack: Any, args: Any, n_in: Any = None) -> list[np.ndarray]:
        outs = real(fn, stack, args, n_in)
        key = repr([a.tolist() for a in args])
        calls[key] = calls.get(key, 0) + 1
        if calls[key] % 2 == 0:  # every second run of the same case differs in the last bit
            outs = [np.nextafter(o, np.inf).astype(o.dtype) if o.dtype.kind == "f" else o for o in outs]
        return outs

    monkeypatch.setattr(run, "run_stack", noisy)


def test_check_determinism_refuses_nondeterministic_cases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _flaky_jax(monkeypatch)
    with pytest.raises(CaptureError) as err:
        capture(
            output_dir=tmp_path,
            patterns=["seed.sin_x.float64.jit.1"],
            strict=True,
            jobs=0,
            check_determinism=True,
        )
    assert "nondeterministic" in err.value.message and not any(tmp_path.iterdir())
    result = capture(
        output_dir=tmp_path, patterns=["seed.sin_x.float64.jit.1"], jobs=0, check_determinism=True
    )
    assert [f.case_id for f in result.nondeterministic] == ["seed.sin_x.float64.jit.1"]
    bundle = read_bundle(bundle_path(tmp_path, "seed"))
    assert bundle.cases == [] and bundle.skipped[0]["reason"] == "nondeterministic"
    # with a reviewed reason it is written, marked flaky
    kd = tmp_path / "kd.json"
    kd.write_text(
        json.dumps(
            {
                "schema": "frankenjax.known-divergences.v1",
                "reviewed_by": "t",
                "reviewed_at": "2025-01-01",
                "divergences": [
                    {
                        "id": "KD-0009",
                        "kind": "nondeterministic",
                        "cases": ["seed.sin_x.*"],
                        "reason": "simulated: the test perturbs every second run",
                        "evidence": "https://example.org",
                        "added": "2025-01-01",
                        "reviewed_by": "t",
                    }
                ],
            }
        )
    )
    result = capture(
        output_dir=tmp_path,
        patterns=["seed.sin_x.float64.jit.1"],
        jobs=0,
        check_determinism=True,
        known_divergences=kd,
    )
    assert result.ok and result.flaky_written == 1
    case = read_bundle(bundle_path(tmp_path, "seed")).cases[0]
    assert case["flaky"] and case["flaky_reason"] == "simulated: the test perturbs every second run"


def test_deterministic_jax_passes_the_check(tmp_path: Path) -> None:
    result = capture(
        output_dir=tmp_path, patterns=["prim.tanh.float32.edge"], jobs=0, check_determinism=True, strict=True
    )
    assert result.ok and result.determinism_checked and result.captured == 5


def test_only_merges_into_the_existing_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    capture(output_dir=tmp_path, patterns=["seed.add_one.float64.jit"], jobs=0)
    capture(output_dir=tmp_path, patterns=["seed.square.int64.jit"], jobs=0)
    ids = {c["case_id"] for c in read_bundle(bundle_path(tmp_path, "seed")).cases}
    assert {"seed.add_one.float64.jit.0", "seed.square.int64.jit.0"} <= ids
    monkeypatch.setenv(NO_JAX_ENV, "1")
    with pytest.raises(CaptureError) as err:  # no mixing of capture modes inside one bundle
        capture(output_dir=tmp_path, patterns=["seed.square.int64.jit"], jobs=0)
    assert err.value.code == "FJ-CAPTURE-MERGE"


def test_no_matching_case_is_a_usage_error(tmp_path: Path) -> None:
    assert (
        main(["capture", "--only", "no.such.case", "--output", str(tmp_path), "--jobs", "0", "--quiet"]) == 2
    )


# --- the catalog -------------------------------------------------------------------------------------------


def test_catalog_size_ids_and_coverage() -> None:
    import re

    from harness.conformance.catalog import build_catalog

    cat = build_catalog()
    ids = [c.case_id for c in cat.cases]
    assert len(ids) >= 1000 and len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-z0-9_.=,-]+", i) for i in ids)
    # every primitive's coverage (or its stated exclusion) is checked from its spec row: tests/test_specs.py
    families = {c.family for c in cat.cases}
    assert {"seed", "composition", "custom", "prim.elementwise", "prim.shape"} <= families
    stacks = {tuple(e["transform"] for e in c.stack) for c in cat.cases if c.family == "composition"}
    assert {
        ("jit",),
        ("grad",),
        ("vmap",),
        ("jit", "grad"),
        ("vmap", "grad"),
        ("grad", "grad"),
        ("jacfwd",),
        ("jacrev",),
        ("hessian",),
    } <= stacks


def test_catalog_inputs_are_deterministic_and_cover_edges() -> None:
    from harness.conformance.catalog import build_catalog, select
    from harness.conformance.catalog.inputs import edge_values, subnormal_values

    build_catalog.cache_clear()
    a = {c.case_id: c for c in build_catalog().cases}
    build_catalog.cache_clear()
    b = {c.case_id: c for c in build_catalog().cases}
    for cid in ("prim.sin.float32.normal.vmap", "comp.mlp_layer.float64.normal.jit"):
        for x, y in zip(a[cid].inputs, b[cid].inputs, strict=True):
            assert x.dtype == y.dtype and x.tobytes() == y.tobytes()
    edges = edge_values("float64")
    assert np.isnan(edges).any() and np.isinf(edges).sum() == 2
    assert (np.signbit(edges) & (edges == 0)).any() and np.finfo(np.float64).max in edges
    subs = subnormal_values("float32")
    assert np.finfo(np.float32).smallest_subnormal in subs and -np.finfo(np.float32).tiny in subs
    empty = select(build_catalog().cases, ["prim.add.float32.empty.eager"])[0]
    assert empty.inputs[0].shape == (0,)
    binary = select(build_catalog().cases, ["prim.mul.float64.edge.eager"])[0]
    pairs = set(zip(binary.inputs[0].tolist(), binary.inputs[1].tolist(), strict=True))
    assert (math.inf, 0.0) in pairs and (0.0, math.inf) in pairs  # the cross product of edge values
