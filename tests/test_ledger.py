"""The decision ledger: the decision rule, the hash chain, the JSONL export and its CLI."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frankenjax_ref import ledger as L
from frankenjax_ref.errors import LedgerError
from harness.cli import main

TWO_BY_TWO = L.LossModel(
    ("safe", "bold"), ("good", "bad"), {"safe": {"good": 1.0, "bad": 1.0}, "bold": {"good": 0.0, "bad": 10.0}}
)


def test_choose_minimizes_expected_loss() -> None:
    # E[safe] = 1; E[bold] = 10 * P(bad): bold wins while P(bad) < 0.1
    assert L.choose(TWO_BY_TWO, {"good": 0.95, "bad": 0.05})[0] == "bold"
    assert L.choose(TWO_BY_TWO, {"good": 0.5, "bad": 0.5})[0] == "safe"


def test_ties_go_to_the_first_listed_action() -> None:
    # P(bad) = 0.1 makes E[bold] = 1.0 = E[safe]
    action, expected, _, _ = L.choose(TWO_BY_TWO, {"good": 0.9, "bad": 0.1})
    assert math.isclose(expected["bold"], expected["safe"])
    assert action == "safe"


@pytest.mark.parametrize(
    "posterior",
    [
        {"good": math.nan, "bad": 0.5},
        {"good": math.inf, "bad": 1.0},
        {"good": -1.0, "bad": 2.0},
        {"good": 0.0, "bad": 0.0},
        {},
    ],
)
def test_unusable_posteriors_fall_back_to_uniform_and_say_so(posterior: dict[str, float]) -> None:
    ledger = L.Ledger()
    record = ledger.decide("custom", posterior, {}, model=TWO_BY_TWO)
    assert record.posterior == {"good": 0.5, "bad": 0.5}
    assert record.evidence["posterior_fallback"] == "uniform"
    assert record.action == "safe"  # E[bold] = 5 > 1


def test_non_finite_losses_are_rejected() -> None:
    model = L.LossModel(("a",), ("s",), {"a": {"s": math.inf}})
    with pytest.raises(LedgerError) as exc:
        L.choose(model, {"s": 1.0})
    assert exc.value.code == "FJ-LEDGER-DECISION"


def test_posterior_is_normalized() -> None:
    _, _, probs, fallback = L.choose(TWO_BY_TWO, {"good": 3.0, "bad": 1.0})
    assert probs == {"good": 0.75, "bad": 0.25} and not fallback


def _ledger(n: int) -> L.Ledger:
    ledger = L.Ledger()
    for i in range(n):
        ledger.decide(
            "jit_cache", {"signature_match": float(i % 2), "signature_mismatch": float(1 - i % 2)}, {"i": i}
        )
    return ledger


def test_records_are_chained_and_verify() -> None:
    ledger = _ledger(5)
    assert ledger.verify() == 5
    assert ledger.records[0].prev_hash == L.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(ledger.records, ledger.records[1:], strict=False))
    assert ledger.verify(expected_head=ledger.head) == 5
    with pytest.raises(LedgerError):
        ledger.verify(expected_head="f" * 64)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(n=st.integers(2, 8), data=st.data())
def test_any_edit_drop_or_reorder_is_detected(n: int, data: st.DataObject) -> None:
    ledger = _ledger(n)
    records = ledger.records
    kind = data.draw(st.sampled_from(["edit", "drop", "swap", "truncate"]))
    i = data.draw(st.integers(0, n - 1))
    if kind == "edit":
        field = data.draw(st.sampled_from(["action", "kind", "timestamp", "evidence", "posterior"]))
        value = {
            "action": "reuse_cached!",
            "kind": "other",
            "timestamp": "1970-01-01T00:00:00Z",
            "evidence": {"forged": True},
            "posterior": {"signature_match": 0.3},
        }[field]
        records[i] = L.DecisionRecord(**{**records[i].__dict__, field: value})
    elif kind == "drop":
        del records[i]
    elif kind == "swap":
        j = (i + 1) % n
        records[i], records[j] = records[j], records[i]
    else:
        text = L.Ledger(records).to_jsonl().splitlines()
        # drop the last record but keep the trailer: the count and head no longer match
        with pytest.raises(LedgerError) as exc:
            L.Ledger.from_jsonl("\n".join(text[:-2] + text[-1:]))
        assert exc.value.code == "FJ-LEDGER-TAMPERED"
        return
    with pytest.raises(LedgerError) as exc:
        ledger.verify()
    assert exc.value.code == "FJ-LEDGER-TAMPERED"


def test_jsonl_round_trip() -> None:
    ledger = _ledger(4)
    again = L.Ledger.from_jsonl(ledger.to_jsonl())
    assert [r.hash for r in again.records] == [r.hash for r in ledger.records]
    assert again.verify() == 4


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json\n",
        '{"trailer": true, "count": 0}\n',
        '[1, 2]\n{"trailer": true, "count": 1, "head": "x"}\n',
        '{"seq": 0}\n{"trailer": true, "count": 1, "head": "x"}\n',
    ],
)
def test_malformed_exports_are_format_errors(text: str) -> None:
    with pytest.raises(LedgerError) as exc:
        L.Ledger.from_jsonl(text)
    assert exc.value.code == "FJ-LEDGER-FORMAT"


def test_jit_cache_decisions_are_recorded() -> None:
    import numpy as np

    import frankenjax_ref as fj

    with L.using(L.Ledger()) as ledger:
        f = fj.jit(lambda x: x * 2.0)
        f(np.ones(3))
        f(np.ones(3))
        f(np.ones(4))
    actions = [(r.action, r.evidence["cache_hit"]) for r in ledger.records]
    assert actions == [("retrace", False), ("reuse_cached", True), ("retrace", False)]
    assert f.cache_size() == 2
    assert ledger.verify() == 3


def test_cli_verify(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "ledger.jsonl"
    good.write_text(_ledger(3).to_jsonl())
    assert main(["ledger", "verify", str(good)]) == 0
    assert "3 records" in capsys.readouterr().out

    lines = good.read_text().splitlines()
    rec = json.loads(lines[1])
    rec["action"] = "forged"
    lines[1] = json.dumps(rec)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    assert main(["ledger", "verify", str(bad)]) == 1
    assert "FJ-LEDGER-TAMPERED" in capsys.readouterr().err

    assert main(["ledger", "verify", str(tmp_path / "missing.jsonl")]) == 2
    junk = tmp_path / "junk.jsonl"
    junk.write_text("{{{\n")
    assert main(["ledger", "verify", str(junk)]) == 2
    assert "FJ-LEDGER-FORMAT" in capsys.readouterr().err


# --- bounded ledgers ---------------------------------------------------------------------------------


def _bounded(n: int, capacity: int) -> L.Ledger:
    ledger = L.Ledger(capacity=capacity)
    for i in range(n):
        ledger.decide("jit_cache", {"signature_match": 1.0, "signature_mismatch": 0.0}, {"i": i})
    return ledger


def test_a_bounded_ledger_drops_its_oldest_half_behind_an_anchor() -> None:
    full = _ledger(25)  # the same decisions, unbounded (timestamps aside, same kinds and evidence)
    ledger = _bounded(25, capacity=10)
    assert len(ledger.records) <= 10 and ledger.next_seq == 25
    first = ledger.records[0]
    assert ledger.anchor == (first.seq, first.prev_hash) and first.seq > 0
    assert [r.seq for r in ledger.records] == list(range(first.seq, 25))
    assert ledger.verify(expected_head=ledger.head) == len(ledger.records)
    assert len(full.records) == 25


def test_a_bounded_export_round_trips_and_detects_tampering() -> None:
    ledger = _bounded(25, capacity=10)
    text = ledger.to_jsonl()
    back = L.Ledger.from_jsonl(text)
    assert back.anchor == ledger.anchor and back.verify(expected_head=ledger.head) == len(ledger.records)
    lines = text.splitlines()
    record = json.loads(lines[0])
    record["evidence"]["i"] = -1
    with pytest.raises(LedgerError) as exc:
        L.Ledger.from_jsonl("\n".join([json.dumps(record), *lines[1:]])).verify()
    assert exc.value.code == "FJ-LEDGER-TAMPERED"
    trailer = json.loads(lines[-1])
    trailer["anchor"]["prev_hash"] = "0" * 64  # claims the kept records follow another history
    with pytest.raises(LedgerError) as exc:
        L.Ledger.from_jsonl("\n".join([*lines[:-1], json.dumps(trailer)])).verify()
    assert exc.value.code == "FJ-LEDGER-TAMPERED"
    trailer["anchor"] = {"seq": "x"}
    with pytest.raises(LedgerError) as exc:
        L.Ledger.from_jsonl("\n".join([*lines[:-1], json.dumps(trailer)]))
    assert exc.value.code == "FJ-LEDGER-FORMAT"


def test_the_default_ledger_is_bounded_under_many_jit_calls() -> None:
    import numpy as np

    import frankenjax_ref as fj

    f = fj.jit(lambda x: x * 2.0)
    with L.using(L.Ledger(capacity=L.DEFAULT_CAPACITY)) as led:
        for i in range(3 * L.DEFAULT_CAPACITY):
            f(np.float64(i))
        assert len(led.records) <= L.DEFAULT_CAPACITY and led.next_seq == 3 * L.DEFAULT_CAPACITY
        assert led.verify() == len(led.records)
    assert L.default_ledger().capacity == L.DEFAULT_CAPACITY


def test_a_capacity_below_two_is_refused() -> None:
    with pytest.raises(LedgerError):
        L.Ledger(capacity=1)
