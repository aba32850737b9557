"""Counties as data: the registry loader (load), county outlines (geo) and facility counts (facilities).

``from lib import registry`` gives the loader's public face; ``python -m lib.registry load FILE``.
"""

from lib.registry.load import DATA, DEFAULT_REGISTRY, RegistryError, Summary, boundary_path, load, main, validate

__all__ = ["DATA", "DEFAULT_REGISTRY", "RegistryError", "Summary", "boundary_path", "load", "main", "validate"]
