"""``python -m harness.adapters.reference``: the reference as an implementation under test.

The same evaluation as in-process conformance (:func:`frankenjax_ref.dispatch.run`),
behind the adapter protocol, so the protocol path itself is checked: its
fixture results must equal the in-process runner's.
"""

from __future__ import annotations

import sys
from typing import Any


def _run(program: Any, stack: list[Any], args: list[Any]) -> list[Any]:
    from frankenjax_ref import dispatch, ledger
    from frankenjax_ref.ir import from_json

    closed = from_json(program)
    with ledger.using(ledger.Ledger()):
        return dispatch.run(closed, dispatch.stack_from_json(stack), args).outputs


def handler() -> Any:
    import frankenjax_ref
    import frankenjax_ref.primitives
    from frankenjax_ref.core.primitive import PRIMITIVES
    from frankenjax_ref.dispatch import KNOWN
    from harness.adapters.protocol import Handler

    version = getattr(frankenjax_ref, "__version__", "unknown")
    return Handler("frankenjax-reference", str(version), sorted(PRIMITIVES), KNOWN, _run)


def main() -> int:
    import numpy as np

    from harness.adapters.protocol import serve

    with np.errstate(all="ignore"):
        return serve(handler())


if __name__ == "__main__":
    sys.exit(main())
