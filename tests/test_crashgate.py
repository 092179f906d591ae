"""The crash gate over hand-written indexes, and over the committed index and budgets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.fuzz.crashgate import CrashGateError, crash_gate, load_section
from harness.schemas import validate

CODE_ROOT = Path(__file__).resolve().parent.parent
TS = "2024-01-01T00:00:00.000000Z"


def entry(n: int, severity: str | None, status: str) -> dict[str, Any]:
    sha1 = f"{n:040x}"
    return {
        "schema": "frankenjax.crash-index-entry.v1",
        "id": f"ir_deserializer/crash-{sha1}",
        "target": "ir_deserializer",
        "name": f"crash-{sha1}",
        "sha1": sha1,
        "sha256": "0" * 64,
        "size": 3,
        "severity": severity,
        "status": status,
        "kind": {"P0": "round-trip-mismatch", "P1": "hang", "P2": "slow", None: None}[severity],
        "reason": "test",
        "signature": None,
        "exception_type": None,
        "frame": None,
        "traceback": None,
        "last_outcome": {
            "status": "rejected",
            "code": "FJ-IR-SYNTAX",
            "reproduced": status == "open",
            "note": "n",
        },
        "paths": {
            "original": f"corpus/crashes/ir_deserializer/crash-{sha1}",
            "original_sidecar": None,
            "minimized": None,
            "minimized_sidecar": None,
        },
        "minimized_sha256": None,
        "minimized_size": None,
        "repro": "fjh triage",
        "timeout_s": 30,
        "slow_seconds": 2,
        "first_seen_at": TS,
        "updated_at": TS,
        "fixed_at": TS if status == "fixed" else None,
        "history": [],
    }


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FJH_ROOT", str(tmp_path))
    (tmp_path / "ci").mkdir()
    (tmp_path / "corpus" / "crashes").mkdir(parents=True)
    return tmp_path


def setup(
    root: Path, entries: list[dict[str, Any]], known: list[str], max_open_p1: int | None = None
) -> None:
    section = {
        "index": "corpus/crashes/index.v1.jsonl",
        "known_p0": [{"id": k, "reason": "fixed in test"} for k in known],
        "max_open_p1": max_open_p1,
    }
    (root / "ci" / "reliability_budgets.v1.json").write_text(
        json.dumps({"other_gate": {"x": 1}, "crash_gate": section})
    )
    lines = [json.dumps(e) for e in entries]
    for e in entries:
        validate(e, "frankenjax.crash-index-entry.v1")
    (root / "corpus" / "crashes" / "index.v1.jsonl").write_text("".join(line + "\n" for line in lines))


def test_empty_index_passes(root: Path) -> None:
    setup(root, [], [])
    result = crash_gate()
    assert result.ok and result.entries == 0 and result.failures == ()


def test_open_p0_fails_even_when_known(root: Path) -> None:
    e = entry(1, "P0", "open")
    setup(root, [e], [e["id"]])
    result = crash_gate()
    assert not result.ok and [x.id for x in result.open_p0] == [e["id"]] and result.new_p0 == ()


def test_new_p0_fails_until_acknowledged(root: Path) -> None:
    e = entry(2, "P0", "fixed")
    setup(root, [e], [])
    result = crash_gate()
    assert not result.ok and result.open_p0 == () and [x.id for x in result.new_p0] == [e["id"]]
    assert result.failures == (f"P0 not in crash_gate.known_p0: {e['id']} [fixed]",)
    setup(root, [e], [e["id"]])
    assert crash_gate().ok


def test_p1_p2_and_unreproduced_pass_unless_budgeted(root: Path) -> None:
    entries = [
        entry(3, "P1", "open"),
        entry(4, "P1", "open"),
        entry(5, "P2", "open"),
        entry(6, None, "not-reproducible"),
    ]
    setup(root, entries, [])
    result = crash_gate()
    assert result.ok and result.counts == {"P1/open": 2, "P2/open": 1, "none/not-reproducible": 1}
    setup(root, entries, [], max_open_p1=1)
    assert crash_gate().failures == ("2 P1 entries open, budget 1",)


def test_stale_known_entries_are_reported_not_failed(root: Path) -> None:
    setup(root, [], ["ir_deserializer/crash-" + "a" * 40])
    result = crash_gate()
    assert result.ok and result.stale_known == ("ir_deserializer/crash-" + "a" * 40,)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "does not exist"),
        ("{", "not valid UTF-8 JSON"),
        ('{"other": {}}', "no 'crash_gate' section"),
        ('{"crash_gate": {"index": "x"}}', "known_p0"),
        ('{"crash_gate": {"index": "x", "known_p0": [{"id": "nope", "reason": "r"}]}}', "does not match"),
    ],
)
def test_bad_budgets_are_typed_errors(root: Path, content: str | None, fragment: str) -> None:
    if content is not None:
        (root / "ci" / "reliability_budgets.v1.json").write_text(content)
    with pytest.raises(CrashGateError, match=fragment) as info:
        crash_gate()
    assert info.value.code == "FJ-TRIAGE-GATE-CONFIG"


def test_committed_budgets_and_index_pass_the_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    """What CI runs: the repository's own crash index against its own budgets."""
    monkeypatch.setenv("FJH_ROOT", str(CODE_ROOT))
    section = load_section()
    assert section["index"] == "corpus/crashes/index.v1.jsonl"
    result = crash_gate()
    assert result.ok, result.failures
