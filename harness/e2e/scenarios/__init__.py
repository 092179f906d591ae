"""The registered packets. Importing this package registers every scenario, in packet order.

======================  ================================================================
packet                  what its scenarios exercise end to end
======================  ================================================================
``P2C-001``             dispatch: stacks, proofs, order, vmap, IR round trips, modes, scale
``CAPTURE``             strict capture from JAX of a catalog slice, then conformance
``DURABILITY``          sidecar generate, damage, scrub, repair, decode proof
``FUZZ``                a seeded crash of a test-only target, triage, index, crash gate
``LEDGER``              the decision ledger's tamper detection
======================  ================================================================
"""

from __future__ import annotations

#: Packets in the order ``fjh e2e`` lists and runs them.
PACKET_ORDER = ("P2C-001", "CAPTURE", "DURABILITY", "FUZZ", "LEDGER")

from harness.e2e.scenarios import (  # noqa: E402, F401
    capture,
    durability,
    fuzz,
    ledger,
    p2c001,
)
