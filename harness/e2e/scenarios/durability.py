"""Packet DURABILITY: generate a sidecar, damage, scrub, repair, prove — and refuse the unrecoverable.

The artifact is generated from a seed (its SHA-256 is part of the inputs, so
a replay builds the very same bytes); the damage is a plan of byte flips and
deleted or corrupted shares. Every step uses the durability library
(:mod:`harness.durability`) in a scratch directory; the outputs are
statuses, good-share counts, share indices and SHA-256 digests — no
timestamps — so a replay reproduces them exactly.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from harness.e2e.model import RunOptions, Scenario, ScenarioContext, Step
from harness.e2e.registry import register

PACKET = "DURABILITY"


def _content(seed: int, size: int) -> bytes:
    import numpy as np

    return np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()


def _inputs(options: RunOptions) -> dict[str, Any]:
    seed, size = 20260101, 300_001
    return {
        "artifact": {"seed": seed, "size": size, "sha256": hashlib.sha256(_content(seed, size)).hexdigest()},
        "k": 4,
        "m": 6,
        "max_block_size": 65_536,
        "damage": {"flip_artifact_bytes": [0, 4096, 299_999], "delete_shares": [1], "corrupt_shares": [4]},
        "proof_seed": 7,
        "unrecoverable": {"delete_shares": [0, 2, 5], "flip_artifact_bytes": [10]},
    }


def _path(ctx: ScenarioContext) -> Path:
    return ctx.workdir / "artifact.bin"


def _flip(path: Path, offsets: list[int]) -> None:
    data = bytearray(path.read_bytes())
    for offset in offsets:
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def _shares(ctx: ScenarioContext) -> dict[int, Path]:
    from harness.durability import sidecar_dir
    from harness.durability.sidecar import share_name

    directory = sidecar_dir(_path(ctx))
    return {i: directory / share_name(i) for i in range(ctx.inputs["m"])}


def _generate(ctx: ScenarioContext) -> dict[str, Any]:
    from harness.durability import generate_sidecar

    spec = ctx.inputs["artifact"]
    data = _content(spec["seed"], spec["size"])
    if hashlib.sha256(data).hexdigest() != spec["sha256"]:
        ctx.fail("the seeded artifact does not hash to the logged SHA-256 (generator changed)")
    _path(ctx).write_bytes(data)
    manifest = generate_sidecar(
        _path(ctx), k=ctx.inputs["k"], m=ctx.inputs["m"], max_block_size=ctx.inputs["max_block_size"]
    )
    ctx.expect("manifest_artifact_sha256", spec["sha256"], manifest.artifact_sha256)
    ctx.expect("manifest_k_m", [ctx.inputs["k"], ctx.inputs["m"]], [manifest.k, manifest.m])
    ctx.observe("share_sha256", [s.sha256 for s in manifest.shares])
    ctx.observe("layout", {"block_size": manifest.block_size, "stripes": manifest.stripe_count})
    for share in _shares(ctx).values():
        ctx.artifact(share, "share", kept=False)
    return {
        "codec": f"{manifest.codec} {manifest.codec_version}",
        "stripes": manifest.stripe_count,
        "block_size": manifest.block_size,
    }


def _scrub_clean(ctx: ScenarioContext) -> dict[str, Any]:
    from harness.durability import scrub

    report = scrub(_path(ctx))
    ctx.expect("fresh_scrub", ["intact", ctx.inputs["m"]], [report.status, report.good_shares])
    return {"status": report.status, "good_shares": report.good_shares}


def _damage_and_scrub(ctx: ScenarioContext) -> dict[str, Any]:
    from harness.durability import scrub

    plan = ctx.inputs["damage"]
    shares = _shares(ctx)
    _flip(_path(ctx), plan["flip_artifact_bytes"])
    for i in plan["delete_shares"]:
        shares[i].unlink()
    for i in plan["corrupt_shares"]:
        _flip(shares[i], [len(shares[i].read_bytes()) // 2])
    report = scrub(_path(ctx))
    share_states = {s.index: s.status for s in report.shares}
    ctx.expect(
        "damaged_scrub",
        ["damaged", True, report.artifact_state.status != "intact"],
        [report.status, report.recoverable, True],
    )
    ctx.expect(
        "bad_shares_found",
        sorted(plan["delete_shares"] + plan["corrupt_shares"]),
        sorted(i for i, s in share_states.items() if s != "intact"),
    )
    ctx.observe("damaged_share_states", {str(i): s for i, s in sorted(share_states.items())})
    return {"status": report.status, "problems": list(report.problems)}


def _repair(ctx: ScenarioContext) -> dict[str, Any]:
    from harness.durability import repair, scrub

    result = repair(_path(ctx))
    after = scrub(_path(ctx))
    digest = hashlib.sha256(_path(ctx).read_bytes()).hexdigest()
    ctx.expect("repaired_artifact_sha256", ctx.inputs["artifact"]["sha256"], digest)
    ctx.expect("scrub_after_repair", ["intact", ctx.inputs["m"]], [after.status, after.good_shares])
    ctx.observe("repair_ok", result.ok)
    return {"repaired": result.repaired, "ok": result.ok}


def _proof(ctx: ScenarioContext) -> dict[str, Any]:
    from harness.durability import decode_proof, default_proof_path, write_proof

    k, m = ctx.inputs["k"], ctx.inputs["m"]
    proof = decode_proof(_path(ctx), drop=m - k, seed=ctx.inputs["proof_seed"])
    path = write_proof(proof, default_proof_path(_path(ctx)))
    ctx.artifact(path, "decode proof", kept=False)
    doc = proof.to_json()
    ctx.expect("proof_recovers", True, proof.recovered)
    ctx.observe("proof_dropped_shares", doc.get("dropped"))
    return {"recovered": proof.recovered, "dropped": doc.get("dropped")}


def _unrecoverable(ctx: ScenarioContext) -> dict[str, Any]:
    from harness.durability import DurabilityError, repair, scrub

    plan = ctx.inputs["unrecoverable"]
    shares = _shares(ctx)
    for i in plan["delete_shares"]:
        shares[i].unlink()
    _flip(_path(ctx), plan["flip_artifact_bytes"])
    before = _path(ctx).read_bytes()
    report = scrub(_path(ctx))
    ctx.expect("unrecoverable_scrub", ["unrecoverable", False], [report.status, report.recoverable])
    code: str | None = None
    try:
        repair(_path(ctx))
    except DurabilityError as exc:
        code = exc.code
    ctx.expect("repair_refuses", "FJ-DUR-UNRECOVERABLE", code)
    ctx.expect("nothing_written_on_refusal", True, _path(ctx).read_bytes() == before)
    return {"status": report.status, "good_shares": report.good_shares, "repair_error": code}


register(
    Scenario(
        id="e2e_durability_sidecar_lifecycle",
        packet=PACKET,
        description=(
            "Generate a zfec sidecar (k=4, m=6) for a seeded 300 kB artifact; scrub clean; flip artifact "
            "bytes, delete one share and corrupt another; scrub finds exactly that damage; repair restores "
            "the exact bytes; a decode proof dropping m-k shares recovers; with fewer than k good shares "
            "scrub says unrecoverable and repair refuses without writing."
        ),
        inputs=_inputs,
        steps=(
            Step("generate", _generate),
            Step("scrub_clean", _scrub_clean),
            Step("damage_and_scrub", _damage_and_scrub),
            Step("repair", _repair),
            Step("decode_proof", _proof),
            Step("unrecoverable", _unrecoverable),
        ),
    )
)
