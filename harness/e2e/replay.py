"""``fjh replay LOG``: re-execute a scenario from its forensic log and verify the same outputs.

Replay reads the log (schema-checked; refused if it no longer matches its
durability sidecar), checks that its ``fixture_id`` is the hash of its
inputs (so edited inputs are caught), runs the scenario's registered steps on
the *logged* inputs — never on freshly built ones — and compares every value
in the new ``actual`` with the logged ``actual`` under the tolerance the log
records for it (``exact``: bit for bit). The replay verifies reproduction,
not success: a logged failure that replays to the same outputs is
reproduced (the result says both statuses).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

from harness.e2e import values
from harness.e2e.forensic import read_log
from harness.e2e.model import E2EError, RunOptions
from harness.e2e.registry import get
from harness.e2e.runner import Execution, execute
from harness.e2e.values import Difference, Tolerance


@dataclass
class ReplayResult:
    log: str
    scenario_id: str
    logged_status: str
    replay_status: str
    differences: list[Difference]
    compared_keys: int
    seconds: float
    replay_failure: str | None = None
    execution: Execution | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """The replay reproduced every logged output and the logged status."""
        return not self.differences

    def to_json(self) -> dict[str, Any]:
        return {
            "log": self.log,
            "scenario_id": self.scenario_id,
            "ok": self.ok,
            "logged_status": self.logged_status,
            "replay_status": self.replay_status,
            "compared_keys": self.compared_keys,
            "seconds": round(self.seconds, 3),
            "replay_failure": self.replay_failure,
            "differences": [
                {"path": d.path, "logged": d.expected, "replayed": d.actual, "reason": d.reason}
                for d in self.differences
            ],
        }


def replay(path: str | os.PathLike[str], options: RunOptions | None = None) -> ReplayResult:
    """Replay one log (see the module docstring); raises E2EError for a log that cannot be replayed."""
    t0 = time.perf_counter()
    doc = read_log(path)
    scenario = get(doc["scenario_id"])
    if scenario.packet != doc["packet_id"]:
        raise E2EError(
            "FJ-E2E-LOG",
            f"log says packet {doc['packet_id']}, scenario {scenario.id} is in {scenario.packet}",
            where=os.fspath(path),
        )
    if all(state["status"] == "skipped" for state in doc["intermediate_states"]):
        raise E2EError(
            "FJ-E2E-LOG",
            "nothing to replay: the logged run stopped before its first step",
            where=os.fspath(path),
            hint=f"the log's failure: {doc['failure_summary']}",
        )
    recomputed = values.fixture_id(doc["inputs"])
    if recomputed != doc["fixture_id"]:
        raise E2EError(
            "FJ-E2E-LOG",
            f"fixture_id {doc['fixture_id'][:16]}... is not the hash of the logged inputs "
            f"({recomputed[:16]}...)",
            where=f"{os.fspath(path)}:inputs",
            hint="the inputs were edited after the run",
        )
    tolerance = doc["tolerance"]
    default = Tolerance.from_json(tolerance["default"])
    per_key = {k: Tolerance.from_json(v) for k, v in tolerance["keys"].items()}
    execution = execute(scenario, doc["inputs"], options or RunOptions(write_logs=False))
    logged, now = doc["actual"], execution.actual
    differences: list[Difference] = []
    for key in sorted(set(logged) | set(now)):
        where = f"actual.{key}"
        if key not in now:
            differences.append(
                Difference(where, "(logged)", "(not produced)", "the replay did not produce it")
            )
        elif key not in logged:
            differences.append(
                Difference(where, "(not logged)", "(produced)", "the replay produced a new value")
            )
        else:
            differences.extend(values.compare(logged[key], now[key], per_key.get(key, default), path=where))
    if execution.status != doc["status"]:
        differences.append(
            Difference(
                "status", doc["status"], execution.status, execution.failure_summary or "status differs"
            )
        )
    return ReplayResult(
        log=os.fspath(path),
        scenario_id=scenario.id,
        logged_status=doc["status"],
        replay_status=execution.status,
        differences=differences,
        compared_keys=len(set(logged) & set(now)),
        seconds=time.perf_counter() - t0,
        replay_failure=execution.failure_summary,
        execution=execution,
    )
