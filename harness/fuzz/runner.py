"""``run_fuzz``: run atheris workers on a target and collect what they find.

atheris wants the whole process (libFuzzer owns the main loop, exits on the
first crash, installs signal handlers), so each job is a subprocess
(``python -m harness.fuzz.worker``). The runner:

* builds a scratch corpus directory holding links to the committed seeds and
  the grown corpus of ``corpus/<target>/`` (sidecars excluded), which every
  worker reads and writes (libFuzzer's ``-reload`` shares new units between
  workers);
* streams every worker's output into one log, parsing libFuzzer's status
  lines (``#N NEW cov: C ft: F corp: U/S exec/s: E``) into a coverage
  timeline and reporting coverage growth through ``progress``;
* restarts a worker that stopped on a finding when ``keep_going`` is set and
  time remains;
* afterwards copies, atomically, the new corpus units into
  ``corpus/<target>/`` and every artifact libFuzzer wrote (``crash-``,
  ``timeout-``, ``oom-``, ``leak-``, ``slow-unit-``) into
  ``corpus/crashes/<target>/crash-<sha1>`` with a durability sidecar (the
  kind is kept in the run summary; triage classifies);
* writes the log and a schema-checked summary (``frankenjax.fuzz-run.v1``)
  under ``artifacts/fuzz/<target>/``, each with a sidecar.

Library code: it never prints; ``progress`` receives the lines a person
wants to see.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from harness.atomicio import AtomicWriter, write_bytes, write_json
from harness.fuzz.errors import ARGS, NO_ATHERIS, WORKER, FuzzError
from harness.fuzz.registry import TEST_TARGETS_ENV, FuzzTarget, get_target
from harness.fuzz.store import (
    corpus_files,
    crash_dir,
    crash_name,
    ensure_sidecar,
    fuzz_artifacts,
    seed_dir,
    target_corpus,
)
from harness.paths import project_root, relative_to_root

RUN_SCHEMA = "frankenjax.fuzz-run.v1"
DEFAULT_SLOW_SECONDS = 2.0
DEFAULT_HANG_SECONDS = 20
DEFAULT_RSS_LIMIT_MB = 2048
ARTIFACT_KINDS = ("crash", "timeout", "oom", "leak", "slow-unit")
_GRACE_SECONDS = 60.0
_MAX_TIMELINE = 400

_STATUS = re.compile(
    r"^#(\d+)\s+(INITED|NEW|REDUCE|pulse|DONE|RELOAD)\s+cov: (\d+) ft: (\d+) corp: (\d+)/\S+"
    r"(?:.*?exec/s: (\d+))?"
)
_WRITTEN = re.compile(r"Test unit written to (\S+)")
_STAT = re.compile(r"^stat::(\w+):\s+(\d+)")
_ERROR = re.compile(r"^==\d+== ERROR")


@dataclass(frozen=True)
class CoveragePoint:
    seconds: float
    worker: int
    execs: int
    event: str
    cov: int
    ft: int
    corpus: int


@dataclass(frozen=True)
class CrashFile:
    name: str
    path: str
    kind: str
    worker: int
    new: bool
    size: int


@dataclass
class WorkerSummary:
    index: int
    seeds: list[int]
    execs: int = 0
    exec_per_sec: int = 0
    cov_initial: int | None = None
    cov_final: int = 0
    ft_final: int = 0
    exit_codes: list[int] = field(default_factory=list)
    findings: int = 0


@dataclass(frozen=True)
class FuzzRunResult:
    target: str
    run_id: str
    started_at: str
    seconds: float
    jobs: int
    execs: int
    execs_per_sec: float
    cov_initial: int
    cov_final: int
    ft_final: int
    corpus_seed: int
    corpus_before: int
    corpus_after: int
    corpus_added: int
    crashes: tuple[CrashFile, ...]
    instrumented: tuple[str, ...]
    libfuzzer_args: tuple[str, ...]
    workers: tuple[WorkerSummary, ...]
    coverage: tuple[CoveragePoint, ...]
    log: str
    summary: str
    stopped: str
    #: workers that died without recording a finding (a harness failure, not a finding)
    worker_failures: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.crashes and not self.worker_failures

    @property
    def new_crashes(self) -> tuple[CrashFile, ...]:
        return tuple(c for c in self.crashes if c.new)

    def to_json(self) -> dict[str, Any]:
        from harness.render import to_jsonable

        doc = to_jsonable(self)
        doc["schema"] = RUN_SCHEMA
        doc["ok"] = self.ok
        return dict(doc)


def _utc() -> datetime:
    return datetime.now(UTC)


def _check_options(max_time: float | None, runs: int | None, jobs: int) -> None:
    if max_time is None and runs is None:
        raise FuzzError(ARGS, "give --max-time or --runs (or both): a fuzz run must end")
    if max_time is not None and not max_time > 0:
        raise FuzzError(ARGS, f"--max-time must be positive, got {max_time}")
    if runs is not None and runs < 1:
        raise FuzzError(ARGS, f"--runs must be >= 1, got {runs}")
    if not 1 <= jobs <= 64:
        raise FuzzError(ARGS, f"--jobs must be in [1, 64], got {jobs}")


def _ensure_atheris() -> None:
    import importlib.util

    if importlib.util.find_spec("atheris") is None:
        raise FuzzError(NO_ATHERIS, "atheris is not installed", hint="pip install '.[fuzz]'")


def _populate(scratch: Path, sources: list[Path]) -> set[str]:
    names: set[str] = set()
    for src in sources:
        if src.name in names:
            continue
        dest = scratch / src.name
        try:
            os.link(src, dest)
        except OSError:
            shutil.copyfile(src, dest)
        names.add(src.name)
    return names


class _Worker:
    def __init__(self, index: int, proc: subprocess.Popen[bytes], started: float):
        self.index = index
        self.proc = proc
        self.started = started
        self.wrote_artifact = False
        self.last_execs = 0


@dataclass(frozen=True)
class FuzzOptions:
    """How a run is bounded and configured (the ``fjh fuzz`` flags)."""

    max_time: float | None = None
    runs: int | None = None
    jobs: int = 1
    seed: int | None = None
    libfuzzer_args: Sequence[str] = ()
    keep_going: bool = False
    slow_seconds: float = DEFAULT_SLOW_SECONDS
    hang_seconds: int = DEFAULT_HANG_SECONDS
    rss_limit_mb: int = DEFAULT_RSS_LIMIT_MB
    max_len: int | None = None
    mutator: bool = True
    write_sidecars: bool = True

    def check(self) -> None:
        _check_options(self.max_time, self.runs, self.jobs)
        if self.hang_seconds < 1:
            raise FuzzError(ARGS, f"hang timeout must be >= 1 s, got {self.hang_seconds}")


def run_fuzz(
    target_name: str, *, progress: Callable[[str], None] | None = None, **options: Any
) -> FuzzRunResult:
    """Fuzz ``target_name`` with ``options.jobs`` atheris workers (see the module docstring and
    :class:`FuzzOptions` for the options)."""
    target = get_target(target_name)
    opts = FuzzOptions(**options)
    opts.check()
    _ensure_atheris()
    target.ensure_available()
    return FuzzSession(target, opts, progress or (lambda _line: None)).run()


class FuzzSession:
    """One fuzz run: :meth:`start` workers, :meth:`handle` each output line, react when one
    :meth:`exited`, and :meth:`finish` by collecting findings and corpus and writing the summary."""

    def __init__(self, target: FuzzTarget, opts: FuzzOptions, say: Callable[[str], None]):
        self.target, self.opts, self.say = target, opts, say
        self.started_at = _utc()
        self.run_id = self.started_at.strftime("%Y%m%dT%H%M%S.%fZ") + f"-{os.getpid()}"
        self.base_seed = opts.seed if opts.seed is not None else int.from_bytes(os.urandom(3), "big")
        self.out_dir = fuzz_artifacts(target.name)
        self.corpus = target_corpus(target.name)
        self.seeds = corpus_files(seed_dir(target.name))
        self.grown_before = corpus_files(self.corpus)
        self.scratch = Path(tempfile.mkdtemp(prefix=f"fjh-fuzz-{target.name}-"))
        self.work_corpus, self.work_artifacts = self.scratch / "corpus", self.scratch / "artifacts"
        self.work_corpus.mkdir()
        self.work_artifacts.mkdir()
        self.initial_names = _populate(self.work_corpus, [*self.seeds, *self.grown_before])
        self.flags = [
            f"-timeout={opts.hang_seconds}",
            f"-rss_limit_mb={opts.rss_limit_mb}",
            f"-max_len={opts.max_len or target.max_len}",
            f"-artifact_prefix={self.work_artifacts}/",
            "-print_final_stats=1",
            *opts.libfuzzer_args,
        ]
        self.log_path = self.out_dir / f"{self.run_id}.log"
        self.log = AtomicWriter(self.log_path)
        self.events: queue.Queue[tuple[int, bytes | None]] = queue.Queue()
        self.summaries = [WorkerSummary(i, []) for i in range(opts.jobs)]
        self.timeline: list[CoveragePoint] = []
        self.instrumented: list[str] = []
        self.env = _worker_env()
        self.clock0 = time.monotonic()
        self.deadline = self.clock0 + opts.max_time if opts.max_time is not None else None
        self.live: dict[int, _Worker] = {}
        self.stopped = "completed"
        self.last_cov = [0] * opts.jobs
        self.last_say = [0.0] * opts.jobs
        self.writers: dict[str, int] = {}
        self.tails: dict[int, list[str]] = {}
        self.worker_failures: list[str] = []

    # --- the loop --------------------------------------------------------------------------------------

    def run(self) -> FuzzRunResult:
        opts = self.opts
        try:
            self.say(
                f"fuzzing {self.target.name} with {opts.jobs} job(s), seed {self.base_seed}, "
                f"{len(self.seeds)} seeds + {len(self.grown_before)} corpus units"
                + (f", {opts.max_time:g} s" if opts.max_time is not None else "")
                + (f", {opts.runs} runs per job" if opts.runs is not None else "")
            )
            for i in range(opts.jobs):
                self.start(i)
            open_streams = opts.jobs
            while open_streams:
                try:
                    index, raw = self.events.get(timeout=0.5)
                except queue.Empty:
                    _enforce_deadline(self.live, self.deadline)
                    continue
                if raw is not None:
                    self.handle(index, raw)
                    continue
                open_streams += self.exited(index) - 1
        except KeyboardInterrupt:
            self.stopped = "interrupted"
            for worker in self.live.values():
                with contextlib.suppress(ProcessLookupError):
                    worker.proc.terminate()
            for worker in self.live.values():
                with contextlib.suppress(subprocess.TimeoutExpired):
                    worker.proc.wait(timeout=10)
        except BaseException:
            for worker in self.live.values():
                with contextlib.suppress(ProcessLookupError):
                    worker.proc.kill()
            self.log.commit()
            shutil.rmtree(self.scratch, ignore_errors=True)
            raise
        return self.finish()

    def start(self, index: int) -> None:
        """Start (or restart) worker ``index`` with its next seed."""
        opts, summary = self.opts, self.summaries[index]
        worker_seed = self.base_seed + index + 1000 * len(summary.seeds)
        summary.seeds.append(worker_seed)
        args = [*self.flags, f"-seed={worker_seed}"]
        if self.deadline is not None:
            args.append(f"-max_total_time={max(1, int(self.deadline - time.monotonic()))}")
        if opts.runs is not None:
            args.append(f"-runs={opts.runs}")
        cmd = [
            sys.executable,
            "-m",
            "harness.fuzz.worker",
            "--target",
            self.target.name,
            "--slow-seconds",
            str(opts.slow_seconds),
            *([] if opts.mutator else ["--no-mutator"]),
            "--",
            *args,
            str(self.work_corpus),
        ]
        if index == 0 and len(summary.seeds) == 1:
            self.log.write(("$ " + " ".join(cmd) + "\n").encode())
        try:
            proc = subprocess.Popen(
                cmd,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.scratch,
                env=self.env,
            )
        except OSError as exc:
            raise FuzzError(WORKER, f"cannot start a fuzz worker: {exc}") from None
        self.live[index] = _Worker(index, proc, time.monotonic())
        assert proc.stdout is not None
        threading.Thread(target=_pump, args=(index, proc.stdout, self.events), daemon=True).start()

    def handle(self, index: int, raw: bytes) -> None:
        """One line a worker printed: log it, and read status lines, findings and errors from it."""
        line = raw.decode("utf-8", "replace").rstrip("\n")
        self.log.write(f"[w{index}] {line}\n".encode())
        tail = self.tails.setdefault(index, [])
        tail.append(line)
        del tail[:-3]
        worker, summary = self.live.get(index), self.summaries[index]
        if line.startswith("FJH-INSTRUMENTED") and index == 0 and len(summary.seeds) == 1:
            self.instrumented.append(line.removeprefix("FJH-INSTRUMENTED ").strip())
            self.say(f"instrumented {self.instrumented[-1]}")
        elif line.startswith("FJH-ERROR"):
            self.say(f"[w{index}] {line}")
        status = _STATUS.match(line)
        if status:
            self._status(index, status, worker)
        written = _WRITTEN.search(line)
        if written and worker is not None:
            worker.wrote_artifact = True
            summary.findings += 1
            self.writers[Path(written.group(1)).name] = index
            self.say(f"[w{index}] finding: {Path(written.group(1)).name}")
        stat = _STAT.match(line)
        if stat and stat.group(1) == "number_of_executed_units" and worker is not None:
            worker.last_execs = int(stat.group(2))
        if "Uncaught Python exception" in line or _ERROR.match(line):
            self.say(f"[w{index}] {line.strip()}")

    def _status(self, index: int, status: re.Match[str], worker: _Worker | None) -> None:
        """A libFuzzer status line: the coverage timeline and the progress a person sees."""
        summary, now = self.summaries[index], time.monotonic() - self.clock0
        execs, event = int(status.group(1)), status.group(2)
        cov, ft, corp = map(int, status.group(3, 4, 5))
        if worker is not None:
            worker.last_execs = execs
        summary.cov_final, summary.ft_final = cov, ft
        if status.group(6):
            summary.exec_per_sec = int(status.group(6))
        if event == "INITED" and summary.cov_initial is None:
            summary.cov_initial = cov
        notable = event in ("INITED", "DONE", "pulse") or cov != self.last_cov[index]
        if notable and (len(self.timeline) < _MAX_TIMELINE or event in ("INITED", "DONE")):
            self.timeline.append(CoveragePoint(round(now, 3), index, execs, event, cov, ft, corp))
        if event in ("INITED", "DONE", "pulse") or (
            cov > self.last_cov[index] and now - self.last_say[index] >= 1.0
        ):
            head = f"[w{index} {now:7.1f}s] {event:<6}"
            self.say(f"{head} execs {execs:>9}  cov {cov:>5}  ft {ft:>6}  corp {corp}")
            self.last_say[index] = now
        self.last_cov[index] = cov

    def exited(self, index: int) -> int:
        """Worker ``index``'s output ended: account for it; returns 1 if it was restarted, else 0."""
        worker = self.live.pop(index)
        code = worker.proc.wait()
        summary = self.summaries[index]
        summary.execs += worker.last_execs
        summary.exit_codes.append(code)
        where = relative_to_root(self.log_path)
        if code == 3 and not worker.wrote_artifact:
            raise FuzzError(
                WORKER, "a module the target needs could not be instrumented (see the log)", where=where
            )
        if code != 0 and not worker.wrote_artifact and worker.last_execs == 0:
            raise FuzzError(
                WORKER,
                f"fuzz worker {index} exited with {code} before running the target",
                where=where,
                hint="the log has its output",
            )
        if code != 0 and not worker.wrote_artifact and self.stopped != "interrupted":
            last = " | ".join(t.strip() for t in self.tails.get(index, []))[-300:]
            self.worker_failures.append(f"worker {index} exited with {code} without a finding: {last}")
            self.say(f"[w{index}] FAILED: exited with {code} without recording a finding (see the log)")
        remaining = None if self.deadline is None else self.deadline - time.monotonic()
        if worker.wrote_artifact and self.opts.keep_going and (remaining is None or remaining > 2):
            self.say(f"[w{index}] restarting after a finding (keep going)")
            self.start(index)
            return 1
        return 0

    # --- the end ---------------------------------------------------------------------------------------

    def finish(self) -> FuzzRunResult:
        """Collect findings and new corpus units, write the log and the schema-checked summary."""
        seconds = time.monotonic() - self.clock0
        sidecars = self.opts.write_sidecars
        crashes = _collect_artifacts(self.target, self.work_artifacts, self.writers, sidecars, self.say)
        added = _collect_corpus(self.corpus, self.work_corpus, self.initial_names)
        grown_after = corpus_files(self.corpus)
        shutil.rmtree(self.scratch, ignore_errors=True)
        summaries = self.summaries
        execs = sum(s.execs for s in summaries)
        cov_initial = max((s.cov_initial or 0) for s in summaries)
        cov_final = max(s.cov_final for s in summaries)
        ft_final = max(s.ft_final for s in summaries)
        rate = execs / seconds if seconds > 0 else 0.0
        self.say(
            f"done: {execs} execs in {seconds:.1f} s = {rate:.0f} execs/s; "
            f"coverage cov {cov_initial} -> {cov_final} (+{cov_final - cov_initial}), ft {ft_final}; "
            f"corpus {len(self.grown_before)} -> {len(grown_after)} units (+{added}) beside "
            f"{len(self.seeds)} seeds; findings {len(crashes)} ({sum(c.new for c in crashes)} new)"
        )
        self.log.write(
            f"[runner] {execs} execs in {seconds:.1f} s; cov {cov_initial} -> {cov_final}\n".encode()
        )
        self.log.commit()
        summary_path = self.out_dir / f"{self.run_id}.json"
        result = FuzzRunResult(
            target=self.target.name,
            run_id=self.run_id,
            started_at=self.started_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            seconds=round(seconds, 3),
            jobs=self.opts.jobs,
            execs=execs,
            execs_per_sec=round(rate, 1),
            cov_initial=cov_initial,
            cov_final=cov_final,
            ft_final=ft_final,
            corpus_seed=len(self.seeds),
            corpus_before=len(self.grown_before),
            corpus_after=len(grown_after),
            corpus_added=added,
            crashes=tuple(crashes),
            instrumented=tuple(self.instrumented),
            libfuzzer_args=tuple(self.flags),
            workers=tuple(summaries),
            coverage=tuple(self.timeline),
            log=relative_to_root(self.log_path),
            summary=relative_to_root(summary_path),
            stopped=self.stopped,
            worker_failures=tuple(self.worker_failures),
        )
        write_json(summary_path, result.to_json(), schema=RUN_SCHEMA)
        if sidecars:
            ensure_sidecar(self.log_path)
            ensure_sidecar(summary_path)
        return result


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("MKL_NUM_THREADS", "1")
    env["PYTHONUNBUFFERED"] = "1"
    # the worker imports the project from this checkout, wherever FJH_ROOT points
    code_root = str(Path(__file__).resolve().parent.parent.parent)
    env["PYTHONPATH"] = code_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["FJH_ROOT"] = str(project_root())
    if os.environ.get(TEST_TARGETS_ENV):
        env[TEST_TARGETS_ENV] = os.environ[TEST_TARGETS_ENV]
    return env


def _pump(index: int, stream: IO[bytes], events: queue.Queue[tuple[int, bytes | None]]) -> None:
    try:
        for raw in iter(stream.readline, b""):
            events.put((index, raw))
    finally:
        events.put((index, None))


def _enforce_deadline(live: dict[int, _Worker], deadline: float | None) -> None:
    """libFuzzer honours -max_total_time; a worker far past it is stuck, and is killed."""
    if deadline is None:
        return
    if time.monotonic() > deadline + _GRACE_SECONDS:
        for worker in live.values():
            with contextlib.suppress(ProcessLookupError):
                worker.proc.kill()


def _collect_artifacts(
    target: FuzzTarget, work: Path, writers: dict[str, int], sidecars: bool, say: Callable[[str], None]
) -> list[CrashFile]:
    found: list[CrashFile] = []
    for path in sorted(work.iterdir()):
        kind = next((k for k in ARTIFACT_KINDS if path.name.startswith(k + "-")), None)
        if kind is None or not path.is_file():
            continue
        data = path.read_bytes()
        name = crash_name(data)
        dest = crash_dir(target.name) / name
        new = not dest.exists()
        if new:
            write_bytes(dest, data)
        if sidecars:
            ensure_sidecar(dest)
        found.append(
            CrashFile(name, relative_to_root(dest), kind, writers.get(path.name, -1), new, len(data))
        )
        say(f"{'new' if new else 'known'} {kind}: {relative_to_root(dest)} ({len(data)} bytes)")
    return found


def _collect_corpus(corpus: Path, work: Path, initial: set[str]) -> int:
    added = 0
    for path in corpus_files(work):
        if path.name in initial:
            continue
        data = path.read_bytes()
        name = hashlib.sha1(data).hexdigest()
        dest = corpus / name
        if not dest.exists():
            write_bytes(dest, data)
            added += 1
    return added
