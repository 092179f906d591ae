"""``fjh --help`` and ``fjh --version`` must stay light: no numpy, no jax (measured with -X importtime).

Every registered subcommand's ``--help`` is checked too, since building the
parser imports every command module.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness.cli import command_modules

HEAVY = {"numpy", "jax", "jaxlib", "ml_dtypes", "zfec", "jsonschema", "hypothesis", "atheris"}


def _imported_top_level(argv: list[str]) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "harness", *argv],
        capture_output=True,
        text=True,
        timeout=60,
    )
    names = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "|" in line}
    return names, proc


@pytest.mark.parametrize("argv", [["--help"], ["--version"]])
def test_help_and_version_import_nothing_heavy(argv: list[str]) -> None:
    imported, proc = _imported_top_level(argv)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip()
    assert not imported & HEAVY, f"heavy modules imported: {sorted(imported & HEAVY)}"


def test_every_subcommand_help_is_light() -> None:
    import argparse
    import importlib

    import harness.commands as pkg

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    for name in command_modules():
        importlib.import_module(f"{pkg.__name__}.{name}").register(sub)
    for command in sorted(sub.choices):
        imported, proc = _imported_top_level([command, "--help"])
        assert proc.returncode == 0, (command, proc.stderr[-2000:])
        assert not imported & HEAVY, f"fjh {command} --help imports {sorted(imported & HEAVY)}"
