"""Fault injection: random damage to artifacts, shares and manifests.

Every trial generates a sidecar, damages files at random (bit flips,
truncation, zeroed ranges, deleted or swapped shares, corrupted or rewritten
manifests, appended garbage, a lost sidecar directory), then checks against
an oracle computed from the bytes alone:

* damage is detected — scrub calls a file intact exactly when its bytes are
  unchanged;
* when the damage is within what the code tolerates (a surviving manifest
  copy, and the artifact intact or at least k shares intact — i.e. at most
  m - k shares bad), repair restores *every* file byte for byte;
* otherwise repair refuses with a typed error and changes nothing;
* a decode proof never reports wrong bytes as recovered.

The default run has a small, fast version; the campaign (``-m campaign``)
runs at least 10,000 trials and prints the outcome counts.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.atomicio import write_json
from harness.durability import DurabilityError, decode_proof, generate_sidecar, repair, scrub, sidecar_dir
from harness.durability.errors import MANIFEST, NO_SIDECAR, NOT_FOUND, UNRECOVERABLE
from harness.durability.sidecar import MANIFEST_NAME, share_name

SIZE_CLASSES = ("zero", "one", "k-1", "k", "k+1", "small", "large")
TARGETS_PER_KIND = {
    "flip": ("artifact", "manifest", "share"),
    "truncate": ("artifact", "manifest", "share"),
    "zero": ("artifact", "manifest", "share"),
    "delete": ("artifact", "manifest", "share"),
    "append": ("artifact", "manifest", "share"),
    "swap": ("share",),
    "rewrite": ("manifest",),
    "lose-sidecar": ("sidecar",),
}


@dataclass(frozen=True)
class Fault:
    kind: str
    target: str
    share: int
    a: int
    b: int
    bit: int


@dataclass(frozen=True)
class Scenario:
    k: int
    m: int
    size_class: str
    size: int
    max_block_size: int
    content_seed: int
    pattern: str
    faults: tuple[Fault, ...]
    drop: int
    proof_seed: int
    codec: str = "zfec"


#: Relative frequency of each fault kind: bit flips dominate, as in real rot.
#: Losing the whole sidecar directory is kept rare (1 in ~50 faults): it
#: always ends in the same refusal and would crowd out the interesting cases.
FAULT_WEIGHTS = {
    "flip": 18,
    "truncate": 6,
    "zero": 6,
    "delete": 9,
    "append": 3,
    "swap": 6,
    "rewrite": 3,
    "lose-sidecar": 1,
}


def _fault(m: int) -> st.SearchStrategy[Fault]:
    kinds = [kind for kind, weight in FAULT_WEIGHTS.items() for _ in range(weight)]

    @st.composite
    def build(draw: st.DrawFn) -> Fault:
        kind = draw(st.sampled_from(kinds))
        return Fault(
            kind,
            draw(st.sampled_from(TARGETS_PER_KIND[kind])),
            draw(st.integers(0, m - 1)),
            draw(st.integers(0, 1 << 30)),
            draw(st.integers(0, 1 << 30)),
            draw(st.integers(0, 7)),
        )

    return build()


@st.composite
def scenarios(draw: st.DrawFn, *, large: int = 6000, huge: bool = False, codec: str = "zfec") -> Scenario:
    """A random trial; ``huge`` makes every artifact 4-9 MiB at the default block size. Every
    (k, m) drawn here is one RaptorQ can promise (k <= 6, m <= k + 4), so both codecs share it."""
    k = draw(st.integers(1, 6))
    m = draw(st.integers(k, min(k + 4, 10)))
    size_class = "huge" if huge else draw(st.sampled_from(SIZE_CLASSES))
    size = {
        "zero": 0,
        "one": 1,
        "k-1": k - 1,
        "k": k,
        "k+1": k + 1,
        "small": draw(st.integers(2, 300)),
        "large": draw(st.integers(1000, large)),
        "huge": draw(st.integers(4 << 20, 9 << 20)) if huge else 0,
    }[size_class]
    # Small block limits force many stripes, so multi-stripe layouts are
    # exercised without large files.
    if huge:
        max_block = 1 << 20
    elif size <= 2000:
        max_block = draw(st.sampled_from([1 << 20, 1 << 20, 97, 16, 5, 1]))
    else:
        max_block = draw(st.sampled_from([1 << 20, 256, 64]))
    faults = tuple(draw(st.lists(_fault(m), min_size=1, max_size=5)))
    return Scenario(
        k=k,
        m=m,
        size_class=size_class,
        size=size,
        max_block_size=max_block,
        content_seed=draw(st.integers(0, 2**32)),
        pattern=draw(st.sampled_from(["random", "random", "zeros", "text"])),
        faults=faults,
        drop=draw(st.integers(0, m)),
        proof_seed=draw(st.integers(0, 2**32)),
        codec=codec,
    )


def _content(s: Scenario) -> bytes:
    rng = random.Random(s.content_seed)
    if s.pattern == "zeros":
        return bytes(s.size)
    if s.pattern == "text":
        return bytes(rng.choice(b'{"a": [1, 2.5, null]}\n ') for _ in range(s.size))
    return rng.randbytes(s.size)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _apply(fault: Fault, artifact: Path, m: int) -> None:
    sidecar = sidecar_dir(artifact)
    if fault.kind == "lose-sidecar":
        shutil.rmtree(sidecar, ignore_errors=True)
        return
    if fault.target == "artifact":
        path = artifact
    elif fault.target == "manifest":
        path = sidecar / MANIFEST_NAME
    else:
        path = sidecar / share_name(fault.share)
    if fault.kind == "swap":
        other = sidecar / share_name((fault.share + 1 + fault.a % max(m - 1, 1)) % m)
        if path == other or not sidecar.is_dir():
            return
        data_a = path.read_bytes() if path.exists() else None
        data_b = other.read_bytes() if other.exists() else None
        for target, data in ((path, data_b), (other, data_a)):
            if data is None:
                target.unlink(missing_ok=True)
            else:
                target.write_bytes(data)
        return
    if not path.exists():
        return
    data = bytearray(path.read_bytes())
    if fault.kind == "delete":
        path.unlink()
        return
    if fault.kind == "flip":
        if data:
            data[fault.a % len(data)] ^= 1 << fault.bit
    elif fault.kind == "truncate":
        data = data[: fault.a % (len(data) + 1)]
    elif fault.kind == "zero":
        if data:
            start = fault.a % len(data)
            end = min(len(data), start + 1 + fault.b % 64)
            data[start:end] = bytes(end - start)
    elif fault.kind == "append":
        data += random.Random(fault.a).randbytes(1 + fault.b % 32)
    elif fault.kind == "rewrite":
        # Valid JSON, plausible content, wrong meaning: caught by the self-hash.
        try:
            doc = json.loads(data)
            doc["k"] = doc["k"] + 1 if fault.bit % 2 else doc["k"]
            doc["artifact"]["size"] += 1 + fault.b % 3
        except (ValueError, KeyError, TypeError):
            return
        data = bytearray(json.dumps(doc, sort_keys=True, indent=2).encode() + b"\n")
    path.write_bytes(bytes(data))


def _endswith_any(data: bytes | None, tails: list[bytes]) -> bool:
    return data is not None and any(data.endswith(t) for t in tails)


def run_trial(s: Scenario) -> Counter[str]:
    """One trial; asserts the properties and returns what happened, for counting."""
    counts: Counter[str] = Counter(trials=1)
    counts[f"size:{s.size_class}"] += 1
    counts[f"codec:{s.codec}"] += 1
    with tempfile.TemporaryDirectory(prefix="fjh-fault-") as tmp:
        root = Path(tmp)
        artifact = root / "artifact.bin"
        original_bytes = _content(s)
        artifact.write_bytes(original_bytes)
        manifest = generate_sidecar(artifact, k=s.k, m=s.m, max_block_size=s.max_block_size, codec=s.codec)
        original = _snapshot(root)
        share_size = manifest.layout.share_size
        share_keys = [f"artifact.bin.fjsc/{share_name(i)}" for i in range(s.m)]
        tails = [original[key][share_size:] for key in share_keys]

        for fault in s.faults:
            _apply(fault, artifact, s.m)
            counts[f"fault:{fault.kind}:{fault.target}"] += 1
        damaged = _snapshot(root)

        # The oracle, from bytes alone.
        sidecar_present = sidecar_dir(artifact).is_dir()
        artifact_ok = damaged.get("artifact.bin") == original["artifact.bin"]
        manifest_key = f"artifact.bin.fjsc/{MANIFEST_NAME}"
        manifest_ok = damaged.get(manifest_key) == original[manifest_key]
        shares_ok = [damaged.get(key) == original[key] for key in share_keys]
        copy_survives = manifest_ok or any(_endswith_any(damaged.get(key), tails) for key in share_keys)
        good = sum(shares_ok)
        recoverable = sidecar_present and copy_survives and (artifact_ok or good >= s.k)
        untouched = damaged == original

        if not sidecar_present and not artifact.exists():
            # Nothing left to examine: a typed error, not a report.
            for operation in (scrub, repair):
                with pytest.raises(DurabilityError) as caught:
                    operation(artifact)
                assert caught.value.code == NOT_FOUND
            counts["outcome:refused:everything-lost"] += 1
            return counts

        # Detection: intact exactly when the bytes are unchanged.
        report = scrub(artifact)
        assert report.ok == untouched, report.problems
        if not sidecar_present:
            assert report.status == "no-sidecar"
        elif not copy_survives:
            assert report.status == "unrecoverable" and report.manifest_source is None
        else:
            assert (report.manifest_status == "intact") == manifest_ok
            assert (report.artifact_state.status == "intact") == artifact_ok
            assert [sh.status == "intact" for sh in report.shares] == shares_ok
            assert report.good_shares == good
        assert report.recoverable == recoverable

        # A proof never calls wrong bytes recovered; it recovers exactly when
        # enough verified shares remain after withholding.
        if sidecar_present and copy_survives:
            proof = decode_proof(artifact, drop=s.drop, seed=s.proof_seed)
            withheld = set(proof.shares_dropped)
            available_good = sum(ok for i, ok in enumerate(shares_ok) if i not in withheld)
            assert proof.recovered == (available_good >= s.k)
            if proof.recovered:
                assert proof.decoded_sha256 == manifest.artifact_sha256
                assert set(proof.shares_used).isdisjoint(withheld)
                assert all(shares_ok[i] for i in proof.shares_used)
            counts["proof:recovered" if proof.recovered else "proof:not-recovered"] += 1
        assert _snapshot(root) == damaged, "scrub or proof modified files"

        # Repair restores everything exactly, or refuses and touches nothing.
        if recoverable:
            result = repair(artifact)
            assert result.ok, result.after.problems
            after = _snapshot(root)
            assert after == original, sorted(
                k for k in set(after) | set(original) if after.get(k) != original.get(k)
            )
            counts["outcome:intact" if untouched else "outcome:repaired"] += 1
            counts[f"bad-shares:{s.m - good}"] += 1
        else:
            with pytest.raises(DurabilityError) as caught:
                repair(artifact)
            assert caught.value.code in (UNRECOVERABLE, MANIFEST, NO_SIDECAR)
            assert _snapshot(root) == damaged, "a refused repair changed files"
            counts[f"outcome:refused:{caught.value.code}"] += 1
            if sidecar_present and copy_survives:
                counts["refused-with-bad-shares>m-k"] += s.m - good > s.m - s.k
        if not artifact_ok:
            counts["artifact-damaged"] += 1
            counts["artifact-rebuilt" if recoverable else "artifact-not-rebuilt"] += 1
        return counts


FAST = settings(
    max_examples=int(os.environ.get("FJH_FAULT_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


CODECS = ("zfec", "raptorq")


@FAST
@given(scenarios(large=3000))
def test_random_faults_are_detected_and_repaired_or_refused(scenario: Scenario) -> None:
    run_trial(scenario)


@FAST
@given(scenarios(large=3000, codec="raptorq"))
def test_random_faults_with_raptorq(scenario: Scenario) -> None:
    run_trial(scenario)


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("size_class", SIZE_CLASSES)
def test_each_size_class_survives_m_minus_k_lost_shares_and_lost_artifact(
    size_class: str, codec: str
) -> None:
    """Deterministic corner: exactly m-k shares deleted plus the artifact."""
    k, m = 3, 5
    size = {"zero": 0, "one": 1, "k-1": k - 1, "k": k, "k+1": k + 1, "small": 200, "large": 5000}[size_class]
    faults = (
        Fault("delete", "artifact", 0, 0, 0, 0),
        Fault("delete", "share", 0, 0, 0, 0),
        Fault("flip", "share", 4, 3, 0, 2),
    )
    counts = run_trial(Scenario(k, m, size_class, size, 64, 7, "random", faults, m - k, 1, codec))
    assert counts["outcome:repaired"] == 1


@pytest.mark.parametrize("codec", CODECS)
def test_one_more_bad_share_than_tolerated_is_refused(codec: str) -> None:
    k, m = 2, 4
    faults = (
        Fault("flip", "artifact", 0, 5, 0, 0),
        Fault("delete", "share", 0, 0, 0, 0),
        Fault("truncate", "share", 1, 10, 0, 0),
        Fault("zero", "share", 3, 0, 5, 0),
    )
    counts = run_trial(Scenario(k, m, "small", 100, 1 << 20, 3, "random", faults, 0, 0, codec))
    assert counts["outcome:refused:FJ-DUR-UNRECOVERABLE"] == 1


CAMPAIGN_SHARDS = 4
CAMPAIGN_TRIALS = int(os.environ.get("FJH_FAULT_CAMPAIGN_TRIALS", "10000"))


@pytest.mark.campaign
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("shard", range(CAMPAIGN_SHARDS))
def test_fault_campaign(shard: int, codec: str, tmp_path: Path) -> None:
    """At least CAMPAIGN_TRIALS trials over all shards; writes and prints counts.

    Counts go to ``$FJH_FAULT_CAMPAIGN_OUT/shard-<n>.json`` when set (merge
    them with ``scripts/durability_campaign_summary.py``), and to stdout.
    """
    per_shard = -(-CAMPAIGN_TRIALS // CAMPAIGN_SHARDS)
    totals: Counter[str] = Counter()

    @settings(
        max_examples=per_shard,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(scenarios(codec=codec))
    def campaign(scenario: Scenario) -> None:
        totals.update(run_trial(scenario))

    campaign()
    assert totals["trials"] >= per_shard * 0.95, totals["trials"]
    out_dir = Path(os.environ.get("FJH_FAULT_CAMPAIGN_OUT", str(tmp_path)))
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / f"shard-{codec}-{shard}.json", dict(sorted(totals.items())))
    print(f"\nshard {codec}-{shard}: {dict(sorted(totals.items()))}")


@pytest.mark.campaign
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("codec", CODECS)
def test_fault_campaign_huge_artifacts(codec: str, tmp_path: Path) -> None:
    """Multi-stripe artifacts at the default block size (4-9 MiB), fewer trials."""
    totals: Counter[str] = Counter()

    @settings(
        max_examples=int(os.environ.get("FJH_FAULT_CAMPAIGN_HUGE", "60")),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(scenarios(huge=True, codec=codec))
    def campaign(scenario: Scenario) -> None:
        totals.update(run_trial(scenario))

    campaign()
    out_dir = Path(os.environ.get("FJH_FAULT_CAMPAIGN_OUT", str(tmp_path)))
    write_json(out_dir / f"shard-{codec}-huge.json", dict(sorted(totals.items())))
    print(f"\nhuge {codec}: {dict(sorted(totals.items()))}")
