"""Target ``fixture_loader``: bytes as a fixture bundle file through ``harness.fixtures.read_bundle``.

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
    from harness.fixtures import read_bundle

    path = _scratch_file(name)
    with open(path, "wb") as handle:
        handle.write(data)
    return read_bundle(path)


def check(data: bytes) -> str:
    from harness.fixtures import render_bundle

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


def seed_documents() -> dict[str, bytes]:
    """The committed bundles under fixtures/, and near misses of each (empty when there are none)."""
    from harness.fixtures import find_bundles
    from harness.paths import fixtures_dir

    seeds: dict[str, bytes] = {}
    try:
        paths = find_bundles([fixtures_dir()])
    except FJError:
        return seeds
    for path in paths:
        text = path.read_bytes()
        stem = path.name.removesuffix(".bundle.json")
        seeds[f"bundle-{stem}.json"] = text
        doc = json.loads(text)
        cases = doc.get("cases", [])
        if cases:
            small = {**doc, "cases": cases[:2], "skipped": doc.get("skipped", [])[:1]}
            seeds[f"bundle-{stem}-2cases.json"] = json.dumps(small).encode()
            seeds[f"bad-{stem}-dup-case.json"] = json.dumps({**doc, "cases": [cases[0], cases[0]]}).encode()
            seeds[f"bad-{stem}-family.json"] = json.dumps({**doc, "family": doc["family"] + "x"}).encode()
            first = dict(cases[0])
            if first.get("ir") is not None:
                first["ir_fingerprint"] = "0" * 64
                seeds[f"bad-{stem}-fingerprint.json"] = json.dumps({**doc, "cases": [first]}).encode()
        seeds[f"bad-{stem}-truncated.json"] = text[: len(text) // 2]
    return seeds
