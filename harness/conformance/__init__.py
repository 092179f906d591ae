"""Conformance: the reference against fixtures captured from JAX.

One module per job, so a newcomer finds each from its name:

* ``catalog/`` — the programs, inputs and transform stacks to capture;
* :mod:`.capture` — ``fjh capture``: run the catalog through JAX, write fixture bundles;
* :mod:`.fixtures` — the bundle format: its one writer and one reader;
* :mod:`.compare` — the one verdict engine: do two values agree under a tolerance;
* :mod:`.divergences` — the reviewed list of known divergences;
* :mod:`.runner` — ``fjh conformance``: every case through the reference, judged;
* :mod:`.report` — the parity report (JSON, Markdown, JUnit);
* :mod:`.inventory` — ``fjh primitives``: rules and cases per primitive;
* :mod:`.executor` — where cases run (a local process pool or a Dask cluster);
* :mod:`.interop` — the Rust FrankenJAX fixture format.
"""
