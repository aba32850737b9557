"""``python -m lib.catalogue``, the command's name in the README and in people's scripts: runs lib.kpi.catalogue."""

import sys

from lib.kpi.catalogue import main

if __name__ == "__main__":
    sys.exit(main())
