"""Where the project's long-lived files live.

The harness works on a checkout: fixtures, corpora, artifacts and CI budgets
are files in the repository. The root is ``$FJH_ROOT`` when set (tests point
it at a scratch copy), else the directory holding this package.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    env = os.environ.get("FJH_ROOT")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parent.parent


def schemas_dir() -> Path:
    """Schemas ship with the code (not with FJH_ROOT): they are part of the program."""
    return Path(__file__).resolve().parent.parent / "artifacts" / "schemas"


def fixtures_dir() -> Path:
    return project_root() / "fixtures"


def corpus_dir() -> Path:
    return project_root() / "corpus"


def artifacts_dir() -> Path:
    return project_root() / "artifacts"


def ci_dir() -> Path:
    return project_root() / "ci"


def relative_to_root(path: str | os.PathLike[str]) -> str:
    """A stable, portable name for a path: relative to the root when inside it."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(project_root()).as_posix()
    except ValueError:
        return resolved.as_posix()
