"""Coverage gate: line and branch coverage per package (coverage.py data) against floors.

The data comes from one pytest run with ``--cov=frankenjax_ref --cov=harness
--cov-branch`` (pytest-cov; xdist workers' data combined). In the CI profile
that run is the test run itself (``make test``), so the tests do not run
twice; with ``collect: true`` (the full profile) the gate runs
``collect_command`` first. Every ``.py`` file under a package counts, imported
by the tests or not (a module no test imports is 0%, not invisible).

Line coverage = covered statements / statements; branch coverage = covered
branch arcs / branch arcs (coverage.py's definitions). The details list
every module under either floor of its package, worst first, so the report
says what to test next.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness.gates.base import ERROR, FAIL, PASS, GateContext, GateResult


def measure(data_file: Path, root: Path, packages: list[str]) -> dict[str, dict[str, Any]]:
    """Per package: totals and per-module numbers, from a coverage.py data file."""
    import coverage

    cov = coverage.Coverage(
        data_file=str(data_file), branch=True, source=[str(root / p) for p in packages], config_file=False
    )
    cov.load()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "coverage.json"
        cov.json_report(outfile=str(out), ignore_errors=True)
        report = json.loads(out.read_text())
    result: dict[str, dict[str, Any]] = {
        p: {"statements": 0, "covered_lines": 0, "branches": 0, "covered_branches": 0, "modules": {}}
        for p in packages
    }
    for name, entry in report["files"].items():
        path = Path(name) if os.path.isabs(name) else Path.cwd() / name
        try:
            relative = path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            continue
        package = relative.split("/", 1)[0]
        if package not in result:
            continue
        s = entry["summary"]
        totals = result[package]
        totals["statements"] += s["num_statements"]
        totals["covered_lines"] += s["covered_lines"]
        totals["branches"] += s.get("num_branches", 0)
        totals["covered_branches"] += s.get("covered_branches", 0)
        totals["modules"][relative] = {
            "line": _pct(s["covered_lines"], s["num_statements"]),
            "branch": _pct(s.get("covered_branches", 0), s.get("num_branches", 0)),
            "missing_lines": s["missing_lines"],
            "missing_branches": s.get("missing_branches", 0),
        }
    for totals in result.values():
        totals["line"] = _pct(totals["covered_lines"], totals["statements"])
        totals["branch"] = _pct(totals["covered_branches"], totals["branches"])
    return result


def _pct(covered: int, total: int) -> float:
    return round(100.0 * covered / total, 2) if total else 100.0


def collect(ctx: GateContext, cfg: dict[str, Any], data_file: Path) -> tuple[int, float, str]:
    """Run the collect command (pytest with coverage); returns (exit code, seconds, output tail)."""
    argv = [a.replace("{python}", sys.executable) for a in cfg["collect_command"]]
    env = {**os.environ, "COVERAGE_FILE": str(data_file)}
    t0 = time.perf_counter()
    proc = subprocess.run(
        argv, cwd=ctx.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
    )
    seconds = time.perf_counter() - t0
    ctx.stage_seconds["tests:coverage"] = seconds
    return proc.returncode, seconds, proc.stdout[-3000:]


def run(ctx: GateContext) -> GateResult:
    cfg = ctx.section("coverage_gate")
    data_file = ctx.path(ctx.options.get("coverage_data") or cfg["data_file"])
    details: dict[str, Any] = {"data_file": str(data_file), "collected": bool(cfg.get("collect"))}
    if cfg.get("collect"):
        code, seconds, tail = collect(ctx, cfg, data_file)
        details.update(collect_exit=code, collect_seconds=round(seconds, 2))
        if code != 0:
            details["collect_output_tail"] = tail
            return GateResult("coverage", FAIL, f"the coverage run's tests failed (exit {code})", details)
    if not data_file.is_file():
        return GateResult(
            "coverage",
            ERROR,
            f"no coverage data at {data_file}: run `make test` first (it collects it), or use a profile with "
            "coverage_gate.collect = true",
            details,
        )
    floors: dict[str, dict[str, Any]] = cfg["packages"]
    try:
        measured = measure(data_file, ctx.root, sorted(floors))
    except Exception as exc:  # coverage.py's own errors (no data, mixed branch/line data)
        return GateResult(
            "coverage", ERROR, f"cannot read coverage data: {type(exc).__name__}: {exc}", details
        )
    failures = []
    packages: dict[str, Any] = {}
    for package, floor in sorted(floors.items()):
        m = measured[package]
        under = sorted(
            (
                {"module": mod, **nums}
                for mod, nums in m["modules"].items()
                if nums["line"] < floor["line"] or nums["branch"] < floor["branch"]
            ),
            key=lambda e: -(e["missing_lines"] + e["missing_branches"]),
        )
        ok = m["line"] >= floor["line"] and m["branch"] >= floor["branch"]
        packages[package] = {
            "line": m["line"],
            "branch": m["branch"],
            "line_floor": floor["line"],
            "branch_floor": floor["branch"],
            "line_target": floor.get("target_line", floor["line"]),
            "branch_target": floor.get("target_branch", floor["branch"]),
            "statements": m["statements"],
            "branches": m["branches"],
            "ok": ok,
            "modules_under_floor": under,
            "note": floor.get("note"),
        }
        if not ok:
            failures.append(
                f"{package} {m['line']:.1f}% line / {m['branch']:.1f}% branch "
                f"(floors {floor['line']}/{floor['branch']})"
            )
    details["packages"] = packages

    def describe(p: str, v: dict[str, Any]) -> str:
        text = f"{p} {v['line']:.1f}%/{v['branch']:.1f}% (floor {v['line_floor']}/{v['branch_floor']}"
        if (v["line_target"], v["branch_target"]) != (v["line_floor"], v["branch_floor"]):
            text += f", target {v['line_target']}/{v['branch_target']}"
        return text + ")"

    summary = "; ".join(describe(p, v) for p, v in packages.items())
    if failures:
        return GateResult("coverage", FAIL, "under floor: " + "; ".join(failures), details)
    return GateResult("coverage", PASS, summary, details)
