"""``python -m lib.feed``, the command's name in the README and in people's scripts: runs lib.demo.feed."""

import sys

from lib.demo.feed import main

if __name__ == "__main__":
    sys.exit(main())
