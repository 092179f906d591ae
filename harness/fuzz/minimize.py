"""Delta debugging that keeps a finding's signature.

A *signature* says which bug an input hits (``invariant:<kind>``,
``exception:<Type>@<file>:<function>``, ``hang``, ``slow``): a candidate is
kept only when it reproduces the same signature, so minimization never
slides from one bug to another.

Two passes, both deterministic (no randomness; budgets count candidates):

1. **JSON tree** (when the input is UTF-8 JSON and its compact re-rendering
   still reproduces): delete object members and array items, hoist a child
   in place of its container, replace subtrees by ``null``/``0``/``""``/
   ``[]``/``{}``, repeated to a fixpoint. Programs shrink by whole equations
   and binders, which byte deletion alone almost never manages.
2. **bytes**: Zeller's ddmin (subsets, then complements, doubling the
   granularity), then single-byte deletion to a 1-minimal result.

Candidates are cached by content; the result is never larger than the input
and always reproduces the signature (it is the input itself when nothing
smaller does).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

Predicate = Callable[[bytes], bool]


@dataclass(frozen=True)
class MinimizeResult:
    data: bytes
    original_size: int
    candidates: int
    exhausted: bool  # the candidate or time budget ran out before a fixpoint


class _Budget(Exception):
    pass


class Minimizer:
    def __init__(self, predicate: Predicate, *, max_candidates: int = 20000, max_seconds: float = 300.0):
        self.predicate = predicate
        self.max_candidates = max_candidates
        self.deadline = time.monotonic() + max_seconds
        self.cache: dict[bytes, bool] = {}
        self.candidates = 0

    def test(self, data: bytes) -> bool:
        key = hashlib.sha1(data).digest()
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        if self.candidates >= self.max_candidates or time.monotonic() > self.deadline:
            raise _Budget
        self.candidates += 1
        result = self.cache[key] = bool(self.predicate(data))
        return result

    def run(self, data: bytes) -> MinimizeResult:
        best = data
        exhausted = False
        try:
            best = self._json_pass(best)
            best = self._ddmin(best)
        except _Budget:
            exhausted = True
            best = self._best_so_far(best)
        return MinimizeResult(best, len(data), self.candidates, exhausted)

    def _best_so_far(self, fallback: bytes) -> bytes:
        return getattr(self, "_best", fallback)

    def _keep(self, data: bytes) -> None:
        best = getattr(self, "_best", None)
        if best is None or len(data) < len(best):
            self._best = data

    # -- JSON tree pass --------------------------------------------------------------

    def _json_pass(self, data: bytes) -> bytes:
        self._keep(data)
        try:
            with _any_int_digits():
                doc = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return data
        current = _render(doc)
        if current is None or len(current) > len(data) or not self.test(current):
            return data
        self._keep(current)
        changed = True
        while changed:
            changed = False
            for path in _paths(doc):
                for candidate in _simplifications(doc, path):
                    text = _render(candidate)
                    if text is None or len(text) >= len(current):
                        continue
                    if self.test(text):
                        doc, current, changed = candidate, text, True
                        self._keep(current)
                        break
                if changed:
                    break
        return current

    # -- byte pass ---------------------------------------------------------------------

    def _ddmin(self, data: bytes) -> bytes:
        n = 2
        while len(data) >= 2:
            chunk = max(1, len(data) // n)
            parts = [data[i : i + chunk] for i in range(0, len(data), chunk)]
            reduced = False
            for i in range(len(parts)):
                if self.test(parts[i]) and len(parts[i]) < len(data):
                    data, n, reduced = parts[i], 2, True
                    self._keep(data)
                    break
            if not reduced:
                for i in range(len(parts)):
                    complement = b"".join(parts[:i] + parts[i + 1 :])
                    if len(complement) < len(data) and self.test(complement):
                        data, n, reduced = complement, max(n - 1, 2), True
                        self._keep(data)
                        break
            if not reduced:
                if chunk == 1:
                    break
                n = min(len(data), n * 2)
        i = 0
        while i < len(data):  # one-byte deletions: 1-minimal
            candidate = data[:i] + data[i + 1 :]
            if self.test(candidate):
                data = candidate
                self._keep(data)
            else:
                i += 1
        return data


@contextlib.contextmanager
def _any_int_digits() -> Iterator[None]:
    """Lift Python's int/str digit limit for the minimizer's own parsing and rendering only.

    An input may crash *because* it holds a huge integer; the minimizer must
    still be able to read and write it, while candidates run under the
    normal limit.
    """
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(previous)


def _render(doc: Any) -> bytes | None:
    try:
        with _any_int_digits():
            text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False, allow_nan=True)
        return text.encode("utf-8", "surrogatepass")
    except (ValueError, TypeError, RecursionError):
        return None


def _paths(doc: Any) -> list[tuple[Any, ...]]:
    """Every node's path, breadth first (big subtrees before their pieces)."""
    out: list[tuple[Any, ...]] = []
    queue: list[tuple[tuple[Any, ...], Any]] = [((), doc)]
    while queue:
        path, node = queue.pop(0)
        out.append(path)
        if isinstance(node, dict):
            queue.extend(((*path, k), v) for k, v in node.items())
        elif isinstance(node, list):
            queue.extend(((*path, i), v) for i, v in enumerate(node))
    return out


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _with(doc: Any, path: tuple[Any, ...], value: Any, delete: bool = False) -> Any:
    if not path:
        return value
    out = copy.deepcopy(doc)
    parent = _get(out, path[:-1])
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return out


def _simplifications(doc: Any, path: tuple[Any, ...]) -> list[Any]:
    node = _get(doc, path)
    found: list[Any] = []
    if path:
        found.append(_with(doc, path, None, delete=True))
    if isinstance(node, (dict, list)) and node:
        children = list(node.values()) if isinstance(node, dict) else list(node)
        found.extend(_with(doc, path, copy.deepcopy(c)) for c in children)
        found.append(_with(doc, path, {} if isinstance(node, dict) else []))
    simples: tuple[Any, ...] = (None, 0, "", [], {})
    for simple in simples:
        if type(node) is not type(simple) or node != simple:
            found.append(_with(doc, path, simple))
    return found


def minimize(
    data: bytes, predicate: Predicate, *, max_candidates: int = 20000, max_seconds: float = 300.0
) -> MinimizeResult:
    """The smallest input found that still satisfies ``predicate`` (``predicate(data)`` must hold)."""
    return Minimizer(predicate, max_candidates=max_candidates, max_seconds=max_seconds).run(data)
