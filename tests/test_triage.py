"""Triage end to end on the test-only ``crashme`` target: fuzz -> crash file -> triage -> index -> gate."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.fuzz.crashgate import crash_gate
from harness.fuzz.runner import run_fuzz
from harness.fuzz.triage import classify, read_index, triage


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FJH_ROOT", str(tmp_path))
    monkeypatch.setenv("FJH_FUZZ_TEST_TARGETS", "1")
    monkeypatch.delenv("FJH_CRASHME_FIXED", raising=False)
    (tmp_path / "ci").mkdir()
    budgets: dict[str, Any] = {
        "crash_gate": {"index": "corpus/crashes/index.v1.jsonl", "known_p0": [], "max_open_p1": None}
    }
    (tmp_path / "ci" / "reliability_budgets.v1.json").write_text(json.dumps(budgets))
    return tmp_path


def put_crash(root: Path, data: bytes) -> str:
    name = "crash-" + hashlib.sha1(data).hexdigest()
    path = root / "corpus" / "crashes" / "crashme" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return name


def snapshot(root: Path) -> dict[str, bytes]:
    crashes = root / "corpus" / "crashes"
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(crashes.rglob("*")) if p.is_file()}


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_fuzz_finds_triage_records_gate_judges(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 1. the fuzzer finds the deliberate crash and writes crash-<sha1>
    result = run_fuzz("crashme", runs=300_000, max_time=60, seed=4, hang_seconds=3, write_sidecars=False)
    assert (
        len(result.crashes) == 1 and result.crashes[0].new and result.crashes[0].kind in ("crash", "timeout")
    )
    found = result.crashes[0]
    data = (root / found.path).read_bytes()
    assert found.name == "crash-" + hashlib.sha1(data).hexdigest() and data[:3] == b"FJH"

    # 2. fjh triage: reproduce, minimize, classify, store with sidecars, index
    code, out, _ = run_cli(capsys, "triage", found.name, "--timeout", "5")
    assert code == 0 and "open" in out
    [entry] = read_index()
    assert entry["id"] == f"crashme/{found.name}" and entry["status"] == "open"
    assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["size"] == len(data)
    assert entry["minimized_size"] == 4 and entry["minimized_size"] <= entry["size"]
    minimized = (root / entry["paths"]["minimized"]).read_bytes()
    assert minimized[:3] == b"FJH" and len(minimized) == 4
    expected = {
        b"C": ("P1", "uncaught-exception"),
        b"W": ("P1", "wrapped-exception"),
        b"0": ("P0", "invariant"),
        b"H": ("P1", "hang"),
        b"S": ("P2", "slow"),
    }[minimized[3:4]]
    assert (entry["severity"], entry["kind"]) == expected
    if entry["kind"].endswith("exception"):
        assert "Traceback" in entry["traceback"] and entry["frame"].startswith(
            "harness/fuzz/targets/crashme.py"
        )
    for key in ("original_sidecar", "minimized_sidecar"):
        assert (root / entry["paths"][key] / "manifest.json").is_file()
    assert (root / "corpus/crashes/index.v1.jsonl.fjsc/manifest.json").is_file()

    # 3. idempotent: a second run changes no byte
    before = snapshot(root)
    code, out, _ = run_cli(capsys, "triage", found.name, "--target", "crashme", "--timeout", "5")
    assert code == 0 and "unchanged" in out
    assert snapshot(root) == before

    # 4. the gate: a P1 passes unless a P1 budget says otherwise
    gate = crash_gate()
    assert gate.ok == (entry["severity"] != "P0")


def test_severities_statuses_and_the_gate(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    p0 = put_crash(root, b"FJH0 invariant")
    r = triage(p0, target="crashme")
    assert (r.severity, r.status, r.entry["kind"]) == ("P0", "open", "invariant")
    assert r.entry["signature"] == "invariant:invariant"
    gate = crash_gate()
    assert not gate.ok and [e.id for e in gate.open_p0] == [r.entry["id"]]
    assert [e.id for e in gate.new_p0] == [r.entry["id"]]
    code, out, _ = run_cli(capsys, "triage", "--gate")
    assert code == 1 and "P0 open" in out and "FAIL" in out

    # the bug is "fixed": the entry keeps its severity and finding, and becomes fixed
    monkeypatch.setenv("FJH_CRASHME_FIXED", "1")
    r = triage(p0, target="crashme")
    assert (r.severity, r.status) == ("P0", "fixed") and r.entry["fixed_at"]
    assert r.entry["last_outcome"] == {
        "status": "rejected",
        "code": "FJ-IR-SYNTAX",
        "reproduced": False,
        "note": "does not reproduce: handled cleanly, rejected (FJ-IR-SYNTAX)",
    }
    assert [h["status"] for h in r.entry["history"]] == ["open", "fixed"]
    again = triage(p0, target="crashme")
    assert not again.changed and again.entry == r.entry
    gate = crash_gate()
    assert not gate.ok and gate.open_p0 == () and len(gate.new_p0) == 1  # new until acknowledged
    budgets = root / "ci" / "reliability_budgets.v1.json"
    doc = json.loads(budgets.read_text())
    doc["crash_gate"]["known_p0"] = [{"id": r.entry["id"], "reason": "fixed (test)"}]
    budgets.write_text(json.dumps(doc))
    assert crash_gate().ok
    monkeypatch.delenv("FJH_CRASHME_FIXED")

    # a regression of a known P0 fails again
    assert triage(p0, target="crashme").status == "open" and not crash_gate().ok
    monkeypatch.setenv("FJH_CRASHME_FIXED", "1")
    triage(p0, target="crashme")
    monkeypatch.delenv("FJH_CRASHME_FIXED")

    hang = put_crash(root, b"FJHH")
    r = triage(hang, timeout=2)
    assert (r.severity, r.entry["kind"], r.entry["signature"]) == ("P1", "hang", "hang")

    slow = put_crash(root, b"FJHS")
    r = triage(slow, slow_seconds=0.5)
    assert (r.severity, r.entry["kind"]) == ("P2", "slow")
    assert "slower than the 0.5 s threshold" in r.entry["reason"]

    wrapped = put_crash(root, b"FJHWxx")
    r = triage(wrapped)
    assert (r.severity, r.entry["kind"], r.entry["exception_type"]) == ("P1", "wrapped-exception", "KeyError")
    assert r.entry["minimized_size"] == 4

    clean = put_crash(root, b"hello")
    r = triage(clean)
    assert (r.severity, r.status, r.entry["kind"]) == (None, "not-reproducible", None)

    doc["crash_gate"]["max_open_p1"] = 1
    budgets.write_text(json.dumps(doc))
    gate = crash_gate()
    assert not gate.ok and gate.failures == ("2 P1 entries open, budget 1",)

    code, out, _ = run_cli(capsys, "triage", "--list")
    assert code == 0 and out.count("crashme/crash-") == 5
    code, out, _ = run_cli(capsys, "triage", "--all", "--json")
    results = json.loads(out)
    assert code == 0 and len(results) == 5
    # each entry is re-run with its own recorded timeout/threshold: only the P0 (no longer "fixed") changes
    assert [r["entry"]["id"] for r in results if r["changed"]] == [f"crashme/{p0}"]
    assert next(r for r in results if r["changed"])["entry"]["status"] == "open"


def test_triage_a_file_elsewhere_and_repair_a_damaged_input(root: Path, tmp_path_factory: Any) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "found-it"
    outside.write_bytes(b"FJHC and more")
    r = triage(str(outside), target="crashme", minimize=False)
    assert r.copied and r.entry["paths"]["original"].startswith("corpus/crashes/crashme/crash-")
    stored = root / r.entry["paths"]["original"]
    stored.write_bytes(b"bit rot")  # damaged: no longer hashes to its name
    again = triage(stored.name, minimize=False)
    assert stored.read_bytes() == b"FJHC and more" and not again.changed


def test_triage_errors(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "triage", "crash-" + "0" * 40)
    assert code == 2 and "FJ-TRIAGE-NOT-FOUND" in err
    put_crash(root, b"FJHC")
    other = root / "corpus" / "crashes" / "ir_deserializer" / ("crash-" + hashlib.sha1(b"FJHC").hexdigest())
    other.parent.mkdir(parents=True)
    other.write_bytes(b"FJHC")
    code, _, err = run_cli(capsys, "triage", other.name)
    assert code == 2 and "FJ-TRIAGE-AMBIGUOUS" in err
    code, _, err = run_cli(capsys, "triage", other.name, "--target", "nope")
    assert code == 2 and "FJ-FUZZ-UNKNOWN-TARGET" in err
    code, _, err = run_cli(capsys, "triage", other.name, "--target", "crashme", "--timeout", "0")
    assert code == 2 and "FJ-TRIAGE-ARGS" in err
    (root / "corpus" / "crashes" / "index.v1.jsonl").write_text(
        '{"schema": "frankenjax.crash-index-entry.v1"}\n'
    )
    code, _, err = run_cli(capsys, "triage", "--list")
    assert code == 2 and "FJ-TRIAGE-INDEX" in err


def test_classify_rules() -> None:
    assert classify(
        {"status": "invariant", "kind": "wrong-data", "signature": "invariant:wrong-data", "message": "m"},
        slow_seconds=2,
    )[:2] == ("P0", "wrong-data")
    assert (
        classify({"status": "died", "signature": "died:SIGSEGV", "message": "x"}, slow_seconds=2)[0] == "P1"
    )
    fast = {"status": "rejected", "code": "FJ-IR-LIMIT", "signature": "clean:rejected", "elapsed_s": 0.1}
    assert classify(fast, slow_seconds=2)[0] is None
    assert classify({**fast, "elapsed_s": 3.0}, slow_seconds=2)[:2] == ("P2", "slow")
    assert classify({**fast, "elapsed_s": 3.0}, slow_seconds=0)[0] is None
