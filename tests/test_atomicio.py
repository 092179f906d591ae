"""The atomic-write helper: old or new content, never anything else.

The SIGKILL test is the contract's proof: a writer process rewrites a file
in a loop and is killed at random moments; after every kill the file must be
exactly one of the two complete contents. The default run kills a few dozen
writers; the campaign (``-m campaign``) kills thousands.
"""

from __future__ import annotations

import os
import random
import signal
import stat
import time
from collections import Counter
from pathlib import Path

import pytest

from harness import atomicio
from harness.atomicio import AtomicWriter, write_bytes, write_json, write_text
from harness.errors import SchemaError


def _temps(directory: Path) -> list[Path]:
    return [p for p in directory.iterdir() if p.name.endswith(atomicio.TEMP_SUFFIX)]


def test_write_bytes_creates_parents_and_content(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "file.bin"
    write_bytes(target, b"hello")
    assert target.read_bytes() == b"hello"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert _temps(target.parent) == []


def test_write_replaces_existing_file_and_honours_mode(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    write_text(target, "old")
    write_bytes(target, b"new", mode=0o600)
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_exception_inside_writer_leaves_target_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    write_text(target, "old")
    with pytest.raises(RuntimeError), AtomicWriter(target) as writer:
        writer.write(b"half of the new conte")
        raise RuntimeError("verification failed")
    assert target.read_text() == "old"
    assert _temps(tmp_path) == []


def test_abort_is_idempotent_and_commit_after_abort_is_refused(tmp_path: Path) -> None:
    writer = AtomicWriter(tmp_path / "never.txt")
    writer.write(b"x")
    writer.abort()
    writer.abort()
    with pytest.raises(ValueError):
        writer.commit()
    with pytest.raises(ValueError):
        writer.write(b"y")
    assert not (tmp_path / "never.txt").exists()
    assert _temps(tmp_path) == []


def test_streaming_writer_counts_bytes(tmp_path: Path) -> None:
    with AtomicWriter(tmp_path / "s.bin") as writer:
        for _ in range(10):
            writer.write(b"0123456789")
    assert writer.bytes_written == 100
    assert (tmp_path / "s.bin").read_bytes() == b"0123456789" * 10


def test_write_json_validates_before_touching_disk(tmp_path: Path) -> None:
    target = tmp_path / "manifest.json"
    with pytest.raises(SchemaError):
        write_json(target, {"schema": "frankenjax.sidecar.v1"}, schema="frankenjax.sidecar.v1")
    assert not target.exists()
    assert _temps(tmp_path) == []


def test_json_text_is_canonical(tmp_path: Path) -> None:
    write_json(tmp_path / "x.json", {"b": 1, "a": [1, 2]})
    assert (tmp_path / "x.json").read_text() == '{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}\n'


# --- SIGKILL --------------------------------------------------------------

OLD = b"O" * (192 * 1024) + b"old-end"
NEW = b"N" * (320 * 1024) + b"new-end"


def _writer_loop(target: Path, ready_w: int) -> None:  # pragma: no cover - runs in the child
    os.write(ready_w, b"!")
    count = 0
    while True:
        write_bytes(target, NEW if count % 2 == 0 else OLD)
        count += 1


def kill_writers(directory: Path, kills: int, seed: int) -> Counter[str]:
    """Fork writers and SIGKILL each at a random moment; check the file each time."""
    rng = random.Random(seed)
    target = directory / "target.bin"
    write_bytes(target, OLD)
    seen: Counter[str] = Counter()
    for _ in range(kills):
        ready_r, ready_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            try:
                os.close(ready_r)
                _writer_loop(target, ready_w)
            finally:
                os._exit(0)
        os.close(ready_w)
        os.read(ready_r, 1)
        os.close(ready_r)
        # Anywhere from before the first write to a few writes in: kills land
        # in write, fsync, rename and directory fsync alike.
        time.sleep(rng.uniform(0, 0.004))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        content = target.read_bytes()
        assert content in (OLD, NEW), f"torn file: {len(content)} bytes"
        seen["old" if content == OLD else "new"] += 1
        leftovers = _temps(directory)
        seen["killed-mid-write"] += bool(leftovers)
        for temp in leftovers:
            temp.unlink()
        seen["kills"] += 1
    return seen


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_sigkill_at_random_points_leaves_old_or_new(tmp_path: Path) -> None:
    seen = kill_writers(tmp_path, kills=40, seed=1)
    assert seen["kills"] == 40


@pytest.mark.campaign
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_sigkill_campaign(tmp_path: Path) -> None:
    seen = kill_writers(tmp_path, kills=int(os.environ.get("FJH_SIGKILL_KILLS", "2000")), seed=2)
    print(f"\nsigkill campaign: {dict(seen)}")
    # The kills must have landed both between writes and in the middle of them.
    assert seen["old"] and seen["new"] and seen["killed-mid-write"]
