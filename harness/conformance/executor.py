"""Where cases run: a ``concurrent.futures.Executor``, local or on a cluster.

Capture and conformance hand their cases to :func:`run_batched`, which
splits them into batches (about :data:`BATCH_SIZE` cases per task, so
dispatch costs stay small), submits every batch, and returns the results in
the cases' order — whatever the number of workers and whatever order the
batches finish in. Nothing downstream assumes one process: task functions
are module-level functions of picklable data, and each one prepares its
process idempotently (so a worker that skipped the initializer still works).

:func:`make_executor` builds the executor:

* ``jobs >= 1`` (default: the number of CPUs) — a local
  :class:`~concurrent.futures.ProcessPoolExecutor` started with ``spawn``
  (JAX is not fork-safe) whose initializer imports JAX and enables x64 once
  per worker (:func:`harness.oracle.init_worker`);
* ``jobs == 0`` — :class:`InlineExecutor`, everything in the calling process
  (debugging, profiling, tiny runs);
* ``address="tcp://host:8786"`` — a Dask cluster, through
  ``distributed.Client(address).get_executor()``. Dask is optional and not a
  dependency: install ``distributed`` on the client and the workers (with the
  same versions of this project, NumPy and JAX). Workers have no initializer
  there; the first task on each worker imports JAX (:func:`ensure_ready`).

A worker that dies (a segfault, an OOM kill) breaks the pool: that is a
finding, reported as ``FJ-EXECUTOR-CRASH`` naming the batch's items, and
never retried away.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from frankenjax_ref.errors import register_code
from harness.errors import HarnessError

register_code("FJ-EXECUTOR-CRASH", "HARNESS", "a worker process died while running a batch")
register_code("FJ-EXECUTOR-CONFIG", "HARNESS", "the executor cannot be created as configured")

BATCH_SIZE = 10

T = TypeVar("T")
R = TypeVar("R")


class ExecutorError(HarnessError):
    """A worker crashed, or the executor could not be built."""


class InlineExecutor(Executor):
    """An executor that runs each task immediately in the calling process."""

    def __init__(self, initializer: Callable[[], None] | None = None):
        if initializer is not None:
            initializer()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def default_jobs() -> int:
    return max(1, os.cpu_count() or 1)


def ensure_ready() -> None:
    """Idempotent per-process setup (what the pool initializer does); task functions call it."""
    from harness.oracle import init_worker

    init_worker()


def make_executor(
    jobs: int | None = None,
    *,
    address: str | None = None,
    initializer: Callable[[], None] | None = ensure_ready,
) -> Executor:
    """A local process pool (``jobs`` workers), the inline executor (``jobs=0``) or a Dask cluster."""
    if address:
        try:
            from distributed import Client
        except ImportError:
            raise ExecutorError(
                "FJ-EXECUTOR-CONFIG",
                "a Dask address was given but the 'distributed' package is not installed",
                hint="pip install distributed (on the client and every worker)",
            ) from None
        executor: Executor = Client(address).get_executor()
        return executor
    if jobs is not None and jobs < 0:
        raise ExecutorError("FJ-EXECUTOR-CONFIG", f"--jobs must be >= 0, got {jobs}")
    if jobs == 0:
        return InlineExecutor(initializer)
    return ProcessPoolExecutor(
        max_workers=jobs or default_jobs(),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=initializer,
    )


def batches(items: Sequence[T], size: int = BATCH_SIZE) -> list[list[T]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def run_batched(
    executor: Executor,
    fn: Callable[..., list[R]],
    items: Sequence[T],
    *args: Any,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
    describe: Callable[[T], str] = str,
) -> list[R]:
    """``fn(batch, *args)`` for every batch of ``items``; the flattened results in ``items`` order.

    ``fn`` must return one result per item of its batch. ``progress(done,
    total)`` is called (in this process) as batches complete.
    """
    chunks = batches(items, batch_size)
    results: list[list[R] | None] = [None] * len(chunks)
    futures = {executor.submit(fn, chunk, *args): i for i, chunk in enumerate(chunks)}
    done = 0
    try:
        for future in as_completed(futures):
            i = futures[future]
            try:
                out = future.result()
            except BrokenProcessPool as exc:
                names = ", ".join(describe(x) for x in chunks[i][:10])
                raise ExecutorError(
                    "FJ-EXECUTOR-CRASH",
                    f"a worker died while running a batch of {len(chunks[i])} ({names}): {exc}",
                    hint="this is a finding: rerun the batch with --jobs 0 to reproduce it in one process",
                ) from None
            if len(out) != len(chunks[i]):  # pragma: no cover - a task function bug
                raise ExecutorError(
                    "FJ-EXECUTOR-CRASH", f"batch {i} returned {len(out)} results for {len(chunks[i])}"
                )
            results[i] = out
            done += len(chunks[i])
            if progress is not None:
                progress(done, len(items))
    except BaseException:
        for f in futures:
            f.cancel()
        raise
    return [r for chunk in results for r in (chunk or [])]


class TerminalProgress:
    """``progress(done, total)`` for :func:`run_batched`: count, rate and ETA on one terminal line.

    Writes only when ``stream`` is a TTY (and not ``quiet``), so CI logs stay
    clean; call :meth:`close` to end the line.
    """

    def __init__(self, label: str, stream: Any = None, *, quiet: bool = False, min_interval: float = 0.2):
        import sys

        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = not quiet and bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = time.monotonic()
        self.last = 0.0
        self.min_interval = min_interval
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self.last < self.min_interval:
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        rate = done / elapsed
        eta = (total - done) / rate if rate > 0 else float("inf")
        eta_text = f"{int(eta // 60)}:{int(eta % 60):02d}" if eta != float("inf") else "?"
        width = len(str(total))
        self.stream.write(
            f"\r{self.label}: {done:>{width}}/{total} cases  {rate:6.1f} cases/s  ETA {eta_text}   "
        )
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = False
