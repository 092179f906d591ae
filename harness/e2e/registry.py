"""The scenario registry: every scenario, by id and by packet.

Scenarios register themselves when their packet module is imported
(``harness.e2e.scenarios``); :func:`all_scenarios` imports them on first use.
Packet ids are matched loosely — ``P2C-001``, ``p2c001`` and ``P2C_001`` are
the same packet — by comparing upper-cased ids with everything but letters
and digits removed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from harness.e2e.model import E2EError, Scenario

_REGISTRY: dict[str, Scenario] = {}
_ID = re.compile(r"^e2e_[a-z0-9_]+$")


def register(scenario: Scenario) -> Scenario:
    if not _ID.match(scenario.id):
        raise ValueError(f"scenario id {scenario.id!r} must match {_ID.pattern}")
    if scenario.id in _REGISTRY and _REGISTRY[scenario.id] is not scenario:
        raise ValueError(f"scenario {scenario.id} registered twice")
    prefix = "e2e_" + packet_key(scenario.packet).lower() + "_"
    if not scenario.id.startswith(prefix):
        raise ValueError(f"scenario {scenario.id} of packet {scenario.packet} must start with {prefix!r}")
    _REGISTRY[scenario.id] = scenario
    return scenario


def _load() -> None:
    import harness.e2e.scenarios  # noqa: F401  (registers every packet)


def all_scenarios() -> list[Scenario]:
    """Every registered scenario, grouped by packet (in packet order), in registration order."""
    _load()
    order = {p: i for i, p in enumerate(packets())}
    indexed = list(enumerate(_REGISTRY.values()))
    return [s for _, s in sorted(indexed, key=lambda t: (order[t[1].packet], t[0]))]


def packets() -> list[str]:
    """Registered packets: those of ``PACKET_ORDER`` first, in that order, then any others."""
    from harness.e2e.scenarios import PACKET_ORDER

    _load()
    seen: list[str] = []
    for s in _REGISTRY.values():
        if s.packet not in seen:
            seen.append(s.packet)
    rank = {p: i for i, p in enumerate(PACKET_ORDER)}
    return sorted(seen, key=lambda p: (rank.get(p, len(rank)), seen.index(p)))


def packet_key(packet: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", packet).upper()


def normalize_packet(packet: str) -> str:
    """The registered packet id ``packet`` names (``p2c001`` -> ``P2C-001``)."""
    key = packet_key(packet)
    for known in packets():
        if packet_key(known) == key:
            return known
    raise E2EError(
        "FJ-E2E-UNKNOWN-PACKET", f"no packet {packet!r}", hint=f"known packets: {', '.join(packets())}"
    )


def get(scenario_id: str) -> Scenario:
    _load()
    try:
        return _REGISTRY[scenario_id]
    except KeyError:
        raise E2EError(
            "FJ-E2E-UNKNOWN-SCENARIO", f"no scenario {scenario_id!r}", hint="list them with `fjh e2e --list`"
        ) from None


def select(scenarios: Iterable[str] = (), packets_: Iterable[str] = ()) -> list[Scenario]:
    """Scenarios named by id or by packet (both empty: all), in registry order, without duplicates."""
    ids = list(scenarios)
    wanted_packets = {normalize_packet(p) for p in packets_}
    for scenario_id in ids:
        get(scenario_id)
    if not ids and not wanted_packets:
        return all_scenarios()
    return [s for s in all_scenarios() if s.id in ids or s.packet in wanted_packets]
