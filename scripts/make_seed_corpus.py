#!/usr/bin/env python3
"""Write the fuzz seed corpora: ``corpus/<target>/seed/`` for every target (or those named).

Deterministic: the same code writes the same bytes, so re-running changes
nothing (unchanged seeds keep their files and durability sidecars). Seeds
that are no longer generated are removed. Minimized inputs of indexed
crashes join their target's seeds as ``regress-<sha1>``.

    .venv/bin/python scripts/make_seed_corpus.py            # every target
    .venv/bin/python scripts/make_seed_corpus.py ir_deserializer
    .venv/bin/python scripts/make_seed_corpus.py --check    # exit 1 if anything would change
    .venv/bin/python scripts/make_seed_corpus.py --no-sidecars
"""

from __future__ import annotations

import argparse
import sys

from frankenjax_ref.errors import FJError


def main(argv: list[str] | None = None) -> int:
    from harness.fuzz.registry import target_names
    from harness.fuzz.seeds import GENERATORS, write_seeds

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", help="targets (default: every target with a seed generator)")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 when seeds are out of date"
    )
    parser.add_argument("--no-sidecars", action="store_true", help="do not generate durability sidecars")
    args = parser.parse_args(argv)
    names = args.targets or [t for t in target_names() if t in GENERATORS]
    stale = False
    for name in names:
        if name not in GENERATORS:
            print(f"{name}: no seed generator", file=sys.stderr)
            return 2
        try:
            result = write_seeds(name, sidecars=not args.no_sidecars, check=args.check)
        except FJError as exc:
            print(f"{name}: skipped: {exc}", file=sys.stderr)
            continue
        verb = "would write" if args.check else "wrote"
        print(
            f"{name}: {result.total} seeds in {result.directory} ({verb} {len(result.written)}, "
            f"{result.unchanged} unchanged, removed {len(result.removed)}, {result.regressions} regressions)"
        )
        stale = stale or bool(result.written or result.removed)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
