"""The adapter protocol: the shipped adapters, and a harness that survives any adapter."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frankenjax_ref.core.values import decode_array, encode_array
from harness.adapters import protocol as p
from harness.adapters.client import AdapterProcess, parse_command
from harness.conformance.fixtures import read_bundles

MISBEHAVING = [sys.executable, str(Path(__file__).parent / "adapters" / "misbehaving.py")]


def _cases(n: int) -> list[dict]:  # type: ignore[type-arg]
    (bundle,) = read_bundles(["fixtures/seed.bundle.json"])
    return [c for c in bundle.cases if c["expected"] and c["expected"].get("outputs")][:n]


def _run(adapter: AdapterProcess, case: dict) -> object:  # type: ignore[type-arg]
    return adapter.run(case["case_id"], case["ir"], case["stack"], [decode_array(a) for a in case["inputs"]])


def test_the_reference_adapter_gives_the_in_process_outputs() -> None:
    from frankenjax_ref import dispatch
    from frankenjax_ref.ir import from_json

    with AdapterProcess([sys.executable, "-m", "harness.adapters.reference"]) as adapter:
        assert adapter.info is not None and adapter.info.name == "frankenjax-reference"
        assert "sin" in adapter.info.primitives and "grad" in adapter.info.transforms
        for case in _cases(12):
            outcome = _run(adapter, case)
            assert outcome.replied and outcome.reply.ok, outcome
            args = [decode_array(a) for a in case["inputs"]]
            direct = dispatch.run(
                from_json(case["ir"]), dispatch.stack_from_json(case["stack"]), args
            ).outputs
            got = [encode_array(x) for x in outcome.reply.outputs]
            assert got == [encode_array(np.asarray(x)) for x in direct]


def test_a_crashing_adapter_is_restarted_and_the_case_is_an_error() -> None:
    with AdapterProcess([*MISBEHAVING, "--crash-every", "3"], timeout=60) as adapter:
        statuses = [_run(adapter, c) for c in _cases(7)]
    assert [o.status for o in statuses] == ["replied", "replied", "crashed"] * 2 + ["replied"]
    crashed = statuses[2]
    assert crashed.exit_status == 3 and "crashing on request 3" in crashed.stderr_tail
    assert adapter.restarts == 2


@pytest.mark.parametrize(
    ("flag", "status", "needle"),
    [
        ("--garbage-at", "protocol", "not JSON"),
        ("--wrong-id-at", "protocol", "a reply for id"),
    ],
)
def test_a_line_that_is_not_the_reply_is_a_protocol_error(flag: str, status: str, needle: str) -> None:
    with AdapterProcess([*MISBEHAVING, flag, "2"]) as adapter:
        outcomes = [_run(adapter, c) for c in _cases(3)]
    assert [o.status for o in outcomes] == ["replied", status, "replied"]
    assert "FJ-ADAPTER-PROTOCOL" in outcomes[1].message and needle in outcomes[1].message


def test_a_hanging_adapter_times_out_and_is_replaced() -> None:
    with AdapterProcess([*MISBEHAVING, "--hang-at", "2"], timeout=3) as adapter:
        outcomes = [_run(adapter, c) for c in _cases(3)]
    assert [o.status for o in outcomes] == ["replied", "timeout", "replied"]


def test_a_huge_reply_is_refused_without_reading_it_all() -> None:
    with AdapterProcess([*MISBEHAVING, "--huge-at", "2"], max_reply_bytes=1 << 20) as adapter:
        outcomes = [_run(adapter, c) for c in _cases(3)]
    assert [o.status for o in outcomes] == ["replied", "too_large", "replied"]


def test_an_adapter_that_cannot_start_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(p.AdapterError) as exc:
        AdapterProcess([str(tmp_path / "missing-adapter")]).start()
    assert exc.value.code == "FJ-ADAPTER-EXEC"
    script = tmp_path / "not-executable.sh"
    script.write_text("#!/bin/sh\n")
    with pytest.raises(p.AdapterError) as exc:
        AdapterProcess([str(script)]).start()
    assert exc.value.code == "FJ-ADAPTER-EXEC"
    with pytest.raises(p.AdapterError) as exc:
        parse_command("   ")
    assert exc.value.code == "FJ-ADAPTER-EXEC"


def test_an_adapter_without_a_hello_is_refused() -> None:
    with pytest.raises(p.AdapterError) as exc:
        AdapterProcess([*MISBEHAVING, "--no-hello"]).start()
    assert exc.value.code == "FJ-ADAPTER-HELLO"
    with pytest.raises(p.AdapterError) as exc:
        AdapterProcess([sys.executable, "-c", "pass"], timeout=10).start()
    assert exc.value.code == "FJ-ADAPTER-HELLO"


def test_parse_command_splits_like_a_shell_without_running_one() -> None:
    assert parse_command("node 'my adapter.js' --fast") == ["node", "my adapter.js", "--fast"]
    assert parse_command(["a", "b c"]) == ["a", "b c"]


def test_replies_decode_and_errors_keep_their_codes() -> None:
    ok = {"id": "c1", "ok": True, "outputs": [encode_array(np.float32([1.5, -0.0]))]}
    reply = p.parse_run_reply(json.dumps(ok).encode(), "c1")
    assert reply.ok and reply.outputs[0].dtype == np.float32
    assert np.signbit(reply.outputs[0][1])
    bad = {"id": "c1", "ok": False, "error": {"code": "unsupported", "message": "no fft"}}
    assert p.parse_run_reply(json.dumps(bad).encode(), "c1").unsupported
    for line, needle in [
        (b"[1, 2]", "not an object"),
        (
            b'{"id": "c1", "ok": true, "outputs": [{"dtype": "float32", "shape": [2], "data": [1]}]}',
            "output 0",
        ),
        (b'{"id": "c1", "ok": true, "outputs": [], "x": NaN}', "not JSON"),
        (b'{"id": "c1"}', "protocol"),
    ]:
        with pytest.raises(p.AdapterError) as exc:
            p.parse_run_reply(line, "c1")
        assert exc.value.code == "FJ-ADAPTER-PROTOCOL" and needle in exc.value.message, exc.value.message


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_any_bytes_give_a_reply_or_a_typed_error(line: bytes) -> None:
    try:
        p.parse_run_reply(line, "c1")
    except p.AdapterError as exc:
        assert exc.code.startswith("FJ-ADAPTER-")
    try:
        p.parse_hello(line)
    except p.AdapterError as exc:
        assert exc.code == "FJ-ADAPTER-HELLO"
