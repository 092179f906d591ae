#!/usr/bin/env python3
"""Benchmark: trace and transform chains of N equations under grad, vmap and jit(grad).

Run on purpose (not part of the tests):

    .venv/bin/python scripts/bench_transforms.py [--sizes 1000 10000] [--repeat 3]

Each measurement builds a program of N elementwise equations (a chain
alternating sin, mul-by-constant and add), stages it with ``make_jaxpr``
and then traces the transformed program (``make_jaxpr`` of ``grad``,
``vmap`` and ``jit(grad)`` applied to ``eval_jaxpr`` of it), so the time is
the reference's transform machinery, not NumPy arithmetic. It prints the time
per size and the growth ratio between consecutive sizes next to the size
ratio; linear growth means time ratio ~ size ratio (the issue's budget: at
most 12x the time for 10x the equations). For scale it also times NumPy
evaluating the same chain eagerly in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import frankenjax_ref as fj
from frankenjax_ref import lax


def chain(n: int) -> Callable[[Any], Any]:
    def f(x: Any) -> Any:
        y = x
        for _ in range(n // 3):
            y = lax.sin(y)
            y = lax.mul(y, np.float64(1.0001))
            y = lax.add(y, x)
        for _ in range(n - 3 * (n // 3)):
            y = lax.sin(y)
        return lax.reduce_sum(y, (0,))

    return f


def best_of(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--max-ratio", type=float, default=12.0, help="fail if time grows faster than this per 10x"
    )
    args = parser.parse_args(argv)
    sys.setrecursionlimit(10000)
    x = np.linspace(0.1, 0.9, 8)
    rows: dict[str, list[float]] = {}
    eqn_counts = []
    for n in args.sizes:
        closed = fj.make_jaxpr(chain(n))(x)
        eqn_counts.append(len(closed.jaxpr.equations))
        prog = lambda v, c=closed: fj.eval_jaxpr(c, v)[0]  # noqa: E731
        cases = {
            "trace (make_jaxpr)": lambda n=n: fj.make_jaxpr(chain(n))(x),
            "grad": lambda prog=prog: fj.make_jaxpr(fj.grad(prog))(x),
            "vmap": lambda prog=prog: fj.make_jaxpr(fj.vmap(prog))(np.ones((4, 8))),
            "jit(grad)": lambda prog=prog: fj.make_jaxpr(fj.jit(fj.grad(prog)))(x),
            "grad, executed": lambda prog=prog: fj.grad(prog)(x),
            "numpy eager chain": lambda n=n: _numpy_chain(x, n),
        }
        for name, fn in cases.items():
            rows.setdefault(name, []).append(best_of(fn, args.repeat))
    print(f"equations per program: {eqn_counts}")
    header = f"{'case':<22}" + "".join(f"{n:>12}" for n in args.sizes) + "   growth (time ratio / size ratio)"
    print(header)
    worst = 0.0
    for name, times in rows.items():
        ratios = [
            f"{times[i + 1] / times[i]:.2f}x / {args.sizes[i + 1] / args.sizes[i]:.0f}x"
            for i in range(len(times) - 1)
        ]
        print(f"{name:<22}" + "".join(f"{t * 1e3:>10.1f}ms" for t in times) + "   " + ", ".join(ratios))
        if name != "numpy eager chain":
            for i in range(len(times) - 1):
                per_10x = (times[i + 1] / times[i]) / (args.sizes[i + 1] / args.sizes[i]) * 10
                worst = max(worst, per_10x)
    ref = statistics.mean(rows["grad, executed"]) / max(statistics.mean(rows["numpy eager chain"]), 1e-9)
    print(f"worst growth, normalized to 10x equations: {worst:.2f}x (budget {args.max_ratio}x)")
    print(f"reference grad executed vs NumPy eager forward chain: {ref:.1f}x slower")
    return 0 if worst <= args.max_ratio else 1


def _numpy_chain(x: np.ndarray, n: int) -> float:
    y = x
    for _ in range(n // 3):
        y = np.sin(y)
        y = y * 1.0001
        y = y + x
    for _ in range(n - 3 * (n // 3)):
        y = np.sin(y)
    return float(y.sum())


if __name__ == "__main__":
    sys.exit(main())
