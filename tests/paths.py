"""Paths the tests use (kept out of conftest.py, whose module name is not unique)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
