"""Demo data for the cockpit: ``generate`` fills an empty store; ``python -m lib.demo`` does it from a shell."""

from lib.demo.build import DemoRefusedError, generate

__all__ = ["DemoRefusedError", "generate"]
