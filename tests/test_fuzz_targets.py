"""Fuzz targets, oracles, mutator, minimizer and seed corpora, in-process (no atheris)."""

from __future__ import annotations

import json
import math
import random
import struct
from pathlib import Path
from typing import Any

import ml_dtypes
import numpy as np
import pytest

from frankenjax_ref import ir
from frankenjax_ref.core import dtypes
from frankenjax_ref.core.primitive import abstract_eval_rules, lookup
from frankenjax_ref.errors import IRError
from harness.fuzz import seeds as seedgen
from harness.fuzz.minimize import minimize
from harness.fuzz.mutators import JsonMutator
from harness.fuzz.oracle import (
    ROUND_TRIP,
    WRONG_DATA,
    InvariantViolation,
    UncaughtError,
    rejection,
    run_check,
)
from harness.fuzz.registry import get_target, target_names
from harness.fuzz.targets import ir_deserializer, sidecar_manifest

CODE_ROOT = Path(__file__).resolve().parent.parent
SEEDS = CODE_ROOT / "corpus"


def committed_seeds(target: str) -> dict[str, bytes]:
    directory = SEEDS / target / "seed"
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


# --- registry --------------------------------------------------------------------------------


def test_registry_lists_the_real_targets_only_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FJH_FUZZ_TEST_TARGETS", raising=False)
    assert target_names() == ["adapter_reply", "fixture_loader", "ir_deserializer", "sidecar_manifest"]
    with pytest.raises(Exception, match="test-only target") as info:
        get_target("crashme")
    assert info.value.code == "FJ-FUZZ-UNKNOWN-TARGET"  # type: ignore[attr-defined]
    monkeypatch.setenv("FJH_FUZZ_TEST_TARGETS", "1")
    assert "crashme" in target_names()


# --- the oracle's rules ------------------------------------------------------------------------


def test_taxonomy_error_wrapping_a_crash_is_not_a_clean_rejection() -> None:
    try:
        try:
            table: dict[str, int] = {}
            table["missing"]
        except KeyError as cause:
            raise IRError("FJ-IR-TYPE-MISMATCH", "rule failed") from cause
    except IRError as exc:
        with pytest.raises(UncaughtError, match="FJ-IR-TYPE-MISMATCH wraps KeyError") as info:
            rejection(exc)
        assert isinstance(info.value.__cause__, KeyError)
    clean = IRError("FJ-IR-SYNTAX", "not JSON")
    assert rejection(clean) == "rejected:FJ-IR-SYNTAX"
    chained = IRError("FJ-IR-PARAM", "outer")
    chained.__cause__ = IRError("FJ-IR-DTYPE", "inner")
    assert rejection(chained) == "rejected:FJ-IR-PARAM"  # typed all the way down


def test_abstract_eval_rule_crash_is_found_through_validate(monkeypatch: pytest.MonkeyPatch) -> None:
    """validate() turns a crashing rule into FJ-IR-TYPE-MISMATCH; the target must see the crash."""
    sin = lookup("sin")

    def broken(x: Any, **params: Any) -> Any:
        return 1 // 0

    monkeypatch.setitem(abstract_eval_rules, sin, broken)
    doc = committed_seeds("ir_deserializer")["prim-sin.json"]
    outcome = run_check(ir_deserializer.check, doc)
    assert outcome["status"] == "exception" and outcome["kind"] == "wrapped-exception"
    assert outcome["exception_type"] == "ZeroDivisionError"
    assert outcome["signature"].startswith("exception:ZeroDivisionError@tests/test_fuzz_targets.py:broken")


def test_fingerprint_change_is_a_round_trip_violation(monkeypatch: pytest.MonkeyPatch) -> None:
    real = ir.fingerprint
    calls = {"n": 0}

    def drifting(closed: Any, **kw: Any) -> str:
        calls["n"] += 1
        return real(closed, **kw) if calls["n"] == 1 else "0" * 64

    monkeypatch.setattr(ir_deserializer.ir, "fingerprint", drifting)
    with pytest.raises(InvariantViolation) as info:
        ir_deserializer.check(committed_seeds("ir_deserializer")["prim-add.json"])
    assert info.value.kind == ROUND_TRIP


def test_changed_data_is_wrong_data() -> None:
    given = json.loads(committed_seeds("ir_deserializer")["dtype-consts.json"])
    canonical = json.loads(json.dumps(given))
    assert ir_deserializer.compare_documents(given, canonical) is None
    canonical["consts"][9]["data"][0] = 1.0  # a float64 const read as another value
    assert "consts[9].data[0]" in str(ir_deserializer.compare_documents(given, canonical))
    canonical = json.loads(json.dumps(given))
    canonical["jaxpr"]["equations"][0]["primitive"] = "sin"
    assert ir_deserializer.compare_documents(given, canonical) is not None


def test_wrong_data_detected_end_to_end(monkeypatch: pytest.MonkeyPatch) -> None:
    """A decoder that silently flips a sign must be caught by the data oracle."""
    from frankenjax_ref.core import values

    real = values._round_from_f64

    def sloppy(f64: np.ndarray, d: np.dtype) -> np.ndarray:
        return real(np.abs(f64), d)  # loses the sign of every float

    monkeypatch.setattr(values, "_round_from_f64", sloppy)
    with pytest.raises(InvariantViolation) as info:
        ir_deserializer.check(committed_seeds("ir_deserializer")["dtype-consts.json"])
    assert info.value.kind == WRONG_DATA


@pytest.mark.parametrize("dtype", ["float16", "float32", "bfloat16"])
def test_independent_rounding_agrees_with_the_decoder_policy(dtype: str) -> None:
    rng = random.Random(7)
    target = np.dtype(ml_dtypes.bfloat16) if dtype == "bfloat16" else np.dtype(dtype)
    info = ml_dtypes.finfo(target)
    values = [0.1, -0.0, 5e-324, float(info.max), float(info.tiny), float(info.smallest_subnormal)]
    values += [rng.uniform(-1, 1) * 10 ** rng.randint(-50, 40) for _ in range(3000)]
    for v in values:
        got = ir_deserializer.round_to(v, dtype)
        decoded = ir.decode_array({"dtype": dtype, "shape": [], "data": [v]}) if not math.isinf(got) else None
        if decoded is None:
            with pytest.raises(IRError):
                ir.decode_array({"dtype": dtype, "shape": [], "data": [v]})
            continue
        want = float(np.asarray(decoded, dtype=np.float64))
        assert got == want and math.copysign(1, got) == math.copysign(1, want), (dtype, v)


# --- seeds ------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["ir_deserializer", "sidecar_manifest", "fixture_loader", "adapter_reply"])
def test_committed_seeds_are_handled_cleanly(target: str) -> None:
    """Every seed (regressions of fixed crashes included) is accepted or cleanly rejected."""
    check = get_target(target).load_check()
    seeds = committed_seeds(target)
    assert seeds, f"no committed seeds for {target}: run scripts/make_seed_corpus.py"
    statuses = {}
    for name, data in seeds.items():
        outcome = run_check(check, data)
        assert outcome["status"] in ("accepted", "rejected"), (name, outcome)
        statuses[name] = outcome["status"]
    assert any(s == "accepted" for s in statuses.values()) and any(s == "rejected" for s in statuses.values())
    for name, status in statuses.items():
        if name.startswith("bad-"):
            assert status == "rejected", name


def test_ir_seeds_cover_every_dtype_and_nesting() -> None:
    lookup("add")
    seeds = committed_seeds("ir_deserializer")
    seen_prims: set[str] = set()
    seen_dtypes: set[str] = set()
    nested = 0

    def walk(closed: dict[str, Any], depth: int) -> None:
        nonlocal nested
        nested = max(nested, depth)
        jaxpr = closed["jaxpr"]
        for b in jaxpr["constvars"] + jaxpr["invars"]:
            seen_dtypes.add(b["aval"]["dtype"])
        for e in jaxpr["equations"]:
            seen_prims.add(e["primitive"])
            for b in e["outputs"]:
                seen_dtypes.add(b["aval"]["dtype"])
            for sub in e["sub_jaxprs"].values():
                walk(sub, depth + 1)

    for name, data in seeds.items():
        if name.startswith(("prim-", "dtype-", "nest-", "mix-")):
            walk(json.loads(data), 0)
    # every primitive's seed program is checked from its spec row (tests/test_specs.py); the committed
    # corpus is what the generator writes (test_committed_seeds_are_up_to_date)
    assert seen_prims
    assert {dtypes.name_of(d) for d in dtypes.ALL} | {"float0"} <= seen_dtypes
    assert nested >= 8


@pytest.mark.parametrize("target", ["ir_deserializer", "sidecar_manifest", "adapter_reply"])
def test_committed_seeds_are_up_to_date(target: str) -> None:
    """The committed corpus is what the generator writes (run scripts/make_seed_corpus.py if not)."""
    generated = seedgen.GENERATORS[target]()
    committed = {k: v for k, v in committed_seeds(target).items() if not k.startswith("regress-")}
    assert sorted(committed) == sorted(generated)
    stale = [name for name, data in generated.items() if committed[name] != data]
    assert stale == []


def test_regression_seeds_are_the_indexed_minimized_inputs() -> None:
    index = SEEDS / "crashes" / "index.v1.jsonl"
    if not index.is_file():
        pytest.skip("no crash index")
    for line in index.read_text().splitlines():
        entry = json.loads(line)
        if entry["target"] not in seedgen.GENERATORS or not entry["paths"]["minimized"]:
            continue
        seed = SEEDS / entry["target"] / "seed" / f"regress-{entry['sha1']}"
        assert seed.is_file(), f"{entry['id']}: minimized input missing from the seed corpus"
        assert seed.read_bytes() == (CODE_ROOT / entry["paths"]["minimized"]).read_bytes()


# --- sidecar target ------------------------------------------------------------------------------


def test_sidecar_target_checks_trailers() -> None:
    seeds = committed_seeds("sidecar_manifest")
    share = seeds["share-100b-k2-m3-0.fjs"]
    assert sidecar_manifest.check(share) == "accepted"
    assert sidecar_manifest.check(share[:-9] + b"xFJSCSHR1") == "rejected:FJ-DUR-MANIFEST"
    body = share[:-16]
    assert sidecar_manifest.check(body + struct.pack(">Q", 7) + b"FJSCSHR1") == "rejected:FJ-DUR-MANIFEST"


def test_sidecar_rehash_makes_mutants_pass_the_hash_check() -> None:
    doc = json.loads(committed_seeds("sidecar_manifest")["manifest-100b-k2-m3.json"])
    doc["created_at"] = "2030-01-01T00:00:00Z"
    text = (json.dumps(sidecar_manifest.rehash(doc), sort_keys=True, indent=2) + "\n").encode()
    assert sidecar_manifest.check(text) == "accepted"


# --- mutator -----------------------------------------------------------------------------------


def test_json_mutator_is_deterministic_and_bounded() -> None:
    calls: list[int] = []

    def byte_mutate(data: bytes, max_size: int) -> bytes:
        calls.append(len(data))
        return data[:max_size]

    mutate = JsonMutator(["sin", "float32"], byte_mutate=byte_mutate)
    data = committed_seeds("ir_deserializer")["text-base.json"]
    outs = [mutate(data, 4096, seed) for seed in range(300)]
    assert outs == [mutate(data, 4096, seed) for seed in range(300)]
    assert all(len(o) <= 4096 for o in outs)
    parsed = 0
    for out in outs:
        try:
            json.loads(out)
            parsed += 1
        except ValueError:
            pass
    assert parsed > 150 and len(set(outs)) > 150
    assert calls  # a share goes to the byte mutator
    assert mutate(b"\xff not json", 64, 1) == b"\xff not json"[:64]


# --- minimizer ---------------------------------------------------------------------------------


def test_minimizer_bytes() -> None:
    data = bytes(random.Random(3).randrange(256) for _ in range(500))
    data = data[:200] + b"XY" + data[200:]
    result = minimize(data, lambda d: b"XY" in d)
    assert result.data == b"XY" and not result.exhausted


def test_minimizer_json_keeps_the_property_and_shrinks_structure() -> None:
    doc = json.loads(committed_seeds("ir_deserializer")["mix-chain.json"])
    data = json.dumps(doc, indent=2).encode()

    def has_argmax(d: bytes) -> bool:
        return b'"argmax"' in d

    result = minimize(data, has_argmax)
    assert has_argmax(result.data) and len(result.data) <= len(b'"argmax"') + 2
    budget = minimize(data, has_argmax, max_candidates=5)
    assert budget.exhausted and has_argmax(budget.data) and len(budget.data) <= len(data)
