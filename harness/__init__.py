"""FrankenJAX harness: conformance and differential testing against real JAX.

Importing this package is cheap on purpose (no numpy, no jax): ``fjh --help``
must answer instantly.
"""

__version__ = "0.1.0"
