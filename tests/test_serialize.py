"""Canonical JSON: round trips, fingerprint invariance, every error code, robustness on junk."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from typing import Any

import ir_cases
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frankenjax_ref import ir
from frankenjax_ref.core.serialize import var_name
from frankenjax_ref.errors import ERROR_CODES, IRError

PROGRAMS = ir_cases.all_programs()


def canonical(doc: Any) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


# --- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_hand_built_programs_round_trip(name: str) -> None:
    closed = PROGRAMS[name]
    text = ir.dumps(closed)
    back = ir.loads(text)
    assert ir.dumps(back) == text
    assert ir.fingerprint(back) == ir.fingerprint(closed)
    assert ir.loads(text.encode("utf-8")).jaxpr.in_avals == closed.jaxpr.in_avals
    # the canonical form is what json.dumps(sort_keys, compact) makes of itself
    assert canonical(json.loads(text)) == text


def test_var_names_follow_jax() -> None:
    assert [var_name(i) for i in (0, 1, 25, 26, 27, 51, 52, 675, 676, 677)] == [
        "a",
        "b",
        "z",
        "ba",
        "bb",
        "bz",
        "ca",
        "zz",
        "baa",
        "bab",
    ]


def test_names_restart_in_each_scope() -> None:
    doc = json.loads(ir.dumps(PROGRAMS["spec_example"]))
    jit_eqn = next(e for e in doc["jaxpr"]["equations"] if e["primitive"] == "jit")
    assert jit_eqn["sub_jaxprs"]["jaxpr"]["jaxpr"]["invars"][0]["name"] == "a"
    assert [b["name"] for b in doc["jaxpr"]["constvars"] + doc["jaxpr"]["invars"]] == ["a", "b", "c"]


def test_hand_written_document_loads_and_canonicalizes() -> None:
    closed = ir.loads(json.dumps(ir_cases.base_doc(), indent=3))
    text = ir.dumps(closed)
    doc = json.loads(text)
    assert [b["name"] for b in doc["jaxpr"]["invars"]] == ["b", "c"]
    assert doc["consts"][0]["data"] == [1.0, "nan", -0.0]
    seven = ir.loads(text).jaxpr.outvars[2]
    assert isinstance(seven, ir.Literal) and seven.value == np.int32(7)


def rename(doc: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Give every binder a fresh random name, consistently within each scope."""
    doc = copy.deepcopy(doc)

    def scope(jaxpr: dict[str, Any]) -> None:
        binders = jaxpr["constvars"] + jaxpr["invars"] + [o for e in jaxpr["equations"] for o in e["outputs"]]
        fresh = rng.sample(range(10**6), len(binders))
        mapping = {b["name"]: f"v{n}_{rng.choice('xyzαβ')}" for b, n in zip(binders, fresh, strict=True)}
        for b in binders:
            b["name"] = mapping[b["name"]]
        atoms = jaxpr["outvars"] + [a for e in jaxpr["equations"] for a in e["inputs"]]
        for a in atoms:
            if "var" in a:
                a["var"] = mapping[a["var"]]
        for e in jaxpr["equations"]:
            for sub in e["sub_jaxprs"].values():
                scope(sub["jaxpr"])

    scope(doc["jaxpr"])
    return doc


def shuffle_keys(obj: Any, rng: random.Random) -> Any:
    if isinstance(obj, dict):
        items = list(obj.items())
        rng.shuffle(items)
        return {k: shuffle_keys(v, rng) for k, v in items}
    if isinstance(obj, list):
        return [shuffle_keys(v, rng) for v in obj]
    return obj


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ir_cases.programs(), st.randoms(use_true_random=False))
def test_random_programs_round_trip_with_invariant_fingerprints(
    closed: ir.ClosedJaxpr, rng: random.Random
) -> None:
    ir.validate(closed)
    text = ir.dumps(closed)
    fp = ir.fingerprint(closed)
    back = ir.loads(text)
    assert ir.dumps(back) == text and ir.fingerprint(back) == fp
    # renamed variables, shuffled keys and whitespace: same program, same fingerprint
    mutated = shuffle_keys(rename(json.loads(text), rng), rng)
    noisy = json.dumps(mutated, indent=rng.choice([None, 1, 4]), ensure_ascii=rng.random() < 0.5)
    assert noisy != text
    assert ir.fingerprint(ir.loads(noisy)) == fp


def test_fingerprint_changes_with_the_program() -> None:
    fps = {ir.fingerprint(p) for p in PROGRAMS.values()}
    assert len(fps) == len(PROGRAMS)
    doc = ir_cases.base_doc()
    doc2 = ir_cases.base_doc()
    doc2["consts"][0]["data"][2] = 0.0  # -0.0 -> +0.0 is a different program
    assert ir.fingerprint(ir.loads(json.dumps(doc))) != ir.fingerprint(ir.loads(json.dumps(doc2)))


def test_canonical_documents_validate_against_the_schema() -> None:
    from harness.schemas import validate

    for closed in PROGRAMS.values():
        validate(json.loads(ir.dumps(closed)), "frankenjax.ir.v1")


def test_schemas_share_one_array_definition() -> None:
    from harness.schemas import schema_path

    defs = [
        json.loads(schema_path(n).read_text())["$defs"]
        for n in ("frankenjax.array.v1", "frankenjax.ir.v1", "frankenjax.args.v1")
    ]
    for d in defs[1:]:
        assert {k: d[k] for k in defs[0]} == defs[0]


# --- every error code ---------------------------------------------------------------------------

Mut = Callable[[dict[str, Any]], Any]


def jaxpr_of(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["jaxpr"]


def eqns(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["jaxpr"]["equations"]


def inner(doc: dict[str, Any]) -> dict[str, Any]:
    return eqns(doc)[2]["sub_jaxprs"]["jaxpr"]["jaxpr"]


def setitem(get: Callable[[dict[str, Any]], Any], key: Any, value: Any) -> Mut:
    def mut(doc: dict[str, Any]) -> Any:
        get(doc)[key] = value
        return doc

    return mut


def delitem(get: Callable[[dict[str, Any]], Any], key: Any) -> Mut:
    def mut(doc: dict[str, Any]) -> Any:
        del get(doc)[key]
        return doc

    return mut


def raw(text: str | bytes) -> Mut:
    return lambda doc: text


def nest(depth: int) -> dict[str, Any]:
    """A document with ``depth`` levels of jit."""
    body: dict[str, Any] = {
        "jaxpr": {
            "constvars": [],
            "invars": [ir_cases.binder("x", "float32", [])],
            "equations": [],
            "outvars": [{"var": "x"}],
        },
        "consts": [],
    }
    for _ in range(depth):
        body = {
            "jaxpr": {
                "constvars": [],
                "invars": [ir_cases.binder("x", "float32", [])],
                "equations": [
                    ir_cases.eqn(
                        "jit",
                        [{"var": "x"}],
                        [ir_cases.binder("y", "float32", [])],
                        {"name": "f"},
                        {"jaxpr": body},
                    )
                ],
                "outvars": [{"var": "y"}],
            },
            "consts": [],
        }
    return {"schema": "frankenjax.ir.v1", **body}


B = ir_cases.binder
L = ir_cases.lit

NEGATIVE: list[tuple[str, Mut, str]] = [
    # syntax
    ("not utf-8", raw(b"\xff\xfe{}"), "FJ-IR-SYNTAX"),
    ("truncated", raw('{"schema": "frankenjax.ir.v1", "jaxpr": '), "FJ-IR-SYNTAX"),
    ("empty", raw(""), "FJ-IR-SYNTAX"),
    ("NaN literal", raw('{"a": NaN}'), "FJ-IR-SYNTAX"),
    ("Infinity literal", raw("[-Infinity]"), "FJ-IR-SYNTAX"),
    ("duplicate key", raw('{"schema": "frankenjax.ir.v1", "schema": "x"}'), "FJ-IR-SYNTAX"),
    ("utf-16", raw('{"schema": 1}'.encode("utf-16")), "FJ-IR-SYNTAX"),
    ("trailing junk", raw('{"schema": "frankenjax.ir.v1"} x'), "FJ-IR-SYNTAX"),
    # version
    ("no schema", delitem(lambda d: d, "schema"), "FJ-IR-VERSION"),
    ("wrong schema", setitem(lambda d: d, "schema", "frankenjax.ir.v2"), "FJ-IR-VERSION"),
    ("schema not a string", setitem(lambda d: d, "schema", 1), "FJ-IR-VERSION"),
    # structure
    ("top-level list", raw("[]"), "FJ-IR-SCHEMA"),
    ("extra top-level key", setitem(lambda d: d, "extra", 1), "FJ-IR-SCHEMA"),
    ("missing consts", delitem(lambda d: d, "consts"), "FJ-IR-SCHEMA"),
    ("jaxpr not an object", setitem(lambda d: d, "jaxpr", []), "FJ-IR-SCHEMA"),
    ("missing outvars", delitem(jaxpr_of, "outvars"), "FJ-IR-SCHEMA"),
    ("equations not a list", setitem(jaxpr_of, "equations", {}), "FJ-IR-SCHEMA"),
    ("binder name not a string", setitem(lambda d: jaxpr_of(d)["invars"][0], "name", 3), "FJ-IR-SCHEMA"),
    ("empty name", setitem(lambda d: jaxpr_of(d)["invars"][0], "name", ""), "FJ-IR-SCHEMA"),
    (
        "weak_type not bool",
        setitem(lambda d: jaxpr_of(d)["invars"][0]["aval"], "weak_type", 0),
        "FJ-IR-SCHEMA",
    ),
    (
        "aval shape not ints",
        setitem(lambda d: jaxpr_of(d)["invars"][0]["aval"], "shape", ["3"]),
        "FJ-IR-SCHEMA",
    ),
    ("negative dim", setitem(lambda d: jaxpr_of(d)["invars"][0]["aval"], "shape", [-3]), "FJ-IR-SCHEMA"),
    ("atom with both", setitem(lambda d: jaxpr_of(d)["outvars"], 0, {"var": "f", "lit": 1}), "FJ-IR-SCHEMA"),
    ("atom is a string", setitem(lambda d: jaxpr_of(d)["outvars"], 0, "f"), "FJ-IR-SCHEMA"),
    ("eqn missing sub_jaxprs", delitem(lambda d: eqns(d)[0], "sub_jaxprs"), "FJ-IR-SCHEMA"),
    ("primitive not a string", setitem(lambda d: eqns(d)[0], "primitive", ["mul"]), "FJ-IR-SCHEMA"),
    ("lit weak_type missing", delitem(lambda d: eqns(d)[0]["inputs"][1], "weak_type"), "FJ-IR-SCHEMA"),
    # names
    ("unbound outvar", setitem(jaxpr_of, "outvars", [{"var": "zz"}]), "FJ-IR-UNBOUND-VAR"),
    ("use before def", setitem(lambda d: eqns(d)[0]["inputs"], 0, {"var": "e"}), "FJ-IR-UNBOUND-VAR"),
    ("own output as input", setitem(lambda d: eqns(d)[1]["inputs"], 0, {"var": "e"}), "FJ-IR-UNBOUND-VAR"),
    (
        "sub-jaxpr sees outer name",
        setitem(lambda d: inner(d)["equations"][0]["inputs"], 0, {"var": "a"}),
        "FJ-IR-UNBOUND-VAR",
    ),
    ("duplicate invar", setitem(lambda d: jaxpr_of(d)["invars"][1], "name", "a"), "FJ-IR-DUPLICATE-BINDER"),
    (
        "output shadows const",
        setitem(lambda d: eqns(d)[0]["outputs"][0], "name", "c"),
        "FJ-IR-DUPLICATE-BINDER",
    ),
    (
        "inner duplicate",
        setitem(lambda d: inner(d)["equations"][0]["outputs"][0], "name", "x"),
        "FJ-IR-DUPLICATE-BINDER",
    ),
    # primitives and params
    (
        "unknown primitive",
        setitem(lambda d: eqns(d)[1], "primitive", "frobnicate"),
        "FJ-IR-UNKNOWN-PRIMITIVE",
    ),
    ("missing param", setitem(lambda d: eqns(d)[0], "params", {}), "FJ-IR-PARAM"),
    ("unknown param", setitem(lambda d: eqns(d)[1], "params", {"axes": [0]}), "FJ-IR-PARAM"),
    ("param wrong type", setitem(lambda d: eqns(d)[0]["params"], "out_dtype", 3), "FJ-IR-PARAM"),
    ("param bad dtype name", setitem(lambda d: eqns(d)[0]["params"], "out_dtype", "float128"), "FJ-IR-PARAM"),
    ("params not an object", setitem(lambda d: eqns(d)[0], "params", []), "FJ-IR-PARAM"),
    ("jit name not a string", setitem(lambda d: eqns(d)[2]["params"], "name", 5), "FJ-IR-PARAM"),
    ("jit without sub-jaxpr", setitem(lambda d: eqns(d)[2], "sub_jaxprs", {}), "FJ-IR-PARAM"),
    ("sub-jaxpr on add", setitem(lambda d: eqns(d)[1], "sub_jaxprs", {"jaxpr": {}}), "FJ-IR-PARAM"),
    # dtypes and values
    (
        "unknown aval dtype",
        setitem(lambda d: jaxpr_of(d)["invars"][0]["aval"], "dtype", "float128"),
        "FJ-IR-DTYPE",
    ),
    ("short dtype name", setitem(lambda d: jaxpr_of(d)["invars"][0]["aval"], "dtype", "f64"), "FJ-IR-DTYPE"),
    ("const wrong count", setitem(lambda d: d["consts"][0], "data", [1.0]), "FJ-IR-VALUE"),
    ("literal out of range", setitem(lambda d: jaxpr_of(d)["outvars"], 2, L("int32", 2**31)), "FJ-IR-VALUE"),
    (
        "literal bad string",
        setitem(lambda d: eqns(d)[0]["inputs"], 1, L("float64", "NaN", True)),
        "FJ-IR-VALUE",
    ),
    (
        "const bool as int",
        setitem(lambda d: d, "consts", [{"dtype": "bool", "shape": [3], "data": [1, 0, 1]}]),
        "FJ-IR-VALUE",
    ),
    # counts
    ("too few consts", setitem(lambda d: d, "consts", []), "FJ-IR-ARITY"),
    (
        "too many outputs",
        setitem(lambda d: eqns(d)[1], "outputs", [B("e", "float64", [3]), B("e2", "float64", [3])]),
        "FJ-IR-ARITY",
    ),
    (
        "too many inputs",
        setitem(lambda d: inner(d)["equations"][0], "inputs", [{"var": "x"}, {"var": "x"}]),
        "FJ-IR-ARITY",
    ),
    (
        "inner consts count",
        setitem(
            lambda d: eqns(d)[2]["sub_jaxprs"]["jaxpr"],
            "consts",
            [{"dtype": "int8", "shape": [], "data": [1]}],
        ),
        "FJ-IR-ARITY",
    ),
    # types
    (
        "declared dtype wrong",
        setitem(lambda d: eqns(d)[1]["outputs"][0]["aval"], "dtype", "float32"),
        "FJ-IR-TYPE-MISMATCH",
    ),
    (
        "declared shape wrong",
        setitem(lambda d: eqns(d)[1]["outputs"][0]["aval"], "shape", [1, 3]),
        "FJ-IR-TYPE-MISMATCH",
    ),
    (
        "declared weak wrong",
        setitem(lambda d: eqns(d)[1]["outputs"][0]["aval"], "weak_type", True),
        "FJ-IR-TYPE-MISMATCH",
    ),
    (
        "operand dtypes disagree",
        setitem(lambda d: eqns(d)[0]["inputs"], 1, L("float32", 2.0)),
        "FJ-IR-TYPE-MISMATCH",
    ),
    (
        "literal not rank 0",
        setitem(
            lambda d: eqns(d)[0]["inputs"],
            1,
            {"lit": {"dtype": "float64", "shape": [3], "data": [1, 2, 3]}, "weak_type": False},
        ),
        "FJ-IR-TYPE-MISMATCH",
    ),
    (
        "const shape wrong",
        setitem(lambda d: d, "consts", [{"dtype": "float64", "shape": [2], "data": [1, 2]}]),
        "FJ-IR-TYPE-MISMATCH",
    ),
    (
        "const dtype wrong",
        setitem(lambda d: d, "consts", [{"dtype": "float32", "shape": [3], "data": [1, 2, 3]}]),
        "FJ-IR-TYPE-MISMATCH",
    ),
    (
        "jit input mismatch",
        setitem(lambda d: inner(d)["invars"], 0, B("x", "float32", [3])),
        "FJ-IR-TYPE-MISMATCH",
    ),
    (
        "inner declared wrong",
        setitem(lambda d: inner(d)["equations"][0]["outputs"][0]["aval"], "shape", [4]),
        "FJ-IR-TYPE-MISMATCH",
    ),
    # limits
    ("huge shape", setitem(lambda d: jaxpr_of(d)["invars"][0]["aval"], "shape", [10**12]), "FJ-IR-LIMIT"),
    (
        "huge product",
        setitem(lambda d: jaxpr_of(d)["invars"][0]["aval"], "shape", [2**20, 2**20, 2**20]),
        "FJ-IR-LIMIT",
    ),
    ("rank 17", setitem(lambda d: jaxpr_of(d)["invars"][0]["aval"], "shape", [1] * 17), "FJ-IR-LIMIT"),
    ("huge integer", raw('{"schema": "frankenjax.ir.v1", "x": ' + "9" * 5000 + "}"), "FJ-IR-LIMIT"),
    ("deep JSON", raw("[" * 100_000 + "]" * 100_000), "FJ-IR-LIMIT"),
    ("deep JSON objects", raw('{"a":' * 50_000 + "1" + "}" * 50_000), "FJ-IR-LIMIT"),
    ("deep jit nesting", lambda d: nest(40), "FJ-IR-LIMIT"),
    ("long name", setitem(lambda d: jaxpr_of(d)["invars"][0], "name", "n" * 1000), "FJ-IR-LIMIT"),
]


@pytest.mark.parametrize(("label", "mutate", "code"), NEGATIVE, ids=[n[0] for n in NEGATIVE])
def test_bad_documents_raise_the_expected_code(label: str, mutate: Mut, code: str) -> None:
    out = mutate(ir_cases.doc_copy())
    data = out if isinstance(out, (str, bytes)) else json.dumps(out)
    with pytest.raises(IRError) as info:
        ir.loads(data)
    assert info.value.code == code, info.value.render()
    assert info.value.where, "every load error has a location"


def test_every_ir_code_has_a_negative_test() -> None:
    ir_codes = {c for c in ERROR_CODES if c.startswith("FJ-IR-")}
    assert ir_codes == {code for _, _, code in NEGATIVE}


def test_locations_name_the_equation_and_nesting() -> None:
    doc = ir_cases.doc_copy()
    inner(doc)["equations"][0]["outputs"][0]["aval"]["dtype"] = "float32"
    with pytest.raises(IRError) as info:
        ir.loads(json.dumps(doc))
    assert info.value.where == "jaxpr.equations[2].sub_jaxprs.jaxpr.jaxpr.equations[0] (sin)"
    doc = ir_cases.doc_copy()
    doc["consts"][0]["data"][1] = "nan:1"
    with pytest.raises(IRError) as info:
        ir.loads(json.dumps(doc))
    assert info.value.where == "consts[0].data[1]"


def test_configured_limits() -> None:
    text = json.dumps(ir_cases.base_doc())
    cases = [
        (ir.Limits(max_bytes=100), "document larger"),
        (ir.Limits(max_depth=0), "nested deeper"),
        (ir.Limits(max_equations=3), "equations"),
        (ir.Limits(max_vars=5), "variables"),
        (ir.Limits(max_rank=0), "rank"),
        (ir.Limits(max_elements=2), "exceeds"),
        (ir.Limits(max_total_elements=3), "in total"),
        (ir.Limits(max_name_length=0), "name longer"),
    ]
    for limits, message in cases:
        with pytest.raises(IRError) as info:
            ir.loads(text, limits)
        assert info.value.code == "FJ-IR-LIMIT" and message in info.value.message, (limits, info.value)
    assert ir.loads(text, ir.Limits(max_depth=1, max_equations=4, max_vars=8)) is not None
    with pytest.raises(IRError) as info:
        ir.loads(text.encode() + b" " * 10, ir.Limits(max_bytes=len(text) + 5))
    assert info.value.code == "FJ-IR-LIMIT"


def test_loads_rejects_non_text_input() -> None:
    with pytest.raises(IRError) as info:
        ir.loads(123)  # type: ignore[arg-type]
    assert info.value.code == "FJ-IR-SYNTAX"


# --- robustness: nothing but IRError on junk --------------------------------------------------------

JUNK_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    1.5,
    1e308,
    -(10**30),
    10**19,
    "",
    "x",
    "nan",
    [],
    {},
    [[[[]]]],
    {"var": "a"},
    {"dtype": "float64", "shape": [10**12], "data": []},
    [10**12],
    [2**62, 2**62],
    {"lit": {"dtype": "float64", "shape": [], "data": [1]}, "weak_type": True},
    "float0",
    "bfloat16",
]


def mutate_structure(doc: Any, rng: random.Random) -> Any:
    """Replace, delete or duplicate one random node of a parsed document."""
    doc = copy.deepcopy(doc)
    paths: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k in node:
                paths.append((node, k))
                walk(node[k])
        elif isinstance(node, list):
            for i in range(len(node)):
                paths.append((node, i))
                walk(node[i])

    walk(doc)
    parent, key = rng.choice(paths)
    action = rng.random()
    if action < 0.6:
        parent[key] = copy.deepcopy(rng.choice(JUNK_VALUES))
    elif action < 0.8:
        if isinstance(parent, dict):
            del parent[key]
        else:
            parent.pop(key)
    elif isinstance(parent, list):
        parent.insert(key, copy.deepcopy(parent[key]))
    else:
        parent[key + "_x"] = parent[key]
    return doc


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    action = rng.random()
    if action < 0.4:
        for _ in range(rng.randint(1, 4)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
    elif action < 0.6:
        del buf[rng.randrange(len(buf)) :]
    elif action < 0.8:
        pos = rng.randrange(len(buf))
        buf[pos:pos] = rng.choice(
            [b"[", b"{", b'"', b"-", b"1e999", b"9" * 80, b"\\u0000", b"\xc3", b",", b"]"]
        )
    else:
        a, b = sorted(rng.randrange(len(buf)) for _ in range(2))
        buf[a:b] = buf[a:b][::-1]
    return bytes(buf)


def test_loads_raises_only_ir_errors_on_mutations() -> None:
    rng = random.Random(20240611)
    seeds = [
        ir.dumps(p).encode()
        for p in (
            PROGRAMS["spec_example"],
            PROGRAMS["literals_every_dtype"],
            PROGRAMS["nested_jit"],
            PROGRAMS["consts_every_dtype"],
        )
    ]
    seeds.append(json.dumps(ir_cases.base_doc()).encode())
    parsed = [json.loads(s) for s in seeds]
    outcomes: dict[str, int] = {}
    for i in range(3000):
        if i % 2:
            data = mutate_bytes(rng.choice(seeds), rng)
        else:
            data = json.dumps(mutate_structure(rng.choice(parsed), rng)).encode()
        try:
            closed = ir.loads(data)
        except IRError as exc:
            outcomes[exc.code] = outcomes.get(exc.code, 0) + 1
        else:
            # whatever loads accepts is valid and round-trips canonically
            text = ir.dumps(closed)
            assert ir.dumps(ir.loads(text)) == text
            outcomes["ok"] = outcomes.get("ok", 0) + 1
    assert outcomes.get("ok", 0) > 0 and len(outcomes) >= 8, outcomes
