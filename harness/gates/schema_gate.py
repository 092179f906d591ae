"""Schema gate: every file under ``fixtures/``, ``artifacts/`` and ``corpus/`` is what it claims to be.

Each file is matched against the ordered ``schema_gate.rules`` of the
budgets (first match wins; globs relative to the project root, ``*`` within
one path segment, ``**`` across directories) and checked by its rule's kind:

``json``
    parses, is an object, names its schema in a top-level ``"schema"``
    field (or the rule names one), that schema exists in
    ``artifacts/schemas/``, and the document validates against it;
``jsonl``
    every non-empty line is a JSON object validated likewise (its own
    ``"schema"`` field, else the rule's);
``json-schema``
    a JSON Schema file: valid under its own meta-schema, ``$id`` equal to
    its file name without ``.schema.json``;
``xml``
    well-formed XML (JUnit reports);
``text``
    valid UTF-8 (logs, Markdown summaries);
``binary``
    no content check, by decision: fuzz inputs and crash reproducers are
    arbitrary bytes on purpose, and sidecar shares are verified byte for
    byte against their manifest's SHA-256 by the durability gate.

A file no rule matches fails the gate: an artifact nobody has declared is
the thing this gate exists to catch. Hidden files (``.<name>.<random>.tmp``
atomic-write leftovers) are skipped and counted.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

from harness.gates.base import FAIL, PASS, GateContext, GateResult


def _compiled(rules: list[dict[str, Any]]) -> list[tuple[Any, dict[str, Any]]]:
    from harness.durability.walk import glob_regex

    return [(glob_regex(rule["pattern"]), rule) for rule in rules]


def discover(root: Path, roots: list[str]) -> tuple[list[str], int]:
    """Root-relative POSIX paths of every regular file under ``roots``; how many hidden ones were skipped."""
    found: list[str] = []
    hidden = 0
    for top in roots:
        base = root / top
        if not base.is_dir():
            continue
        for directory, dirnames, filenames in os.walk(base, followlinks=False):
            here = Path(directory)
            hidden += sum(1 for d in dirnames if d.startswith("."))
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not (here / d).is_symlink())
            for name in sorted(filenames):
                path = here / name
                if name.startswith("."):
                    hidden += 1
                    continue
                if path.is_symlink() or not path.is_file():
                    continue
                found.append(path.relative_to(root).as_posix())
    return found, hidden


def _validate_doc(doc: Any, rule_schema: str | None, where: str) -> str | None:
    from harness.errors import HarnessError
    from harness.schemas import schema_path, validate

    if not isinstance(doc, dict):
        return "not a JSON object"
    name = doc.get("schema", rule_schema)
    if not isinstance(name, str):
        return 'no top-level "schema" field naming its schema'
    if rule_schema is not None and name != rule_schema:
        return f"names schema {name!r}, its rule expects {rule_schema!r}"
    if not schema_path(name).is_file():
        return f"names schema {name!r}, which is not in artifacts/schemas/"
    try:
        validate(doc, name, where=where)
    except HarnessError as exc:
        return exc.message + (f" (at {exc.where})" if exc.where else "")
    return None


def check_file(root: Path, relative: str, rule: dict[str, Any]) -> str | None:
    """The problem with one file under its rule, or None."""
    path = root / relative
    kind = rule["kind"]
    if kind == "binary":
        return None
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return f"cannot read: {exc.strerror}"
    if kind == "xml":
        try:
            ET.fromstring(raw)
        except ET.ParseError as exc:
            return f"not well-formed XML: {exc}"
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8: {exc}"
    if kind == "text":
        return None
    if kind == "jsonl":
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as exc:
                return f"line {n}: not JSON: {exc}"
            problem = _validate_doc(doc, rule.get("schema"), f"{relative}:{n}")
            if problem:
                return f"line {n}: {problem}"
        return None
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        return f"not JSON: {exc}"
    if kind == "json-schema":
        import jsonschema

        try:
            jsonschema.validators.validator_for(doc).check_schema(doc)
        except jsonschema.SchemaError as exc:
            return f"not a valid JSON Schema: {exc.message}"
        expected = Path(relative).name.removesuffix(".schema.json")
        if doc.get("$id") != expected:
            return f"$id is {doc.get('$id')!r}, the file name says {expected!r}"
        return None
    if kind == "json":
        return _validate_doc(doc, rule.get("schema"), relative)
    return f"unknown rule kind {kind!r}"


def run(ctx: GateContext) -> GateResult:
    cfg = ctx.section("schema_gate")
    rules = _compiled(cfg["rules"])
    files, hidden = discover(ctx.root, cfg["roots"])
    kinds: Counter[str] = Counter()
    failures = []
    for relative in files:
        rule = next((r for regex, r in rules if regex.fullmatch(relative)), None)
        if rule is None:
            failures.append({"path": relative, "problem": "no schema_gate rule says what this file is"})
            continue
        kinds[rule["kind"]] += 1
        problem = check_file(ctx.root, relative, rule)
        if problem:
            failures.append({"path": relative, "problem": problem[:500]})
    details: dict[str, Any] = {
        "roots": cfg["roots"],
        "files": len(files),
        "by_kind": dict(sorted(kinds.items())),
        "hidden_skipped": hidden,
        "failures": failures[:100],
        "failure_count": len(failures),
    }
    counts = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
    if failures:
        first = failures[0]
        return GateResult(
            "schema",
            FAIL,
            f"{len(failures)} of {len(files)} files fail ({first['path']}: {first['problem'][:120]})",
            details,
        )
    return GateResult("schema", PASS, f"{len(files)} files valid ({counts})", details)
