"""The public face of the IR: serialize, read, fingerprint, print, check.

::

    from frankenjax_ref import ir

    text = ir.dumps(closed)            # canonical frankenjax.ir.v1 JSON text
    closed = ir.loads(text)            # any bytes -> valid ClosedJaxpr, or IRError
    ir.fingerprint(closed)             # SHA-256 hex of the canonical bytes
    print(ir.pformat(closed))          # like jax.make_jaxpr output
    ir.validate(closed)                # well-formedness + type checking
    ir.encode_array(x), ir.decode_array(obj)   # frankenjax.array.v1

The format and the checks are documented in
:mod:`frankenjax_ref.core.serialize`, :mod:`frankenjax_ref.core.values` and
:mod:`frankenjax_ref.core.validate`.
"""

from __future__ import annotations

from frankenjax_ref.core.ir import ClosedJaxpr, Equation, Jaxpr, Literal, Var
from frankenjax_ref.core.pretty import pformat
from frankenjax_ref.core.serialize import (
    SCHEMA_NAME,
    dumps,
    fingerprint,
    from_json,
    loads,
    parse_json,
    to_json,
)
from frankenjax_ref.core.validate import validate
from frankenjax_ref.core.values import DEFAULT_LIMITS, Limits, decode_array, encode_array

__all__ = [
    "DEFAULT_LIMITS",
    "SCHEMA_NAME",
    "ClosedJaxpr",
    "Equation",
    "Jaxpr",
    "Limits",
    "Literal",
    "Var",
    "decode_array",
    "dumps",
    "encode_array",
    "fingerprint",
    "from_json",
    "loads",
    "parse_json",
    "pformat",
    "to_json",
    "validate",
]
