"""One module per fuzz target; each defines ``check(data: bytes) -> str`` (see ``harness.fuzz.registry``)."""
