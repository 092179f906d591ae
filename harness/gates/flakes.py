"""Flake detection: run the test command N times and name what changes between runs.

``fjh flakes --runs N [--command CMD]`` (and the flake gate) run the command
N times from the project root, each run's output to its own log file, and
read each run's JUnit XML to learn the outcome of every test. The report
(``frankenjax.flake-report.v1``) gives runs, passes, fails, the suite flake
rate, every run's duration, exit code, log and JUnit paths, and the tests
that both passed and failed across the runs (the flaky ones) separately
from tests that failed every time they ran (broken, not flaky).

Definitions:

* a run *passes* when the command exits 0;
* the suite flake rate is ``fails / runs`` — the chance that one run of the
  suite fails; the budget (``max_flake_rate``, 0.0) says no run may fail;
* a test is *flaky* when at least one run reports it passed and at least one
  reports it failed (failure or error).

The command is a list of arguments (no shell). ``{python}`` is replaced by
the running interpreter and ``{junit}`` by the run's JUnit path; a pytest
command without ``{junit}`` gets ``--junitxml=<path>`` appended, so per-test
outcomes are available by default. Other commands are judged by exit code
only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from frankenjax_ref.errors import register_code
from harness.errors import HarnessError

REPORT_SCHEMA = "frankenjax.flake-report.v1"
DEFAULT_COMMAND = ("{python}", "-m", "pytest", "-n", "2", "-q", "-p", "no:cacheprovider")

register_code("FJ-FLAKES-COMMAND", "HARNESS", "the flake detector's test command cannot be run")


class FlakesError(HarnessError):
    """The test command is empty or cannot be started."""


@dataclass(frozen=True)
class FlakeRun:
    index: int
    exit_code: int
    seconds: float
    log: str
    junit: str | None
    tests: dict[str, str] = field(default_factory=dict)  # test id -> passed | failed | skipped
    timed_out: bool = False

    @property
    def passed(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


@dataclass(frozen=True)
class FlakeReport:
    command: list[str]
    runs: list[FlakeRun]
    created_at: str
    max_flake_rate: float = 0.0

    @property
    def passes(self) -> int:
        return sum(r.passed for r in self.runs)

    @property
    def fails(self) -> int:
        return len(self.runs) - self.passes

    @property
    def rate(self) -> float:
        return self.fails / len(self.runs) if self.runs else 0.0

    @property
    def ok(self) -> bool:
        return bool(self.runs) and self.rate <= self.max_flake_rate

    def outcomes(self) -> dict[str, list[str]]:
        seen: dict[str, list[str]] = {}
        for run in self.runs:
            for test, outcome in run.tests.items():
                seen.setdefault(test, []).append(outcome)
        return seen

    @property
    def flaky_tests(self) -> list[str]:
        return sorted(t for t, o in self.outcomes().items() if "passed" in o and "failed" in o)

    @property
    def always_failing_tests(self) -> list[str]:
        return sorted(t for t, o in self.outcomes().items() if "failed" in o and "passed" not in o)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": REPORT_SCHEMA,
            "created_at": self.created_at,
            "command": self.command,
            "runs": len(self.runs),
            "passes": self.passes,
            "fails": self.fails,
            "rate": self.rate,
            "max_flake_rate": self.max_flake_rate,
            "ok": self.ok,
            "tests_seen": len(self.outcomes()),
            "flaky_tests": self.flaky_tests,
            "always_failing_tests": self.always_failing_tests,
            "per_run": [
                {
                    "index": r.index,
                    "exit_code": r.exit_code,
                    "passed": r.passed,
                    "timed_out": r.timed_out,
                    "seconds": round(r.seconds, 3),
                    "log": r.log,
                    "junit": r.junit,
                    "tests_passed": sum(v == "passed" for v in r.tests.values()),
                    "tests_failed": sum(v == "failed" for v in r.tests.values()),
                    "tests_skipped": sum(v == "skipped" for v in r.tests.values()),
                }
                for r in self.runs
            ],
        }


def _is_pytest(argv: Sequence[str]) -> bool:
    return any(Path(a).name in ("pytest", "py.test") for a in argv[:1]) or "pytest" in argv[1:3]


def expand_command(command: Sequence[str], junit: Path) -> tuple[list[str], bool]:
    """Substitute ``{python}``/``{junit}``; returns (argv, whether JUnit XML will be written)."""
    if not command:
        raise FlakesError("FJ-FLAKES-COMMAND", "the test command is empty")
    argv = [a.replace("{python}", sys.executable) for a in command]
    if any("{junit}" in a for a in argv):
        return [a.replace("{junit}", str(junit)) for a in argv], True
    if _is_pytest(argv):
        return [*argv, f"--junitxml={junit}"], True
    return argv, False


def parse_junit(path: Path) -> dict[str, str]:
    """Per-test outcomes from a JUnit XML file (pytest's format); empty if it is missing or unreadable."""
    try:
        tree = ET.parse(path)
    except (OSError, ET.ParseError):
        return {}
    outcomes: dict[str, str] = {}
    for case in tree.iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        tags = {child.tag for child in case}
        if tags & {"failure", "error"}:
            outcomes[name] = "failed"
        elif "skipped" in tags:
            outcomes.setdefault(name, "skipped")
        else:
            outcomes.setdefault(name, "passed")
    return outcomes


def junit_seconds(path: Path) -> float | None:
    """The wall time a JUnit file records for its suite(s) (pytest writes the session duration)."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    times = [float(s.get("time", "nan")) for s in suites if s.get("time")]
    return max(times) if times else None


def _utc_now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def default_out_dir() -> Path:
    from harness.paths import artifacts_dir

    return artifacts_dir() / "flakes"


def detect_flakes(
    runs: int,
    command: Sequence[str] | None = None,
    *,
    out_dir: Path | None = None,
    cwd: Path | None = None,
    timeout_seconds: float | None = None,
    max_flake_rate: float = 0.0,
    env: dict[str, str] | None = None,
    on_run: Callable[[FlakeRun], None] | None = None,
    prior: Sequence[FlakeRun] = (),
) -> FlakeReport:
    """Run ``command`` ``runs`` times and report (see the module docstring). Writes logs, not the report.

    ``prior`` are runs made elsewhere (the CI test run, read from its JUnit
    file by :func:`run_from_junit`); they count as runs of the report and
    the new runs are numbered after them.
    """
    from harness.atomicio import atomic_writer
    from harness.paths import project_root, relative_to_root

    if runs < 1 and not prior:
        raise FlakesError("FJ-FLAKES-COMMAND", f"--runs must be at least 1, not {runs}")
    command = list(command or DEFAULT_COMMAND)
    out = out_dir or default_out_dir()
    run_dir = out / "runs"
    run_dir.mkdir(parents=True, exist_ok=True)
    for stale in run_dir.glob("run-*"):  # a previous detection's files would be mistaken for this one's
        if stale.is_file():
            stale.unlink()
        else:
            import shutil

            shutil.rmtree(stale, ignore_errors=True)
    created = _utc_now()
    results: list[FlakeRun] = list(prior)
    for index in range(len(results) + 1, len(results) + runs + 1):
        junit = run_dir / f"run-{index:02d}.junit.xml"
        log = run_dir / f"run-{index:02d}.log"
        argv, has_junit = expand_command(command, junit)
        t0 = time.perf_counter()
        timed_out = False
        try:
            proc = subprocess.run(
                argv,
                cwd=cwd or project_root(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=timeout_seconds,
                env={**os.environ, **(env or {})},
                check=False,
            )
            output, code = proc.stdout, proc.returncode
        except subprocess.TimeoutExpired as exc:
            output, code, timed_out = exc.stdout or b"", -1, True
        except OSError as exc:
            raise FlakesError("FJ-FLAKES-COMMAND", f"cannot run {argv[0]!r}: {exc.strerror}") from None
        seconds = time.perf_counter() - t0
        header = (
            f"$ {' '.join(argv)}\n# exit {code}{' (timed out)' if timed_out else ''} after {seconds:.2f}s\n"
        )
        with atomic_writer(log) as writer:
            writer.write(header.encode() + output)
        tests = parse_junit(junit) if has_junit else {}
        run = FlakeRun(
            index,
            code,
            seconds,
            relative_to_root(log),
            relative_to_root(junit) if has_junit and junit.exists() else None,
            tests,
            timed_out,
        )
        results.append(run)
        if on_run is not None:
            on_run(run)
    return FlakeReport(command, results, created, max_flake_rate)


def run_from_junit(path: Path, index: int = 1) -> FlakeRun | None:
    """A run made elsewhere, from its JUnit file: passed when no test failed or errored."""
    from harness.paths import relative_to_root

    tests = parse_junit(path)
    seconds = junit_seconds(path)
    if not tests or seconds is None:
        return None
    failed = any(v == "failed" for v in tests.values())
    name = relative_to_root(path)
    return FlakeRun(index, 1 if failed else 0, seconds, name, name, tests)


def write_report(report: FlakeReport, path: Path | None = None, *, sidecars: bool = True) -> Path:
    """Write the report (schema-checked, atomic) and give it and every run's files a durability sidecar."""
    from harness.atomicio import write_json
    from harness.paths import project_root

    target = path or default_out_dir() / "flake-report.v1.json"
    write_json(target, report.to_json(), schema=REPORT_SCHEMA)
    if sidecars:
        from harness.durability import generate_sidecar

        files = [target]
        for run in report.runs:
            for name in {run.log, run.junit} - {None}:
                if name is not None and name.startswith("artifacts/"):
                    files.append(project_root() / name)
        for f in files:
            if f.is_file():
                generate_sidecar(f, force=True)
    return target
