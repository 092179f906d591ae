"""The executor: batching, order, crashes, progress, and the Dask hook."""

from __future__ import annotations

import io
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness.conformance.executor import (
    BATCH_SIZE,
    ExecutorError,
    InlineExecutor,
    TerminalProgress,
    batches,
    make_executor,
    run_batched,
)


def square_batch(items: list[int], offset: int) -> list[int]:
    return [x * x + offset for x in items]


def pid_batch(items: list[int]) -> list[int]:
    return [os.getpid() for _ in items]


def die_on_13(items: list[int]) -> list[int]:
    if 13 in items:
        os._exit(3)
    return items


def test_batches_of_about_ten() -> None:
    assert BATCH_SIZE == 10
    assert [len(b) for b in batches(list(range(25)))] == [10, 10, 5]
    assert batches([]) == []


def test_results_keep_the_items_order_whatever_finishes_first() -> None:
    items = list(range(57))
    with ThreadPoolExecutor(4) as ex:
        out = run_batched(ex, square_batch, items, 1, batch_size=3)
    assert out == [x * x + 1 for x in items]
    assert run_batched(InlineExecutor(), square_batch, items, 1) == out


def test_process_pool_runs_in_other_processes_with_the_same_results() -> None:
    items = list(range(30))
    ex = make_executor(2, initializer=None)
    try:
        pids = run_batched(ex, pid_batch, items)
        out = run_batched(ex, square_batch, items, 0)
    finally:
        ex.shutdown()
    assert os.getpid() not in pids
    assert out == [x * x for x in items]


def test_a_dying_worker_is_a_finding_not_a_retry() -> None:
    ex = make_executor(1, initializer=None)
    try:
        with pytest.raises(ExecutorError) as err:
            run_batched(ex, die_on_13, list(range(20)), describe=lambda x: f"item{x}")
    finally:
        ex.shutdown()
    assert err.value.code == "FJ-EXECUTOR-CRASH"
    assert "item13" in err.value.message


def test_inline_executor_and_bad_jobs() -> None:
    calls = []
    ex = make_executor(0, initializer=lambda: calls.append(1))
    assert isinstance(ex, InlineExecutor) and calls == [1]
    fut = ex.submit(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        fut.result()
    with pytest.raises(ExecutorError) as err:
        make_executor(-1)
    assert err.value.code == "FJ-EXECUTOR-CONFIG"


def test_dask_without_distributed_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(ExecutorError) as err:
        make_executor(address="tcp://127.0.0.1:8786")
    assert err.value.code == "FJ-EXECUTOR-CONFIG" and "distributed" in err.value.message


def test_dask_hook_uses_get_executor(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    seen = {}

    class FakeClient:
        def __init__(self, address: str):
            seen["address"] = address

        def get_executor(self) -> InlineExecutor:
            return InlineExecutor()

    monkeypatch.setitem(sys.modules, "distributed", types.SimpleNamespace(Client=FakeClient))
    ex = make_executor(address="tcp://scheduler:8786")
    assert seen["address"] == "tcp://scheduler:8786"
    assert run_batched(ex, square_batch, [1, 2, 3], 0) == [1, 4, 9]


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_count_rate_and_eta_on_a_terminal_only() -> None:
    tty = _Tty()
    p = TerminalProgress("capture", tty, min_interval=0.0)
    p(5, 20)
    p(20, 20)
    p.close()
    text = tty.getvalue()
    assert "capture:  5/20 cases" in text and "cases/s" in text and "ETA" in text and text.endswith("\n")
    pipe = io.StringIO()
    q = TerminalProgress("capture", pipe, min_interval=0.0)
    q(1, 2)
    q.close()
    assert pipe.getvalue() == ""
    quiet = _Tty()
    r = TerminalProgress("capture", quiet, quiet=True)
    r(1, 2)
    assert quiet.getvalue() == ""
