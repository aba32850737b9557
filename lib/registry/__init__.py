"""Counties as data: the registry loader (load, check), a county's settings and words (settings), county
outlines (geo) and facility counts (facilities).

``from lib import registry`` gives the loader's public face; ``python -m lib.registry load FILE``.
"""

from lib.registry.check import DATA, Registry, RegistryError
from lib.registry.check import check as validate
from lib.registry.load import DEFAULT_REGISTRY, Diff, Summary, boundary_path, load, main

__all__ = ["DATA", "DEFAULT_REGISTRY", "Diff", "Registry", "RegistryError", "Summary", "boundary_path", "load",
           "main", "validate"]
