"""``python -m harness`` is ``fjh``."""

import sys

from harness.cli import main

sys.exit(main())
