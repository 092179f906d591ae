"""What the commands that run catalog cases in parallel (capture, conformance) share:
their ``--jobs``/``--dask``/``--only``/``--known-divergences``/``--quiet``/``--json`` options
and the executor and progress line they open and always close."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from typing import Any


def add_parallel_arguments(
    parser: Any, *, only_help: str, known_divergences_help: str, json_help: str
) -> None:
    parser.add_argument("--only", metavar="PATTERN", action="append", help=only_help)
    parser.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="worker processes (default: the number of CPUs; 0 runs in this process)",
    )
    parser.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster (tcp://host:8786) instead")
    parser.add_argument("--known-divergences", metavar="FILE", help=known_divergences_help)
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    parser.add_argument("--json", action="store_true", help=json_help)


@contextlib.contextmanager
def parallel_session(name: str, args: argparse.Namespace) -> Iterator[tuple[Any, Any]]:
    """``(executor, progress)`` for a run: a Dask executor when ``--dask`` is given (else None, and
    the run makes its own local pool from ``--jobs``), and a progress line unless quiet or JSON."""
    from harness.conformance.executor import TerminalProgress, make_executor

    progress = TerminalProgress(name, quiet=args.quiet or args.json)
    executor = make_executor(address=args.dask) if args.dask else None
    try:
        yield executor, progress
    finally:
        progress.close()
        if executor is not None:
            executor.shutdown(wait=True)
