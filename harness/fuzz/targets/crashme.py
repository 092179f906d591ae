"""TEST ONLY: a target that fails on purpose, one way per magic prefix.

Registered only when ``FJH_FUZZ_TEST_TARGETS=1`` (see ``harness.fuzz.registry``).
Each prefix byte is compared on its own so the fuzzer's coverage feedback
finds the magic in a few thousand executions:

* ``FJHC`` -> an uncaught ``ZeroDivisionError`` (P1)
* ``FJHW`` -> a clean-looking ``IRError`` wrapping a ``KeyError`` (P1)
* ``FJH0`` -> an invariant violation (P0)
* ``FJHH`` -> a hang (P1)
* ``FJHS`` -> a clean rejection after :data:`SLOW_SECONDS` (P2 under a lower threshold)

Everything else is rejected cleanly with ``FJ-IR-SYNTAX``. With
``FJH_CRASHME_FIXED=1`` in the environment every input is rejected cleanly:
tests use it to play "the bug was fixed" for triage.
"""

from __future__ import annotations

import os
import time

from frankenjax_ref.errors import IRError
from harness.fuzz.oracle import INVARIANT, InvariantViolation, rejection

SLOW_SECONDS = 1.5


def _divide(data: bytes) -> float:
    return len(data) / (data[0] - data[0])


def check(data: bytes) -> str:
    if os.environ.get("FJH_CRASHME_FIXED") == "1":
        return "rejected:FJ-IR-SYNTAX"
    if len(data) >= 4 and data[0] == 0x46 and data[1] == 0x4A and data[2] == 0x48:  # "FJH"
        mode = data[3]
        if mode == 0x43:  # C
            _divide(data)
        if mode == 0x57:  # W
            try:
                table: dict[bytes, int] = {}
                table[data]
            except KeyError as exc:
                try:
                    raise IRError("FJ-IR-TYPE-MISMATCH", "a rule failed") from exc
                except IRError as wrapped:
                    return rejection(wrapped)
        if mode == 0x30:  # 0
            raise InvariantViolation(INVARIANT, "crashme: magic FJH0")
        if mode == 0x48:  # H
            while True:
                time.sleep(0.01)
        if mode == 0x53:  # S
            time.sleep(SLOW_SECONDS)
    return "rejected:FJ-IR-SYNTAX"
