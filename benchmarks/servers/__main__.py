"""``python -m benchmarks.servers``: see :mod:`benchmarks.servers.cli`."""

from __future__ import annotations

import sys

from benchmarks.servers.cli import main

sys.exit(main())
