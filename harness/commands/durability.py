"""``fjh durability generate|scrub|repair|proof|pipeline|bench``.

Thin by design: parse, call one :mod:`harness.durability` function, render.
Exit codes: 0 everything intact / recovered; 1 damage found, repair refused
as unrecoverable, or a proof that did not recover; 2 bad input (typed
error, code printed).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

EXIT_OK, EXIT_CHECK_FAILED = 0, 1


#: The codecs ``--codec`` accepts (harness.durability.codec.CODECS; kept here so --help stays light).
CODEC_NAMES = ("zfec", "raptorq")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "durability",
        help="erasure-coded sidecars: generate, scrub, repair, prove",
        description="Protect long-lived artifacts with zfec sidecars (<artifact>.fjsc/): "
        "any k of m shares rebuild the artifact; SHA-256 decides which shares are good.",
    )
    parser.set_defaults(run=lambda _args: _help(parser))
    actions = parser.add_subparsers(dest="action", metavar="ACTION")

    generate = actions.add_parser("generate", help="encode an artifact into a fresh sidecar")
    _target(generate, allow_all=False)
    _coding(generate)
    generate.add_argument(
        "--force", action="store_true", help="replace a sidecar that protects different content"
    )
    generate.set_defaults(run=_generate)

    scrub = actions.add_parser("scrub", help="verify artifact and shares; exit 0 only if all intact")
    _target(scrub, allow_all=True)
    scrub.add_argument("--report", metavar="R", help="also write the report (JSON, schema-checked) to R")
    scrub.set_defaults(run=_scrub)

    repair = actions.add_parser("repair", help="rebuild damaged or missing artifact, shares, manifest")
    _target(repair, allow_all=False)
    repair.set_defaults(run=_repair)

    proof = actions.add_parser("proof", help="decode with shares withheld and write a decode proof")
    _target(proof, allow_all=False)
    _proof_args(proof)
    proof.add_argument("--proof", metavar="P", help="where to write it (default <sidecar>/decode-proof.json)")
    proof.set_defaults(run=_proof)

    pipeline = actions.add_parser("pipeline", help="generate if missing, scrub, proof (drop m-k)")
    _target(pipeline, allow_all=True)
    _coding(pipeline)
    _proof_args(pipeline)
    pipeline.add_argument(
        "--regenerate", action="store_true", help="regenerate an existing sidecar (accept current bytes)"
    )
    pipeline.add_argument("--report", metavar="R", help="also write the scrub report / --all summary to R")
    pipeline.set_defaults(run=_pipeline)

    bench = actions.add_parser("bench", help="generate/scrub/repair throughput beside sha256")
    bench.add_argument("--size-mib", type=int, default=64, help="artifact size (default 64)")
    bench.add_argument("--repeats", type=int, default=5, help="best of N interleaved rounds (default 5)")
    bench.add_argument("--codec", choices=CODEC_NAMES, default="zfec", help="erasure code (default zfec)")
    bench.add_argument("--json", action="store_true", help="print JSON instead of a table")
    bench.set_defaults(run=_bench)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _target(parser: argparse.ArgumentParser, *, allow_all: bool) -> None:
    if allow_all:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--artifact", metavar="A", help="the artifact file")
        group.add_argument(
            "--all",
            action="store_true",
            help="every long-lived artifact under fixtures/, corpus/, artifacts/ (one table)",
        )
        parser.add_argument("--root", metavar="DIR", help="tree for --all (default: the project root)")
    else:
        parser.add_argument("--artifact", metavar="A", required=True, help="the artifact file")
    parser.add_argument("--sidecar", metavar="S", help="sidecar directory (default <artifact>.fjsc)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _coding(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--k", type=int, default=4, help="shares needed to rebuild (default 4)")
    parser.add_argument("--m", type=int, default=6, help="shares stored (default 6)")
    parser.add_argument(
        "--max-block-size",
        type=int,
        default=1 << 20,
        metavar="BYTES",
        help="largest block per share per stripe (default 1048576; bounds memory; raptorq caps it at 65528)",
    )
    parser.add_argument(
        "--codec",
        choices=CODEC_NAMES,
        default="zfec",
        help="erasure code (default zfec, Reed-Solomon; raptorq needs the optional raptorq package "
        "and refuses k/m for which some k shares would not decode)",
    )


def _coding_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options :func:`_coding` added, as keyword arguments of the durability API."""
    return {"k": args.k, "m": args.m, "max_block_size": args.max_block_size, "codec": args.codec}


def _proof_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--drop", type=int, help="shares to withhold (default m-k)")
    parser.add_argument(
        "--seed", type=int, help="seed choosing the withheld shares (default: random, recorded)"
    )


def _usage(args: argparse.Namespace) -> None:
    from harness.errors import UsageError

    if getattr(args, "all", False) and args.sidecar:
        raise UsageError("FJ-CLI-USAGE", "--sidecar cannot be combined with --all")
    if getattr(args, "root", None) and not getattr(args, "all", False):
        raise UsageError("FJ-CLI-USAGE", "--root only applies with --all")


def _generate(args: argparse.Namespace) -> int:
    from harness.durability import generate_sidecar, sidecar_dir
    from harness.paths import relative_to_root
    from harness.render import print_json, table

    options = _coding_options(args)
    manifest = generate_sidecar(args.artifact, sidecar=args.sidecar, force=args.force, **options)
    if args.json:
        print_json(manifest.to_json())
        return EXIT_OK
    where = relative_to_root(args.sidecar or sidecar_dir(args.artifact))
    layout = manifest.layout
    print(
        table(
            ["artifact", "size", "sha256", "k", "m", "stripes", "block", "sidecar"],
            [
                [
                    relative_to_root(args.artifact),
                    manifest.artifact_size,
                    manifest.artifact_sha256[:16],
                    manifest.k,
                    manifest.m,
                    layout.stripe_count,
                    layout.block_size,
                    where,
                ]
            ],
        )
    )
    return EXIT_OK


def _scrub(args: argparse.Namespace) -> int:
    from harness.durability.scrub import write_report

    _usage(args)
    if args.all:
        from harness.durability import scrub_all

        summary = scrub_all(args.root)
        if args.report:
            write_report(args.report, summary.to_json(), "frankenjax.durability-summary.v1")
        _print_summary(summary, args.json)
        return EXIT_OK if summary.ok else EXIT_CHECK_FAILED
    from harness.durability import scrub

    report = scrub(args.artifact, sidecar=args.sidecar)
    if args.report:
        write_report(args.report, report.to_json(), "frankenjax.scrub-report.v1")
    _print_report(report, args.json)
    return EXIT_OK if report.ok else EXIT_CHECK_FAILED


def _repair(args: argparse.Namespace) -> int:
    from harness.durability import DurabilityError, repair
    from harness.durability.errors import MANIFEST, UNRECOVERABLE
    from harness.render import print_json

    try:
        result = repair(args.artifact, sidecar=args.sidecar)
    except DurabilityError as exc:
        if exc.code not in (UNRECOVERABLE, MANIFEST):
            raise
        # Damage beyond repair is a failed check, not bad input.
        print(f"fjh durability repair: error: {exc}", file=sys.stderr)
        return EXIT_CHECK_FAILED
    if args.json:
        print_json(
            {
                "actions": list(result.actions),
                "before": result.before.to_json(),
                "after": result.after.to_json(),
            }
        )
    else:
        for action in result.actions or ("nothing to repair: everything intact",):
            print(action)
        _print_report(result.after, False)
    return EXIT_OK if result.ok else EXIT_CHECK_FAILED


def _proof(args: argparse.Namespace) -> int:
    from harness.durability import decode_proof, default_proof_path, write_proof
    from harness.paths import relative_to_root

    proof = decode_proof(args.artifact, sidecar=args.sidecar, drop=args.drop, seed=args.seed)
    path = write_proof(proof, args.proof or default_proof_path(args.artifact, args.sidecar))
    _print_proof(proof, relative_to_root(path), args.json)
    return EXIT_OK if proof.recovered else EXIT_CHECK_FAILED


def _pipeline(args: argparse.Namespace) -> int:
    from harness.durability.scrub import write_report

    _usage(args)
    if args.all:
        from harness.durability import pipeline_all

        summary = pipeline_all(args.root, drop=args.drop, seed=args.seed, **_coding_options(args))
        if args.report:
            write_report(args.report, summary.to_json(), "frankenjax.durability-summary.v1")
        _print_summary(summary, args.json)
        return EXIT_OK if summary.ok else EXIT_CHECK_FAILED
    from harness.durability import pipeline
    from harness.render import print_json

    result = pipeline(
        args.artifact,
        sidecar=args.sidecar,
        drop=args.drop,
        seed=args.seed,
        regenerate=args.regenerate,
        **_coding_options(args),
    )
    if args.report:
        write_report(args.report, result.scrub.to_json(), "frankenjax.scrub-report.v1")
    if args.json:
        print_json(
            {
                "generated": result.generated,
                "scrub": result.scrub.to_json(),
                "proof": None if result.proof is None else result.proof.to_json(),
                "proof_path": result.proof_path,
                "ok": result.ok,
            }
        )
    else:
        print("sidecar generated" if result.generated else "existing sidecar kept")
        _print_report(result.scrub, False)
        if result.proof is not None:
            _print_proof(result.proof, result.proof_path, False)
    return EXIT_OK if result.ok else EXIT_CHECK_FAILED


def _bench(args: argparse.Namespace) -> int:
    from harness.durability.bench import run_benchmark
    from harness.errors import UsageError
    from harness.render import print_json, table

    if args.size_mib < 1 or args.repeats < 1:
        raise UsageError("FJ-CLI-USAGE", "--size-mib and --repeats must be at least 1")
    result = run_benchmark(args.size_mib, repeats=args.repeats, codec=args.codec)
    if args.json:
        print_json({**_fields(result), "scrub_ratio": round(result.scrub_ratio, 3)})
        return EXIT_OK
    rows = [
        ["hashlib.sha256 (in memory)", result.sha256_mib_s, "1.00"],
        ["generate", result.generate_mib_s, f"{result.generate_mib_s / result.sha256_mib_s:.2f}"],
        ["scrub (all intact)", result.scrub_mib_s, f"{result.scrub_ratio:.2f}"],
        [
            "repair (artifact lost)",
            result.repair_artifact_mib_s,
            f"{result.repair_artifact_mib_s / result.sha256_mib_s:.2f}",
        ],
        [
            "repair (artifact + 2 primary shares lost)",
            result.repair_worst_mib_s,
            f"{result.repair_worst_mib_s / result.sha256_mib_s:.2f}",
        ],
    ]
    print(
        f"{result.size_mib} MiB artifact, {result.codec} k={result.k} m={result.m}, "
        f"best of {result.repeats}, {result.cpu_count} CPUs, Python {result.python}"
    )
    print(table(["operation", "MiB/s", "x sha256"], rows))
    return EXIT_OK


def _fields(obj: Any) -> dict[str, Any]:
    import dataclasses

    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


def _print_report(report: Any, as_json: bool) -> None:
    from harness.render import print_json, table

    if as_json:
        print_json(report.to_json())
        return
    state = report.artifact_state
    rows = [
        ["manifest.json", report.manifest_status, report.manifest_detail or ""],
        ["artifact", state.status, state.detail or ""],
    ]
    rows.extend([share.file, share.status, share.detail or ""] for share in report.shares)
    print(table(["component", "status", "detail"], rows))
    coding = f"k={report.k} m={report.m}, {report.good_shares} good shares" if report.k else "no manifest"
    print(f"{report.artifact}: {report.status} ({coding}; recoverable: {str(report.recoverable).lower()})")


def _print_summary(summary: Any, as_json: bool) -> None:
    from harness.render import print_json, table

    if as_json:
        print_json(summary.to_json())
        return
    rows = [
        [
            row.artifact,
            row.status,
            "yes" if row.recoverable else "no",
            f"{row.good_shares}/{row.m}" if row.m else "-",
            "yes" if row.generated else "",
            row.proof or "",
            (row.detail or "")[:80],
        ]
        for row in summary.rows
    ]
    print(table(["artifact", "status", "recoverable", "good", "generated", "proof", "detail"], rows))
    totals = ", ".join(f"{n} {status}" for status, n in summary.totals.items()) or "no artifacts found"
    print(f"{len(summary.rows)} artifacts: {totals}")


def _print_proof(proof: Any, path: str | None, as_json: bool) -> None:
    from harness.render import print_json

    if as_json:
        print_json({**proof.to_json(), "written_to": path})
        return
    print(
        f"decode proof: {'RECOVERED' if proof.recovered else 'NOT RECOVERED'} "
        f"(k={proof.k} m={proof.m}, dropped {list(proof.shares_dropped)} with seed {proof.seed}, "
        f"used {list(proof.shares_used)})"
    )
    print(f"  expected sha256 {proof.expected_sha256}")
    print(f"  decoded  sha256 {proof.decoded_sha256}")
    if proof.detail:
        print(f"  {proof.detail}")
    if path:
        print(f"  written to {path}")
