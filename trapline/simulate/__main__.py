"""Entry point for ``python -m trapline.simulate``."""

import sys

from trapline.simulate.cli import main

sys.exit(main())
