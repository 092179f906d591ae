"""Implementations under test, spoken to through the ``frankenjax.adapter.v1`` protocol.

* :mod:`.protocol` -- the message formats, the reader of replies, and the request loop of Python adapters;
* :mod:`.client` -- the harness side: a subprocess that can crash, hang or print garbage without harm;
* :mod:`.reference` / :mod:`.jax` -- the two adapters shipped (``python -m harness.adapters.reference``,
  ``python -m harness.adapters.jax``).
"""
