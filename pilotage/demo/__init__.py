"""Demo data: a realistic canonical CSV folder to try Pilotage on (see generator.py)."""

from pilotage.demo.generator import generate

__all__ = ["generate"]
