"""The production settings, with STATIC_ROOT pointed at the drill's temporary folder.

`involvement/settings.py` fixes STATIC_ROOT to ./staticfiles; the drill collects into a folder of
its own so a run never leaves files in the work tree (bench/settings.py does the same). Every
other setting is the portal's own, configured through the environment as in production.
"""

import os

from involvement.settings import *  # noqa: F403

STATIC_ROOT = os.environ["DRILL_STATIC_ROOT"]
