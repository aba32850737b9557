"""``python -m lib.registry``: see lib.registry.load.main."""

import sys

from lib.registry.load import main

sys.exit(main())
