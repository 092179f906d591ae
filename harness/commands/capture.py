"""``fjh capture``: capture fixture bundles from JAX (see :mod:`harness.conformance.capture`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from harness.commands._parallel import add_parallel_arguments, parallel_session


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "capture",
        help="trace the case catalog with JAX and write fixture bundles",
        description="Traces every catalog program with JAX, converts it to canonical IR, runs JAX under each "
        "transform stack (x64) and writes one frankenjax.fixture-bundle.v1 file per family. Without JAX and "
        "without --strict, the seed programs are captured from closed forms, labelled analytical_fallback. "
        "Exit 0: everything captured; 1: some cases failed (written bundles list them); 2: bad input, or a "
        "--strict capture that failed (nothing written).",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="require JAX and every case to succeed; on any failure write nothing",
    )
    parser.add_argument("--output", metavar="DIR", help="where to write bundles (default: fixtures/)")
    parser.add_argument(
        "--check-determinism",
        action="store_true",
        help="run JAX twice per case; refuse cases whose outputs differ bit for bit",
    )
    add_parallel_arguments(
        parser,
        only_help="capture only cases whose id or family matches (fnmatch; a plain prefix works too); "
        "repeatable; the cases are merged into the existing bundles",
        known_divergences_help="the reviewed list giving reasons for nondeterministic cases "
        "(default: ci/known_divergences.v1.json)",
        json_help="print the result as JSON",
    )
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from harness.conformance.capture import capture
    from harness.render import print_json, table

    with parallel_session("capture", args) as (executor, progress):
        result = capture(
            output_dir=args.output,
            patterns=args.only,
            strict=args.strict,
            jobs=args.jobs,
            check_determinism=args.check_determinism,
            executor=executor,
            progress=progress,
            known_divergences=args.known_divergences,
        )
    if args.json:
        print_json(result)
        return 0 if result.ok else 1
    if result.mode == "analytical_fallback":
        print(
            "JAX is not available: analytical fallback — seed programs only, every case and bundle labelled "
            "capture_mode=analytical_fallback",
            file=sys.stderr,
        )
    p = result.provenance
    print(
        f"capture mode {result.mode} (jax {p.get('jax')}, jaxlib {p.get('jaxlib')}, numpy {p.get('numpy')}, "
        f"python {p.get('python')}, x64 {p.get('x64')}, {p.get('platform')})"
    )
    print(
        f"{result.selected} catalog cases -> {result.captured} fixtures "
        f"({result.error_cases} expect an error, {result.rejected_dtypes} dtype rejections), "
        f"{result.not_applicable} not applicable, {len(result.failures)} failed, "
        f"{len(result.nondeterministic)} nondeterministic"
        + (" (determinism checked)" if result.determinism_checked else "")
    )
    print(f"{result.seconds:.1f} s, {result.cases_per_second:.1f} cases/s")
    print(table(["family", "fixtures"], sorted(result.families.items())))
    for path in result.files:
        print(f"wrote {path}")
    for f in (result.failures + result.nondeterministic)[:30]:
        print(f"  {f.reason}: {f.case_id}: {f.detail}", file=sys.stderr)
    return 0 if result.ok else 1
