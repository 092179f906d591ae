"""The decision/evidence ledger: every non-trivial decision, with its reasons, hash-chained.

A decision is made by one documented rule, never ad hoc: given *actions*,
*states* of the world, a *loss matrix* ``L[action][state]`` and a
*posterior* ``P(state | evidence)``, the chosen action minimizes the expected
loss ``E[L | a] = sum_s P(s) L[a][s]``. Ties go to the action listed first
(callers list the conservative action first). A posterior with a NaN,
infinity, negative entry or zero total carries no information; the rule then
uses the uniform posterior and the record says so (``posterior_fallback``).
Loss matrices must be finite.

Each record carries the SHA-256 of the previous record, so editing,
dropping or reordering records breaks the chain; the JSONL export ends with
a trailer holding the record count and the head hash, so truncation is
detected too. (Anyone able to recompute hashes can forge a whole chain:
compare the head with a receipt kept elsewhere — ``fjh ledger verify FILE
--head HASH`` — when that matters.)

Default loss matrices for the reference's own decisions are in
:data:`DEFAULT_LOSSES`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from frankenjax_ref.errors import LedgerError

GENESIS = "0" * 64
SCHEMA = "frankenjax.ledger.v1"


@dataclass(frozen=True)
class LossModel:
    """Actions (conservative first), states, and the loss of each action in each state."""

    actions: tuple[str, ...]
    states: tuple[str, ...]
    losses: Mapping[str, Mapping[str, float]]


#: The reference's decisions and their default losses.
DEFAULT_LOSSES: dict[str, LossModel] = {
    # jit: reuse a staged program, or trace again. Reusing a program traced for
    # another signature would run the wrong program (loss 100); a needless
    # retrace costs one trace (loss 1).
    "jit_cache": LossModel(
        ("retrace", "reuse_cached"),
        ("signature_match", "signature_mismatch"),
        {
            "retrace": {"signature_match": 1.0, "signature_mismatch": 1.0},
            "reuse_cached": {"signature_match": 0.0, "signature_mismatch": 100.0},
        },
    ),
    # cache keys: an unknown compile feature may change semantics ("breaking")
    # or not ("benign"). Rejecting a benign feature fails a run (loss 1);
    # accepting a breaking one risks silently wrong results (loss 20).
    "unknown_feature": LossModel(
        ("reject", "accept_and_record"),
        ("feature_breaking", "feature_benign"),
        {
            "reject": {"feature_breaking": 0.0, "feature_benign": 1.0},
            "accept_and_record": {"feature_breaking": 20.0, "feature_benign": 0.0},
        },
    ),
    # dispatch: run a transform stack whose composition proof checked, or refuse.
    "dispatch": LossModel(
        ("refuse", "run"),
        ("proof_valid", "proof_invalid"),
        {
            "refuse": {"proof_valid": 1.0, "proof_invalid": 0.0},
            "run": {"proof_valid": 0.0, "proof_invalid": 50.0},
        },
    ),
}


@dataclass(frozen=True)
class DecisionRecord:
    seq: int
    kind: str
    action: str
    alternatives: tuple[str, ...]
    loss_matrix: dict[str, dict[str, float]]
    posterior: dict[str, float]
    expected_losses: dict[str, float]
    evidence: dict[str, Any]
    timestamp: str
    prev_hash: str
    hash: str = ""

    def body(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("hash")
        data["alternatives"] = list(self.alternatives)
        return data


def canonical_bytes(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def record_hash(body: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(body)).hexdigest()


def choose(
    model: LossModel, posterior: Mapping[str, float]
) -> tuple[str, dict[str, float], dict[str, float], bool]:
    """Apply the decision rule; returns (action, expected losses, posterior used, fell back to uniform)."""
    for a in model.actions:
        for s in model.states:
            value = model.losses[a][s]
            if not math.isfinite(value):
                raise LedgerError("FJ-LEDGER-DECISION", f"loss[{a}][{s}] = {value} is not finite")
    raw = [posterior.get(s, 0.0) for s in model.states]
    usable = all(isinstance(p, (int, float)) and math.isfinite(p) and p >= 0 for p in raw) and sum(raw) > 0
    if usable:
        total = sum(raw)
        probs = {s: p / total for s, p in zip(model.states, raw, strict=True)}
    else:
        probs = {s: 1.0 / len(model.states) for s in model.states}
    expected = {a: sum(probs[s] * model.losses[a][s] for s in model.states) for a in model.actions}
    best = min(model.actions, key=lambda a: (expected[a], model.actions.index(a)))
    return best, expected, probs, not usable


@dataclass
class Ledger:
    """An append-only list of decision records plus its own receipt.

    The receipt (next sequence number and head hash) is updated only by
    :meth:`decide`, so :meth:`verify` also catches records dropped from the
    end of ``records``, which the chain alone cannot.

    ``capacity`` bounds memory: when more records than that have been decided,
    the oldest half is dropped and the ledger keeps an *anchor* -- the sequence
    number of its first kept record and that record's ``prev_hash`` -- from
    which the kept chain still verifies (the dropped records are vouched for
    only by the anchor hash). The process-wide default ledger is bounded
    (:data:`DEFAULT_CAPACITY`); a ledger a caller creates for one run is not,
    unless asked.
    """

    records: list[DecisionRecord] = field(default_factory=list)
    receipt: tuple[int, str] | None = None
    capacity: int | None = None
    anchor: tuple[int, str] = (0, GENESIS)

    def __post_init__(self) -> None:
        if self.capacity is not None and self.capacity < 2:
            raise LedgerError("FJ-LEDGER-DECISION", f"ledger capacity {self.capacity} is below 2")
        if self.receipt is None:
            self.receipt = (self.anchor[0] + len(self.records), self.head)

    @property
    def head(self) -> str:
        return self.records[-1].hash if self.records else self.anchor[1]

    @property
    def next_seq(self) -> int:
        return self.anchor[0] + len(self.records)

    def decide(
        self,
        kind: str,
        posterior: Mapping[str, float],
        evidence: Mapping[str, Any],
        model: LossModel | None = None,
    ) -> DecisionRecord:
        """Choose an action by expected loss, append the record, return it."""
        model = model or DEFAULT_LOSSES[kind]
        action, expected, probs, fallback = choose(model, posterior)
        ev = dict(evidence)
        if fallback:
            ev["posterior_fallback"] = "uniform"
        body = DecisionRecord(
            seq=self.next_seq,
            kind=kind,
            action=action,
            alternatives=tuple(model.actions),
            loss_matrix={a: dict(model.losses[a]) for a in model.actions},
            posterior=probs,
            expected_losses=expected,
            evidence=json.loads(json.dumps(ev, default=str)),
            timestamp=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            prev_hash=self.head,
        )
        record = DecisionRecord(**{**body.__dict__, "hash": record_hash(body.body())})
        self.records.append(record)
        if self.capacity is not None and len(self.records) > self.capacity:
            drop = len(self.records) - self.capacity // 2
            kept_first = self.records[drop]
            self.anchor = (kept_first.seq, kept_first.prev_hash)
            del self.records[:drop]
        self.receipt = (self.next_seq, record.hash)
        return record

    def verify(self, expected_head: str | None = None) -> int:
        """Check the chain (from the anchor) and the receipt; raise FJ-LEDGER-TAMPERED at the first problem.

        Returns the number of records kept.
        """
        count = verify_records(self.records, expected_head, anchor=self.anchor)
        assert self.receipt is not None
        if (self.next_seq, self.head) != self.receipt:
            raise LedgerError(
                "FJ-LEDGER-TAMPERED",
                f"ledger ends at record {self.next_seq} with {self.head[:12]}, its receipt says "
                f"{self.receipt[0]} ending at {self.receipt[1][:12]}",
            )
        return count

    def to_jsonl(self) -> str:
        lines = [
            json.dumps({**r.body(), "hash": r.hash}, sort_keys=True, allow_nan=False) for r in self.records
        ]
        trailer: dict[str, Any] = {
            "schema": SCHEMA,
            "trailer": True,
            "count": len(self.records),
            "head": self.head,
        }
        if self.anchor != (0, GENESIS):
            trailer["anchor"] = {"seq": self.anchor[0], "prev_hash": self.anchor[1]}
        return "".join(line + "\n" for line in [*lines, json.dumps(trailer, sort_keys=True)])

    @classmethod
    def from_jsonl(cls, text: str) -> Ledger:
        """Parse an export (typed errors for malformed lines); does not verify."""
        records, trailer = parse_jsonl(text)
        anchor = _anchor(trailer)
        ledger = cls(records, receipt=(anchor[0] + trailer["count"], trailer["head"]), anchor=anchor)
        if trailer["count"] != len(records):
            raise LedgerError(
                "FJ-LEDGER-TAMPERED", f"trailer says {trailer['count']} records, file has {len(records)}"
            )
        if trailer["head"] != ledger.head:
            raise LedgerError("FJ-LEDGER-TAMPERED", "trailer head hash does not match the last record")
        return ledger


def _anchor(trailer: Mapping[str, Any]) -> tuple[int, str]:
    """The trailer's anchor (a bounded ledger's first kept record), or the genesis."""
    raw = trailer.get("anchor")
    if raw is None:
        return (0, GENESIS)
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("seq"), int)
        or isinstance(raw.get("seq"), bool)
        or raw["seq"] < 0
        or not isinstance(raw.get("prev_hash"), str)
    ):
        raise LedgerError("FJ-LEDGER-FORMAT", "the trailer's anchor must be {seq: int >= 0, prev_hash: str}")
    return (raw["seq"], raw["prev_hash"])


def verify_records(
    records: Sequence[DecisionRecord],
    expected_head: str | None = None,
    *,
    anchor: tuple[int, str] = (0, GENESIS),
) -> int:
    """Check sequence numbers and the hash chain from ``anchor`` (first seq, its prev_hash)."""
    first, prev = anchor
    for i, r in enumerate(records):
        if r.seq != first + i:
            raise LedgerError(
                "FJ-LEDGER-TAMPERED", f"record {i} has sequence number {r.seq}", where=f"record {i}"
            )
        if r.prev_hash != prev:
            raise LedgerError(
                "FJ-LEDGER-TAMPERED", "chain broken: prev_hash does not match", where=f"record {i}"
            )
        if record_hash(r.body()) != r.hash:
            raise LedgerError(
                "FJ-LEDGER-TAMPERED", "record content does not match its hash", where=f"record {i}"
            )
        prev = r.hash
    if expected_head is not None and prev != expected_head:
        raise LedgerError(
            "FJ-LEDGER-TAMPERED", f"head {prev} does not match the expected receipt {expected_head}"
        )
    return len(records)


_FIELDS = {
    "seq": int,
    "kind": str,
    "action": str,
    "alternatives": list,
    "loss_matrix": dict,
    "posterior": dict,
    "expected_losses": dict,
    "evidence": dict,
    "timestamp": str,
    "prev_hash": str,
    "hash": str,
}


def parse_jsonl(text: str) -> tuple[list[DecisionRecord], dict[str, Any]]:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise LedgerError("FJ-LEDGER-FORMAT", "empty ledger file (no trailer)")
    records = []
    for n, line in enumerate(lines[:-1], start=1):
        obj = _json_line(line, n)
        if set(obj) != set(_FIELDS):
            raise LedgerError(
                "FJ-LEDGER-FORMAT",
                f"record fields {sorted(obj)} are not {sorted(_FIELDS)}",
                where=f"line {n}",
            )
        for key, typ in _FIELDS.items():
            if not isinstance(obj[key], typ) or (typ is int and isinstance(obj[key], bool)):
                raise LedgerError(
                    "FJ-LEDGER-FORMAT", f"field {key!r} must be {typ.__name__}", where=f"line {n}"
                )
        obj["alternatives"] = tuple(obj["alternatives"])
        records.append(DecisionRecord(**obj))
    trailer = _json_line(lines[-1], len(lines))
    if (
        trailer.get("trailer") is not True
        or not isinstance(trailer.get("count"), int)
        or not isinstance(trailer.get("head"), str)
    ):
        raise LedgerError(
            "FJ-LEDGER-FORMAT", "the last line must be the trailer {count, head}", where=f"line {len(lines)}"
        )
    return records, trailer


def _json_line(line: str, n: int) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise LedgerError("FJ-LEDGER-FORMAT", f"not JSON: {exc}", where=f"line {n}") from None
    if not isinstance(obj, dict):
        raise LedgerError("FJ-LEDGER-FORMAT", "each line must be a JSON object", where=f"line {n}")
    return obj


# --- the default ledger --------------------------------------------------------------------------

#: The process-wide ledger keeps at most this many records (then the oldest half goes, behind an anchor).
DEFAULT_CAPACITY = 4096

_default = Ledger(capacity=DEFAULT_CAPACITY)


def default_ledger() -> Ledger:
    return _default


@contextlib.contextmanager
def using(ledger: Ledger) -> Iterator[Ledger]:
    """Send the reference's decisions to ``ledger`` inside the block."""
    global _default
    prev, _default = _default, ledger
    try:
        yield ledger
    finally:
        _default = prev


def record_jit_cache(name: str, *, hit: bool, cacheable: bool, signature: str) -> DecisionRecord:
    """jit found (or did not find) a staged program for this exact signature."""
    posterior = (
        {"signature_match": 1.0, "signature_mismatch": 0.0}
        if hit
        else {"signature_match": 0.0, "signature_mismatch": 1.0}
    )
    evidence = {"function": name, "signature": signature, "cache_hit": hit, "cacheable": cacheable}
    return _default.decide("jit_cache", posterior, evidence)
