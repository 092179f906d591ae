"""``python -m harness.fuzz.repro --target T FILE [--minimize OUT ...]``: one input, in-process.

Triage runs this in a subprocess, so a hang, a crash of the interpreter or
runaway memory takes down only the child: the parent owns the timeout and
reads the result from the last stdout line, ``FJH-REPRO <json>``.

Reproduce mode prints :func:`harness.fuzz.oracle.run_check`'s description
of the input (``status``, ``code``, ``kind``, ``exception_type``, ``frame``,
``signature``, ``traceback``, ``elapsed_s``). The target is not instrumented
here: this is the same code a user runs.

Minimize mode (``--minimize OUT --signature S``) runs
:func:`harness.fuzz.minimize.minimize` with "reproduces signature S" as the
predicate, each candidate under its own alarm (``--candidate-timeout``;
signature ``hang`` means "still hangs"), writes the result to ``OUT`` and
prints ``{"size": ..., "candidates": ..., "exhausted": ...}``. A clean result
slower than ``--slow-seconds`` has signature ``slow``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
from pathlib import Path
from typing import Any

MARK = "FJH-REPRO "


class _CandidateTimeout(BaseException):
    fjh_interrupt = True


def _alarm(_signum: int, _frame: Any) -> None:
    raise _CandidateTimeout


def signature_of(outcome: dict[str, Any], slow_seconds: float) -> str:
    """The finding an outcome shows (``clean:...`` when none)."""
    sig = str(outcome["signature"])
    if sig.startswith("clean:") and slow_seconds and outcome["elapsed_s"] > slow_seconds:
        return "slow"
    return sig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.fuzz.repro")
    parser.add_argument("--target", required=True)
    parser.add_argument("input")
    parser.add_argument("--minimize", metavar="OUT")
    parser.add_argument("--signature")
    parser.add_argument("--slow-seconds", type=float, default=0.0)
    parser.add_argument("--candidate-timeout", type=float, default=10.0)
    parser.add_argument("--max-candidates", type=int, default=20000)
    parser.add_argument("--max-seconds", type=float, default=300.0)
    opts = parser.parse_args(argv)

    from harness.fuzz.oracle import run_check
    from harness.fuzz.registry import get_target

    check = get_target(opts.target).load_check()
    data = Path(opts.input).read_bytes()
    if not opts.minimize:
        with contextlib.redirect_stdout(sys.stderr):
            outcome = run_check(check, data)
        print(MARK + json.dumps(outcome, sort_keys=True))
        return 0

    from harness.fuzz.minimize import minimize

    wanted = opts.signature
    signal.signal(signal.SIGALRM, _alarm)

    def reproduces(candidate: bytes) -> bool:
        signal.setitimer(signal.ITIMER_REAL, opts.candidate_timeout)
        try:
            with contextlib.redirect_stdout(sys.stderr):
                outcome = run_check(check, candidate)
        except _CandidateTimeout:
            return wanted == "hang"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        return signature_of(outcome, opts.slow_seconds) == wanted

    result = minimize(data, reproduces, max_candidates=opts.max_candidates, max_seconds=opts.max_seconds)
    # the minimizer's own process writes OUT; the caller copies it into the store atomically
    Path(opts.minimize).write_bytes(result.data)
    summary = {"size": len(result.data), "candidates": result.candidates, "exhausted": result.exhausted}
    print(MARK + json.dumps(summary, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
