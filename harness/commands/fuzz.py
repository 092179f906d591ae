"""``fjh fuzz TARGET [--max-time S] [--runs N] [--jobs J] [-- libFuzzer flags...]``.

Runs atheris workers on one target (see :mod:`harness.fuzz.runner`), prints
coverage growth while it runs and execs/s, coverage and corpus size at the
end. Exit 0 when no finding was recorded, 1 when at least one was (its file
is under ``corpus/crashes/<target>/``: run ``fjh triage`` on it) or a worker
died without recording one (a harness failure; the log has its output), 2 on
bad input. ``fjh fuzz --list`` lists the targets.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "fuzz",
        help="fuzz a parser of untrusted bytes with atheris",
        description="Fuzz TARGET with atheris/libFuzzer: new findings are written as "
        "corpus/crashes/<target>/crash-<sha1>, new interesting inputs grow corpus/<target>/, "
        "and the log and summary go to artifacts/fuzz/<target>/. Flags after `--` go to libFuzzer.",
    )
    parser.add_argument("target", nargs="?", help="target name (see --list)")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    parser.add_argument("--max-time", type=float, metavar="S", help="stop after S seconds")
    parser.add_argument("--runs", type=int, metavar="N", help="stop each job after N executions")
    parser.add_argument("--jobs", type=int, default=1, metavar="J", help="parallel workers (default 1)")
    parser.add_argument("--seed", type=int, help="base libFuzzer seed (job i uses seed+i); random by default")
    parser.add_argument(
        "--keep-going", action="store_true", help="restart a job after a finding until time is up"
    )
    parser.add_argument(
        "--slow-seconds",
        type=float,
        default=None,
        metavar="S",
        help="record an input handled cleanly but slower than S as a finding (default 2; 0 disables)",
    )
    parser.add_argument(
        "--hang-seconds", type=int, default=None, metavar="S", help="libFuzzer -timeout (default 20)"
    )
    parser.add_argument("--max-len", type=int, metavar="B", help="largest input (default per target)")
    parser.add_argument(
        "--no-mutator", action="store_true", help="byte-level mutation only (no JSON-aware mutator)"
    )
    parser.add_argument("--quiet", action="store_true", help="print only the final summary")
    parser.add_argument("--json", action="store_true", help="print the run summary as JSON")
    parser.set_defaults(run=_run, libfuzzer=[])
    parser.__class__ = _split_at_double_dash(type(parser))


def _split_at_double_dash(base: type) -> type:
    """The parser class, but everything after ``--`` is kept verbatim for libFuzzer.

    argparse binds an optional positional list as soon as it sees the target,
    so ``TARGET --max-time 5 -- -dict=x`` cannot be expressed with nargs;
    splitting first is the plain way.
    """

    class SplitParser(base):
        def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
            items = list(sys.argv[1:] if args is None else args)
            extra: list[str] = []
            if "--" in items:
                cut = items.index("--")
                items, extra = items[:cut], items[cut + 1 :]
            parsed, rest = super().parse_known_args(items, namespace)
            parsed.libfuzzer = extra
            return parsed, rest

    return SplitParser


def _run(args: argparse.Namespace) -> int:
    from harness.fuzz.registry import get_target, targets
    from harness.render import print_json, table

    if args.list:
        rows: list[tuple[Any, ...]] = [
            (t.name, t.taxonomy, t.summary) for t in sorted(targets().values(), key=lambda t: t.name)
        ]
        print(table(["target", "may raise", "what"], rows))
        return 0
    if not args.target:
        from harness.errors import UsageError

        raise UsageError("FJ-CLI-USAGE", "give a target (fjh fuzz --list shows them)")
    get_target(args.target)
    from harness.fuzz.runner import DEFAULT_HANG_SECONDS, DEFAULT_SLOW_SECONDS, run_fuzz

    extra = list(args.libfuzzer)

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    result = run_fuzz(
        args.target,
        max_time=args.max_time,
        runs=args.runs,
        jobs=args.jobs,
        seed=args.seed,
        libfuzzer_args=extra,
        keep_going=args.keep_going,
        slow_seconds=DEFAULT_SLOW_SECONDS if args.slow_seconds is None else args.slow_seconds,
        hang_seconds=DEFAULT_HANG_SECONDS if args.hang_seconds is None else args.hang_seconds,
        max_len=args.max_len,
        mutator=not args.no_mutator,
        progress=None if args.quiet or args.json else progress,
    )
    if args.json:
        print_json(result.to_json())
    else:
        print(
            f"{result.target}: {result.execs} execs in {result.seconds:.1f} s "
            f"({result.execs_per_sec:.0f} execs/s, {result.jobs} job(s))"
        )
        print(
            f"coverage: cov {result.cov_initial} -> {result.cov_final} "
            f"(+{result.cov_final - result.cov_initial}), ft {result.ft_final}"
        )
        print(
            f"corpus: {result.corpus_seed} seeds, {result.corpus_before} -> {result.corpus_after} "
            f"grown units (+{result.corpus_added})"
        )
        if result.crashes:
            rows = [(c.name, c.kind, "new" if c.new else "known", c.size, c.path) for c in result.crashes]
            print(table(["finding", "kind", "", "bytes", "path"], rows))
            print(f"triage with: fjh triage {result.crashes[0].name} --target {result.target}")
        else:
            print("findings: none")
        for failure in result.worker_failures:
            print(f"FAILED: {failure}")
        print(f"log: {result.log}  summary: {result.summary}")
    return 0 if result.ok else 1
