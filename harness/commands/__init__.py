"""One module per ``fjh`` subcommand family.

Each module defines ``register(subparsers)`` and imports nothing heavy at
module level (heavy imports go inside the handler), so that building the
parser for ``fjh --help`` stays instant. :mod:`harness.cli` discovers the
modules here, so adding a command is adding a file.
"""
