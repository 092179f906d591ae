"""``fjh triage``: reproduce, minimize, classify and index a fuzzing finding.

:func:`triage` takes ``crash-<sha1>`` (or a path) and

1. finds the file under ``corpus/crashes/<target>/`` (a file elsewhere is
   copied in under its content name) and checks that its bytes still hash to
   its name (a damaged input is repaired from its sidecar first);
2. computes SHA-1 and SHA-256;
3. reproduces it in a subprocess (``python -m harness.fuzz.repro``) with a
   timeout, recording the traceback, the exception and the frame;
4. classifies it by the rules in :data:`SEVERITY_RULES`;
5. minimizes it with the project's delta debugging (in a subprocess, each
   candidate under its own alarm) keeping the same signature, and checks the
   result reproduces in a fresh process;
6. stores the original and the minimized input (``crash-<sha1>.min``), each
   with a durability sidecar;
7. upserts the entry in the crash index ``corpus/crashes/index.v1.jsonl``
   (one ``frankenjax.crash-index-entry.v1`` object per line, sorted by id,
   written atomically under a lock, with its own sidecar).

Idempotent: an entry is rewritten only when something other than its
timestamps changed, the minimized input is reused when the signature is
unchanged, and intact sidecars are left alone — running it twice changes
no byte. An input that no longer reproduces is recorded as ``fixed`` (it
reproduced at an earlier triage) or ``not-reproducible`` (it never did here).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from frankenjax_ref.errors import register_code
from harness.errors import HarnessError

ENTRY_SCHEMA = "frankenjax.crash-index-entry.v1"
INDEX_NAME = "index.v1.jsonl"
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_SLOW_S = 2.0
DEFAULT_MINIMIZE_BUDGET_S = 300.0
MAX_TRACEBACK = 8000

#: The documented classification, in the order it is applied.
SEVERITY_RULES: tuple[tuple[str, str, str], ...] = (
    (
        "P0",
        "invariant",
        "an invariant violation: accepted input whose round trip changes the fingerprint "
        "(round-trip-mismatch), that does not carry the data the bytes said (wrong-data), "
        "or that fails its own validator/serializer (invariant)",
    ),
    (
        "P1",
        "exception",
        "an uncaught exception: anything but the target's taxonomy error escapes, or a "
        "taxonomy error wraps a non-taxonomy cause (wrapped-exception)",
    ),
    ("P1", "hang", "no result within the timeout (hang), or the interpreter died (process-died)"),
    (
        "P2",
        "slow",
        "handled cleanly (accepted, or rejected with the taxonomy's error, e.g. FJ-IR-LIMIT) "
        "but slower than the slow threshold",
    ),
    ("-", "clean", "handled cleanly and quickly: does not reproduce"),
)

STATUSES = ("open", "fixed", "not-reproducible")


class TriageError(HarnessError):
    family = "TRIAGE"


NOT_FOUND = register_code("FJ-TRIAGE-NOT-FOUND", "TRIAGE", "no crash input with that name or path")
AMBIGUOUS = register_code("FJ-TRIAGE-AMBIGUOUS", "TRIAGE", "the crash name matches inputs of several targets")
DAMAGED = register_code(
    "FJ-TRIAGE-DAMAGED", "TRIAGE", "a stored crash input no longer hashes to its name and cannot be repaired"
)
INDEX = register_code("FJ-TRIAGE-INDEX", "TRIAGE", "the crash index is malformed")
REPRO = register_code("FJ-TRIAGE-REPRO", "TRIAGE", "the reproducer could not be run at all")
ARGS = register_code("FJ-TRIAGE-ARGS", "TRIAGE", "triage options are invalid")


# --- the index ---------------------------------------------------------------------------


def index_path() -> Path:
    from harness.fuzz.store import crashes_root

    return crashes_root() / INDEX_NAME


def read_index(path: Path | None = None) -> list[dict[str, Any]]:
    """Every entry of the crash index, each validated; [] when there is no index."""
    from harness.errors import SchemaError
    from harness.schemas import validate

    path = path or index_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise TriageError(INDEX, f"cannot read the crash index: {exc}", where=str(path)) from None
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            entry = json.loads(line)
            validate(entry, ENTRY_SCHEMA, where=where)
        except (ValueError, RecursionError) as exc:
            raise TriageError(INDEX, f"line is not JSON: {exc}", where=where) from None
        except SchemaError as exc:
            raise TriageError(INDEX, exc.message, where=exc.where) from None
        entries.append(entry)
    ids = [e["id"] for e in entries]
    if len(set(ids)) != len(ids):
        raise TriageError(INDEX, "an id appears on more than one line", where=str(path))
    return entries


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(f".{path.name}.lock")
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upsert(entry: dict[str, Any], *, sidecar: bool = True) -> bool:
    """Insert or replace ``entry`` (by id); returns whether the index bytes changed."""
    from harness.atomicio import write_jsonl
    from harness.durability import generate_sidecar
    from harness.fuzz.store import ensure_sidecar
    from harness.schemas import validate

    path = index_path()
    validate(entry, ENTRY_SCHEMA, where=f"{path}:{entry.get('id')}")
    with _locked(path):
        entries = {e["id"]: e for e in read_index(path)}
        changed = entries.get(entry["id"]) != entry
        entries[entry["id"]] = entry
        if changed:
            write_jsonl(path, [entries[k] for k in sorted(entries)])
            if sidecar:
                generate_sidecar(path, force=True)  # new content, on purpose
        elif sidecar:
            ensure_sidecar(path)
    return changed


# --- finding the input ---------------------------------------------------------------------


@dataclass(frozen=True)
class Located:
    target: str
    path: Path
    data: bytes
    sha1: str
    sha256: str
    copied: bool


def _normalize_name(crash: str) -> str:
    name = crash.removeprefix("crash-")
    return "crash-" + name.lower()


def locate(crash: str, target: str | None = None) -> Located:
    """Find a crash input by name (``crash-<sha1>``, a bare hash or a unique prefix) or path."""
    from harness.atomicio import write_bytes
    from harness.fuzz.store import crash_dir, crash_name, crashes_root

    given = Path(crash)
    if given.is_file():
        data = given.read_bytes()
        inferred = (
            given.resolve().parent.name if given.resolve().parent.parent == crashes_root().resolve() else None
        )
        tname = target or inferred
        if tname is None:
            raise TriageError(
                ARGS, "a crash file outside corpus/crashes/<target>/ needs --target", where=crash
            )
        dest = crash_dir(tname) / crash_name(data)
        copied = False
        if given.resolve() != dest.resolve() and not dest.exists():
            write_bytes(dest, data)
            copied = True
        return _verified(tname, dest, copied)
    name = _normalize_name(given.name)
    targets = [target] if target else sorted(p.name for p in crashes_root().glob("*") if p.is_dir())
    matches = []
    for t in targets:
        exact = crash_dir(t) / name
        if exact.is_file() or _sidecar_only(exact):
            matches.append((t, exact))
            continue
        if len(name) >= len("crash-") + 8:
            for p in sorted(crash_dir(t).glob(name + "*")):
                if p.is_file() and "." not in p.name:
                    matches.append((t, p))
    if not matches:
        where = f"corpus/crashes/{target or '*'}/{name}"
        raise TriageError(
            NOT_FOUND,
            f"no crash input named {name!r}",
            where=where,
            hint="give the file's path, or --target when it is under corpus/crashes/<target>/",
        )
    if len(matches) > 1:
        shown = ", ".join(f"{t}/{p.name}" for t, p in matches[:5])
        raise TriageError(AMBIGUOUS, f"{name!r} matches {len(matches)} inputs: {shown}", hint="add --target")
    tname, path = matches[0]
    return _verified(tname, path, False)


def _sidecar_only(path: Path) -> bool:
    from harness.durability import sidecar_dir

    return not path.exists() and sidecar_dir(path).is_dir()


def _verified(target: str, path: Path, copied: bool) -> Located:
    """Read the input; when it no longer hashes to its name, repair it from its sidecar."""
    from harness.durability import DurabilityError, repair, sidecar_dir

    expected = path.name.removeprefix("crash-")
    data = path.read_bytes() if path.is_file() else None
    if data is None or hashlib.sha1(data).hexdigest() != expected:
        if not sidecar_dir(path).is_dir():
            raise TriageError(
                DAMAGED, "the input does not hash to its name and has no sidecar", where=str(path)
            )
        try:
            repair(path)
        except DurabilityError as exc:
            raise TriageError(
                DAMAGED, f"the input is damaged and repair failed: {exc.message}", where=str(path)
            ) from None
        data = path.read_bytes()
        if hashlib.sha1(data).hexdigest() != expected:
            raise TriageError(DAMAGED, "the repaired input still does not hash to its name", where=str(path))
    return Located(
        target, path, data, hashlib.sha1(data).hexdigest(), hashlib.sha256(data).hexdigest(), copied
    )


# --- reproducing -----------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = dict(os.environ)
    code_root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = code_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def _last_json(stdout: str) -> dict[str, Any] | None:
    from harness.fuzz.repro import MARK

    for line in reversed(stdout.splitlines()):
        if line.startswith(MARK):
            try:
                doc = json.loads(line[len(MARK) :])
            except ValueError:
                return None
            return doc if isinstance(doc, dict) else None
    return None


def reproduce(target: str, path: Path, *, timeout: float = DEFAULT_TIMEOUT_S) -> dict[str, Any]:
    """Run one input in a fresh interpreter; hangs and deaths are outcomes too."""
    cmd = [sys.executable, "-m", "harness.fuzz.repro", "--target", target, str(path)]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=_env(), stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        return {
            "status": "hang",
            "kind": "hang",
            "signature": "hang",
            "elapsed_s": timeout,
            "message": f"no result within {timeout:g} s",
        }
    except OSError as exc:
        raise TriageError(REPRO, f"cannot start the reproducer: {exc}") from None
    outcome = _last_json(proc.stdout)
    if outcome is not None:
        return outcome
    if proc.returncode < 0:
        import signal

        name = signal.Signals(-proc.returncode).name
        return {
            "status": "died",
            "kind": "process-died",
            "signature": f"died:{name}",
            "elapsed_s": None,
            "message": f"the interpreter died with {name}",
            "traceback": proc.stderr[-MAX_TRACEBACK:],
        }
    tail = proc.stderr.strip().splitlines()[-1:] or [""]
    if "FJ-FUZZ-" in proc.stderr or "No module named" in proc.stderr:
        raise TriageError(REPRO, f"the reproducer failed to start: {tail[0][:300]}")
    return {
        "status": "died",
        "kind": "process-died",
        "signature": f"died:exit{proc.returncode}",
        "elapsed_s": None,
        "message": f"the interpreter exited with {proc.returncode}: {tail[0][:300]}",
        "traceback": proc.stderr[-MAX_TRACEBACK:],
    }


def classify(outcome: dict[str, Any], *, slow_seconds: float) -> tuple[str | None, str | None, str, str]:
    """(severity, kind, signature, reason) of an outcome, by :data:`SEVERITY_RULES`."""
    status = outcome["status"]
    if status == "invariant":
        kind = outcome["kind"]
        return "P0", kind, outcome["signature"], f"invariant violation ({kind}): {outcome['message'][:300]}"
    if status == "exception":
        where = outcome.get("frame", "?")
        what = "wrapped in a taxonomy error" if outcome["kind"] == "wrapped-exception" else "uncaught"
        return (
            "P1",
            outcome["kind"],
            outcome["signature"],
            f"{outcome['exception_type']} {what} at {where}: {outcome['message'][:300]}",
        )
    if status == "hang":
        return "P1", "hang", "hang", outcome["message"]
    if status == "died":
        return "P1", "process-died", outcome["signature"], outcome["message"]
    label = f"{status} ({outcome['code']})" if outcome.get("code") else status
    if slow_seconds and (outcome.get("elapsed_s") or 0) > slow_seconds:
        return (
            "P2",
            "slow",
            "slow",
            f"handled cleanly, {label}, but slower than the {slow_seconds:g} s threshold",
        )
    return None, None, outcome["signature"], f"does not reproduce: handled cleanly, {label}"


# --- minimizing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Minimized:
    data: bytes
    candidates: int
    exhausted: bool
    reused: bool


def minimize_input(
    target: str,
    data: bytes,
    signature: str,
    *,
    slow_seconds: float,
    candidate_timeout: float,
    budget_seconds: float = DEFAULT_MINIMIZE_BUDGET_S,
) -> Minimized:
    """Delta-debug ``data`` in a subprocess, keeping ``signature``; the input itself when that fails."""
    if signature.startswith("died:"):
        return Minimized(data, 0, False, False)  # every candidate could kill the minimizer: not attempted
    with tempfile.TemporaryDirectory(prefix="fjh-triage-") as tmp:
        src, out = Path(tmp) / "input", Path(tmp) / "minimized"
        src.write_bytes(data)
        cmd = [
            sys.executable,
            "-m",
            "harness.fuzz.repro",
            "--target",
            target,
            str(src),
            "--minimize",
            str(out),
            "--signature",
            signature,
            "--slow-seconds",
            str(slow_seconds),
            "--candidate-timeout",
            str(candidate_timeout),
            "--max-seconds",
            str(budget_seconds),
        ]
        try:
            proc = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                timeout=budget_seconds + 60,
                env=_env(),
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            return Minimized(data, 0, True, False)
        summary = _last_json(proc.stdout)
        if summary is None or not out.is_file():
            return Minimized(data, 0, True, False)
        result = out.read_bytes()
    if len(result) > len(data):
        result = data
    return Minimized(result, int(summary["candidates"]), bool(summary["exhausted"]), False)


# --- triage --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TriageResult:
    entry: dict[str, Any]
    changed: bool
    copied: bool
    minimized_candidates: int
    minimize_exhausted: bool
    minimized_reused: bool
    sidecars: dict[str, str]

    @property
    def severity(self) -> str | None:
        return self.entry["severity"]

    @property
    def status(self) -> str:
        return str(self.entry["status"])


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_VOLATILE = ("first_seen_at", "updated_at", "fixed_at", "history")


def _same(a: dict[str, Any] | None, b: dict[str, Any]) -> bool:
    if a is None:
        return False
    strip = lambda e: {k: v for k, v in e.items() if k not in _VOLATILE}  # noqa: E731
    return strip(a) == strip(b)


def triage(
    crash: str,
    *,
    target: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    slow_seconds: float = DEFAULT_SLOW_S,
    minimize: bool = True,
    minimize_budget: float = DEFAULT_MINIMIZE_BUDGET_S,
    sidecars: bool = True,
) -> TriageResult:
    """Triage one finding; see the module docstring. Idempotent.

    The steps, each its own function: :func:`locate` the input, :func:`reproduce` and
    :func:`classify` it, :func:`_minimize_step` (reusing an earlier minimization when it still
    holds), :func:`_index_entry` (what the index should say now) and :func:`_dated` (timestamps and
    history against the previous entry), then :func:`upsert`.
    """
    from harness.fuzz.registry import get_target
    from harness.fuzz.store import ensure_sidecar

    if not timeout > 0:
        raise TriageError(ARGS, f"--timeout must be positive, got {timeout}")
    if slow_seconds < 0:
        raise TriageError(ARGS, f"--slow-seconds must be >= 0, got {slow_seconds}")
    if target is not None:
        get_target(target)
    found = locate(crash, target)
    get_target(found.target)
    entry_id = f"{found.target}/crash-{found.sha1}"
    previous = next((e for e in read_index() if e["id"] == entry_id), None)

    outcome = reproduce(found.target, found.path, timeout=timeout)
    verdict = classify(outcome, slow_seconds=slow_seconds)
    actions: dict[str, str] = {}
    if sidecars:
        actions["original"] = ensure_sidecar(found.path)
    minimized = None
    if verdict[0] is not None and minimize:
        minimized = _minimize_step(
            found, previous, verdict[2], timeout, slow_seconds, minimize_budget, sidecars, actions
        )
    entry = _index_entry(found, previous, outcome, verdict, sidecars, timeout, slow_seconds, actions)
    entry, changed = _dated(previous, entry)
    index_changed = upsert(entry, sidecar=sidecars)
    return TriageResult(
        entry=entry,
        changed=changed or index_changed,
        copied=found.copied,
        minimized_candidates=minimized.candidates if minimized else 0,
        minimize_exhausted=minimized.exhausted if minimized else False,
        minimized_reused=minimized.reused if minimized else False,
        sidecars=actions,
    )


def _minimize_step(
    found: Located,
    previous: dict[str, Any] | None,
    signature: str,
    timeout: float,
    slow_seconds: float,
    budget: float,
    sidecars: bool,
    actions: dict[str, str],
) -> Minimized:
    """Minimize a reproduced input (or reuse the stored minimization if its signature and hash still
    match), check the result reproduces in a fresh process, and store it beside the original."""
    from harness.atomicio import write_bytes
    from harness.durability import generate_sidecar
    from harness.fuzz.store import MIN_SUFFIX

    min_path = found.path.with_name(found.path.name + MIN_SUFFIX)
    reusable = (
        previous is not None
        and previous.get("signature") == signature
        and previous.get("minimized_sha256")
        and min_path.is_file()
        and hashlib.sha256(min_path.read_bytes()).hexdigest() == previous["minimized_sha256"]
    )
    if reusable:
        return Minimized(min_path.read_bytes(), 0, False, True)
    minimized = minimize_input(
        found.target,
        found.data,
        signature,
        slow_seconds=slow_seconds,
        candidate_timeout=min(timeout, 10.0),
        budget_seconds=budget,
    )
    if minimized.data != found.data:
        with tempfile.TemporaryDirectory(prefix="fjh-triage-check-") as tmp:
            probe = Path(tmp) / "probe"
            probe.write_bytes(minimized.data)
            again = classify(reproduce(found.target, probe, timeout=timeout), slow_seconds=slow_seconds)
        if again[2] != signature:  # minimized in-process, but not reproducible in a fresh one
            minimized = Minimized(found.data, minimized.candidates, minimized.exhausted, False)
    if not (min_path.is_file() and min_path.read_bytes() == minimized.data):
        write_bytes(min_path, minimized.data)
        if sidecars:
            generate_sidecar(min_path, force=True)
            actions["minimized"] = "generated"
    return minimized


def _index_entry(
    found: Located,
    previous: dict[str, Any] | None,
    outcome: dict[str, Any],
    verdict: tuple[str | None, str | None, str, str],
    sidecars: bool,
    timeout: float,
    slow_seconds: float,
    actions: dict[str, str],
) -> dict[str, Any]:
    """The index entry for this triage (without dates): a finding that no longer reproduces keeps
    what the previous entry knew about it and becomes ``fixed`` (or ``not-reproducible``)."""
    from harness.durability import sidecar_dir
    from harness.fuzz.store import MIN_SUFFIX, ensure_sidecar
    from harness.paths import relative_to_root

    severity, kind, signature, reason = verdict
    reproduced = severity is not None
    min_path = found.path.with_name(found.path.name + MIN_SUFFIX)
    has_min = min_path.is_file()
    if has_min and sidecars and "minimized" not in actions:
        actions["minimized"] = ensure_sidecar(min_path)
    min_data = min_path.read_bytes() if has_min else None
    if reproduced:
        status = "open"
    elif previous is not None and previous["status"] in ("open", "fixed") and previous["severity"]:
        status = "fixed"
    else:
        status = "not-reproducible"
    keep = previous if (not reproduced and previous is not None) else None

    def now_or_kept(key: str, value: Any) -> Any:
        return value if reproduced else (keep[key] if keep else None)

    return {
        "schema": ENTRY_SCHEMA,
        "id": f"{found.target}/crash-{found.sha1}",
        "target": found.target,
        "name": found.path.name,
        "sha1": found.sha1,
        "sha256": found.sha256,
        "size": len(found.data),
        "severity": now_or_kept("severity", severity),
        "status": status,
        "kind": now_or_kept("kind", kind),
        "reason": (reason if reproduced or keep is None else keep["reason"])[:1000],
        "signature": now_or_kept("signature", signature),
        "exception_type": now_or_kept("exception_type", outcome.get("exception_type")),
        "frame": now_or_kept("frame", outcome.get("frame")),
        "traceback": now_or_kept("traceback", _bounded(outcome.get("traceback"))),
        "last_outcome": {
            "status": outcome["status"],
            "code": outcome.get("code"),
            "reproduced": reproduced,
            "note": reason[:1000],
        },
        "paths": {
            "original": relative_to_root(found.path),
            "original_sidecar": relative_to_root(sidecar_dir(found.path)) if sidecars else None,
            "minimized": relative_to_root(min_path) if has_min else None,
            "minimized_sidecar": relative_to_root(sidecar_dir(min_path)) if has_min and sidecars else None,
        },
        "minimized_sha256": hashlib.sha256(min_data).hexdigest() if min_data is not None else None,
        "minimized_size": len(min_data) if min_data is not None else None,
        "repro": f"fjh triage {found.path.name} --target {found.target}",
        "timeout_s": timeout,
        "slow_seconds": slow_seconds,
    }


def _dated(previous: dict[str, Any] | None, entry: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The entry with its dates and status history; an unchanged entry is the previous one as is."""
    if _same(previous, {**entry}):
        assert previous is not None
        return previous, False
    now, status = _now(), entry["status"]
    entry["first_seen_at"] = previous["first_seen_at"] if previous else now
    entry["updated_at"] = now
    entry["fixed_at"] = (
        (previous.get("fixed_at") if previous and previous["status"] == "fixed" else now)
        if status == "fixed"
        else None
    )
    history = list(previous["history"]) if previous else []
    if not history or (history[-1]["status"], history[-1]["severity"]) != (status, entry["severity"]):
        history.append({"at": now, "status": status, "severity": entry["severity"]})
    entry["history"] = history[-50:]
    return entry, True


def _bounded(text: Any) -> str | None:
    if not text:
        return None
    text = str(text)
    return text if len(text) <= MAX_TRACEBACK else "...\n" + text[-MAX_TRACEBACK:]


def triage_all(
    target: str | None = None,
    *,
    timeout: float | None = None,
    slow_seconds: float | None = None,
    **options: Any,
) -> list[TriageResult]:
    """Re-triage every indexed input (of ``target``): after a fix, open entries become ``fixed``.

    Each entry is reproduced with the timeout and slow threshold it was
    recorded with, unless ``timeout`` / ``slow_seconds`` override them.
    """
    entries = [e for e in read_index() if target is None or e["target"] == target]
    return [
        triage(
            e["name"],
            target=e["target"],
            timeout=e["timeout_s"] if timeout is None else timeout,
            slow_seconds=e["slow_seconds"] if slow_seconds is None else slow_seconds,
            **options,
        )
        for e in entries
    ]
