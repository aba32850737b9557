"""Demo data for the cockpit: ``generate`` fills a county with no data yet from its registry alone;
``python -m lib.demo [--county CODE]`` does it from a shell."""

from lib.demo.build import DemoRefusedError, generate

__all__ = ["DemoRefusedError", "generate"]
