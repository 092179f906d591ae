"""Target ``fixture_loader``: bytes as a bundle file through ``harness.conformance.fixtures.read_bundle``.

The reader validates the ``frankenjax.fixture-bundle.v1`` schema, then
decodes every case (IR, transform stack, arrays, tolerance) and checks the
cross-field rules. Only the taxonomy's errors (``FJError``: ``FJ-IO-*``,
``FJ-SCHEMA-INVALID``, ``FJ-FIXTURE-*``) may escape, cleanly.

What it accepts must hold up (else P0): the one writer renders it
(``invariant``), the rendered text reads back to the same document and
renders to the same text (``round-trip-mismatch``).

The reader takes a path, so each input is written to a private scratch file
(plain writes: a throwaway input of one execution, not a project file).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from frankenjax_ref.errors import FJError
from harness.fuzz.oracle import INVARIANT, ROUND_TRIP, InvariantViolation, rejection

_scratch: Path | None = None


def _scratch_file(name: str) -> Path:
    global _scratch
    if _scratch is None:
        base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        _scratch = Path(tempfile.mkdtemp(prefix="fjh-fuzz-fixture-", dir=base))
    return _scratch / name


def _read(data: bytes, name: str) -> Any:
    from harness.conformance.fixtures import read_bundle

    path = _scratch_file(name)
    with open(path, "wb") as handle:
        handle.write(data)
    return read_bundle(path)


def check(data: bytes) -> str:
    from harness.conformance.fixtures import render_bundle

    try:
        bundle = _read(bytes(data), "input.bundle.json")
    except FJError as exc:
        return rejection(exc)
    try:
        text = render_bundle(bundle)
    except FJError as exc:
        rejection(exc)
        raise InvariantViolation(INVARIANT, f"an accepted bundle cannot be rendered: {exc}") from exc
    try:
        again = _read(text.encode("utf-8"), "again.bundle.json")
    except FJError as exc:
        rejection(exc)
        raise InvariantViolation(
            ROUND_TRIP, f"the rendered text of an accepted bundle is rejected: {exc}"
        ) from exc
    if again.to_json() != bundle.to_json():
        raise InvariantViolation(ROUND_TRIP, "bundle changed over render/read")
    if render_bundle(again) != text:
        raise InvariantViolation(ROUND_TRIP, "render(read(render(b))) != render(b)")
    return "accepted"


def dictionary() -> list[bytes]:
    from harness.fuzz.targets.ir_deserializer import dictionary as ir_tokens

    schema_path = (
        Path(__file__).resolve().parents[3]
        / "artifacts"
        / "schemas"
        / "frankenjax.fixture-bundle.v1.schema.json"
    )
    words: set[str] = set()
    try:
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        schema = {}
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            words.update(k for k in node.get("properties", {}) if isinstance(k, str))
            for key in ("enum", "const"):
                values = node.get(key)
                for v in values if isinstance(values, list) else [values]:
                    if isinstance(v, str):
                        words.add(v)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return sorted({f'"{w}"'.encode() for w in words} | set(ir_tokens()))


#: seeds are small: a few of each bundle's smallest cases
SEED_CASES = 3
SEED_MAX_BYTES = 24_000
FIXED_GENERATED_AT = "2024-01-01T00:00:00Z"


def seed_documents(source: Path | None = None) -> dict[str, bytes]:
    """Small bundles cut from real ones (``source``, default ``fixtures/``), and near misses.

    Each seed holds the smallest cases of one bundle (by canonical size, then
    id), re-rendered by the fixture module's own writer with a fixed
    ``generated_at``, so the same bundles give the same seeds. Empty when
    there are no bundles to cut from.
    """
    import dataclasses

    from harness.conformance.fixtures import find_bundles, read_bundle, render_bundle, summarize
    from harness.paths import fixtures_dir

    seeds: dict[str, bytes] = {}
    try:
        paths = find_bundles([source or fixtures_dir()])
    except FJError:
        return seeds
    for path in paths:
        bundle = read_bundle(path)
        stem = path.name.removesuffix(".bundle.json")
        sized = sorted((len(json.dumps(c, sort_keys=True)), c["case_id"], c) for c in bundle.cases)
        chosen: list[dict[str, Any]] = []
        total = 0
        for size, _, case in sized:
            if len(chosen) == SEED_CASES or total + size > SEED_MAX_BYTES:
                break
            chosen.append(case)
            total += size
        if not chosen:
            continue
        chosen.sort(key=lambda c: c["case_id"])
        small = dataclasses.replace(
            bundle,
            path=None,
            cases=chosen,
            skipped=bundle.skipped[:1],
            generated_at=FIXED_GENERATED_AT,
            summary=summarize(chosen, bundle.skipped[:1]),
        )
        text = render_bundle(small)
        seeds[f"bundle-{stem}.json"] = text.encode()
        doc = json.loads(text)
        first = doc["cases"][0]
        near: dict[str, Any] = {
            "dup-case": {**doc, "cases": [first, first]},
            "family": {**doc, "family": doc["family"] + "x"},
            "comparator": {
                **doc,
                "cases": [{**first, "comparator": "error" if "outputs" in first["expected"] else "allclose"}],
            },
            "stack": {**doc, "cases": [{**first, "stack": [{"transform": "nope"}]}]},
            "input-dtype": {
                **doc,
                "cases": [{**first, "inputs": [{"dtype": "float128", "shape": [], "data": [0]}]}],
            },
        }
        if first.get("ir") is not None:
            near["fingerprint"] = {**doc, "cases": [{**first, "ir_fingerprint": "0" * 64}]}
            near["operands"] = {
                **doc,
                "cases": [{**first, "operands": first["operands"] + first["operands"]}],
            }
        for name, bad in near.items():
            seeds[f"bad-{stem}-{name}.json"] = json.dumps(bad, sort_keys=True).encode()
        seeds[f"bad-{stem}-truncated.json"] = text.encode()[: len(text) // 2]
        # accepted: the reader does not recount the summary (kept as written)
        seeds[f"odd-{stem}-summary.json"] = json.dumps(
            {**doc, "summary": {**doc["summary"], "cases": 99}}
        ).encode()
    return seeds
