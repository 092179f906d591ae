"""Scenarios as data: what a scenario is, and what its steps see while it runs.

A :class:`Scenario` is an id, a packet, a description, a function that
builds its inputs, and an ordered tuple of :class:`Step` (name + function).
Steps read only ``ctx.inputs`` (plus what earlier steps left in
``ctx.state``) — never globals, the clock or fresh randomness — so that
``fjh replay`` can run the same steps on the inputs recorded in a log and
must get the same outputs. A step records:

* its intermediate state: the dict it returns (kept small — hashes, shapes,
  counts, a few values) becomes that step's entry in the log;
* checks: ``ctx.expect(key, expected, actual)`` — the scenario fails when
  any expected value differs from its actual value under the tolerance;
* observations: ``ctx.observe(key, value)`` — outputs with no fixed
  expectation (a fingerprint, a cache key) that a replay must still
  reproduce;
* files it relied on or produced: ``ctx.artifact(path, role)``.

A step signals a failed check that cannot be expressed as a value with
:meth:`ScenarioContext.fail`; any other exception is an *error* (the log
keeps the traceback).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from frankenjax_ref.errors import register_code
from harness.e2e.values import EXACT, Tolerance, encode
from harness.errors import HarnessError

register_code("FJ-E2E-UNKNOWN-SCENARIO", "HARNESS", "no e2e scenario is registered under that id")
register_code("FJ-E2E-UNKNOWN-PACKET", "HARNESS", "no e2e packet has that id")
register_code("FJ-E2E-LOG", "HARNESS", "a forensic log is malformed, damaged or not replayable")
register_code(
    "FJ-E2E-INPUTS",
    "HARNESS",
    "a scenario's inputs cannot be built (a missing fixture, a missing dependency)",
)


class E2EError(HarnessError):
    """Bad input to the e2e runner or to replay."""


class ScenarioFailure(Exception):
    """A step found the system behaving wrongly (status ``fail``, not ``error``)."""


class ScenarioTimeout(BaseException):
    """The scenario ran past its time limit (BaseException: steps must not swallow it)."""


@dataclass(frozen=True)
class Step:
    name: str
    fn: Callable[[ScenarioContext], Mapping[str, Any] | None]
    description: str = ""


@dataclass(frozen=True)
class Scenario:
    """One registered scenario.

    ``inputs(options)`` builds the inputs a fresh run uses (a replay uses
    the log's instead); ``transform_stacks`` and ``mode`` are what the log's
    ``transform_stack`` and ``mode`` fields say; ``tolerance`` is the default
    for every check and for replay (``ctx.expect``/``observe`` may give a
    key its own).
    """

    id: str
    packet: str
    description: str
    inputs: Callable[[RunOptions], dict[str, Any]]
    steps: tuple[Step, ...]
    tolerance: Tolerance = EXACT
    mode: str | None = None
    transform_stacks: tuple[str, ...] = ()
    timeout_seconds: float = 600.0
    slow: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "packet": self.packet,
            "description": self.description,
            "steps": [s.name for s in self.steps],
            "mode": self.mode,
            "transform_stacks": list(self.transform_stacks),
            "timeout_seconds": self.timeout_seconds,
        }


@dataclass(frozen=True)
class RunOptions:
    """Where a run reads and writes. Defaults are the project tree (``$FJH_ROOT``)."""

    log_dir: Path | None = None
    fixtures_dir: Path | None = None
    command: str | None = None
    write_logs: bool = True
    sidecars: bool = True
    #: worker processes for scenarios that fan cases out (None: the number of CPUs; 0: in this process)
    jobs: int | None = None


@dataclass(frozen=True)
class ArtifactRecord:
    path: str
    sha256: str
    role: str
    kept: bool = True
    size: int | None = None


def file_sha256(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class ScenarioContext:
    """What steps read (inputs, state, workdir) and write (checks, observations, artifacts)."""

    scenario: Scenario
    inputs: dict[str, Any]
    workdir: Path
    options: RunOptions
    state: dict[str, Any] = field(default_factory=dict)
    expected: dict[str, Any] = field(default_factory=dict)
    actual: dict[str, Any] = field(default_factory=dict)
    tolerances: dict[str, Tolerance] = field(default_factory=dict)
    artifacts: list[ArtifactRecord] = field(default_factory=list)

    def expect(self, key: str, expected: Any, actual: Any, tolerance: Tolerance | None = None) -> None:
        """Record a check: ``actual`` must equal ``expected`` under the tolerance (judged at the end)."""
        if key in self.actual:
            raise ValueError(f"scenario {self.scenario.id} records {key!r} twice")
        self.expected[key] = encode(expected, f"expected.{key}")
        self.actual[key] = encode(actual, f"actual.{key}")
        if tolerance is not None:
            self.tolerances[key] = tolerance

    def observe(self, key: str, value: Any, tolerance: Tolerance | None = None) -> None:
        """Record an output with no fixed expectation; a replay must reproduce it."""
        if key in self.actual:
            raise ValueError(f"scenario {self.scenario.id} records {key!r} twice")
        self.actual[key] = encode(value, f"actual.{key}")
        if tolerance is not None:
            self.tolerances[key] = tolerance

    def artifact(self, path: str | os.PathLike[str], role: str, *, kept: bool = True) -> str:
        """Record a file the scenario read or wrote; returns its SHA-256."""
        from harness.paths import relative_to_root

        p = Path(path)
        digest = file_sha256(p)
        if kept:
            name = relative_to_root(p)
        else:
            try:
                name = "scratch:" + p.resolve().relative_to(self.workdir.resolve()).as_posix()
            except ValueError:
                name = "scratch:" + p.name
        self.artifacts.append(ArtifactRecord(name, digest, role, kept, p.stat().st_size))
        return digest

    def fail(self, message: str) -> None:
        raise ScenarioFailure(message)

    def tolerance_for(self, key: str) -> Tolerance:
        return self.tolerances.get(key, self.scenario.tolerance)
