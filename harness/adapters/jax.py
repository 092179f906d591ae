"""``python -m harness.adapters.jax``: live JAX as an implementation under test.

A program is turned back into JAX with :func:`harness.oracle.to_jax` and run
under its stack with :func:`harness.oracle.run_stack`, exactly as capture
ran it: so JAX must pass its own fixtures 100%, which checks the capture path
(IR export, import, stack application, value encoding) end to end.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def _run(program: Any, stack: list[Any], args: list[Any]) -> list[Any]:
    from frankenjax_ref.dispatch import stack_from_json
    from frankenjax_ref.ir import from_json
    from harness.oracle import run_stack, to_jax

    closed = from_json(program)
    return list(run_stack(to_jax(closed), stack_from_json(stack), args, len(closed.jaxpr.invars)))


def handler() -> Any:
    import jax

    import frankenjax_ref.primitives  # noqa: F401  (what to_jax can express: every registered primitive)
    from frankenjax_ref.core.primitive import PRIMITIVES
    from frankenjax_ref.dispatch import KNOWN
    from harness.adapters.protocol import Handler

    return Handler("jax", jax.__version__, sorted(PRIMITIVES), KNOWN, _run)


def main() -> int:
    os.environ.setdefault("JAX_ENABLE_X64", "1")
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    from harness.adapters.protocol import serve
    from harness.oracle import load_jax

    load_jax()  # x64 on, as in capture
    return serve(handler())


if __name__ == "__main__":
    sys.exit(main())
