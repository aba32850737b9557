"""``python -m lib.rollup``, the command's name in the README and in people's scripts: runs lib.events.rollup."""

import sys

from lib.events.rollup import main

if __name__ == "__main__":
    sys.exit(main())
