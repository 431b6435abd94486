"""The production settings, with STATIC_ROOT pointed at the bench's temporary folder.

`involvement/settings.py` fixes STATIC_ROOT to ./staticfiles; the bench collects into a temporary
folder instead, so a run never leaves files in the work tree. Everything else is the portal's own
settings, configured through the environment exactly as in production.
"""

import os

from involvement.settings import *  # noqa: F403

STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
