"""Compare text with a recorded copy in tests/golden/; HPCFLOW_UPDATE_GOLDEN=1 rewrites it."""
from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("HPCFLOW_UPDATE_GOLDEN") == "1" or not path.exists():
        path.write_text(text)
    assert text == path.read_text(), f"{name} differs from the recorded copy; review and rerun with HPCFLOW_UPDATE_GOLDEN=1"
