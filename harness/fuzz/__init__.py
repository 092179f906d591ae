"""Fuzzing the project's parsers of untrusted bytes with atheris.

A *target* is data (:mod:`harness.fuzz.registry`): a name, the ``check``
function that feeds bytes to one parser and applies the target's oracle,
the packages to instrument for coverage feedback, and optional
structure-aware mutator and dictionary. The oracle of every target is the
same rule:

* the parser either accepts the bytes or raises the taxonomy's error for it
  (``IRError`` for programs, ``DurabilityError`` for sidecar manifests, ...);
  a taxonomy error whose ``__cause__`` chain holds a non-taxonomy exception
  is a wrapped crash, not a clean rejection;
* what it accepts survives the round trip (validate, fingerprint, dump, read
  again, same fingerprint) and carries the data the bytes said.

Any other outcome is a finding, with a severity by fixed rules
(:mod:`harness.fuzz.triage`): an :class:`~harness.fuzz.oracle.InvariantViolation`
is P0; an uncaught exception, a wrapped crash or a hang is P1; a clean
result slower than the threshold is P2.

Modules:

``registry``   the targets (``get_target``, ``target_names``); light to import
``oracle``     the findings (``InvariantViolation``, ``UncaughtError``, ``SlowInput``) and ``run_check``
``targets/``   one module per target, each with ``check(data: bytes) -> str``
``worker``     ``python -m harness.fuzz.worker``: the atheris process (instrumentation, libFuzzer)
``runner``     :func:`~harness.fuzz.runner.run_fuzz`: workers, log, corpus growth, crash files
``repro``      ``python -m harness.fuzz.repro``: one input, in-process, as JSON (triage runs it)
``minimize``   delta debugging that keeps a finding's signature
``mutators``   the JSON-aware mutator
``seeds``      the seed corpora (``scripts/make_seed_corpus.py`` writes them)
``store``      where corpora, crash files and run logs live; ``ensure_sidecar``

This package's ``__init__`` imports nothing: the worker must import the
project's parsers only inside atheris' instrumentation hook.
"""
