#!/usr/bin/env python3
"""Digest what the primitive case specs generate, to prove a change keeps it (or to show what moved).

    scripts/spec_digest.py OUT.json            # write the digest of this checkout
    scripts/spec_digest.py --diff A.json B.json  # compare two digests (exit 1 on a difference)

Three sections, one entry per generated item:

* ``catalog``: every catalog case (``build_catalog()``) by id: its JSON form (program, params, operands,
  stack, tier, may_raise, ...) and a SHA-256 of its input arrays' dtypes, shapes and bytes;
* ``seeds``: every ``ir_deserializer`` fuzz seed by file name, with a SHA-256 of its bytes;
* ``unit``: every live-JAX unit-test case (``tests/jax_helpers.all_cases()``) by (primitive, label): its
  operands, tier, edge layout, flags, and per dtype the params, the reject code and a SHA-256 of its
  fixed, random and smooth inputs. This section imports JAX (through the tests' helpers).

Run it before and after a change to the specs (``harness/conformance/specs``); ``--diff`` lists the
items added, removed and changed per section.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _arrays_digest(arrays: Any) -> str:
    import numpy as np

    h = hashlib.sha256()
    for a in arrays:
        a = np.asarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def catalog_section() -> dict[str, Any]:
    from harness.conformance.catalog import build_catalog

    out: dict[str, Any] = {}
    for position, case in enumerate(build_catalog().cases):
        doc = case.to_json()
        doc.pop("inputs")
        out[case.case_id] = {**doc, "inputs_sha256": _arrays_digest(case.inputs), "position": position}
    return out


def seeds_section() -> dict[str, Any]:
    from harness.fuzz.seeds import ir_seeds

    return {name: hashlib.sha256(data).hexdigest() for name, data in sorted(ir_seeds().items())}


def _param_text(value: Any) -> Any:
    from frankenjax_ref import ir
    from frankenjax_ref.core.ir import ClosedJaxpr

    if isinstance(value, ClosedJaxpr):
        return ir.dumps(value)
    if isinstance(value, dict):
        return {k: _param_text(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_param_text(v) for v in value]
    return repr(value)


def unit_section() -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "tests"))
    import jax_helpers as jh

    out: dict[str, Any] = {}
    for case in jh.all_cases():
        entry: dict[str, Any] = {
            "operands": [
                [list(o.shape), None if o.dtype is None else str(o.dtype), repr(o.domain), list(o.smooth)]
                for o in case.operands
            ],
            "tier": case.tier,
            "edge": case.edge,
            "elementwise": case.elementwise,
            "main": case.main,
            "only_dtypes": None if case.only_dtypes is None else [str(d) for d in case.only_dtypes],
            "jax_always_raises": case.jax_always_raises,
            "scale": getattr(case.scale, "__name__", None) if case.scale else None,
            "jax_fn": case.jax_fn is not None,
            "dtypes": {},
        }
        for d in jh.ALL_DTYPES:
            if case.only_dtypes is not None and d not in case.only_dtypes:
                continue
            per: dict[str, Any] = {"reject_code": case.reject_code(d)}
            try:
                per["params"] = _param_text(case.params(d, case.avals(d)))
            except Exception as exc:  # a params builder that refuses the dtype
                per["params"] = f"error: {type(exc).__name__}"
            per["fixed"] = _arrays_digest(case.fixed_inputs(d))
            per["random"] = _arrays_digest(case.random_inputs(d, 7))
            per["smooth"] = _arrays_digest(case.random_inputs(d, 7, smooth=True))
            entry["dtypes"][jh.dtype_id(d)] = per
        key = f"{case.primitive}[{case.label}]"
        if key in out:
            raise SystemExit(f"duplicate unit case {key}")
        out[key] = entry
    return out


def digest() -> dict[str, Any]:
    return {"catalog": catalog_section(), "seeds": seeds_section(), "unit": unit_section()}


def diff(a: dict[str, Any], b: dict[str, Any]) -> int:
    changed_any = 0
    for section in ("catalog", "seeds", "unit"):
        left, right = a.get(section, {}), b.get(section, {})
        added = sorted(set(right) - set(left))
        removed = sorted(set(left) - set(right))
        changed = sorted(k for k in set(left) & set(right) if left[k] != right[k])
        print(
            f"{section}: {len(left)} -> {len(right)} items; {len(added)} added, {len(removed)} removed, "
            f"{len(changed)} changed"
        )
        for label, keys in (("added", added), ("removed", removed), ("changed", changed)):
            for k in keys[:40]:
                print(f"  {label}: {k}")
                if label == "changed" and isinstance(left[k], dict):
                    fields = sorted(
                        f for f in set(left[k]) | set(right[k]) if left[k].get(f) != right[k].get(f)
                    )
                    print(f"    fields: {fields}")
            if len(keys) > 40:
                print(f"  ... and {len(keys) - 40} more {label}")
        changed_any |= bool(added or removed or changed)
    return int(changed_any)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("paths", nargs="+", help="OUT.json, or two digests with --diff")
    parser.add_argument("--diff", action="store_true", help="compare two digest files")
    args = parser.parse_args(argv)
    if args.diff:
        if len(args.paths) != 2:
            parser.error("--diff takes two digest files")
        a, b = (json.loads(Path(p).read_text()) for p in args.paths)
        return diff(a, b)
    sys.path.insert(0, str(ROOT))
    Path(args.paths[0]).write_text(json.dumps(digest(), indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
