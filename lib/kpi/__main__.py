"""``python -m lib.kpi``: see lib.kpi.engine.main."""

import sys

from lib.kpi.engine import main

sys.exit(main())
