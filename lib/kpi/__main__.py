"""``python -m lib.kpi``: see lib.kpi.engine.main; ``--as NAME`` checks the scope against the user's first
(lib.access.cli)."""

import sys

from lib.access import cli
from lib.kpi.engine import main

sys.exit(cli.kpi_show(sys.argv[1:], main))
