"""Durability sidecars: layout, manifest, scrub, repair, proof, pipeline, --all, CLI."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main
from harness.durability import (
    DurabilityError,
    decode_proof,
    default_proof_path,
    discover_artifacts,
    generate_sidecar,
    pipeline,
    pipeline_all,
    plan_layout,
    repair,
    scrub,
    scrub_all,
    sidecar_dir,
    write_proof,
)
from harness.durability import errors as codes
from harness.durability.sidecar import (
    MANIFEST_NAME,
    SidecarManifest,
    canonical_bytes,
    read_manifest_file,
    read_trailer,
    share_name,
)
from harness.durability.walk import glob_regex, is_long_lived
from harness.schemas import validate

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FJH_ROOT", str(tmp_path))
    return tmp_path


def make(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- layout ------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 3, 4, 5, 1000, (4 << 20) + 1, 9 << 20])
@pytest.mark.parametrize(("k", "m"), [(1, 1), (1, 3), (4, 6), (5, 9)])
def test_layout_is_even_and_bounded(size: int, k: int, m: int) -> None:
    layout = plan_layout(size, k, m)
    assert layout.problems() == []
    assert layout.stripe_count * layout.stripe_size == size + layout.padding
    assert layout.block_size <= 1 << 20
    if size:
        assert layout.padding < k * layout.stripe_count


def test_layout_rejects_bad_parameters() -> None:
    for k, m, block in [(0, 1, 10), (3, 2, 10), (1, 257, 10), (2, 4, 0)]:
        with pytest.raises(DurabilityError) as caught:
            plan_layout(100, k, m, block)
        assert caught.value.code == codes.PARAMS


# --- generate ------------------------------------------------------------------


def test_generate_writes_schema_valid_manifest_and_payload_hashes(project: Path) -> None:
    data = os.urandom(10_000)
    artifact = make(project / "fixtures" / "x.bin", data)
    manifest = generate_sidecar(artifact, k=3, m=5, max_block_size=1000)
    doc = json.loads((sidecar_dir(artifact) / MANIFEST_NAME).read_text())
    validate(doc, "frankenjax.sidecar.v1")
    assert doc["artifact"] == {"name": "x.bin", "size": 10_000, "sha256": hashlib.sha256(data).hexdigest()}
    assert doc["codec"]["name"] == "zfec" and doc["k"] == 3 and doc["m"] == 5
    assert doc["layout"]["stripe_count"] == 4 and doc["created_at"].endswith("Z")
    for share in manifest.shares:
        raw = (sidecar_dir(artifact) / share.file).read_bytes()
        assert hashlib.sha256(raw[: manifest.layout.share_size]).hexdigest() == share.sha256
        assert read_trailer(sidecar_dir(artifact) / share.file) == (share.index, manifest)
    # Systematic: primary shares are the artifact's blocks.
    first = (sidecar_dir(artifact) / share_name(0)).read_bytes()
    assert first[: manifest.block_size] == data[: manifest.block_size]


def test_generation_is_deterministic_except_creation_time(project: Path) -> None:
    data = os.urandom(50_000)
    a = generate_sidecar(make(project / "a.bin", data), max_block_size=4096)
    b = generate_sidecar(make(project / "b" / "a.bin", data), max_block_size=4096)
    assert a.shares == b.shares and a.layout == b.layout
    for index in range(a.m):
        payload_a = (project / "a.bin.fjsc" / share_name(index)).read_bytes()[: a.layout.share_size]
        payload_b = (project / "b" / "a.bin.fjsc" / share_name(index)).read_bytes()[: b.layout.share_size]
        assert payload_a == payload_b
    strip = {"created_at", "manifest_sha256"}
    assert {k: v for k, v in a.to_json().items() if k not in strip} == {
        k: v for k, v in b.to_json().items() if k not in strip
    }


def test_generate_refuses_to_replace_a_sidecar_protecting_other_content(project: Path) -> None:
    artifact = make(project / "a.json", b'{"v": 1}')
    generate_sidecar(artifact)
    make(artifact, b'{"v": 2}')
    before = files(project)
    with pytest.raises(DurabilityError) as caught:
        generate_sidecar(artifact)
    assert caught.value.code == codes.MISMATCH
    assert files(project) == before
    generate_sidecar(artifact, force=True)
    assert scrub(artifact).ok


def test_regenerate_with_fewer_shares_removes_stale_ones(project: Path) -> None:
    artifact = make(project / "a.bin", os.urandom(100))
    generate_sidecar(artifact, k=2, m=8)
    generate_sidecar(artifact, k=2, m=3)
    names = sorted(p.name for p in sidecar_dir(artifact).iterdir())
    assert names == [MANIFEST_NAME, "share-000.fjs", "share-001.fjs", "share-002.fjs"]


def test_failed_generate_leaves_no_sidecar_behind(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sidecar_module = importlib.import_module("harness.durability.sidecar")
    artifact = make(project / "a.bin", os.urandom(100))

    def grows_while_read(*args, **kwargs):
        raise DurabilityError(codes.VERIFY, "artifact changed size while it was being encoded")

    monkeypatch.setattr(sidecar_module, "encode_pass", grows_while_read)
    with pytest.raises(DurabilityError):
        generate_sidecar(artifact)
    assert sorted(p.name for p in project.iterdir()) == ["a.bin"]
    sidecar_dir(artifact).mkdir()
    monkeypatch.undo()
    assert pipeline(artifact).generated, "an empty sidecar directory counts as none"


def test_generate_missing_artifact_and_unwritable_sidecar_are_typed(project: Path) -> None:
    with pytest.raises(DurabilityError) as caught:
        generate_sidecar(project / "absent")
    assert caught.value.code == codes.NOT_FOUND
    artifact = make(project / "a.bin", b"x")
    make(sidecar_dir(artifact), b"a file where the sidecar directory should be")
    with pytest.raises(DurabilityError) as caught:
        generate_sidecar(artifact, sidecar=sidecar_dir(artifact) / "inner")
    assert caught.value.code == codes.IO


# --- manifest ------------------------------------------------------------------


def _manifest_doc(artifact: Path) -> dict:
    return json.loads((sidecar_dir(artifact) / MANIFEST_NAME).read_text())


def _rehash(doc: dict) -> dict:
    body = {k: v for k, v in doc.items() if k != "manifest_sha256"}
    doc["manifest_sha256"] = hashlib.sha256(canonical_bytes(body)).hexdigest()
    return doc


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d["layout"].update(padding=d["layout"]["padding"] + 1),
        lambda d: d.update(k=d["m"] + 1),
        lambda d: d["layout"].update(block_size=d["layout"]["block_size"] * 2),
        lambda d: d["shares"].reverse(),
        lambda d: d["shares"].pop(),
        lambda d: d["layout"].update(stripe_count=10**6),
        lambda d: d["shares"][0].update(file="../../escape"),
        lambda d: d.update(k=float(d["k"])),
        lambda d: d.update(codec={"name": "zfec", "version": 7}),
    ],
)
def test_inconsistent_manifest_is_a_typed_error_even_with_a_valid_self_hash(project: Path, tamper) -> None:
    artifact = make(project / "a.bin", os.urandom(5000))
    generate_sidecar(artifact, k=2, m=4, max_block_size=512)
    doc = _manifest_doc(artifact)
    tamper(doc)
    with pytest.raises(DurabilityError) as caught:
        SidecarManifest.from_json(_rehash(doc), where="test")
    assert caught.value.code == codes.MANIFEST


@pytest.mark.parametrize("raw", [b"", b"\xff\xfe", b"[]", b"{", b"null", b'{"schema": 1}', b"[" * 100_000])
def test_garbage_manifest_file_is_a_typed_error(project: Path, raw: bytes) -> None:
    make(project / "m.json", raw)
    with pytest.raises(DurabilityError) as caught:
        read_manifest_file(project / "m.json")
    assert caught.value.code == codes.MANIFEST


def test_damaged_manifest_is_detected_and_restored_byte_for_byte_from_a_trailer(project: Path) -> None:
    artifact = make(project / "a.bin", os.urandom(3000))
    generate_sidecar(artifact)
    manifest_path = sidecar_dir(artifact) / MANIFEST_NAME
    original = manifest_path.read_bytes()
    manifest_path.write_bytes(original.replace(b'"k": 4', b'"k": 3'))
    report = scrub(artifact)
    assert report.status == "damaged" and report.recoverable
    assert report.manifest_status == "damaged" and report.manifest_source == "share-000.fjs"
    assert report.artifact_state.status == "intact" and report.good_shares == 6
    result = repair(artifact)
    assert result.ok and any("manifest.json restored" in a for a in result.actions)
    assert manifest_path.read_bytes() == original


def test_whitespace_only_change_to_manifest_is_still_damage(project: Path) -> None:
    artifact = make(project / "a.bin", b"abc")
    generate_sidecar(artifact)
    path = sidecar_dir(artifact) / MANIFEST_NAME
    path.write_bytes(path.read_bytes().replace(b"\n  ", b"\n   ", 1))
    assert scrub(artifact).manifest_status == "damaged"


def test_no_manifest_anywhere_is_unrecoverable_and_repair_writes_nothing(project: Path) -> None:
    artifact = make(project / "a.bin", os.urandom(400))
    generate_sidecar(artifact, k=2, m=3)
    (sidecar_dir(artifact) / MANIFEST_NAME).unlink()
    for index in range(3):
        share = sidecar_dir(artifact) / share_name(index)
        share.write_bytes(share.read_bytes()[:-5])
    report = scrub(artifact)
    assert report.status == "unrecoverable" and report.manifest_source is None
    assert {s.status for s in report.shares} == {"unknown"}
    validate(report.to_json(), "frankenjax.scrub-report.v1")
    before = files(project)
    with pytest.raises(DurabilityError) as caught:
        repair(artifact)
    assert caught.value.code == codes.MANIFEST
    assert files(project) == before


def test_majority_of_copies_wins_after_an_interrupted_regenerate(project: Path) -> None:
    artifact = make(project / "a.bin", b"version one")
    generate_sidecar(artifact)
    old_manifest = (sidecar_dir(artifact) / MANIFEST_NAME).read_bytes()
    make(artifact, b"version two")
    generate_sidecar(artifact, force=True)
    # Crash after the shares were committed but before manifest.json was.
    (sidecar_dir(artifact) / MANIFEST_NAME).write_bytes(old_manifest)
    report = scrub(artifact)
    assert report.manifest_status == "damaged" and report.artifact_state.status == "intact"
    assert repair(artifact).ok


# --- scrub / repair ---------------------------------------------------------------


def test_scrub_of_intact_sidecar_and_report_schema(project: Path) -> None:
    artifact = make(project / "fixtures" / "a.json", b'{"a": 1}\n')
    generate_sidecar(artifact)
    report = scrub(artifact)
    assert report.ok and report.status == "intact" and report.good_shares == 6
    assert report.artifact == "fixtures/a.json" and report.sidecar == "fixtures/a.json.fjsc"
    validate(report.to_json(), "frankenjax.scrub-report.v1")


def test_scrub_without_sidecar_and_without_anything(project: Path) -> None:
    artifact = make(project / "a.bin", b"x")
    report = scrub(artifact)
    assert report.status == "no-sidecar" and not report.ok and not report.recoverable
    validate(report.to_json(), "frankenjax.scrub-report.v1")
    with pytest.raises(DurabilityError) as caught:
        scrub(project / "nothing")
    assert caught.value.code == codes.NOT_FOUND
    with pytest.raises(DurabilityError) as caught:
        scrub(project)
    assert caught.value.code == codes.NOT_FOUND
    with pytest.raises(DurabilityError) as caught:
        repair(artifact)
    assert caught.value.code == codes.NO_SIDECAR


def test_large_multi_stripe_artifact_survives_damage_in_different_stripes(project: Path) -> None:
    data = os.urandom((5 << 20) + 12345)
    artifact = make(project / "big.bin", data)
    manifest = generate_sidecar(artifact)
    assert manifest.stripe_count == 2
    snapshot = files(project)
    block = manifest.block_size
    for index, offset in ((0, 10), (5, block + 77)):
        path = sidecar_dir(artifact) / share_name(index)
        raw = bytearray(path.read_bytes())
        raw[offset] ^= 0x40
        path.write_bytes(bytes(raw))
    raw = bytearray(data)
    raw[len(raw) // 2] ^= 1
    artifact.write_bytes(bytes(raw))
    report = scrub(artifact)
    assert [s.status for s in report.shares] == ["damaged", "intact", "intact", "intact", "intact", "damaged"]
    assert report.artifact_state.status == "damaged" and report.recoverable
    result = repair(artifact)
    assert result.ok
    assert files(project) == snapshot


def test_repair_refuses_below_k_good_shares_and_changes_nothing(project: Path) -> None:
    artifact = make(project / "a.bin", os.urandom(1000))
    generate_sidecar(artifact, k=4, m=6)
    artifact.write_bytes(b"rotten")
    for index in (0, 2, 4):
        (sidecar_dir(artifact) / share_name(index)).unlink()
    before = files(project)
    report = scrub(artifact)
    assert report.status == "unrecoverable" and not report.recoverable and report.good_shares == 3
    with pytest.raises(DurabilityError) as caught:
        repair(artifact)
    assert caught.value.code == codes.UNRECOVERABLE
    assert "3 of 6 shares are good (4 needed)" in caught.value.message
    assert files(project) == before


def test_repair_rebuilds_shares_from_intact_artifact_even_when_all_shares_are_gone(project: Path) -> None:
    artifact = make(project / "a.bin", os.urandom(777))
    generate_sidecar(artifact, k=3, m=4)
    snapshot = files(project)
    for index in (0, 1, 2):
        (sidecar_dir(artifact) / share_name(index)).unlink()
    share = sidecar_dir(artifact) / share_name(3)
    share.write_bytes(share.read_bytes()[:5] + b"!" + share.read_bytes()[6:])
    assert scrub(artifact).recoverable
    assert repair(artifact).ok
    assert files(project) == snapshot


def test_repair_never_writes_bytes_that_fail_the_hash(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If decoding yielded wrong bytes (a share changed after verification), nothing is written."""
    repair_module = importlib.import_module("harness.durability.repair")

    artifact = make(project / "a.bin", os.urandom(2000))
    generate_sidecar(artifact)
    artifact.write_bytes(b"damaged but present")
    original_decode = repair_module.decode_pass

    def corrupting_decode(*args, **kwargs):
        for chunk in original_decode(*args, **kwargs):
            yield bytes(len(chunk))

    monkeypatch.setattr(repair_module, "decode_pass", corrupting_decode)
    before = files(project)
    with pytest.raises(DurabilityError) as caught:
        repair(artifact)
    assert caught.value.code == codes.VERIFY
    assert files(project) == before


def test_repair_of_an_intact_sidecar_does_nothing(project: Path) -> None:
    artifact = make(project / "a.bin", b"fine")
    generate_sidecar(artifact)
    result = repair(artifact)
    assert result.ok and not result.repaired


def test_repair_keeps_the_artifact_file_mode(project: Path) -> None:
    artifact = make(project / "a.sh", b"#!/bin/sh\necho hi\n")
    artifact.chmod(0o755)
    generate_sidecar(artifact)
    artifact.write_bytes(b"#!/bin/sh\necho ho\n")
    repair(artifact)
    assert artifact.stat().st_mode & 0o777 == 0o755


def test_custom_sidecar_location(project: Path) -> None:
    artifact = make(project / "a.bin", b"elsewhere")
    elsewhere = project / "vault" / "a.sidecar"
    generate_sidecar(artifact, sidecar=elsewhere)
    assert not sidecar_dir(artifact).exists()
    artifact.unlink()
    assert scrub(artifact, sidecar=elsewhere).recoverable
    assert repair(artifact, sidecar=elsewhere).ok
    assert artifact.read_bytes() == b"elsewhere"


# --- proof -----------------------------------------------------------------------


def test_decode_proof_drops_seeded_shares_and_prefers_parity(project: Path) -> None:
    artifact = make(project / "a.bin", os.urandom(4096))
    manifest = generate_sidecar(artifact)
    proof = decode_proof(artifact, seed=42)
    assert proof.recovered and proof.drop == 2 and proof.seed == 42
    assert proof.decoded_sha256 == proof.expected_sha256 == manifest.artifact_sha256
    assert len(proof.shares_used) == 4 and set(proof.shares_used).isdisjoint(proof.shares_dropped)
    assert decode_proof(artifact, seed=42).shares_dropped == proof.shares_dropped
    fewer = decode_proof(artifact, drop=0, seed=1)
    assert fewer.shares_used == (2, 3, 4, 5)
    path = write_proof(proof, default_proof_path(artifact))
    validate(json.loads(path.read_text()), "frankenjax.decode-proof.v1")


def test_decode_proof_does_not_need_the_artifact(project: Path) -> None:
    artifact = make(project / "a.bin", os.urandom(100))
    generate_sidecar(artifact)
    artifact.unlink()
    assert decode_proof(artifact, seed=3).recovered


def test_decode_proof_beyond_tolerance_reports_not_recovered(project: Path) -> None:
    artifact = make(project / "a.bin", os.urandom(100))
    generate_sidecar(artifact, k=4, m=6)
    proof = decode_proof(artifact, drop=3, seed=0)
    assert not proof.recovered and proof.decoded_sha256 is None and "cannot decode" in (proof.detail or "")
    validate(proof.to_json(), "frankenjax.decode-proof.v1")
    for bad in (-1, 7):
        with pytest.raises(DurabilityError) as caught:
            decode_proof(artifact, drop=bad)
        assert caught.value.code == codes.PARAMS


def test_decode_proof_skips_damaged_shares(project: Path) -> None:
    artifact = make(project / "a.bin", os.urandom(100))
    generate_sidecar(artifact, k=2, m=4)
    share = sidecar_dir(artifact) / share_name(3)
    share.write_bytes(b"\x00" + share.read_bytes()[1:])
    proof = decode_proof(artifact, drop=0, seed=0)
    assert proof.recovered and 3 not in proof.shares_used
    assert [(u.index, u.status) for u in proof.shares_unusable] == [(3, "damaged")]


# --- pipeline and --all -------------------------------------------------------------


def test_pipeline_generates_once_then_keeps_the_sidecar(project: Path) -> None:
    artifact = make(project / "fixtures" / "b.json", b"{}")
    first = pipeline(artifact, seed=5)
    assert first.ok and first.generated and first.proof is not None and first.proof.drop == 2
    assert first.proof_path == "fixtures/b.json.fjsc/decode-proof.json"
    created = read_manifest_file(sidecar_dir(artifact) / MANIFEST_NAME).created_at
    second = pipeline(artifact)
    assert second.ok and not second.generated
    assert read_manifest_file(sidecar_dir(artifact) / MANIFEST_NAME).created_at == created


def test_pipeline_never_blesses_a_damaged_artifact(project: Path) -> None:
    artifact = make(project / "a.json", b'{"good": true}')
    pipeline(artifact)
    artifact.write_bytes(b'{"good": fals}')
    result = pipeline(artifact)
    assert not result.ok and result.scrub.status == "damaged" and result.proof is None
    assert repair(artifact).ok and artifact.read_bytes() == b'{"good": true}'


def test_glob_patterns() -> None:
    assert glob_regex("fixtures/**/*").fullmatch("fixtures/a.json")
    assert glob_regex("fixtures/**/*").fullmatch("fixtures/x/y/z.json")
    assert not glob_regex("fixtures/**/*").fullmatch("fixturesX/a")
    assert glob_regex("corpus/*/seed/**/*").fullmatch("corpus/ir/seed/s1")
    assert not glob_regex("corpus/*/seed/**/*").fullmatch("corpus/ir/work/s1")
    assert glob_regex("artifacts/schemas/**").fullmatch("artifacts/schemas/a/b.json")
    assert is_long_lived("artifacts/e2e/s.e2e.json")
    assert not is_long_lived("artifacts/schemas/x.schema.json")
    assert not is_long_lived("artifacts/durability/summary.json")
    assert not is_long_lived("fixtures/a.json.fjsc/manifest.json")
    assert not is_long_lived("fixtures/.a.json.abc.tmp")
    assert not is_long_lived("corpus/ir/queue/123")


def _tree(root: Path) -> None:
    make(root / "fixtures" / "f1.json", b"{}")
    make(root / "fixtures" / "deep" / "f2.json", b"[]")
    make(root / "fixtures" / ".f1.json.x.tmp", b"temp")
    make(root / "corpus" / "crashes" / "crash-1", os.urandom(50))
    make(root / "corpus" / "ir" / "seed" / "s1", b"seed")
    make(root / "corpus" / "ir" / "queue" / "q1", b"working corpus")
    make(root / "artifacts" / "e2e" / "s.e2e.json", b"{}")
    make(root / "artifacts" / "schemas" / "x.schema.json", b"{}")
    make(root / "artifacts" / "durability" / "summary.json", b"{}")
    make(root / "elsewhere" / "ignored.json", b"{}")
    (root / "fixtures" / "link.json").symlink_to(root / "fixtures" / "f1.json")


EXPECTED = [
    "artifacts/e2e/s.e2e.json",
    "corpus/crashes/crash-1",
    "corpus/ir/seed/s1",
    "fixtures/deep/f2.json",
    "fixtures/f1.json",
]


def test_discovery_follows_the_patterns_and_never_lists_sidecars(project: Path) -> None:
    _tree(project)
    assert [p.relative_to(project).as_posix() for p in discover_artifacts(project)] == EXPECTED
    pipeline_all(project)
    assert [p.relative_to(project).as_posix() for p in discover_artifacts(project)] == EXPECTED
    (project / "fixtures" / "f1.json").unlink()
    assert [p.relative_to(project).as_posix() for p in discover_artifacts(project)] == EXPECTED


def test_scrub_all_and_pipeline_all(project: Path) -> None:
    _tree(project)
    before = scrub_all(project)
    assert not before.ok and before.totals == {"no-sidecar": 5}
    validate(before.to_json(), "frankenjax.durability-summary.v1")
    created = pipeline_all(project)
    assert created.ok and all(r.generated and r.proof == "recovered" for r in created.rows)
    validate(created.to_json(), "frankenjax.durability-summary.v1")
    assert scrub_all(project).ok
    (project / "fixtures" / "f1.json").unlink()
    after = scrub_all(project)
    assert not after.ok and after.totals == {"damaged": 1, "intact": 4}
    assert pipeline_all(project).totals == {"damaged": 1, "intact": 4}
    assert repair(project / "fixtures" / "f1.json").ok
    assert scrub_all(project).ok


# --- CLI -----------------------------------------------------------------------------


def test_cli_round_trip_and_exit_codes(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    artifact = str(make(project / "fixtures" / "c.json", b'{"c": 3}'))
    assert main(["durability", "scrub", "--artifact", artifact]) == 1
    assert main(["durability", "generate", "--artifact", artifact, "--k", "2", "--m", "3"]) == 0
    report = project / "artifacts" / "durability" / "scrub.json"
    assert main(["durability", "scrub", "--artifact", artifact, "--report", str(report)]) == 0
    validate(json.loads(report.read_text()), "frankenjax.scrub-report.v1")
    Path(artifact).unlink()
    assert main(["durability", "scrub", "--artifact", artifact]) == 1
    assert main(["durability", "repair", "--artifact", artifact]) == 0
    assert main(["durability", "proof", "--artifact", artifact, "--drop", "1", "--seed", "9"]) == 0
    proof = json.loads((Path(artifact + ".fjsc") / "decode-proof.json").read_text())
    assert proof["recovered"] and proof["seed"] == 9 and len(proof["shares_dropped"]) == 1
    assert main(["durability", "proof", "--artifact", artifact, "--drop", "2"]) == 1
    capsys.readouterr()
    assert main(["durability", "scrub", "--artifact", artifact, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "intact"


def test_cli_refusals(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    artifact = make(project / "a.bin", os.urandom(64))
    make(project / "b.bin", b"b")
    assert main(["durability", "generate", "--artifact", str(artifact), "--k", "5", "--m", "4"]) == 2
    assert "FJ-DUR-PARAMS" in capsys.readouterr().err
    assert main(["durability", "generate", "--artifact", str(artifact)]) == 0
    for index in range(3):
        (sidecar_dir(artifact) / share_name(index)).unlink()
    artifact.unlink()
    assert main(["durability", "repair", "--artifact", str(artifact)]) == 1
    assert "FJ-DUR-UNRECOVERABLE" in capsys.readouterr().err
    assert main(["durability", "proof", "--artifact", str(project / "none")]) == 2
    assert "FJ-DUR-NO-SIDECAR" in capsys.readouterr().err
    assert main(["durability", "scrub", "--all", "--sidecar", "x"]) == 2
    assert "--sidecar cannot be combined with --all" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["durability", "scrub"])
    assert usage.value.code == 2 and "FJ-CLI-USAGE" in capsys.readouterr().err
    assert main(["durability"]) == 2
    blocked = str(project / "b.bin" / "report.json")  # under a regular file: cannot be created
    assert main(["durability", "scrub", "--artifact", str(project / "b.bin"), "--report", blocked]) == 2
    assert "FJ-DUR-IO" in capsys.readouterr().err


def test_cli_all(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tree(project)
    assert main(["durability", "scrub", "--all"]) == 1
    assert "no-sidecar" in capsys.readouterr().out
    summary = project / "artifacts" / "durability" / "pipeline.json"
    assert main(["durability", "pipeline", "--all", "--report", str(summary)]) == 0
    assert json.loads(summary.read_text())["ok"] is True
    capsys.readouterr()
    assert main(["durability", "scrub", "--all", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["totals"] == {"intact": 5}


def test_command_module_imports_nothing_heavy() -> None:
    code = (
        "import sys; import harness.commands.durability as d, argparse;"
        "p = argparse.ArgumentParser(); d.register(p.add_subparsers());"
        "heavy = ('zfec', 'numpy', 'jax', 'jsonschema', 'harness.durability');"
        "heavy = [m for m in heavy if m in sys.modules];"
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


# --- the optional RaptorQ codec ----------------------------------------------------------------------


def test_raptorq_sidecar_layout_round_trip_and_cli(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Blocks are multiples of 8 bytes up to 65528 (the package's symbol limits); a multi-stripe
    artifact is rebuilt from the two parity shares plus two data shares, byte for byte."""
    data = os.urandom(300_001)
    artifact = make(project / "a.bin", data)
    manifest = generate_sidecar(artifact, codec="raptorq")
    assert (manifest.codec, manifest.block_size % 8, manifest.stripe_count) == ("raptorq", 0, 2)
    assert manifest.block_size <= 65528
    artifact.unlink()
    for index in (1, 3):
        (sidecar_dir(artifact) / share_name(index)).unlink()
    assert repair(artifact).ok and artifact.read_bytes() == data
    command = ["durability", "pipeline", "--artifact", str(artifact), "--codec", "raptorq", "--regenerate"]
    assert main(command) == 0
    assert "RECOVERED" in capsys.readouterr().out


def test_the_cli_offers_every_codec() -> None:
    from harness.commands.durability import CODEC_NAMES
    from harness.durability.codec import CODECS

    assert set(CODEC_NAMES) == set(CODECS)


def test_raptorq_refuses_parameters_it_cannot_keep() -> None:
    """RaptorQ is not MDS: with k=7, m=12 three 7-subsets of the symbols do not decode, so the
    codec refuses the parameters instead of writing a sidecar that promises any 7 of 12."""
    from harness.durability.codec import get_codec

    with pytest.raises(DurabilityError) as exc:
        get_codec("raptorq", 7, 12)
    assert exc.value.code == codes.PARAMS and "3 subsets" in exc.value.message
    with pytest.raises(DurabilityError) as exc:
        get_codec("raptorq", 4, 6).decode([b"12345"] * 4, [0, 1, 2, 3])  # blocks must be multiples of 8
    assert exc.value.code == codes.PARAMS


def test_a_codec_not_installed_is_a_typed_error(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    artifact = make(project / "a.bin", b"abc")
    monkeypatch.setitem(sys.modules, "raptorq", None)  # import raptorq now raises ImportError
    with pytest.raises(DurabilityError) as exc:
        generate_sidecar(artifact, codec="raptorq")
    assert exc.value.code == codes.CODEC and "not installed" in exc.value.message
    assert not sidecar_dir(artifact).exists()
